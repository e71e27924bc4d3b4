//! Argument templates: `{name}` placeholders, `{{` and `}}` for literal
//! braces. Parsed once when the config is read, so an unknown placeholder is
//! a config error before anything runs; rendered per task without a shell.

use serde::{Deserialize, Serialize};
use std::borrow::Cow;

#[derive(Debug, Clone, PartialEq)]
enum Piece {
    Text(String),
    Slot(String),
}

/// One parsed template string. Serialised as the text the config wrote.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Template {
    source: String,
    pieces: Vec<Piece>,
}

impl TryFrom<String> for Template {
    type Error = String;
    fn try_from(source: String) -> Result<Template, String> {
        Template::parse(&source)
    }
}

impl From<Template> for String {
    fn from(t: Template) -> String {
        t.source
    }
}

impl Template {
    pub fn parse(source: &str) -> Result<Template, String> {
        let mut pieces = Vec::new();
        let mut text = String::new();
        let mut chars = source.char_indices().peekable();
        while let Some((at, c)) = chars.next() {
            match c {
                '{' if chars.peek().map(|p| p.1) == Some('{') => {
                    chars.next();
                    text.push('{');
                }
                '}' if chars.peek().map(|p| p.1) == Some('}') => {
                    chars.next();
                    text.push('}');
                }
                '}' => {
                    return Err(format!(
                        "a lone `}}` at character {} (write `}}}}` for a literal brace)",
                        at + 1
                    ))
                }
                '{' => {
                    let name: String = chars
                        .by_ref()
                        .map(|(_, c)| c)
                        .take_while(|&c| c != '}')
                        .collect();
                    if !source[at..].contains('}') {
                        return Err(format!(
                            "`{{` at character {} is not closed (write `{{{{` for a literal brace)",
                            at + 1
                        ));
                    }
                    if name.is_empty() || !name.chars().all(|c| c.is_alphanumeric() || c == '_') {
                        return Err(format!(
                            "`{{{name}}}` is not a placeholder name (letters, digits, _; `{{{{` for a literal brace)"
                        ));
                    }
                    if !text.is_empty() {
                        pieces.push(Piece::Text(std::mem::take(&mut text)));
                    }
                    pieces.push(Piece::Slot(name));
                }
                c => text.push(c),
            }
        }
        if !text.is_empty() {
            pieces.push(Piece::Text(text));
        }
        Ok(Template {
            source: source.to_string(),
            pieces,
        })
    }

    pub fn source(&self) -> &str {
        &self.source
    }

    /// The placeholder names, in order of appearance.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.pieces.iter().filter_map(|p| match p {
            Piece::Slot(name) => Some(name.as_str()),
            Piece::Text(_) => None,
        })
    }

    /// Fills the placeholders; `lookup` knows every name (checked at config time).
    pub fn render<'a>(&self, lookup: &dyn Fn(&str) -> Option<Cow<'a, str>>) -> String {
        let mut out = String::new();
        for piece in &self.pieces {
            match piece {
                Piece::Text(t) => out.push_str(t),
                Piece::Slot(name) => out.push_str(&lookup(name).unwrap_or_default()),
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(src: &str) -> String {
        Template::parse(src).unwrap().render(&|name| match name {
            "C" => Some(Cow::Borrowed("0.001")),
            "fold" => Some(Cow::Borrowed("2")),
            _ => None,
        })
    }

    #[test]
    fn placeholders_and_escapes() {
        assert_eq!(render("--C={C}"), "--C=0.001");
        assert_eq!(render("{fold}{C}"), "20.001");
        assert_eq!(render("{{\"a\": {fold}}}"), "{\"a\": 2}");
        assert_eq!(render("plain"), "plain");
        let t = Template::parse("{a}-{b}-{a}").unwrap();
        assert_eq!(t.names().collect::<Vec<_>>(), vec!["a", "b", "a"]);
    }

    #[test]
    fn malformed_templates_are_rejected() {
        assert!(Template::parse("{C").unwrap_err().contains("not closed"));
        assert!(Template::parse("C}").unwrap_err().contains("lone"));
        assert!(Template::parse("{}")
            .unwrap_err()
            .contains("not a placeholder"));
        assert!(Template::parse("{a b}")
            .unwrap_err()
            .contains("not a placeholder"));
    }

    #[test]
    fn serialises_as_its_source() {
        let t = Template::parse("x{{{C}}}").unwrap();
        let json = serde_json::to_string(&t).unwrap();
        assert_eq!(json, "\"x{{{C}}}\"");
        assert_eq!(serde_json::from_str::<Template>(&json).unwrap(), t);
    }
}
