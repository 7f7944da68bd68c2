//! Splitting lines into words: the shell's rules for firewall scripts
//! (quotes, backslashes, `#` comments, `\` line continuations) and
//! iptables-restore's simpler rules (double quotes with `\` escapes only).

/// A logical command line of a script: its first physical line and words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScriptLine {
    /// 1-based line number where the command starts.
    pub line: usize,
    /// The words after shell quote removal.
    pub words: Vec<String>,
}

/// Splits a shell script into commands (one per logical line, `;` not
/// supported). `Err((line, msg))` for an unterminated quote.
pub fn split_script(text: &str) -> Result<Vec<ScriptLine>, (usize, String)> {
    let mut out = Vec::new();
    let mut words: Vec<String> = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut start = 0usize;
    let mut line = 1usize;
    let mut chars = text.chars().peekable();
    let mut quote: Option<char> = None;
    while let Some(c) = chars.next() {
        if words.is_empty() && !in_word && quote.is_none() && !c.is_whitespace() {
            start = line;
        }
        match (quote, c) {
            (Some('\''), '\'') | (Some('"'), '"') => quote = None,
            (Some('\''), _) => cur.push(c),
            (Some(_), '\\') => match chars.next() {
                Some('\n') => line += 1,
                Some(n) if matches!(n, '"' | '\\' | '$' | '`') => cur.push(n),
                Some(n) => {
                    cur.push('\\');
                    cur.push(n);
                }
                None => cur.push('\\'),
            },
            (Some(_), _) => {
                if c == '\n' {
                    line += 1;
                }
                cur.push(c);
            }
            (None, '\'' | '"') => {
                quote = Some(c);
                in_word = true;
            }
            (None, '\\') => match chars.next() {
                Some('\n') => line += 1,
                Some(n) => {
                    cur.push(n);
                    in_word = true;
                }
                None => {}
            },
            (None, '#') if !in_word => {
                while chars.peek().is_some_and(|&n| n != '\n') {
                    chars.next();
                }
            }
            (None, c) if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
                if c == '\n' {
                    if !words.is_empty() {
                        out.push(ScriptLine { line: start, words: std::mem::take(&mut words) });
                    }
                    line += 1;
                }
            }
            (None, c) => {
                cur.push(c);
                in_word = true;
            }
        }
    }
    if quote.is_some() {
        return Err((start, "unterminated quote".into()));
    }
    if in_word {
        words.push(cur);
    }
    if !words.is_empty() {
        out.push(ScriptLine { line: start, words });
    }
    Ok(out)
}

/// Splits one iptables-restore rule line: whitespace separates words, `"`
/// groups, and inside quotes `\` takes the next character literally.
/// Single quotes are ordinary characters there (observed).
pub fn split_restore(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut quoted = false;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' if quoted => {
                if let Some(n) = chars.next() {
                    cur.push(n);
                }
            }
            '"' => {
                quoted = !quoted;
                in_word = true;
            }
            c if c.is_whitespace() && !quoted => {
                if in_word {
                    out.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            c => {
                cur.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        out.push(cur);
    }
    out
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn script_joins_continuations_and_drops_comments() {
        let s = "# fw\niptables -A INPUT \\\n  -j ACCEPT # ok\n\niptables -N 'a b'\n";
        let lines = split_script(s).unwrap();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].line, 2);
        assert_eq!(lines[0].words, ["iptables", "-A", "INPUT", "-j", "ACCEPT"]);
        assert_eq!(lines[1].line, 5);
        assert_eq!(lines[1].words[2], "a b");
    }

    #[test]
    fn script_double_quotes_keep_backslash_escapes() {
        let lines = split_script("x --log-prefix \"a \\\"b\\\" \"").unwrap();
        assert_eq!(lines[0].words[2], "a \"b\" ");
    }

    #[test]
    fn restore_groups_double_quotes_only() {
        assert_eq!(split_restore("-m comment --comment \"a \\\"b\"  x"), ["-m", "comment", "--comment", "a \"b", "x"]);
        assert_eq!(split_restore("--comment 'x y'"), ["--comment", "'x", "y'"]);
    }
}
