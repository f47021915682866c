//! Pricing formulas: a small arithmetic language over form fields.
//!
//! `hours * 1500 + 200`, `max(area * 120, 2000)`, `(adults * 1000 + children * 500) * (1 - resident / 2)`.
//! Numbers are decimals, names are number or boolean fields (a boolean counts 1 or 0, an empty
//! optional field 0), and the operators are `+ - * /`, unary minus, parentheses and the
//! functions `min` and `max`. The result is in euro cents, rounded half away from zero.

use std::fmt;
use std::str::FromStr;

use super::{Decimal, FieldName, FieldValue, FormValues};

/// A parsed pricing formula, kept with its source text.
#[derive(Clone)]
pub struct Formula {
    source: String,
    root: Expr,
}

#[derive(Clone, Debug)]
enum Expr {
    Number(Decimal),
    Field(FieldName),
    Negate(Box<Expr>),
    Binary(Box<Expr>, Op, Box<Expr>),
    Min(Vec<Expr>),
    Max(Vec<Expr>),
}

#[derive(Clone, Copy, Debug)]
enum Op {
    Add,
    Sub,
    Mul,
    Div,
}

/// Why a formula does not parse, or cannot be evaluated.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FormulaError {
    /// A syntax error at a byte offset.
    #[error("formula syntax error at {position}: {message}")]
    Syntax {
        /// Byte offset in the source.
        position: usize,
        /// What was expected.
        message: &'static str,
    },
    /// Longer or deeper than allowed.
    #[error("the formula is too long or too deeply nested")]
    TooComplex,
    /// A name that is not a number or boolean field.
    #[error("'{0}' is not a number or boolean field of the form")]
    UnknownField(String),
    /// Arithmetic failed (overflow, division by zero).
    #[error("the formula cannot be computed: {0}")]
    Arithmetic(#[from] super::DecimalError),
}

const MAX_SOURCE: usize = 500;
const MAX_DEPTH: usize = 32;

impl Formula {
    /// The source text.
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// The field names the formula reads.
    pub fn fields(&self) -> Vec<&FieldName> {
        fn walk<'a>(expr: &'a Expr, out: &mut Vec<&'a FieldName>) {
            match expr {
                Expr::Number(_) => {}
                Expr::Field(name) => out.push(name),
                Expr::Negate(inner) => walk(inner, out),
                Expr::Binary(left, _, right) => {
                    walk(left, out);
                    walk(right, out);
                }
                Expr::Min(args) | Expr::Max(args) => args.iter().for_each(|a| walk(a, out)),
            }
        }
        let mut out = Vec::new();
        walk(&self.root, &mut out);
        out
    }

    /// Computes the formula over validated form values.
    pub fn evaluate(&self, values: &FormValues) -> Result<Decimal, FormulaError> {
        eval(&self.root, values)
    }
}

fn eval(expr: &Expr, values: &FormValues) -> Result<Decimal, FormulaError> {
    Ok(match expr {
        Expr::Number(n) => *n,
        Expr::Field(name) => match values.get(name) {
            None => Decimal::ZERO,
            Some(FieldValue::Number(n)) => *n,
            Some(FieldValue::Boolean(b)) => {
                if *b {
                    Decimal::ONE
                } else {
                    Decimal::ZERO
                }
            }
            Some(_) => return Err(FormulaError::UnknownField(name.to_string())),
        },
        Expr::Negate(inner) => Decimal::ZERO.checked_sub(eval(inner, values)?)?,
        Expr::Binary(left, op, right) => {
            let (l, r) = (eval(left, values)?, eval(right, values)?);
            match op {
                Op::Add => l.checked_add(r)?,
                Op::Sub => l.checked_sub(r)?,
                Op::Mul => l.checked_mul(r)?,
                Op::Div => l.checked_div(r)?,
            }
        }
        Expr::Min(args) | Expr::Max(args) => {
            let mut results = args.iter().map(|a| eval(a, values));
            let first = results.next().unwrap_or(Ok(Decimal::ZERO))?;
            let pick_min = matches!(expr, Expr::Min(_));
            results.try_fold(first, |acc, next| {
                let next = next?;
                Ok::<_, FormulaError>(if (next < acc) == pick_min { next } else { acc })
            })?
        }
    })
}

struct Parser<'a> {
    source: &'a [u8],
    position: usize,
    depth: usize,
}

impl Parser<'_> {
    fn error(&self, message: &'static str) -> FormulaError {
        FormulaError::Syntax {
            position: self.position,
            message,
        }
    }

    fn skip_spaces(&mut self) {
        while self.source.get(self.position).is_some_and(u8::is_ascii_whitespace) {
            self.position += 1;
        }
    }

    fn peek(&mut self) -> Option<u8> {
        self.skip_spaces();
        self.source.get(self.position).copied()
    }

    fn expect(&mut self, byte: u8, message: &'static str) -> Result<(), FormulaError> {
        if self.peek() == Some(byte) {
            self.position += 1;
            Ok(())
        } else {
            Err(self.error(message))
        }
    }

    fn expression(&mut self) -> Result<Expr, FormulaError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(FormulaError::TooComplex);
        }
        let mut left = self.term()?;
        while let Some(op @ (b'+' | b'-')) = self.peek() {
            self.position += 1;
            let right = self.term()?;
            left = Expr::Binary(
                Box::new(left),
                if op == b'+' { Op::Add } else { Op::Sub },
                Box::new(right),
            );
        }
        self.depth -= 1;
        Ok(left)
    }

    fn term(&mut self) -> Result<Expr, FormulaError> {
        let mut left = self.factor()?;
        while let Some(op @ (b'*' | b'/')) = self.peek() {
            self.position += 1;
            let right = self.factor()?;
            left = Expr::Binary(
                Box::new(left),
                if op == b'*' { Op::Mul } else { Op::Div },
                Box::new(right),
            );
        }
        Ok(left)
    }

    fn factor(&mut self) -> Result<Expr, FormulaError> {
        match self.peek() {
            Some(b'-') => {
                self.position += 1;
                self.depth += 1;
                if self.depth > MAX_DEPTH {
                    return Err(FormulaError::TooComplex);
                }
                let inner = self.factor()?;
                self.depth -= 1;
                Ok(Expr::Negate(Box::new(inner)))
            }
            Some(b'(') => {
                self.position += 1;
                let inner = self.expression()?;
                self.expect(b')', "expected ')'")?;
                Ok(inner)
            }
            Some(b'0'..=b'9') => {
                let start = self.position;
                while self
                    .source
                    .get(self.position)
                    .is_some_and(|b| b.is_ascii_digit() || *b == b'.')
                {
                    self.position += 1;
                }
                let text =
                    std::str::from_utf8(&self.source[start..self.position]).map_err(|_| self.error("bad number"))?;
                text.parse().map(Expr::Number).map_err(|_| FormulaError::Syntax {
                    position: start,
                    message: "bad number",
                })
            }
            Some(b'a'..=b'z') => {
                let start = self.position;
                while self
                    .source
                    .get(self.position)
                    .is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'_')
                {
                    self.position += 1;
                }
                let name =
                    std::str::from_utf8(&self.source[start..self.position]).map_err(|_| self.error("bad name"))?;
                if self.peek() == Some(b'(') && matches!(name, "min" | "max") {
                    self.position += 1;
                    let mut args = vec![self.expression()?];
                    while self.peek() == Some(b',') {
                        self.position += 1;
                        args.push(self.expression()?);
                    }
                    self.expect(b')', "expected ')' after the arguments")?;
                    return Ok(if name == "min" {
                        Expr::Min(args)
                    } else {
                        Expr::Max(args)
                    });
                }
                name.parse().map(Expr::Field).map_err(|_| FormulaError::Syntax {
                    position: start,
                    message: "bad field name",
                })
            }
            _ => Err(self.error("expected a number, a field name, '-' or '('")),
        }
    }
}

impl FromStr for Formula {
    type Err = FormulaError;

    fn from_str(source: &str) -> Result<Self, Self::Err> {
        if source.len() > MAX_SOURCE {
            return Err(FormulaError::TooComplex);
        }
        let mut parser = Parser {
            source: source.as_bytes(),
            position: 0,
            depth: 0,
        };
        let root = parser.expression()?;
        if parser.peek().is_some() {
            return Err(parser.error("unexpected text after the formula"));
        }
        Ok(Self {
            source: source.to_owned(),
            root,
        })
    }
}

impl PartialEq for Formula {
    fn eq(&self, other: &Self) -> bool {
        self.source == other.source
    }
}

impl Eq for Formula {}

impl fmt::Display for Formula {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

impl fmt::Debug for Formula {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Formula({})", self.source)
    }
}

crate::value::serde_via_str!(Formula);

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::super::DecimalError;
    use super::*;

    fn values(pairs: &[(&str, FieldValue)]) -> FormValues {
        pairs.iter().map(|(k, v)| (k.parse().unwrap(), v.clone())).collect()
    }

    fn num(s: &str) -> FieldValue {
        FieldValue::Number(s.parse().unwrap())
    }

    #[test]
    fn evaluates_with_precedence() {
        let formula: Formula = "hours * 1500 + 200".parse().unwrap();
        assert_eq!(formula.evaluate(&values(&[("hours", num("2.5"))])).unwrap(), 3950);
        let formula: Formula = "max(area * 120, 2000) - -(1)".parse().unwrap();
        assert_eq!(formula.evaluate(&values(&[("area", num("10"))])).unwrap(), 2001);
        let formula: Formula = "(a + b) * 2 / 4 + resident * min(3, 1, 2)".parse().unwrap();
        let v = values(&[
            ("a", num("1")),
            ("b", num("3")),
            ("resident", FieldValue::Boolean(true)),
        ]);
        assert_eq!(formula.evaluate(&v).unwrap(), 3);
        assert_eq!(formula.evaluate(&values(&[])).unwrap(), 0, "absent fields count 0");
        let names: Vec<&str> = formula.fields().iter().map(|f| f.as_str()).collect();
        assert_eq!(names, ["a", "b", "resident"]);
    }

    #[test]
    fn refusals() {
        assert!(matches!("1 +".parse::<Formula>(), Err(FormulaError::Syntax { .. })));
        assert!(matches!("(1".parse::<Formula>(), Err(FormulaError::Syntax { .. })));
        assert!(matches!("1 2".parse::<Formula>(), Err(FormulaError::Syntax { .. })));
        assert!(matches!("Hours".parse::<Formula>(), Err(FormulaError::Syntax { .. })));
        assert!(matches!("1..2".parse::<Formula>(), Err(FormulaError::Syntax { .. })));
        assert_eq!("(".repeat(40).parse::<Formula>().err(), Some(FormulaError::TooComplex));
        assert_eq!("-".repeat(40).parse::<Formula>().err(), Some(FormulaError::TooComplex));
        let division: Formula = "1 / x".parse().unwrap();
        assert!(matches!(
            division.evaluate(&values(&[])),
            Err(FormulaError::Arithmetic(_))
        ));
        let text: Formula = "name".parse().unwrap();
        assert_eq!(
            text.evaluate(&values(&[("name", FieldValue::Text("x".into()))])),
            Err(FormulaError::UnknownField("name".into()))
        );
    }

    /// The exact result of `a * b * 150` in millionths-free integers, or `None` past the
    /// decimal's range (±10^15).
    fn exact_price(a: i64, b: i64) -> Option<i128> {
        let product = i128::from(a).checked_mul(i128::from(b))?.checked_mul(150)?;
        (product.abs() <= 1_000_000_000_000_000).then_some(product)
    }

    proptest! {
        #[test]
        fn huge_field_values_are_priced_exactly_or_refused(
            a in -999_999_999_999_999i64..=999_999_999_999_999,
            b in -999_999_999_999_999i64..=999_999_999_999_999,
        ) {
            let formula: Formula = "length * width * 150".parse().unwrap();
            let v = values(&[("length", num(&a.to_string())), ("width", num(&b.to_string()))]);
            match (formula.evaluate(&v), exact_price(a, b)) {
                (Ok(price), Some(exact)) => prop_assert_eq!(price.round_to_integer(), exact),
                (Err(FormulaError::Arithmetic(DecimalError::Overflow)), None) => {}
                (got, want) => prop_assert!(false, "{a} * {b} * 150: got {got:?}, want {want:?}"),
            }
        }

        #[test]
        fn huge_divisions_never_wrap(a in -999_999_999_999_999i64..=999_999_999_999_999, b in 1i64..1000) {
            let formula: Formula = "a / (b / 1000000)".parse().unwrap();
            let v = values(&[("a", num(&a.to_string())), ("b", num(&b.to_string()))]);
            if let Ok(result) = formula.evaluate(&v) {
                prop_assert!(result.round_to_integer().abs() <= 1_000_000_000_000_000);
            }
        }

        #[test]
        fn arbitrary_input_never_panics(raw in "[-+*/()a-z0-9., ]{0,60}") {
            if let Ok(formula) = raw.parse::<Formula>() {
                let _ = formula.evaluate(&values(&[]));
            }
        }
    }
}
