//! Splitting a scenario into statements, the way a shell reads a script:
//! `#` starts a comment at the beginning of a word, a backslash at the end
//! of a line continues it, single quotes keep everything, double quotes
//! keep everything but `\"` and `\\`, and `<<WORD` (or `<<'WORD'`,
//! `<<-WORD` stripping leading tabs) takes the following lines up to WORD
//! as the statement's standard input.
//!
//! Every word keeps its line and column, for error messages.

use super::error::ParseError;

/// A word and where it starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Word {
    /// The word, quotes removed.
    pub text: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column (in characters).
    pub col: usize,
}

/// One statement: its words and its heredoc.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stmt {
    /// The words.
    pub words: Vec<Word>,
    /// The heredoc's text, when there is one.
    pub stdin: Option<String>,
    /// The line it starts on.
    pub line: usize,
}

/// Splits `text` into statements.
///
/// # Errors
/// An unterminated quote or heredoc.
pub fn split(text: &str, file: &str) -> Result<Vec<Stmt>, ParseError> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let start = i;
        let mut words = Vec::new();
        let mut cur: Option<Word> = None;
        let mut heredoc: Option<(String, bool, Word)> = None;
        // One logical line, possibly continued.
        'logical: loop {
            let line: Vec<char> = lines[i].chars().collect();
            let mut c = 0;
            while c < line.len() {
                let ch = line[c];
                let pos = |c: usize| Word { text: String::new(), line: i + 1, col: c + 1 };
                match ch {
                    ' ' | '\t' => {
                        words.extend(cur.take());
                        c += 1;
                    }
                    '#' if cur.is_none() => break,
                    '\\' if c + 1 == line.len() => {
                        if i + 1 < lines.len() {
                            i += 1;
                            continue 'logical;
                        }
                        c += 1;
                    }
                    '\\' => {
                        cur.get_or_insert_with(|| pos(c)).text.push(line[c + 1]);
                        c += 2;
                    }
                    '\'' | '"' => {
                        let w = cur.get_or_insert_with(|| pos(c));
                        let close = (c + 1..line.len()).find(|&k| line[k] == ch && (ch == '\'' || line[k - 1] != '\\'));
                        let Some(end) = close else {
                            return Err(ParseError::at(file, i + 1, c + 1, "unterminated quote"));
                        };
                        let inner: String = line[c + 1..end].iter().collect();
                        if ch == '"' {
                            w.text.push_str(&inner.replace("\\\"", "\"").replace("\\\\", "\\"));
                        } else {
                            w.text.push_str(&inner);
                        }
                        c = end + 1;
                    }
                    '<' if cur.is_none() && line.get(c + 1) == Some(&'<') => {
                        let at = pos(c);
                        let mut k = c + 2;
                        let strip = line.get(k) == Some(&'-');
                        if strip {
                            k += 1;
                        }
                        while line.get(k) == Some(&' ') {
                            k += 1;
                        }
                        let rest: String = line[k..].iter().take_while(|ch| !ch.is_whitespace()).collect();
                        let tag = rest.trim_matches(|ch| ch == '\'' || ch == '"').to_string();
                        if tag.is_empty() {
                            return Err(ParseError::at(file, i + 1, c + 1, "`<<' needs a delimiter word"));
                        }
                        c = k + rest.chars().count();
                        heredoc = Some((tag, strip, at));
                    }
                    _ => {
                        cur.get_or_insert_with(|| pos(c)).text.push(ch);
                        c += 1;
                    }
                }
            }
            words.extend(cur.take());
            break;
        }
        i += 1;
        let mut stdin = None;
        if let Some((tag, strip, at)) = heredoc {
            let mut body = String::new();
            loop {
                let Some(l) = lines.get(i) else {
                    let msg = format!("here-document ended by end of file (wanted `{tag}')");
                    return Err(ParseError::at(file, at.line, at.col, &msg));
                };
                i += 1;
                let l = if strip { l.trim_start_matches('\t') } else { l };
                if l.trim_end() == tag {
                    break;
                }
                body.push_str(l);
                body.push('\n');
            }
            stdin = Some(body);
        }
        if !words.is_empty() {
            out.push(Stmt { words, stdin, line: start + 1 });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod test {
    use super::*;

    fn texts(s: &Stmt) -> Vec<&str> {
        s.words.iter().map(|w| w.text.as_str()).collect()
    }

    #[test]
    fn comments_quotes_and_continuations() {
        let s = split(
            "# c\non fw iptables -A INPUT \\\n  -m comment --comment 'a b' -j LOG --log-prefix \"x \\\"y\" # end\n",
            "t",
        )
        .unwrap();
        assert_eq!(s.len(), 1);
        assert_eq!(
            texts(&s[0]),
            [
                "on",
                "fw",
                "iptables",
                "-A",
                "INPUT",
                "-m",
                "comment",
                "--comment",
                "a b",
                "-j",
                "LOG",
                "--log-prefix",
                "x \"y"
            ]
        );
        assert_eq!((s[0].words[5].line, s[0].words[5].col), (3, 3));
    }

    #[test]
    fn heredocs_feed_stdin() {
        let s = split("on fw iptables-restore <<EOF\n*filter\nCOMMIT\nEOF\nrun 1s\n", "t").unwrap();
        assert_eq!(texts(&s[0]), ["on", "fw", "iptables-restore"]);
        assert_eq!(s[0].stdin.as_deref(), Some("*filter\nCOMMIT\n"));
        assert_eq!(texts(&s[1]), ["run", "1s"]);
    }

    #[test]
    fn unterminated_things_are_errors_with_positions() {
        let e = split("on fw echo 'x\n", "f.nfs").unwrap_err();
        assert_eq!((e.line, e.col), (1, 12));
        let e = split("x <<END\nno end\n", "f.nfs").unwrap_err();
        assert!(e.message.contains("END"));
    }
}
