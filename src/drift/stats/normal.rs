//! The standard normal CDF, `scipy.stats.norm.cdf`, on lathe's own `erf`/`erfc` (a positive
//! series near 0, a continued fraction in the tails) rather than cephes' rational fits.
//!
//! Kept rather than statrs' `erfc` (statrs is a dependency, for the Student t): measured
//! against scipy's `ndtr` golden values, `0.5 · statrs::erfc(-x/√2)` is up to 5e-11 relative
//! off (x = -10, and already 4e-11 at x = -1.5), where this module holds the tests' 1e-13.

/// `e^{-x²}` with the rounding error of `x²` compensated.
fn exp_neg_sq(x: f64) -> f64 {
    let hi = x * x;
    let lo = x.mul_add(x, -hi);
    (-hi).exp() * (-lo).exp()
}

/// erf by the everywhere-positive series `2/√π · x e^{-x²} Σ (2x²)^n / (2n+1)!!`; for `|x| <= 3`.
fn erf_series(x: f64) -> f64 {
    let x2 = 2.0 * x * x;
    let mut term = 1.0;
    let mut sum = 1.0;
    let mut k = 1.0;
    for _ in 0..500 {
        term *= x2 / (2.0 * k + 1.0);
        sum += term;
        if term <= 1e-17 * sum {
            break;
        }
        k += 1.0;
    }
    std::f64::consts::FRAC_2_SQRT_PI * x * exp_neg_sq(x) * sum
}

/// erfc for `x >= 1` by Lentz's evaluation of `erfc x = e^{-x²}/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + …))))`.
fn erfc_cf(x: f64) -> f64 {
    let tiny = 1e-300;
    let mut f = x;
    let mut c = f;
    let mut d = 0.0;
    for k in 1..5000 {
        let ak = k as f64 / 2.0;
        d = x + ak * d;
        if d.abs() < tiny {
            d = tiny;
        }
        c = x + ak / c;
        if c.abs() < tiny {
            c = tiny;
        }
        d = 1.0 / d;
        let delta = c * d;
        f *= delta;
        if (delta - 1.0).abs() < 1e-16 {
            break;
        }
    }
    exp_neg_sq(x) / (std::f64::consts::PI.sqrt() * f)
}

fn erfc(x: f64) -> f64 {
    if x.is_nan() {
        return x;
    }
    if x < 0.0 {
        return 2.0 - erfc(-x);
    }
    if x < 1.0 {
        return 1.0 - erf_series(x);
    }
    if x > 27.3 {
        return 0.0;
    }
    erfc_cf(x)
}

fn erf(x: f64) -> f64 {
    if x.abs() < 1.0 {
        erf_series(x)
    } else {
        1.0 - erfc(x)
    }
}

/// `scipy.stats.norm.cdf(x)` (`scipy.special.ndtr`, cephes branch structure: `½ + ½ erf` near 0,
/// `½ erfc` in the tails).
pub fn norm_cdf(a: f64) -> f64 {
    if a.is_nan() {
        return a;
    }
    let x = a * std::f64::consts::FRAC_1_SQRT_2;
    let z = x.abs();
    if z < 1.0 {
        return 0.5 + 0.5 * erf(x);
    }
    let y = 0.5 * erfc(z);
    if x > 0.0 { 1.0 - y } else { y }
}
