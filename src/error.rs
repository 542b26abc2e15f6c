//! lathe's error type: a category, what went wrong, and where.
//!
//! The core returns [`Error`]; front-ends add context and decide how to show
//! it (the CLI prints it and exits 2, the TUI shows a dialog and keeps its
//! state). Messages are written for the user: they quote values 'like this',
//! name the file, line, column or field, and say what to do where that helps.

use std::fmt;
use std::path::{Path, PathBuf};

/// Shorthand used throughout the core.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What kind of failure this is; decides the exit code and the dialog title.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The data or a file the user gave is malformed or unreadable.
    Input,
    /// A lathe.toml, schema or user config file is malformed.
    Config,
    /// The command line or a spec asks for something that does not make sense.
    Usage,
    /// An operating-system error while reading or writing.
    Io,
    /// The user cancelled a job.
    Cancelled,
    /// A bug in lathe: something that should not happen.
    Internal,
}

/// Where in a file an error is, 1-based.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Location {
    pub line: Option<u64>,
    pub column: Option<u64>,
    /// A named field: a column of the data or a key of a config file.
    pub field: Option<String>,
}

/// lathe's error: kind, message, and optional path, location and hint.
/// Boxed so that `Result<T, Error>` stays one pointer wide on the happy path;
/// fields are reached through `Deref` (`err.kind`, `err.location.line`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error(Box<ErrorInner>);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorInner {
    pub kind: ErrorKind,
    pub message: String,
    pub path: Option<PathBuf>,
    pub location: Location,
    pub hint: Option<String>,
}

impl Error {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self(Box::new(ErrorInner {
            kind,
            message: message.into(),
            path: None,
            location: Location::default(),
            hint: None,
        }))
    }

    pub fn input(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Input, message)
    }

    pub fn config(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Config, message)
    }

    pub fn usage(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Usage, message)
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Internal, message)
    }

    pub fn cancelled() -> Self {
        Self::new(ErrorKind::Cancelled, "cancelled")
    }

    /// An OS error on `path`, with the OS's reason in words a user knows.
    pub fn io(path: &Path, err: &std::io::Error) -> Self {
        use std::io::ErrorKind as K;
        let (message, hint) = match err.kind() {
            K::NotFound => ("no such file or directory".to_owned(), None),
            K::PermissionDenied => (
                "permission denied".to_owned(),
                Some("check the file's owner and mode (ls -l)".to_owned()),
            ),
            K::IsADirectory => (
                "is a directory, not a file".to_owned(),
                Some("give the path of a data file inside it".to_owned()),
            ),
            _ => (err.to_string(), None),
        };
        let mut e = Self::new(ErrorKind::Io, message).at(path);
        e.hint = hint;
        e
    }

    /// Attach the file this error is about.
    #[must_use]
    pub fn at(mut self, path: impl Into<PathBuf>) -> Self {
        self.path = Some(path.into());
        self
    }

    #[must_use]
    pub fn line(mut self, line: u64) -> Self {
        self.location.line = Some(line);
        self
    }

    #[must_use]
    pub fn column(mut self, column: u64) -> Self {
        self.location.column = Some(column);
        self
    }

    #[must_use]
    pub fn field(mut self, field: impl Into<String>) -> Self {
        self.location.field = Some(field.into());
        self
    }

    #[must_use]
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// The process exit code for this error: 2 for bad input or usage, 130 when cancelled.
    pub fn exit_code(&self) -> i32 {
        match self.kind {
            ErrorKind::Cancelled => 130,
            _ => 2,
        }
    }

    /// A short title for a dialog.
    pub fn title(&self) -> &'static str {
        match self.kind {
            // Unreadable files and data a step cannot use (one class, missing targets …).
            ErrorKind::Input => "Cannot use the data",
            ErrorKind::Config => "Invalid configuration",
            ErrorKind::Usage => "Cannot do that",
            ErrorKind::Io => "File error",
            ErrorKind::Cancelled => "Cancelled",
            ErrorKind::Internal => "Internal error",
        }
    }

    /// `file:line:column` (or the parts that are known), for the start of the message.
    pub fn where_(&self) -> Option<String> {
        let mut out = self.path.as_ref().map(|p| p.display().to_string())?;
        if let Some(line) = self.location.line {
            out.push_str(&format!(":{line}"));
            if let Some(col) = self.location.column {
                out.push_str(&format!(":{col}"));
            }
        }
        Some(out)
    }
}

impl std::ops::Deref for Error {
    type Target = ErrorInner;
    fn deref(&self) -> &ErrorInner {
        &self.0
    }
}

impl std::ops::DerefMut for Error {
    fn deref_mut(&mut self) -> &mut ErrorInner {
        &mut self.0
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(w) = self.where_() {
            write!(f, "{w}: ")?;
        } else if let Some(line) = self.location.line {
            write!(f, "line {line}: ")?;
        }
        if let Some(field) = &self.location.field {
            write!(f, "field '{field}': ")?;
        }
        f.write_str(&self.message)?;
        if let Some(hint) = &self.hint {
            write!(f, "\n  hint: {hint}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {}

#[cfg(feature = "core")]
impl From<polars::error::PolarsError> for Error {
    fn from(e: polars::error::PolarsError) -> Self {
        Error::input(clean_polars_message(&e))
    }
}

/// The first paragraph of a polars error, without the error-kind prefix.
#[cfg(feature = "core")]
pub fn clean_polars_message(e: &polars::error::PolarsError) -> String {
    use polars::error::PolarsError;
    let msg = match e {
        PolarsError::ComputeError(m)
        | PolarsError::NoData(m)
        | PolarsError::SchemaMismatch(m)
        | PolarsError::ShapeMismatch(m)
        | PolarsError::InvalidOperation(m)
        | PolarsError::ColumnNotFound(m)
        | PolarsError::Duplicate(m)
        | PolarsError::OutOfBounds(m)
        | PolarsError::SchemaFieldNotFound(m)
        | PolarsError::StructFieldNotFound(m) => m.to_string(),
        other => other.to_string(),
    };
    msg.split("\n\n").next().unwrap_or(&msg).trim().to_owned()
}

/// Line and column (1-based) of byte `offset` in `text`.
pub fn line_col(text: &str, offset: usize) -> (u64, u64) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() as u64 + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) as u64 + 1;
    (line, col)
}

/// Turn a TOML parse error into a [`Config`](ErrorKind::Config) error naming the line.
#[cfg(feature = "core")]
pub fn toml_error(path: &Path, text: &str, err: &toml::de::Error) -> Error {
    let mut e = Error::config(err.message().trim().to_owned()).at(path);
    if let Some(span) = err.span() {
        let (line, col) = line_col(text, span.start);
        e = e.line(line).column(col);
    }
    e
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_file_line_column_and_hint() {
        let e = Error::input("unterminated quote")
            .at("data.csv")
            .line(3)
            .column(7)
            .hint("close the quote");
        assert_eq!(
            e.to_string(),
            "data.csv:3:7: unterminated quote\n  hint: close the quote"
        );
        assert_eq!(e.exit_code(), 2);
    }

    #[test]
    fn line_col_counts_from_one() {
        assert_eq!(line_col("ab\ncd\nef", 4), (2, 2));
        assert_eq!(line_col("abc", 0), (1, 1));
    }
}
