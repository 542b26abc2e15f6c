//! The one-sided Smirnov distribution, `scipy.special.smirnov` (xsf cephes kolmogorov.h
//! `_smirnov`): the Birnbaum–Tingey sum in double-double arithmetic ([`double_double`]), as xsf
//! computes it, so that the tails match scipy to the last digits.

mod double_double;

use super::primitives::{clip01, ldexp};
use double_double::Dd;

const MINLOG_XSF: f64 = -745.133_219_101_941_2;

const SMIRNOV_MAX_COMPUTE_N: i64 = 1_000_000;
const SM_UPPER_MAX_TERMS: i64 = 3;
const SM_UPPERSUM_MIN_N: i64 = 10;
const SM_MAX_EXPONENT: i32 = 960;

/// `scipy.special.smirnov(n, d)`: survival function of the one-sided KS statistic `D_n^+`
/// (Birnbaum–Tingey sum in double-double arithmetic, as xsf computes it).
pub fn smirnov_sf(n: u64, d: f64) -> f64 {
    smirnov_sf_i64(i64::try_from(n).unwrap_or(i64::MAX), d)
}

fn mod_nx(n: i64, x: f64) -> (f64, i64, f64) {
    let nx_d = (n as f64) * Dd::new(x);
    let nxfloor_d = nx_d.floor();
    let alpha_d = nx_d - nxfloor_d;
    let mut alpha = alpha_d.hi;
    let mut nxfloor = nxfloor_d.hi as i64;
    if alpha == 1.0 {
        nxfloor += 1;
        alpha = 0.0;
    }
    (alpha, nxfloor, nx_d.hi)
}

fn update_binomial(cman: &mut Dd, cexpt: &mut i64, n: i64, j: i64) {
    let rat = Dd::new((n - j) as f64) / (j as f64 + 1.0);
    let man2 = *cman * rat;
    let (man2, expt) = man2.frexp();
    *cexpt += expt as i64;
    *cman = man2;
}

fn pow_dd(a: Dd, m: i64) -> Dd {
    if m <= 0 {
        if m == 0 {
            return Dd::new(1.0);
        }
        return 1.0 / pow_dd(a, -m);
    }
    if a.eq_f(0.0) {
        return Dd::new(0.0);
    }
    let mf = m as f64;
    let ans = a.hi.powf(mf);
    let r = a.lo / a.hi;
    let mut adj = mf * r;
    if adj.abs() > 1e-8 {
        if adj.abs() < 1e-4 {
            adj += (mf * r) * ((mf - 1.0) / 2.0 * r);
        } else {
            adj = (mf * r.ln_1p()).exp_m1();
        }
    }
    Dd::new(ans) + ans * adj
}

fn pow2(a: f64, b: f64, m: i64) -> f64 {
    pow_dd(Dd::new(a) + b, m).hi
}

/// xsf `nextPowerOf2` (sic).
fn next_power_of_2(x: f64) -> f64 {
    let q = ldexp(x, 1 - 53);
    let mut l = (q + x).abs();
    if l == 0.0 {
        l = x.abs();
    } else {
        let lint = l as i32;
        if lint as f64 == l {
            l = lint as f64;
        }
    }
    l
}

fn pow2_scaled_dd(a: Dd, m: i64) -> (Dd, i64) {
    if m <= 0 {
        if m == 0 {
            return (Dd::new(1.0), 0);
        }
        let (ans, ae1) = pow2_scaled_dd(a, -m);
        let (ans, ae2) = (1.0 / ans).frexp();
        return (ans, -ae1 + ae2 as i64);
    }
    let (y, ye) = a.frexp();
    let ye = ye as i64;
    if m == 1 {
        return (y, ye);
    }
    let mut max_expt = SM_MAX_EXPONENT as i64;
    let mf = m as f64;
    if mf * (y.hi - 1.0) / y.hi < -(SM_MAX_EXPONENT as f64) * std::f64::consts::LN_2 {
        let lg2y = y.hi.ln() / std::f64::consts::LN_2;
        let lg_ans = mf * lg2y;
        if lg_ans <= -(SM_MAX_EXPONENT as f64) {
            max_expt = (next_power_of_2(-(SM_MAX_EXPONENT as f64) / lg2y + 1.0) / 2.0) as i64;
        }
    }
    if max_expt < 1 {
        max_expt = 1;
    }
    if m <= max_expt {
        let ans1 = pow_dd(y, m);
        let (ans, anse) = ans1.frexp();
        return (ans, anse as i64 + m * ye);
    }
    let q = m / max_expt;
    let r = m % max_expt;
    let (y2r, y2re) = pow2_scaled_dd(y, r);
    let (y2m, y2me) = pow2_scaled_dd(y, max_expt);
    let (y2mq, mut y2mqe) = pow2_scaled_dd(y2m, q);
    let (ans, anse) = (y2r * y2mq).frexp();
    y2mqe += y2me * q;
    let mut anse = anse as i64 + y2mqe + y2re;
    anse += m * ye;
    (ans, anse)
}

fn pow4_dd(a: f64, b: f64, c: f64, d: f64, m: i64) -> Dd {
    if m <= 0 {
        if m == 0 {
            return Dd::new(1.0);
        }
        return pow4_dd(c, d, a, b, -m);
    }
    let aa = Dd::new(a) + b;
    let cc = Dd::new(c) + d;
    if aa.eq_f(0.0) {
        return if cc.eq_f(0.0) {
            Dd {
                hi: f64::NAN,
                lo: f64::NAN,
            }
        } else {
            Dd::new(0.0)
        };
    }
    if cc.eq_f(0.0) {
        let inf = if aa.hi < 0.0 {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        };
        return Dd { hi: inf, lo: inf };
    }
    pow_dd(aa / cc, m)
}

fn clamp_i32(e: i64) -> i32 {
    e.clamp(i32::MIN as i64, i32::MAX as i64) as i32
}

fn compute_av(n: i64, x: f64, v: i64, cman: Dd, cexpt: i64) -> Dd {
    let nf = n as f64;
    let t2x = Dd::new((n - v) as f64) / nf - x;
    let (t2, t2e) = pow2_scaled_dd(t2x, n - v);
    let t1x = Dd::new(v as f64) / nf + x;
    let (t1, t1e) = pow2_scaled_dd(t1x, v - 1);
    let ans = t1 * t2;
    let ans = ans * cman;
    ans.ldexp(clamp_i32(cexpt + t1e + t2e))
}

pub(super) fn smirnov_sf_i64(n: i64, x: f64) -> f64 {
    if !(n > 0 && (0.0..=1.0).contains(&x)) {
        return f64::NAN;
    }
    if n == 1 {
        return 1.0 - x;
    }
    if x == 0.0 {
        return 1.0;
    }
    if x == 1.0 {
        return 0.0;
    }
    let nf = n as f64;
    let (alpha, nxfl, _nx) = mod_nx(n, x);
    let mut n1mxfl = n - nxfl - if alpha == 0.0 { 0 } else { 1 };
    let mut n1mxceil = n - nxfl;
    if alpha == 0.0 {
        n1mxfl -= 1;
        n1mxceil += 1;
    }
    if nxfl == 0 || (nxfl == 1 && alpha == 0.0) {
        let t = pow2(1.0, x, n - 1);
        let cdf = x * t;
        return 1.0 - cdf;
    }
    if (-2 * n) as f64 * x * x < MINLOG_XSF {
        return 0.0;
    }
    if nxfl >= n - 1 {
        return pow2(1.0, -x, n);
    }
    if n > SMIRNOV_MAX_COMPUTE_N {
        let logp = -(6.0 * nf * x + 1.0).powi(2) / 18.0 / nf;
        return if logp < -std::f64::consts::LN_2 {
            logp.exp()
        } else {
            1.0 - (-logp.exp_m1())
        };
    }
    let n_upper_terms = n - n1mxceil + 1;
    let use_upper = (n_upper_terms <= 1 && x < 0.5)
        || (n >= SM_UPPERSUM_MIN_N && n_upper_terms <= SM_UPPER_MAX_TERMS && x <= 0.5 / nf.sqrt());
    let (start, step, n_terms);
    let mut aj_sum = Dd::new(0.0);
    let aj;
    if use_upper {
        start = n;
        step = -1i64;
        n_terms = n - n1mxceil + 1;
        aj = pow4_dd(1.0, x, 1.0, 0.0, n - 1);
    } else {
        start = 0;
        step = 1;
        n_terms = n1mxfl + 1;
        let t2 = pow4_dd(1.0, -x, 1.0, 0.0, n);
        aj = t2 / x;
    }
    aj_sum = aj_sum + aj;
    let vmid = n / 2;
    let mut cman = Dd::new(1.0);
    let mut cexpt: i64 = 0;
    update_binomial(&mut cman, &mut cexpt, n, 0);
    let mut j = 1;
    while j < n_terms {
        let v = start + j * step;
        let aj = compute_av(n, x, v, cman, cexpt);
        let nonzero = !aj.eq_f(0.0);
        if aj.is_finite() && nonzero {
            aj_sum = aj_sum + aj;
        }
        if nonzero {
            if 4.0 * (n_terms - j) as f64 * aj.hi.abs() < f64::EPSILON * aj_sum.hi
                && j != n_terms - 1
            {
                break;
            }
        } else if j > vmid {
            break;
        }
        update_binomial(&mut cman, &mut cexpt, n, j);
        j += 1;
    }
    let prob = (x * aj_sum).hi;
    let sf = if step < 0 { 1.0 - prob } else { prob };
    clip01(sf)
}
