//! One-line config errors that name the file, line, column and key.

use std::fmt;
use std::ops::Range;
use std::path::Path;

/// A problem with a config file, located as precisely as the parser allows.
#[derive(Debug, Clone)]
pub struct ConfigError {
    pub file: String,
    /// 1-based line and column.
    pub position: Option<(usize, usize)>,
    /// Dotted key, e.g. `grid.max_depth`.
    pub key: Option<String>,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some((line, col)) = self.position {
            write!(f, ":{line}:{col}")?;
        }
        write!(f, ": ")?;
        if let Some(key) = &self.key {
            write!(f, "{}: ", one_line(key))?;
        }
        write!(f, "{}", one_line(&self.message))
    }
}

impl std::error::Error for ConfigError {}

/// Keys and values come from the user and may hold line breaks: shown
/// escaped, the error stays one line.
pub fn one_line(text: &str) -> String {
    text.replace('\r', "\\r").replace('\n', "\\n")
}

/// Turns byte spans into line/column positions for one source text.
pub struct Locator<'a> {
    file: String,
    source: &'a str,
}

impl<'a> Locator<'a> {
    pub fn new(path: &Path, source: &'a str) -> Self {
        Locator {
            file: path.display().to_string(),
            source,
        }
    }

    pub fn position(&self, offset: usize) -> (usize, usize) {
        let before = &self.source[..offset.min(self.source.len())];
        let line = before.matches('\n').count() + 1;
        let col = before
            .rfind('\n')
            .map_or(before.len(), |nl| before.len() - nl - 1)
            + 1;
        (line, col)
    }

    /// An error at `span` about `key`.
    pub fn at(&self, span: Range<usize>, key: &str, message: impl Into<String>) -> ConfigError {
        ConfigError {
            file: self.file.clone(),
            position: Some(self.position(span.start)),
            key: Some(key.to_string()),
            message: message.into(),
        }
    }

    /// An error about the file as a whole (no position).
    pub fn whole(&self, key: Option<&str>, message: impl Into<String>) -> ConfigError {
        ConfigError {
            file: self.file.clone(),
            position: None,
            key: key.map(str::to_string),
            message: message.into(),
        }
    }

    /// Converts the TOML parser's error, keeping its span but not its
    /// multi-line snippet (we promise one line).
    pub fn from_toml(&self, err: &toml::de::Error) -> ConfigError {
        let message = err.message().trim().replace('\n', " ");
        ConfigError {
            file: self.file.clone(),
            position: err.span().map(|s| self.position(s.start)),
            key: None,
            message,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_one_based() {
        let src = "a = 1\nbb = 2\n";
        let loc = Locator::new(Path::new("x.toml"), src);
        assert_eq!(loc.position(0), (1, 1));
        assert_eq!(loc.position(6), (2, 1));
        assert_eq!(loc.position(11), (2, 6));
    }

    #[test]
    fn line_breaks_in_user_text_are_escaped() {
        let loc = Locator::new(Path::new("c.toml"), "x = 1\n");
        let e = loc.at(0..1, "grid.a\nb", "unknown `a\nb`");
        assert_eq!(e.to_string(), "c.toml:1:1: grid.a\\nb: unknown `a\\nb`");
    }

    #[test]
    fn display_is_one_line() {
        let loc = Locator::new(Path::new("c.toml"), "x = 1\n");
        let e = loc.at(4..5, "grid.x", "bad");
        assert_eq!(e.to_string(), "c.toml:1:5: grid.x: bad");
    }
}
