//! The option scanner under the iptables command line: what getopt_long does
//! for iptables 1.8.9 and nothing more. It splits the words into `!`, short
//! options (clusters like `-nvL` give one token per letter, with the value
//! rules of each letter), long options (`--name[=value]`, abbreviations
//! resolved against the options the caller offers) and takes option values
//! off the word list. What an option *means* is `argv.rs`'s business.

use super::error::Error;
use crate::xt;

/// Generic long options and their short letters ('\0' for --line-numbers).
pub const LONG: &[(&str, char)] = &[
    ("append", 'A'),
    ("check", 'C'),
    ("delete", 'D'),
    ("insert", 'I'),
    ("replace", 'R'),
    ("list", 'L'),
    ("list-rules", 'S'),
    ("flush", 'F'),
    ("zero", 'Z'),
    ("new-chain", 'N'),
    ("delete-chain", 'X'),
    ("rename-chain", 'E'),
    ("policy", 'P'),
    ("source", 's'),
    ("src", 's'),
    ("destination", 'd'),
    ("dst", 'd'),
    ("protocol", 'p'),
    ("in-interface", 'i'),
    ("out-interface", 'o'),
    ("jump", 'j'),
    ("goto", 'g'),
    ("match", 'm'),
    ("table", 't'),
    ("numeric", 'n'),
    ("verbose", 'v'),
    ("exact", 'x'),
    ("fragment", 'f'),
    ("set-counters", 'c'),
    ("wait", 'w'),
    ("wait-interval", 'W'),
    ("line-numbers", '\0'),
    ("modprobe", 'M'),
    ("ipv4", '4'),
    ("help", 'h'),
    ("version", 'V'),
];

/// Short options taking a required argument.
pub const NEEDS_ARG: &str = "ACDRINEPospdjgimtcM";
/// Short options taking an optional (attached only) argument.
const OPT_ARG: &str = "LSFZXwW";
/// Short options without an argument.
const FLAGS: &str = "nvxf4hV6";
/// Options whose value iptables 1.8.9 takes from the whole token
/// (`argv[optind-1]`) rather than getopt's `optarg`, so `-ieth0` means the
/// interface "-ieth0" (observed).
const WHOLE_TOKEN: &str = "spdiojg";

/// One scanned option.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Token<'a> {
    /// A lone `!`.
    Bang,
    /// A short option letter with its value, if it takes one.
    Short(char, Option<&'a str>),
    /// `--name[=value]` (the name possibly abbreviated); `tok` is the word.
    Long { tok: &'a str, name: &'a str, attached: Option<&'a str> },
    /// An unknown letter in a cluster (`tok` is the whole word); the letters
    /// before it have been returned as `Short`s.
    UnknownShort(&'a str),
}

/// The word list and the position in it.
pub struct Scanner<'a> {
    argv: &'a [String],
    pos: usize,
}

fn needs_arg(tok: &str) -> Error {
    Error::param(format!("option \"{tok}\" requires an argument"))
}

impl<'a> Scanner<'a> {
    /// A scanner at the first word of `argv`.
    pub fn new(argv: &'a [String]) -> Scanner<'a> {
        Scanner { argv, pos: 0 }
    }

    /// Whether every word has been taken.
    pub fn at_end(&self) -> bool {
        self.pos >= self.argv.len()
    }

    /// Takes the next word, whatever it looks like.
    pub fn next_arg(&mut self) -> Option<&'a str> {
        let a = self.argv.get(self.pos)?;
        self.pos += 1;
        Some(a.as_str())
    }

    /// Takes the next word if it does not look like an option (iptables'
    /// `optind < argc && argv[optind][0] != '-' && != '!'` idiom).
    pub fn peek_word(&mut self) -> Option<&'a str> {
        let a = self.argv.get(self.pos)?;
        if a.starts_with('-') || a.starts_with('!') {
            return None;
        }
        self.pos += 1;
        Some(a.as_str())
    }

    /// Scans the next word into tokens (several for a short cluster).
    ///
    /// # Errors
    /// `Bad argument` for a word that is no option, a missing value.
    pub fn next_tokens(&mut self) -> Result<Vec<Token<'a>>, Error> {
        let tok = self.next_arg().unwrap_or_default();
        if tok == "!" {
            return Ok(vec![Token::Bang]);
        }
        if let Some(body) = tok.strip_prefix("--") {
            if body.is_empty() {
                return Err(Error::bare(format!("Bad argument `{tok}'")));
            }
            let (name, attached) = match body.split_once('=') {
                Some((n, v)) => (n, Some(v)),
                None => (body, None),
            };
            return Ok(vec![Token::Long { tok, name, attached }]);
        }
        if tok.len() > 1 && tok.starts_with('-') {
            return self.shorts(tok);
        }
        Err(Error::bare(format!("Bad argument `{tok}'")))
    }

    fn shorts(&mut self, tok: &'a str) -> Result<Vec<Token<'a>>, Error> {
        let body = &tok[1..];
        let mut out = Vec::new();
        for (i, c) in body.char_indices() {
            let rest = &body[i + c.len_utf8()..];
            if NEEDS_ARG.contains(c) {
                let val = if !rest.is_empty() {
                    if WHOLE_TOKEN.contains(c) { tok } else { rest }
                } else {
                    self.next_arg().ok_or_else(|| needs_arg(tok))?
                };
                out.push(Token::Short(c, Some(val)));
                return Ok(out);
            }
            if OPT_ARG.contains(c) {
                out.push(Token::Short(c, (!rest.is_empty()).then_some(rest)));
                return Ok(out);
            }
            if FLAGS.contains(c) {
                out.push(Token::Short(c, None));
                continue;
            }
            out.push(Token::UnknownShort(tok));
            return Ok(out);
        }
        Ok(out)
    }

    /// The value of a generic long option resolved to letter `c`.
    ///
    /// # Errors
    /// A required value is missing.
    pub fn generic_value(
        &mut self,
        c: char,
        tok: &'a str,
        attached: Option<&'a str>,
    ) -> Result<Option<&'a str>, Error> {
        if !NEEDS_ARG.contains(c) {
            return Ok(attached);
        }
        Ok(Some(match attached {
            Some(_) if WHOLE_TOKEN.contains(c) => tok,
            Some(v) => v,
            None => self.next_arg().ok_or_else(|| needs_arg(tok))?,
        }))
    }

    /// The values of an extension's option: none, one, or two (the second
    /// must not look like an option, as `--tcp-flags MASK COMP`).
    ///
    /// # Errors
    /// A value is missing.
    pub fn ext_args(&mut self, tok: &str, opt: &xt::Opt, attached: Option<&'a str>) -> Result<Vec<&'a str>, Error> {
        let mut args = Vec::new();
        if opt.args == 0 {
            return Ok(args);
        }
        match attached {
            Some(v) => args.push(v),
            None => args.push(self.next_arg().ok_or_else(|| needs_arg(tok))?),
        }
        if opt.args == 2 {
            let second = self.peek_word().ok_or_else(|| Error::param(format!("--{} requires two args.", opt.name)))?;
            args.push(second);
        }
        Ok(args)
    }
}

/// Resolves a long option name among `cands` (in priority order): an exact
/// name first, else a unique prefix; several prefixes are ambiguous.
///
/// # Errors
/// `option '--NAME' is ambiguous`.
pub fn resolve<T>(name: &str, mut cands: Vec<(&'static str, T)>) -> Result<Option<T>, Error> {
    if let Some(i) = cands.iter().position(|(n, _)| *n == name) {
        return Ok(Some(cands.remove(i).1));
    }
    let mut pre: Vec<_> = cands.into_iter().filter(|(n, _)| n.starts_with(name)).collect();
    match pre.len() {
        0 => Ok(None),
        1 => Ok(Some(pre.remove(0).1)),
        _ => Err(Error::param(format!("option '--{name}' is ambiguous"))),
    }
}

#[cfg(test)]
mod test {
    use super::*;

    fn scan(words: &[&str]) -> Result<Vec<String>, Error> {
        let argv: Vec<String> = words.iter().map(|s| s.to_string()).collect();
        let mut sc = Scanner::new(&argv);
        let mut out = Vec::new();
        while !sc.at_end() {
            out.extend(sc.next_tokens()?.iter().map(|t| format!("{t:?}")));
        }
        Ok(out)
    }

    #[test]
    fn clusters_give_one_token_per_letter_and_take_values() {
        let got = scan(&["-nvt", "nat", "-tmangle", "!", "-ieth0"]).unwrap();
        let want = [
            "Short('n', None)",
            "Short('v', None)",
            "Short('t', Some(\"nat\"))",
            "Short('t', Some(\"mangle\"))",
            "Bang",
            // -i takes the whole word (iptables 1.8.9 reads argv[optind-1]).
            "Short('i', Some(\"-ieth0\"))",
        ];
        assert_eq!(got, want);
    }

    #[test]
    fn unknown_letter_ends_the_cluster_and_strays_are_bad_arguments() {
        assert_eq!(scan(&["-n?"]).unwrap(), ["Short('n', None)", "UnknownShort(\"-n?\")"]);
        assert_eq!(scan(&["INPUT"]), Err(Error::bare("Bad argument `INPUT'")));
        assert_eq!(scan(&["-t"]), Err(Error::param("option \"-t\" requires an argument")));
    }

    #[test]
    fn long_names_resolve_exactly_then_by_unique_prefix() {
        let c = || vec![("list", 1), ("list-rules", 2), ("line-numbers", 3)];
        assert_eq!(resolve("list", c()), Ok(Some(1)));
        assert_eq!(resolve("list-", c()), Ok(Some(2)));
        assert_eq!(resolve("li", c()), Err(Error::param("option '--li' is ambiguous")));
        assert_eq!(resolve("x", c()), Ok(None));
    }
}
