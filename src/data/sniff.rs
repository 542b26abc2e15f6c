//! Sniffing a delimited text file: its encoding, delimiter, quote and header.
//!
//! Sniffing only looks at the first bytes of the file; polars does the
//! parsing. The one full scan of every record (field counts, the line of a
//! problem) is in [`crate::data::records`].

use std::io::Read;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::data::format::is_gzip;

mod dates;
use crate::error::{Error, Result};
pub use dates::may_hold_dates;

/// How much of a file the sniffer reads.
pub const HEAD_BYTES: usize = 256 * 1024;

/// The text encoding of a file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Encoding {
    Utf8,
    /// UTF-8 with a byte-order mark (which lathe strips).
    Utf8Bom,
    /// Anything else, named as encoding_rs names it (`UTF-16LE`, `windows-1252` …);
    /// lathe transcodes it to UTF-8 before parsing.
    Other(String),
}

impl Encoding {
    pub fn label(&self) -> &str {
        match self {
            Self::Utf8 => "UTF-8",
            Self::Utf8Bom => "UTF-8 (BOM)",
            Self::Other(name) => name,
        }
    }
}

/// What the sniffer found out about a delimited text file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dialect {
    pub encoding: Encoding,
    pub delimiter: u8,
    pub quote: u8,
    pub has_header: bool,
    pub gzip: bool,
    /// Lines end in a lone '\r' (old Mac spreadsheets): lathe converts them.
    #[serde(default)]
    pub cr_only: bool,
}

/// Read the first bytes of `path`, decompressing gzip.
pub fn read_head(path: &Path) -> Result<(Vec<u8>, bool)> {
    let mut raw = Vec::new();
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, &e))?;
    file.take(HEAD_BYTES as u64)
        .read_to_end(&mut raw)
        .map_err(|e| Error::io(path, &e))?;
    if !is_gzip(&raw) {
        return Ok((raw, false));
    }
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, &e))?;
    let mut out = Vec::new();
    flate2::read::MultiGzDecoder::new(file)
        .take(HEAD_BYTES as u64)
        .read_to_end(&mut out)
        .map_err(|e| Error::input(format!("cannot decompress gzip data: {e}")).at(path))?;
    Ok((out, true))
}

/// Guess the encoding of the head bytes; errors on data that is not text.
pub fn sniff_encoding(head: &[u8], path: &Path) -> Result<Encoding> {
    if head.starts_with(b"\xef\xbb\xbf") {
        return Ok(Encoding::Utf8Bom);
    }
    if let Some((enc, _)) = encoding_rs::Encoding::for_bom(head) {
        return Ok(Encoding::Other(enc.name().to_owned()));
    }
    // A cut in the middle of a multi-byte character at the end of the head is fine.
    let valid = match std::str::from_utf8(head) {
        Ok(_) => true,
        Err(e) => e.error_len().is_none() && head.len() >= HEAD_BYTES,
    };
    let nul = head.iter().filter(|&&b| b == 0).count();
    let control = head
        .iter()
        .filter(|&&b| b < 0x20 && !matches!(b, b'\n' | b'\r' | b'\t'))
        .count();
    if nul > 0 || control * 20 > head.len().max(1) {
        // UTF-16 without a BOM: every other byte is NUL in ASCII text.
        let even_nul = head.iter().step_by(2).filter(|&&b| b == 0).count();
        let odd_nul = head.iter().skip(1).step_by(2).filter(|&&b| b == 0).count();
        let half = head.len() / 2;
        if half > 0 && odd_nul * 10 >= half * 9 && even_nul == 0 {
            return Ok(Encoding::Other("UTF-16LE".to_owned()));
        }
        if half > 0 && even_nul * 10 >= half * 9 && odd_nul == 0 {
            return Ok(Encoding::Other("UTF-16BE".to_owned()));
        }
        let first = head
            .iter()
            .position(|&b| b == 0 || (b < 0x20 && !b"\n\r\t".contains(&b)));
        let mut e = Error::input("this is binary data, not text: it holds NUL or control bytes")
            .at(path)
            .hint("lathe reads CSV, Parquet, NDJSON/JSON and Arrow IPC files");
        if let Some(pos) = first {
            let line = head[..pos].iter().filter(|&&b| b == b'\n').count() as u64 + 1;
            e = e.line(line);
        }
        return Err(e);
    }
    if valid {
        return Ok(Encoding::Utf8);
    }
    let mut detector = chardetng::EncodingDetector::new();
    detector.feed(head, head.len() < HEAD_BYTES);
    let enc = detector.guess(None, true);
    Ok(Encoding::Other(enc.name().to_owned()))
}

/// Transcode `bytes` in `encoding` to UTF-8. Returns the text and whether
/// any byte could not be mapped (replaced by U+FFFD).
pub fn transcode(bytes: &[u8], encoding: &str) -> Option<(String, bool)> {
    let enc = encoding_rs::Encoding::for_label(encoding.as_bytes())?;
    let (text, _, had_errors) = enc.decode(bytes);
    Some((text.into_owned(), had_errors))
}

/// Guess delimiter, quote and header from the (UTF-8) head of a file.
pub fn sniff_dialect(text: &str) -> (u8, bool) {
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .take(50)
        .collect();
    // A cut last line would skew the counts.
    let lines = if lines.len() > 2 {
        &lines[..lines.len() - 1]
    } else {
        &lines[..]
    };
    let mut best = (b',', 0usize, 0usize); // (delimiter, lines agreeing, count)
    for &d in b",;\t|" {
        let counts: Vec<usize> = lines.iter().map(|l| count_outside_quotes(l, d)).collect();
        let Some(&first) = counts.first() else {
            continue;
        };
        if first == 0 {
            continue;
        }
        let agree = counts.iter().filter(|&&c| c == first).count();
        if (agree, first) > (best.1, best.2) {
            best = (d, agree, first);
        }
    }
    let delimiter = best.0;
    // Like pandas, assume a header unless the first line looks like data:
    // every field a number (or empty, as pandas' index column header is).
    let has_header = lines.first().is_none_or(|first| {
        let fields = split_simple(first, delimiter);
        let data_like = fields.iter().all(|f| {
            let f = f.trim().trim_matches(|c| c == '"' || c == '\'');
            f.is_empty() || f.parse::<f64>().is_ok()
        }) && fields.iter().any(|f| !f.trim().is_empty());
        !data_like || lines.len() == 1
    });
    (delimiter, has_header)
}

/// Sniff a whole dialect: encoding, delimiter, quote, header.
pub fn sniff(path: &Path) -> Result<(Dialect, Vec<u8>)> {
    let (head, gzip) = read_head(path)?;
    let encoding = sniff_encoding(&head, path)?;
    let text = match &encoding {
        Encoding::Utf8 => String::from_utf8_lossy(&head).into_owned(),
        Encoding::Utf8Bom => String::from_utf8_lossy(&head[3..]).into_owned(),
        Encoding::Other(name) => transcode(&head, name).map(|t| t.0).unwrap_or_default(),
    };
    let cr_only = text.contains('\r') && !text.contains('\n');
    let text = if cr_only {
        text.replace('\r', "\n")
    } else {
        text
    };
    let (delimiter, has_header) = sniff_dialect(&text);
    Ok((
        Dialect {
            encoding,
            delimiter,
            quote: sniff_quote(&text, delimiter),
            has_header,
            gzip,
            cr_only,
        },
        head,
    ))
}

/// `'` when fields are wrapped in single quotes and never in double ones.
fn sniff_quote(text: &str, delimiter: u8) -> u8 {
    let wrapped = |q: char| {
        text.lines()
            .take(50)
            .flat_map(|l| l.split(delimiter as char))
            .filter(|f| {
                let f = f.trim();
                f.len() >= 2 && f.starts_with(q) && f.ends_with(q)
            })
            .count()
    };
    if wrapped('\'') > 0 && wrapped('"') == 0 && !text.contains('"') {
        b'\''
    } else {
        b'"'
    }
}

fn count_outside_quotes(line: &str, delimiter: u8) -> usize {
    let mut quoted = false;
    line.bytes()
        .filter(|&b| {
            if b == b'"' {
                quoted = !quoted;
            }
            b == delimiter && !quoted
        })
        .count()
}

fn split_simple(line: &str, delimiter: u8) -> Vec<&str> {
    line.split(delimiter as char).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_semicolons_and_header() {
        let (d, h) = sniff_dialect("a;b;c\n1;\"x;y\";3\n4;5;6\n7;8;9\n");
        assert_eq!(d, b';');
        assert!(h);
        let (d, h) = sniff_dialect("1,2,3\n4,5,6\n7,8,9\n");
        assert_eq!(d, b',');
        assert!(!h);
        // pandas' to_csv with its index, and numeric column names: headers.
        assert!(sniff_dialect(",a,b\n0,1.5,x\n1,2.5,y\n").1);
        assert!(sniff_dialect("year,2019,2020\na,1,2\nb,3,4\n").1);
        assert_eq!(sniff_quote("a,b\n'x, y',2\n'z',3\n", b','), b'\'');
        assert_eq!(sniff_quote("a,b\n\"x\",2\n", b','), b'"');
        let (d, _) = sniff_dialect("a\tb\n1\t2\n3\t4\n");
        assert_eq!(d, b'\t');
    }

    #[test]
    fn detects_encodings() {
        let p = Path::new("x.csv");
        assert_eq!(sniff_encoding(b"a,b\n1,2\n", p).unwrap(), Encoding::Utf8);
        assert_eq!(
            sniff_encoding(b"\xef\xbb\xbfa\n", p).unwrap(),
            Encoding::Utf8Bom
        );
        assert_eq!(
            sniff_encoding(b"\xff\xfea\x00,\x00b\x00", p).unwrap(),
            Encoding::Other("UTF-16LE".into())
        );
        let latin1 = b"name,city\nJos\xe9,M\xfcnchen\nRen\xe9e,K\xf6ln\n";
        let Encoding::Other(name) = sniff_encoding(latin1, p).unwrap() else {
            panic!("latin-1 is not UTF-8")
        };
        let (text, _) = transcode(latin1, &name).unwrap();
        assert!(text.contains("München"), "{name}: {text}");
        assert!(sniff_encoding(b"\x00\x01\x02garbage\x00\xff", p).is_err());
    }
}
