//! Small helpers shared by the full lathe and the serve-only build.

use std::time::{SystemTime, UNIX_EPOCH};

/// Bytes in a human unit: `1.5 MiB`.
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut unit = 0;
    while v >= 1024.0 && unit + 1 < UNITS.len() {
        v /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[unit])
    }
}

/// numpy's pairwise summation (blocks of 128 unrolled by 8), so sums agree
/// with numpy to the last bits on typical data.
pub fn pairwise_sum(v: &[f64]) -> f64 {
    pairwise_sum_of(v, |x| x)
}

/// [`pairwise_sum`] of `f` of each value, without collecting them first:
/// the same additions in the same order, so the same bits.
pub fn pairwise_sum_of(v: &[f64], f: impl Fn(f64) -> f64 + Copy) -> f64 {
    const BLOCK: usize = 128;
    if v.len() < 8 {
        return v.iter().map(|&x| f(x)).sum();
    }
    if v.len() <= BLOCK {
        let mut r: [f64; 8] = std::array::from_fn(|k| f(v[k]));
        let mut i = 8;
        while i + 8 <= v.len() {
            for k in 0..8 {
                r[k] += f(v[i + k]);
            }
            i += 8;
        }
        let mut res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for &x in &v[i..] {
            res += f(x);
        }
        return res;
    }
    let mut half = v.len() / 2;
    half -= half % 8;
    pairwise_sum_of(&v[..half], f) + pairwise_sum_of(&v[half..], f)
}

/// Now as an RFC 3339 UTC timestamp with milliseconds.
pub fn now_rfc3339() -> String {
    rfc3339(SystemTime::now())
}

pub fn rfc3339(t: SystemTime) -> String {
    let d = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = d.as_secs() as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, day) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        d.subsec_millis()
    )
}

/// (year, month, day) of a day count since 1970-01-01 (H. Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// The range of the finite `values` widened by `share` of its width on each
/// side (at least `min_pad`), for a chart axis; (0, 1) when there are none.
pub fn padded_range(values: impl Iterator<Item = f64>, share: f64, min_pad: f64) -> (f64, f64) {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in values.filter(|v| v.is_finite()) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    let pad = ((hi - lo) * share).max(min_pad);
    (lo - pad, hi + pad)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_rfc3339() {
        let t = UNIX_EPOCH + std::time::Duration::from_millis(1_764_072_000_123);
        assert_eq!(rfc3339(t), "2025-11-25T12:00:00.123Z");
        assert_eq!(rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00.000Z");
    }
}
