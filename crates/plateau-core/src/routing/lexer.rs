//! Tokens of the routing expression language, each with the line and column
//! where it starts, so every later error can point at the exact place.

use super::expr::ExprError;

/// A 1-based position in the expression text, counted in characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pos {
    pub line: u32,
    pub column: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Tok {
    Name(String),
    Str(String),
    Int(i64),
    Dot,
    Comma,
    LParen,
    RParen,
    LBracket,
    RBracket,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    And,
    Or,
    Not,
    In,
    True,
    False,
    End,
}

impl Tok {
    /// How the token is named in "found …" messages: quoted as the person typed it.
    pub(crate) fn describe(&self) -> String {
        match self {
            Tok::Name(n) => format!("'{n}'"),
            Tok::Str(s) => format!("\"{s}\""),
            Tok::Int(i) => format!("{i}"),
            Tok::End => "end of input".to_string(),
            other => format!("'{}'", other.symbol()),
        }
    }

    pub(crate) fn symbol(&self) -> &'static str {
        match self {
            Tok::Dot => ".",
            Tok::Comma => ",",
            Tok::LParen => "(",
            Tok::RParen => ")",
            Tok::LBracket => "[",
            Tok::RBracket => "]",
            Tok::Eq => "==",
            Tok::Ne => "!=",
            Tok::Lt => "<",
            Tok::Le => "<=",
            Tok::Gt => ">",
            Tok::Ge => ">=",
            Tok::And => "and",
            Tok::Or => "or",
            Tok::Not => "not",
            Tok::In => "in",
            Tok::True => "true",
            Tok::False => "false",
            Tok::Name(_) | Tok::Str(_) | Tok::Int(_) | Tok::End => "",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Token {
    pub tok: Tok,
    pub pos: Pos,
}

/// Longest accepted expression: targets are short, and a bound keeps a hostile
/// editor request from costing the router anything.
pub const MAX_EXPRESSION_CHARS: usize = 4_000;

pub(crate) fn lex(src: &str) -> Result<Vec<Token>, ExprError> {
    if src.chars().count() > MAX_EXPRESSION_CHARS {
        return Err(ExprError::at(
            Pos { line: 1, column: 1 },
            format!("expression is longer than {MAX_EXPRESSION_CHARS} characters"),
        ));
    }
    let chars: Vec<char> = src.chars().collect();
    let mut out = Vec::new();
    let (mut i, mut line, mut col) = (0usize, 1u32, 1u32);
    while i < chars.len() {
        let c = chars[i];
        let pos = Pos { line, column: col };
        if c == '\n' {
            i += 1;
            line += 1;
            col = 1;
            continue;
        }
        if c.is_whitespace() {
            i += 1;
            col += 1;
            continue;
        }
        let next = chars.get(i + 1).copied();
        let (tok, len) = match c {
            '.' => (Tok::Dot, 1),
            ',' => (Tok::Comma, 1),
            '(' => (Tok::LParen, 1),
            ')' => (Tok::RParen, 1),
            '[' => (Tok::LBracket, 1),
            ']' => (Tok::RBracket, 1),
            '=' if next == Some('=') => (Tok::Eq, 2),
            '=' => return Err(ExprError::at(pos, "expected '==' to compare, found '='")),
            '!' if next == Some('=') => (Tok::Ne, 2),
            '!' => {
                return Err(ExprError::at(
                    pos,
                    "expected '!=' or the word 'not', found '!'",
                ))
            }
            '<' if next == Some('=') => (Tok::Le, 2),
            '<' => (Tok::Lt, 1),
            '>' if next == Some('=') => (Tok::Ge, 2),
            '>' => (Tok::Gt, 1),
            '"' | '\'' => {
                let (s, used, lines) = string(&chars[i..], pos)?;
                out.push(Token {
                    tok: Tok::Str(s),
                    pos,
                });
                i += used;
                if lines > 0 {
                    line += lines;
                    col = 1 + chars[..i].iter().rev().take_while(|&&c| c != '\n').count() as u32;
                } else {
                    col += used as u32;
                }
                continue;
            }
            '0'..='9' => {
                let len = chars[i..].iter().take_while(|c| c.is_ascii_digit()).count();
                let text: String = chars[i..i + len].iter().collect();
                let n = text
                    .parse::<i64>()
                    .map_err(|_| ExprError::at(pos, format!("number {text} is too large")))?;
                (Tok::Int(n), len)
            }
            c if c.is_alphabetic() || c == '_' => {
                let len = chars[i..]
                    .iter()
                    .take_while(|c| c.is_alphanumeric() || **c == '_' || **c == '-')
                    .count();
                let word: String = chars[i..i + len].iter().collect();
                let tok = match word.as_str() {
                    "and" => Tok::And,
                    "or" => Tok::Or,
                    "not" => Tok::Not,
                    "in" => Tok::In,
                    "true" => Tok::True,
                    "false" => Tok::False,
                    _ => Tok::Name(word),
                };
                (tok, len)
            }
            other => {
                return Err(ExprError::at(
                    pos,
                    format!("unexpected character '{other}'"),
                ))
            }
        };
        out.push(Token { tok, pos });
        i += len;
        col += len as u32;
    }
    out.push(Token {
        tok: Tok::End,
        pos: Pos { line, column: col },
    });
    Ok(out)
}

/// A quoted string starting at `chars[0]`; returns its value, the characters
/// consumed and the newlines crossed. `\"`, `\'` and `\\` are the only escapes.
fn string(chars: &[char], pos: Pos) -> Result<(String, usize, u32), ExprError> {
    let quote = chars[0];
    let mut s = String::new();
    let mut i = 1;
    let mut lines = 0;
    while i < chars.len() {
        match chars[i] {
            c if c == quote => return Ok((s, i + 1, lines)),
            '\\' => match chars.get(i + 1) {
                Some(&e @ ('"' | '\'' | '\\')) => {
                    s.push(e);
                    i += 2;
                }
                _ => {
                    return Err(ExprError::at(
                        pos,
                        "unknown escape in string: only \\\", \\' and \\\\ are allowed",
                    ))
                }
            },
            c => {
                if c == '\n' {
                    lines += 1;
                }
                s.push(c);
                i += 1;
            }
        }
    }
    Err(ExprError::at(
        pos,
        format!("expected a closing {quote} for the string starting here, found end of input"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_lines_and_columns() {
        let t = lex("tier == \"n2\"\n  and skills.fibre >= 3").unwrap();
        let kinds: Vec<_> = t.iter().map(|t| (t.pos.line, t.pos.column)).collect();
        assert_eq!(
            kinds,
            vec![
                (1, 1),
                (1, 6),
                (1, 9),
                (2, 3),
                (2, 7),
                (2, 13),
                (2, 14),
                (2, 20),
                (2, 23),
                (2, 24)
            ]
        );
        assert_eq!(t[2].tok, Tok::Str("n2".into()));
        assert_eq!(t[8].tok, Tok::Int(3));
        assert_eq!(t.last().unwrap().tok, Tok::End);
    }

    #[test]
    fn lexing_errors_point_at_the_character() {
        assert_eq!(
            lex("site = 'x'").unwrap_err().to_string(),
            "1:6: expected '==' to compare, found '='"
        );
        assert_eq!(
            lex("a == 'x").unwrap_err().to_string(),
            "1:6: expected a closing ' for the string starting here, found end of input"
        );
        assert_eq!(
            lex("a # b").unwrap_err().to_string(),
            "1:3: unexpected character '#'"
        );
        assert!(lex("a == 99999999999999999999")
            .unwrap_err()
            .to_string()
            .starts_with("1:6: number"));
        assert_eq!(
            lex("!a").unwrap_err().to_string(),
            "1:1: expected '!=' or the word 'not', found '!'"
        );
    }

    #[test]
    fn escapes_in_strings() {
        let t = lex(r#"reason == "say \"hi\"""#).unwrap();
        assert_eq!(t[2].tok, Tok::Str("say \"hi\"".into()));
    }
}
