//! Whether a CSV's first records could hold dates, so that polars' date
//! inference can be skipped when they cannot.
//!
//! polars infers a date, datetime or time type by trying about a hundred
//! chrono patterns on every text value of the inference window; on a file with
//! text columns that is most of its (sequential) schema inference. Every one of
//! those patterns needs digits, and a field that polars' number patterns match
//! is typed a number before dates are tried, so a window whose fields are all
//! plain numbers or digit-free cannot yield a date: the inference is skipped
//! with no change in the schema. Anything unusual (a quoted field holding a
//! delimiter or a line break, a window shorter than polars') answers "maybe".

/// Whether polars' date inference could find a date, datetime or time in the
/// first `rows` records after the header of `text`. `whole` says `text` is all
/// polars parses, not only its beginning. False only when it certainly cannot.
pub fn may_hold_dates(text: &[u8], whole: bool, delimiter: u8, quote: u8, rows: usize) -> bool {
    let text = text.strip_prefix(b"\xef\xbb\xbf").unwrap_or(text);
    let mut lines = 0usize;
    for line in text.split(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            continue;
        }
        for field in line.split(|&b| b == delimiter) {
            if field.first() == Some(&quote) {
                // A quoted field cut by a delimiter or a line break: unsure.
                if field.len() < 2 || field.last() != Some(&quote) {
                    return true;
                }
                if field.iter().any(u8::is_ascii_digit) {
                    return true;
                }
            } else if field.iter().any(u8::is_ascii_digit) && !is_number(field) {
                return true;
            }
        }
        lines += 1;
        // The header and `rows` records seen: polars looks no further.
        if lines > rows {
            return false;
        }
    }
    !whole
}

/// A field polars' CSV inference types as a number before it tries dates:
/// `-?\d+`, or a float: `[-+]?(\d*\.\d+([eE][-+]?\d+)?|\d+\.|\d+[eE][-+]?\d+)`.
fn is_number(field: &[u8]) -> bool {
    let digits = |s: &[u8]| s.iter().all(u8::is_ascii_digit);
    let s = unsigned(field);
    let plus = field.first() == Some(&b'+');
    let (mantissa, exponent) = match s.iter().position(|&b| b == b'e' || b == b'E') {
        Some(i) => (&s[..i], Some(unsigned(&s[i + 1..]))),
        None => (s, None),
    };
    if exponent.is_some_and(|e| e.is_empty() || !digits(e)) {
        return false;
    }
    match mantissa.iter().position(|&b| b == b'.') {
        // An integer (no '+'), or digits with an exponent.
        None => !mantissa.is_empty() && digits(mantissa) && (exponent.is_some() || !plus),
        Some(i) => {
            let (whole, frac) = (&mantissa[..i], &mantissa[i + 1..]);
            digits(whole)
                && digits(frac)
                && (!frac.is_empty() || (exponent.is_none() && !whole.is_empty()))
        }
    }
}

/// `s` without a leading sign.
fn unsigned(s: &[u8]) -> &[u8] {
    match s.first() {
        Some(b'-' | b'+') => &s[1..],
        _ => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn maybe(text: &str) -> bool {
        may_hold_dates(text.as_bytes(), true, b',', b'"', 10_000)
    }

    #[test]
    fn numbers_and_digit_free_text_hold_no_dates() {
        assert!(!maybe(
            "a,b,c\n1,2.5,\"L\"\n-3,.5e-3,x\n7.,1E5,\"plant_A\"\n"
        ));
        assert!(!maybe("a,b\n,\n\r\nNaN,inf\n"));
    }

    #[test]
    fn anything_date_like_or_unusual_is_a_maybe() {
        for text in [
            "d\n2024-01-05\n",
            "d\n\"2024-01-05\"\n",
            "d\n05/01/2024\n",
            "d\n2024.01.05\n",
            "t\n12:30\n",
            "x\n+12\n",
            "x\n1.2.3\n",
            "x,y\n\"a,b\",1\n",
            "x\n\"two\nlines\"\n",
            "x\nplant_7\n",
        ] {
            assert!(maybe(text), "{text:?}");
        }
    }

    #[test]
    fn only_the_inference_window_counts() {
        let mut text = String::from("a\n");
        text.push_str(&"1\n".repeat(3));
        text.push_str("2024-01-05\n");
        let t = text.as_bytes();
        assert!(!may_hold_dates(t, true, b',', b'"', 3));
        assert!(may_hold_dates(t, true, b',', b'"', 4));
        // A beginning shorter than the window: unsure.
        assert!(may_hold_dates(&t[..4], false, b',', b'"', 3));
    }
}
