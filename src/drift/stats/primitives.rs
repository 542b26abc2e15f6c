//! The C, numpy and Python primitives the ports below lean on (`ldexp`, `frexp`, a Python
//! slice, sorted distinct values, the union of category counts), kept bit-for-bit with the
//! originals so that each statistic can follow its reference line by line.

/// A sorted copy (ascending, `f64::total_cmp`).
pub(super) fn sorted_copy(values: &[f64]) -> Vec<f64> {
    let mut v = values.to_vec();
    v.sort_unstable_by(f64::total_cmp);
    v
}

pub(super) fn clip01(p: f64) -> f64 {
    // np.clip keeps NaN.
    if p.is_nan() { p } else { p.clamp(0.0, 1.0) }
}

/// Python slice `[start:stop]` of a sequence of length `len`, as a Rust range.
pub(super) fn py_range(len: usize, start: i64, stop: i64) -> std::ops::Range<usize> {
    let len_i = len as i64;
    let norm = |i: i64| -> i64 {
        if i < 0 {
            (i + len_i).max(0)
        } else {
            i.min(len_i)
        }
    };
    let (s, e) = (norm(start), norm(stop));
    if e > s {
        s as usize..e as usize
    } else {
        s as usize..s as usize
    }
}

/// `2^e` for `-1022 <= e <= 1023`, exactly.
fn pow2i(e: i32) -> f64 {
    let e = e.clamp(-1022, 1023);
    f64::from_bits(((e + 1023) as u64) << 52)
}

/// C `ldexp`.
pub(super) fn ldexp(mut x: f64, mut e: i32) -> f64 {
    while e > 1000 {
        x *= pow2i(1000);
        e -= 1000;
        if !x.is_finite() {
            return x;
        }
    }
    while e < -1000 {
        x *= pow2i(-1000);
        e += 1000;
        if x == 0.0 {
            return x;
        }
    }
    x * pow2i(e)
}

/// C `frexp`: `x = m * 2^e` with `0.5 <= |m| < 1`.
pub(super) fn frexp(x: f64) -> (f64, i32) {
    if x == 0.0 || !x.is_finite() {
        return (x, 0);
    }
    let bits = x.to_bits();
    let exp = ((bits >> 52) & 0x7ff) as i32;
    if exp == 0 {
        let (m, e) = frexp(x * pow2i(54));
        return (m, e - 54);
    }
    let m = f64::from_bits((bits & !(0x7ffu64 << 52)) | (1022u64 << 52));
    (m, exp - 1022)
}

pub(super) fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        let t = a % b;
        a = b;
        b = t;
    }
    a
}

/// Number of distinct values in a sorted slice.
pub(super) fn count_distinct_sorted(sorted: &[f64]) -> usize {
    let mut n = 0;
    let mut last: Option<f64> = None;
    for &v in sorted {
        if last != Some(v) {
            n += 1;
            last = Some(v);
        }
    }
    n
}

/// Distinct values of a sorted slice.
pub(super) fn distinct_sorted(sorted: &[f64]) -> Vec<f64> {
    let mut out: Vec<f64> = Vec::new();
    for &v in sorted {
        if out.last() != Some(&v) {
            out.push(v);
        }
    }
    out
}

pub(super) const LOG_2PI: f64 = 1.837_877_066_409_345_3;

/// Keep only categories seen on either side.
pub(super) fn nonempty_pairs(ref_counts: &[u64], cur_counts: &[u64]) -> Vec<(u64, u64)> {
    let n = ref_counts.len().max(cur_counts.len());
    (0..n)
        .map(|i| {
            (
                ref_counts.get(i).copied().unwrap_or(0),
                cur_counts.get(i).copied().unwrap_or(0),
            )
        })
        .filter(|&(r, c)| r > 0 || c > 0)
        .collect()
}
