//! Scenario errors: file, line, column, and a caret under the spot.

use std::fmt;

/// Something wrong with a scenario, and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    /// The file, as given.
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub col: usize,
    /// What is wrong.
    pub message: String,
    /// The offending line, for the caret display (filled by [`ParseError::with_source`]).
    pub source_line: Option<String>,
}

impl ParseError {
    /// An error at `file:line:col`.
    pub fn at(file: &str, line: usize, col: usize, message: &str) -> ParseError {
        ParseError { file: file.to_string(), line, col, message: message.to_string(), source_line: None }
    }

    /// Attaches the offending line of `text`, unless an included file's
    /// line is already attached.
    pub fn with_source(mut self, text: &str) -> ParseError {
        if self.source_line.is_none() {
            self.source_line = text.lines().nth(self.line.saturating_sub(1)).map(str::to_string);
        }
        self
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}: {}", self.file, self.line, self.col, self.message)?;
        if let Some(src) = &self.source_line {
            let pad = self.line.to_string().len();
            let caret: String =
                src.chars().take(self.col.saturating_sub(1)).map(|c| if c == '\t' { '\t' } else { ' ' }).collect();
            write!(f, "\n{:pad$} |\n{} | {src}\n{:pad$} | {caret}^", "", self.line, "")?;
        }
        Ok(())
    }
}

impl std::error::Error for ParseError {}
