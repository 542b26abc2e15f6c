//! Filter expressions for bulk labelling: `vibration_rms > 4.5 and
//! machine_type == "L"`. Parsed by hand into a small tree, checked against
//! the frame's column types, then evaluated by polars as one expression.
//!
//! Grammar (keywords are case-insensitive):
//!
//! ```text
//! expr       := and ( "or" and )*
//! and        := unary ( "and" unary )*
//! unary      := "not" unary | "(" expr ")" | test
//! test       := column op value
//!             | column "is" [ "not" ] "null"
//!             | column [ "not" ] "in" "(" value ( "," value )* ")"
//! op         := "==" | "=" | "!=" | "<" | "<=" | ">" | ">="
//! column     := a name of letters, digits, "_" and "." not starting with a digit,
//!               or any name in backquotes: `air temp`
//! value      := number | "text" | 'text' | true | false
//! ```
//!
//! Numbers compare with number columns, text with text and category columns,
//! `true`/`false` with boolean columns; dates and times compare with text in
//! the file's own format (`"2024-01-08"` matches by prefix order). A test on
//! an empty (null) value is false, as in SQL. Errors name the character
//! where the problem is (1-based).

use polars::prelude::*;

use crate::data::LogicalType;
use crate::error::{Error, Result};

/// A parsed, unchecked expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    Or(Box<Node>, Box<Node>),
    And(Box<Node>, Box<Node>),
    Not(Box<Node>),
    Cmp {
        column: Name,
        op: Op,
        value: Value,
    },
    IsNull {
        column: Name,
        negated: bool,
    },
    In {
        column: Name,
        values: Vec<Value>,
        negated: bool,
    },
}

/// A column name and where it was written (character, 1-based).
#[derive(Debug, Clone, PartialEq)]
pub struct Name {
    pub text: String,
    pub at: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

/// A literal and where it was written.
#[derive(Debug, Clone, PartialEq)]
pub struct Value {
    pub lit: Lit,
    pub at: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Lit {
    Number(f64),
    Text(String),
    Bool(bool),
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    Quoted(String),
    Number(f64),
    Op(Op),
    LParen,
    RParen,
    Comma,
}

fn err(text: &str, at: usize, msg: impl Into<String>) -> Error {
    let caret = format!("{}^", " ".repeat(at.saturating_sub(1)));
    Error::usage(format!(
        "{} (at character {at})\n    {text}\n    {caret}",
        msg.into()
    ))
    .field("where")
    .column(at as u64)
    .hint("see `lathe label set --help` for the expression grammar")
}

fn lex(text: &str) -> Result<Vec<(Tok, usize)>> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let at = i + 1;
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        let two: String = chars[i..chars.len().min(i + 2)].iter().collect();
        let op2 = match two.as_str() {
            "==" => Some(Op::Eq),
            "!=" | "<>" => Some(Op::Ne),
            "<=" => Some(Op::Le),
            ">=" => Some(Op::Ge),
            _ => None,
        };
        if let Some(op) = op2 {
            out.push((Tok::Op(op), at));
            i += 2;
            continue;
        }
        let tok = match c {
            '=' => Some(Tok::Op(Op::Eq)),
            '<' => Some(Tok::Op(Op::Lt)),
            '>' => Some(Tok::Op(Op::Gt)),
            '(' => Some(Tok::LParen),
            ')' => Some(Tok::RParen),
            ',' => Some(Tok::Comma),
            _ => None,
        };
        if let Some(t) = tok {
            out.push((t, at));
            i += 1;
            continue;
        }
        if c == '"' || c == '\'' || c == '`' {
            let mut s = String::new();
            let mut j = i + 1;
            loop {
                match chars.get(j) {
                    None => {
                        return Err(err(
                            text,
                            at,
                            format!("the {c} opened here is never closed"),
                        ));
                    }
                    Some('\\') if c != '`' && chars.get(j + 1).is_some() => {
                        s.push(chars[j + 1]);
                        j += 2;
                    }
                    Some(&d) if d == c => break,
                    Some(&d) => {
                        s.push(d);
                        j += 1;
                    }
                }
            }
            let tok = if c == '`' {
                Tok::Ident(s)
            } else {
                Tok::Quoted(s)
            };
            out.push((tok, at));
            i = j + 1;
            continue;
        }
        let number_start = c.is_ascii_digit()
            || ((c == '-' || c == '+' || c == '.')
                && chars
                    .get(i + 1)
                    .is_some_and(|d| d.is_ascii_digit() || *d == '.'));
        if number_start {
            let mut j = i + 1;
            while j < chars.len()
                && (chars[j].is_ascii_alphanumeric()
                    || chars[j] == '.'
                    || ((chars[j] == '-' || chars[j] == '+') && matches!(chars[j - 1], 'e' | 'E')))
            {
                j += 1;
            }
            let word: String = chars[i..j].iter().collect();
            let v = word
                .parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .ok_or_else(|| err(text, at, format!("'{word}' is not a number")))?;
            out.push((Tok::Number(v), at));
            i = j;
            continue;
        }
        if c.is_alphabetic() || c == '_' {
            let mut j = i + 1;
            while j < chars.len() && (chars[j].is_alphanumeric() || matches!(chars[j], '_' | '.')) {
                j += 1;
            }
            out.push((Tok::Ident(chars[i..j].iter().collect()), at));
            i = j;
            continue;
        }
        let hint = if c == '&' || c == '|' || c == '!' {
            format!("'{c}' is not part of the grammar: write and, or, not")
        } else {
            format!("unexpected character '{c}'")
        };
        return Err(err(text, at, hint));
    }
    Ok(out)
}

struct Parser<'a> {
    text: &'a str,
    toks: Vec<(Tok, usize)>,
    pos: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos).map(|(t, _)| t)
    }

    /// Where the next token starts (or just past the end).
    fn at(&self) -> usize {
        self.toks
            .get(self.pos)
            .map_or(self.text.chars().count() + 1, |(_, a)| *a)
    }

    fn keyword(&self, word: &str) -> bool {
        matches!(self.peek(), Some(Tok::Ident(w)) if w.eq_ignore_ascii_case(word))
    }

    fn expect_keyword(&mut self, word: &str) -> bool {
        let yes = self.keyword(word);
        if yes {
            self.pos += 1;
        }
        yes
    }

    fn fail(&self, msg: impl Into<String>) -> Error {
        err(self.text, self.at(), msg)
    }

    fn or(&mut self) -> Result<Node> {
        let mut left = self.and()?;
        while self.expect_keyword("or") {
            let right = self.and()?;
            left = Node::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Node> {
        let mut left = self.unary()?;
        while self.expect_keyword("and") {
            let right = self.unary()?;
            left = Node::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Node> {
        if self.expect_keyword("not") {
            return Ok(Node::Not(Box::new(self.unary()?)));
        }
        if self.peek() == Some(&Tok::LParen) {
            self.pos += 1;
            let inner = self.or()?;
            if self.peek() != Some(&Tok::RParen) {
                return Err(self.fail("expected ')' to close the '('"));
            }
            self.pos += 1;
            return Ok(inner);
        }
        self.test()
    }

    fn test(&mut self) -> Result<Node> {
        let column = match self.toks.get(self.pos) {
            Some((Tok::Ident(name), at)) if !is_keyword(name) => Name {
                text: name.clone(),
                at: *at,
            },
            Some((Tok::Quoted(_), _)) => {
                return Err(self.fail(
                    "expected a column name; a quoted text is a value (use `backquotes` for a column name with spaces)",
                ));
            }
            None => return Err(self.fail("the expression ends where a column name is expected")),
            Some(_) => return Err(self.fail("expected a column name")),
        };
        self.pos += 1;
        if self.expect_keyword("is") {
            let negated = self.expect_keyword("not");
            if !self.expect_keyword("null") {
                return Err(self.fail("expected 'null' after 'is'"));
            }
            return Ok(Node::IsNull { column, negated });
        }
        let negated = self.expect_keyword("not");
        if self.expect_keyword("in") {
            if self.peek() != Some(&Tok::LParen) {
                return Err(self.fail("expected '(' and a list of values after 'in'"));
            }
            self.pos += 1;
            let mut values = vec![self.value()?];
            while self.peek() == Some(&Tok::Comma) {
                self.pos += 1;
                values.push(self.value()?);
            }
            if self.peek() != Some(&Tok::RParen) {
                return Err(self.fail("expected ',' or ')' in the list of values"));
            }
            self.pos += 1;
            return Ok(Node::In {
                column,
                values,
                negated,
            });
        }
        if negated {
            return Err(self.fail("expected 'in' after 'not'"));
        }
        let op = match self.peek() {
            Some(Tok::Op(op)) => *op,
            None => {
                return Err(self.fail(format!(
                    "the expression ends after '{}': expected a comparison such as == 1",
                    column.text
                )));
            }
            Some(_) => {
                return Err(self.fail("expected a comparison: ==, !=, <, <=, >, >=, is null or in"));
            }
        };
        self.pos += 1;
        let value = self.value()?;
        Ok(Node::Cmp { column, op, value })
    }

    fn value(&mut self) -> Result<Value> {
        let at = self.at();
        let lit = match self.peek() {
            Some(Tok::Number(v)) => Lit::Number(*v),
            Some(Tok::Quoted(s)) => Lit::Text(s.clone()),
            Some(Tok::Ident(w)) if w.eq_ignore_ascii_case("true") => Lit::Bool(true),
            Some(Tok::Ident(w)) if w.eq_ignore_ascii_case("false") => Lit::Bool(false),
            Some(Tok::Ident(w)) => {
                return Err(self.fail(format!(
                    "expected a value; to compare with the text {w}, quote it: \"{w}\""
                )));
            }
            None => return Err(self.fail("the expression ends where a value is expected")),
            Some(_) => return Err(self.fail("expected a value: a number, \"text\", true or false")),
        };
        self.pos += 1;
        Ok(Value { lit, at })
    }
}

fn is_keyword(w: &str) -> bool {
    ["and", "or", "not", "is", "null", "in", "true", "false"]
        .iter()
        .any(|k| w.eq_ignore_ascii_case(k))
}

/// Parse `text` into an expression tree.
pub fn parse(text: &str) -> Result<Node> {
    let toks = lex(text)?;
    if toks.is_empty() {
        return Err(Error::usage("the filter expression is empty")
            .field("where")
            .hint("for example: vibration_rms > 4.5 and machine_type == \"L\""));
    }
    let mut p = Parser { text, toks, pos: 0 };
    let node = p.or()?;
    if p.pos < p.toks.len() {
        return Err(p.fail("expected 'and', 'or' or the end of the expression"));
    }
    Ok(node)
}

/// A checked expression, ready to run on frames with the same columns.
#[derive(Debug, Clone)]
pub struct Filter {
    pub text: String,
    expr: Expr,
}

impl Filter {
    /// Parse `text` and check it against `df`'s columns and types.
    pub fn new(text: &str, df: &DataFrame) -> Result<Self> {
        let node = parse(text)?;
        let expr = to_expr(text, &node, df)?;
        Ok(Self {
            text: text.to_owned(),
            expr,
        })
    }

    /// The rows of `df` the expression is true for, in order.
    pub fn rows(&self, df: &DataFrame) -> Result<Vec<usize>> {
        let mask = df
            .clone()
            .lazy()
            .select([self
                .expr
                .clone()
                .fill_null(lit(false))
                .alias("__lathe_match")])
            .collect()?;
        let m = mask.column("__lathe_match")?.bool()?.clone();
        Ok(m.iter()
            .enumerate()
            .filter_map(|(i, v)| (v == Some(true)).then_some(i))
            .collect())
    }
}

fn to_expr(text: &str, node: &Node, df: &DataFrame) -> Result<Expr> {
    Ok(match node {
        Node::Or(a, b) => to_expr(text, a, df)?.or(to_expr(text, b, df)?),
        Node::And(a, b) => to_expr(text, a, df)?.and(to_expr(text, b, df)?),
        Node::Not(a) => to_expr(text, a, df)?.not(),
        Node::IsNull { column, negated } => {
            let c = column_expr(text, column, df)?.0;
            if *negated {
                c.is_not_null()
            } else {
                c.is_null()
            }
        }
        Node::Cmp { column, op, value } => {
            let (c, ty) = column_expr(text, column, df)?;
            let (c, v) = typed(text, column, ty, c, value)?;
            match op {
                Op::Eq => c.eq(v),
                Op::Ne => c.neq(v),
                Op::Lt => c.lt(v),
                Op::Le => c.lt_eq(v),
                Op::Gt => c.gt(v),
                Op::Ge => c.gt_eq(v),
            }
        }
        Node::In {
            column,
            values,
            negated,
        } => {
            let (c, ty) = column_expr(text, column, df)?;
            let mut any: Option<Expr> = None;
            for v in values {
                let (c, v) = typed(text, column, ty, c.clone(), v)?;
                let e = c.eq(v);
                any = Some(match any {
                    Some(a) => a.or(e),
                    None => e,
                });
            }
            let any = any.unwrap_or_else(|| lit(false));
            if *negated { any.not() } else { any }
        }
    })
}

fn column_expr(text: &str, name: &Name, df: &DataFrame) -> Result<(Expr, LogicalType)> {
    match df.column(&name.text) {
        Ok(c) => Ok((col(name.text.as_str()), LogicalType::of(c.dtype()))),
        Err(_) => {
            let names: Vec<&str> = df.get_column_names().iter().map(|n| n.as_str()).collect();
            let close = names
                .iter()
                .find(|n| n.eq_ignore_ascii_case(&name.text))
                .map(|n| format!(" (did you mean '{n}'?)"))
                .unwrap_or_default();
            Err(err(
                text,
                name.at,
                format!("no column '{}' in the data{close}", name.text),
            )
            .hint(format!("the columns are: {}", names.join(", "))))
        }
    }
}

/// The column and the literal, cast so that they compare; an error when
/// the kinds do not mix (text with a number …).
fn typed(text: &str, name: &Name, ty: LogicalType, c: Expr, v: &Value) -> Result<(Expr, Expr)> {
    let kind = match ty {
        LogicalType::Int | LogicalType::Float => "number",
        LogicalType::Bool => "boolean",
        LogicalType::Date | LogicalType::Datetime => "date",
        _ => "text",
    };
    match (&v.lit, kind) {
        (Lit::Number(x), "number") => Ok((c.cast(DataType::Float64), lit(*x))),
        (Lit::Text(s), "text" | "date") => Ok((c.cast(DataType::String), lit(s.clone()))),
        (Lit::Bool(b), "boolean") => Ok((c, lit(*b))),
        (lit_value, _) => {
            let given = match lit_value {
                Lit::Number(x) => format!("the number {x}"),
                Lit::Text(s) => format!("the text \"{s}\""),
                Lit::Bool(b) => format!("{b}"),
            };
            let hint = match (lit_value, kind) {
                (Lit::Number(x), "text" | "date") => {
                    format!("quote it to compare as text: \"{x}\"")
                }
                (_, "number") => "compare it with a number, without quotes".to_owned(),
                (_, "boolean") => "compare it with true or false".to_owned(),
                _ => "compare it with a quoted text".to_owned(),
            };
            Err(err(
                text,
                v.at,
                format!(
                    "column '{}' holds {kind}s; it cannot be compared with {given}",
                    name.text
                ),
            )
            .hint(hint))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame() -> DataFrame {
        df!(
            "v" => [Some(1.0), Some(5.0), Some(6.0), None, Some(2.0)],
            "t" => [Some("L"), Some("M"), Some("L"), None, Some("H")],
            "n" => [1i64, 2, 3, 4, 5],
            "b" => [true, false, true, false, true],
        )
        .unwrap()
    }

    fn rows(e: &str) -> Vec<usize> {
        Filter::new(e, &frame()).unwrap().rows(&frame()).unwrap()
    }

    #[test]
    fn evaluates_the_grammar() {
        assert_eq!(rows("v > 4.5 and t == \"L\""), vec![2]);
        assert_eq!(rows("v > 4.5 or t = 'H'"), vec![1, 2, 4]);
        assert_eq!(rows("not (n <= 3)"), vec![3, 4]);
        assert_eq!(rows("t is null"), vec![3]);
        assert_eq!(rows("t is not null AND b == true"), vec![0, 2, 4]);
        assert_eq!(rows("t in ('L', \"H\")"), vec![0, 2, 4]);
        assert_eq!(rows("t not in ('L')"), vec![1, 4]);
        assert_eq!(rows("n != 2 and n < 4"), vec![0, 2]);
        assert_eq!(rows("`n` >= -1e1"), vec![0, 1, 2, 3, 4]);
    }

    #[test]
    fn errors_point_at_the_character() {
        let e = Filter::new("v > 4.5 and machine == 'L'", &frame()).unwrap_err();
        assert_eq!(e.location.column, Some(13));
        assert!(e.message.contains("no column 'machine'"), "{}", e.message);
        let e = Filter::new("t > 4.5", &frame()).unwrap_err();
        assert_eq!(e.location.column, Some(5));
        assert!(e.message.contains("cannot be compared with the number 4.5"));
        let e = Filter::new("v == \"x\"", &frame()).unwrap_err();
        assert_eq!(e.location.column, Some(6));
        let e = parse("v > ").unwrap_err();
        assert!(e.message.contains("ends where a value"), "{}", e.message);
        let e = parse("v > 1 && t == 'L'").unwrap_err();
        assert_eq!(e.location.column, Some(7));
        let e = parse("(v > 1").unwrap_err();
        assert!(e.message.contains("')'"));
        let e = parse("t == L").unwrap_err();
        assert!(e.message.contains("quote it"));
        let e = parse("t == 'L").unwrap_err();
        assert_eq!(e.location.column, Some(6));
        assert!(parse("").is_err());
        assert!(parse("v 1").is_err());
        assert!(parse("v > 1 v").is_err());
        assert!(parse("1e999 > v").is_err());
    }
}
