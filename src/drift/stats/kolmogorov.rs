//! The Kolmogorov distribution `scipy.stats.kstwo` (scipy's `_ksstats.kolmogn`): Simard &
//! L'Ecuyer's choice of algorithm per `(n, d)` region, with Ruben–Gambino tails here and the
//! three series in the submodules ([`durbin`], [`pomeranz`], [`pelz_good`]).

mod durbin;
mod pelz_good;
mod pomeranz;

use super::primitives::{LOG_2PI, clip01};
use super::smirnov::smirnov_sf_i64;
use durbin::kolmogn_dmtw_cdf;
use pelz_good::kolmogn_pelz_good_cdf;
use pomeranz::kolmogn_pomeranz_cdf;

const E128: i32 = 128;
const EP128: f64 = 3.402_823_669_209_385e38; // 2^128
const EM128: f64 = 2.938_735_877_055_719e-39; // 2^-128

/// `scipy.stats.kstwo.sf(d, n)`: survival function of the two-sided one-sample KS statistic
/// `D_n` (scipy `_ksstats.kolmogn(n, d, cdf=False)`, Simard & L'Ecuyer's algorithm choice:
/// Ruben–Gambino tails, Durbin/MTW matrix, Pomeranz, Pelz–Good and `2·smirnov`).
/// Outside the support (`d <= 0.5/n`) it is 1, at `d >= 1` it is 0; `n == 0` gives NaN.
pub fn kstwo_sf(n: u64, d: f64) -> f64 {
    if n == 0 || d.is_nan() {
        return f64::NAN;
    }
    if d <= 0.5 / n as f64 {
        return 1.0;
    }
    if d >= 1.0 {
        return 0.0;
    }
    kolmogn_sf(n as i64, d)
}

/// `kstwo.sf(d, n)` with a float `n` as ks_2samp passes it (`n` must be a positive integer).
pub(super) fn kstwo_sf_float_n(n: f64, d: f64) -> f64 {
    if n.is_nan() || n < 1.0 || !n.is_finite() || n.fract() != 0.0 {
        return f64::NAN;
    }
    kstwo_sf(n as u64, d)
}

/// `_log_nfactorial_div_n_pow_n(n)` = log(n!/n^n) by Stirling.
fn log_nfactorial_div_n_pow_n(n: f64) -> f64 {
    const STIRLING: [f64; 8] = [
        -0.029_550_653_594_771_242,
        0.006_410_256_410_256_41,
        -0.001_917_526_917_526_917_6,
        0.000_841_750_841_750_841_7,
        -0.000_595_238_095_238_095_3,
        0.000_793_650_793_650_793_7,
        -0.002_777_777_777_777_778,
        0.083_333_333_333_333_33,
    ];
    let rn = 1.0 / n;
    let x = rn / n;
    let poly = STIRLING.iter().fold(0.0, |acc, &c| acc * x + c);
    n.ln() / 2.0 - n + LOG_2PI / 2.0 + rn * poly
}

/// `_kolmogn(n, x, cdf=False)`.
fn kolmogn_sf(n: i64, x: f64) -> f64 {
    if x >= 1.0 {
        return 0.0;
    }
    if x <= 0.0 {
        return 1.0;
    }
    let nf = n as f64;
    let t = nf * x;
    if t <= 1.0 {
        if t <= 0.5 {
            return 1.0;
        }
        let prob = if n <= 140 {
            let inv_n = 1.0 / nf;
            let base = 2.0 * t - 1.0;
            (1..=n).fold(1.0, |acc, i| acc * (i as f64 * inv_n * base))
        } else {
            (log_nfactorial_div_n_pow_n(nf) + nf * (2.0 * t - 1.0).ln()).exp()
        };
        return clip01(1.0 - prob);
    }
    if t >= nf - 1.0 {
        return clip01(2.0 * (1.0 - x).powf(nf));
    }
    if x >= 0.5 {
        return clip01(2.0 * smirnov_sf_i64(n, x));
    }
    let nxsquared = t * x;
    if n <= 140 {
        if nxsquared <= 0.754693 {
            let cdf = kolmogn_dmtw_cdf(n, x);
            return clip01(1.0 - cdf);
        }
        if nxsquared <= 4.0 {
            let cdf = kolmogn_pomeranz_cdf(n, x);
            return clip01(1.0 - cdf);
        }
        return clip01(2.0 * smirnov_sf_i64(n, x));
    }
    if nxsquared >= 370.0 {
        return 0.0;
    }
    if nxsquared >= 2.2 {
        return clip01(2.0 * smirnov_sf_i64(n, x));
    }
    let cdf = if nxsquared >= 18.0 {
        1.0
    } else if n <= 100_000 && nf * x.powf(1.5) <= 1.4 {
        kolmogn_dmtw_cdf(n, x)
    } else {
        kolmogn_pelz_good_cdf(n, x)
    };
    clip01(1.0 - cdf)
}
