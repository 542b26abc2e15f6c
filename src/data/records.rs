//! A streaming check of a delimited file's record structure: every record
//! must have as many fields as the first (polars pads short rows with nulls
//! silently), quotes must close, and blank lines are counted (polars reads
//! them as rows of nulls). It only counts delimiters, quotes and newlines,
//! jumping between them with memchr, so it runs at memory speed; polars
//! does the parsing.

use std::io::Read;

/// What the scan found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecordScan {
    /// The first record whose field count differs from the first record's:
    /// (its first physical line, 1-based; a message).
    pub problem: Option<(u64, String)>,
    pub blank_lines: u64,
    pub records: u64,
}

/// The scanner's state between chunks.
#[derive(Debug)]
pub struct RecordScanner {
    delimiter: u8,
    quote: u8,
    quoted: bool,
    /// Offset (in the whole stream) of the quote that just closed a field.
    closed_at: Option<u64>,
    quote_line: u64,
    line: u64,
    record_line: u64,
    fields: usize,
    /// The record so far holds something other than '\r'.
    content: bool,
    /// The previous byte was a delimiter or the record's start (a quote may open).
    field_start: bool,
    expected: Option<usize>,
    offset: u64,
    out: RecordScan,
}

impl RecordScanner {
    pub fn new(delimiter: u8, quote: u8) -> Self {
        Self {
            delimiter,
            quote,
            quoted: false,
            closed_at: None,
            quote_line: 0,
            line: 1,
            record_line: 1,
            fields: 1,
            content: false,
            field_start: true,
            expected: None,
            offset: 0,
            out: RecordScan::default(),
        }
    }

    /// Feed the next bytes of the file. Returns false once a problem is found.
    pub fn feed(&mut self, chunk: &[u8]) -> bool {
        if !self.quoted && memchr::memchr(self.quote, chunk).is_none() {
            return self.feed_unquoted(chunk);
        }
        let mut last = 0usize;
        for pos in memchr::memchr3_iter(self.delimiter, self.quote, b'\n', chunk) {
            let b = chunk[pos];
            let between = &chunk[last..pos];
            last = pos + 1;
            let at = self.offset + pos as u64;
            if !between.is_empty() {
                if !self.quoted && between.iter().any(|&c| c != b'\r') {
                    self.content = true;
                }
                self.field_start = false;
            }
            if self.quoted {
                if b == self.quote {
                    self.quoted = false;
                    self.closed_at = Some(at);
                } else if b == b'\n' {
                    self.line += 1;
                }
                continue;
            }
            if b == self.quote {
                self.content = true;
                // A quote opens a field at its start, or is the second of a
                // doubled quote ("") inside a quoted field.
                if self.field_start || self.closed_at.is_some_and(|c| c + 1 == at) {
                    self.quoted = true;
                    self.quote_line = self.line;
                }
                self.field_start = false;
            } else if b == self.delimiter {
                self.fields += 1;
                self.content = true;
                self.field_start = true;
            } else if !self.end_record() {
                return false;
            }
        }
        let rest = &chunk[last..];
        if !rest.is_empty() {
            if !self.quoted && rest.iter().any(|&c| c != b'\r') {
                self.content = true;
            }
            self.field_start = false;
        }
        self.offset += chunk.len() as u64;
        true
    }

    /// The common case, a chunk without quotes: count delimiters line by line
    /// (a byte count the compiler vectorises) instead of visiting each one.
    fn feed_unquoted(&mut self, chunk: &[u8]) -> bool {
        let mut start = 0usize;
        for nl in memchr::memchr_iter(b'\n', chunk) {
            self.absorb(&chunk[start..nl]);
            if !self.end_record() {
                return false;
            }
            start = nl + 1;
        }
        self.absorb(&chunk[start..]);
        self.offset += chunk.len() as u64;
        true
    }

    /// Part of a record with no quotes in it.
    fn absorb(&mut self, seg: &[u8]) {
        let Some(&last) = seg.last() else { return };
        let delimiters = seg.iter().filter(|&&b| b == self.delimiter).count();
        self.fields += delimiters;
        if delimiters > 0 || seg.iter().any(|&b| b != b'\r') {
            self.content = true;
        }
        self.field_start = last == self.delimiter;
    }

    /// A newline outside quotes ends a record.
    fn end_record(&mut self) -> bool {
        if !self.content {
            self.out.blank_lines += 1;
        } else if !self.check_fields() {
            return false;
        }
        self.line += 1;
        self.record_line = self.line;
        self.fields = 1;
        self.content = false;
        self.field_start = true;
        true
    }

    fn check_fields(&mut self) -> bool {
        self.out.records += 1;
        match self.expected {
            None => self.expected = Some(self.fields),
            Some(n) if n != self.fields => {
                self.out.problem = Some((
                    self.record_line,
                    format!("this row has {} fields, the first row has {n}", self.fields),
                ));
                return false;
            }
            Some(_) => {}
        }
        true
    }

    /// The end of the file; `complete` is false when the input was cut
    /// (a preview), so an open quote or a partial last line is no problem.
    pub fn finish(mut self, complete: bool) -> RecordScan {
        if self.out.problem.is_some() || !complete {
            return self.out;
        }
        if self.quoted {
            self.out.problem = Some((
                self.quote_line,
                "a quoted field is opened here and never closed".to_owned(),
            ));
        } else if self.content {
            self.check_fields();
        }
        self.out
    }
}

/// Delimiters and records of a file whose quoted fields hold neither a
/// delimiter nor a newline: what [`QuickCount::vouches_for`] needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuickCount {
    delimiters: u64,
    records: u64,
}

impl QuickCount {
    /// A quick proof that every record has `fields` fields, for files polars
    /// has already parsed (polars refuses rows with too many fields, so rows
    /// can only be short): the delimiters outside quotes must number exactly
    /// `(fields - 1) × records`. `None` for a single column: then use
    /// [`scan_reader`].
    pub fn vouches_for(&self, fields: usize) -> Option<bool> {
        (fields >= 2).then(|| self.delimiters == (fields as u64 - 1) * self.records)
    }
}

/// Count the delimiters and newlines of a file with vectorised byte counts. The
/// count is exact when no quoted field holds a delimiter or a newline, which
/// is checked between each pair of quotes; `None` when one does (then use
/// [`scan_reader`]). It needs no field count, so it can run while polars parses.
pub fn quick_count(
    mut r: impl Read,
    delimiter: u8,
    quote: u8,
) -> std::io::Result<Option<QuickCount>> {
    let mut buf = vec![0u8; 1 << 20];
    let (mut delimiters, mut newlines, mut last) = (0u64, 0u64, b'\n');
    // Inside a quoted field that began in an earlier chunk.
    let mut open = false;
    // A delimiter or newline inside quotes; quoted fields are short, so a
    // plain loop beats a search call per field.
    let special = |seg: &[u8]| seg.iter().any(|&b| b == delimiter || b == b'\n');
    loop {
        let n = r.read(&mut buf)?;
        if n == 0 {
            break;
        }
        let chunk = &buf[..n];
        let mut from = 0usize;
        for q in memchr::memchr_iter(quote, chunk) {
            if open && special(&chunk[from..q]) {
                return Ok(None);
            }
            open = !open;
            from = q + 1;
        }
        if open && special(&chunk[from..]) {
            return Ok(None);
        }
        // Two vectorised counts beat one loop with two counters.
        delimiters += chunk.iter().filter(|&&b| b == delimiter).count() as u64;
        newlines += chunk.iter().filter(|&&b| b == b'\n').count() as u64;
        last = chunk[n - 1];
    }
    if open {
        return Ok(None);
    }
    let records = newlines + u64::from(last != b'\n');
    Ok(Some(QuickCount {
        delimiters,
        records,
    }))
}

/// Scan a whole reader in 1 MiB chunks.
pub fn scan_reader(mut r: impl Read, delimiter: u8, quote: u8) -> std::io::Result<RecordScan> {
    let mut s = RecordScanner::new(delimiter, quote);
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = r.read(&mut buf)?;
        if n == 0 {
            return Ok(s.finish(true));
        }
        if !s.feed(&buf[..n]) {
            return Ok(s.finish(true));
        }
    }
}

/// Scan bytes held in memory.
pub fn scan_bytes(bytes: &[u8], delimiter: u8, quote: u8, complete: bool) -> RecordScan {
    let mut s = RecordScanner::new(delimiter, quote);
    s.feed(bytes);
    s.finish(complete)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan(text: &str) -> RecordScan {
        scan_bytes(text.as_bytes(), b',', b'"', true)
    }

    #[test]
    fn finds_short_and_long_rows_and_open_quotes() {
        assert_eq!(scan("a,b,c\n1,2,3\n4,5\n").problem.unwrap().0, 3);
        assert_eq!(scan("a,b\n1,2\n3,4,5\n").problem.unwrap().0, 3);
        let (line, msg) = scan("a,b\n1,2\n3,\"oops\n4,5\n").problem.unwrap();
        assert_eq!(line, 3);
        assert!(msg.contains("never closed"));
    }

    #[test]
    fn quoted_delimiters_newlines_and_doubled_quotes_are_data() {
        let s = scan("a,b\n1,\"x,\ny\"\n2,\"say \"\"hi, there\"\"\"\r\n3,4");
        assert_eq!(s.problem, None, "{s:?}");
        assert_eq!(s.records, 4);
    }

    #[test]
    fn quote_free_chunks_take_the_fast_path_with_the_same_result() {
        let text = "a;b;c\n1;2;3\n\r\n4;5;6\n7;8\n";
        for cut in 0..text.len() {
            let mut s = RecordScanner::new(b';', b'"');
            s.feed(&text.as_bytes()[..cut]);
            s.feed(&text.as_bytes()[cut..]);
            let r = s.finish(true);
            assert_eq!(r.problem.map(|p| p.0), Some(5), "cut at {cut}");
            assert_eq!(r.blank_lines, 1, "cut at {cut}");
        }
    }

    #[test]
    fn quick_count_vouches_only_for_consistent_quote_free_files() {
        let q = |t: &str, f| {
            quick_count(t.as_bytes(), b',', b'"')
                .unwrap()
                .and_then(|c| c.vouches_for(f))
        };
        assert_eq!(q("a,b\n1,2\n3,4", 2), Some(true));
        assert_eq!(q("a,b\n1,2\n3\n", 2), Some(false));
        assert_eq!(
            q("a,b\n1,2\n\n", 2),
            Some(false),
            "a blank line has no delimiter"
        );
        assert_eq!(
            q("a,b\n\"1\",2\n", 2),
            Some(true),
            "quotes around plain values are fine"
        );
        assert_eq!(
            q("a,b\n\"1,5\",2\n", 2),
            None,
            "a quoted delimiter needs the full scan"
        );
        assert_eq!(q("a,b\n\"x\ny\",2\n", 2), None);
        assert_eq!(q("a\n1\n", 1), None);
    }

    #[test]
    fn quick_count_is_the_same_in_any_chunks_and_blocks() {
        /// A reader that hands out `n` bytes at a time.
        struct Trickle<'a>(&'a [u8], usize);
        impl Read for Trickle<'_> {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                let n = self.1.min(self.0.len()).min(buf.len());
                buf[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        let line = "\"x\",1,\"say \"\"hi\"\"\"\n";
        let good = "a,b,c\n".to_owned() + &line.repeat(40);
        let mut bad = good.clone();
        // At a line start past the first 64-byte block: a quoted delimiter.
        bad.insert_str(6 + 7 * line.len(), "\"p,q\",");
        let open = good.clone() + "\"never closed,1,2\n";
        for step in [1, 7, 64, 100, 1 << 20] {
            let count = |t: &str| quick_count(Trickle(t.as_bytes(), step), b',', b'"').unwrap();
            assert_eq!(
                count(&good).and_then(|c| c.vouches_for(3)),
                Some(true),
                "{step}"
            );
            assert_eq!(count(&bad), None, "{step}");
            assert_eq!(count(&open), None, "{step}");
        }
    }

    #[test]
    fn counts_blank_lines_and_works_across_chunks() {
        let text = "a,b\n1,2\n\n3,4\r\n\r\n5,\"6\n7\"\n";
        assert_eq!(scan(text).blank_lines, 2);
        for cut in 1..text.len() {
            let mut s = RecordScanner::new(b',', b'"');
            s.feed(&text.as_bytes()[..cut]);
            s.feed(&text.as_bytes()[cut..]);
            let r = s.finish(true);
            assert_eq!(
                (r.problem.clone(), r.blank_lines, r.records),
                (None, 2, 4),
                "cut at {cut}"
            );
        }
    }
}
