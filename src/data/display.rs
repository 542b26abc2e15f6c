//! How values are shown to people, the same in the CLI and the TUI: a cell's
//! text, a number in a table, a string cut to a width.

use polars::prelude::{AnyValue, DataFrame};

/// The text of one cell as lathe shows it: nulls empty, strings unquoted,
/// control characters as visible symbols.
pub fn cell_text(df: &DataFrame, col: usize, row: usize) -> String {
    printable(raw_cell_text(df, col, row))
}

/// Control characters (a newline, an escape sequence) in data must not reach
/// the terminal: show them as their Unicode control pictures (␊, ␛ …).
pub fn printable(s: String) -> String {
    if !s.chars().any(char::is_control) {
        return s;
    }
    s.chars()
        .map(|c| match c as u32 {
            n @ 0..=0x1f => char::from_u32(0x2400 + n).unwrap_or('?'),
            0x7f => '\u{2421}',
            _ if c.is_control() => '\u{fffd}',
            _ => c,
        })
        .collect()
}

fn raw_cell_text(df: &DataFrame, col: usize, row: usize) -> String {
    match df.columns()[col].get(row) {
        Ok(v) => value_text(&v),
        Err(_) => String::new(),
    }
}

/// Dates further than this from 1970 (in seconds) cannot be shown as
/// calendar dates (chrono's range is about ±262,000 years; polars panics
/// past it): they are shown as what they are.
const MAX_CALENDAR_SECONDS: f64 = 8.0e12;

/// The text of one value as lathe shows it.
pub fn value_text(v: &AnyValue<'_>) -> String {
    use polars::prelude::TimeUnit;
    let out_of_calendar = match v {
        AnyValue::Date(d) => (f64::from(*d) * 86_400.0).abs() > MAX_CALENDAR_SECONDS,
        AnyValue::Datetime(t, unit, _) | AnyValue::DatetimeOwned(t, unit, _) => {
            let per_second = match unit {
                TimeUnit::Nanoseconds => 1e9,
                TimeUnit::Microseconds => 1e6,
                TimeUnit::Milliseconds => 1e3,
            };
            (*t as f64 / per_second).abs() > MAX_CALENDAR_SECONDS
        }
        _ => false,
    };
    if out_of_calendar {
        return "<date out of range>".to_owned();
    }
    match v {
        AnyValue::Null => String::new(),
        AnyValue::String(s) => (*s).to_owned(),
        AnyValue::StringOwned(s) => s.to_string(),
        v => match v.get_str() {
            // Categorical and enum values: their text, unquoted.
            Some(s) => s.to_owned(),
            None => v.to_string(),
        },
    }
}

/// A number for a table: integers plainly, others with up to 4 significant decimals.
pub fn num(v: f64) -> String {
    if !v.is_finite() {
        return v.to_string();
    }
    if v.fract() == 0.0 && v.abs() < 1e15 {
        return format!("{v:.0}");
    }
    let a = v.abs();
    if !(1e-3..1e6).contains(&a) {
        format!("{v:.3e}")
    } else if a >= 100.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.4}")
    }
}

/// Cut `s` to at most `width` characters, marking the cut with '…'.
pub fn truncate(s: &str, width: usize) -> String {
    let s = &printable(s.to_owned());
    if s.chars().count() <= width {
        s.to_owned()
    } else {
        let mut out: String = s.chars().take(width.saturating_sub(1)).collect();
        out.push('…');
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_become_visible() {
        assert_eq!(printable("a\nb\x1b[2J".into()), "a\u{240a}b\u{241b}[2J");
        assert_eq!(printable("plain".into()), "plain");
        assert_eq!(truncate("abc\tdef", 5), "abc\u{2409}…");
    }
}
