//! `A | B | ...` on a host: each command's output is the next one's input,
//! as a shell pipes them. Besides the host's own commands, the text
//! filters scripts put at the end of a pipe: `grep [-v] [-c] WORD`,
//! `wc -l`, `head [-n] N`, `tail [-n] N`.

/// Splits `argv` at each `|` word.
pub fn stages(argv: &[String]) -> Vec<&[String]> {
    argv.split(|w| w == "|").collect()
}

/// Runs `argv` as a text filter over `input`; `None` if it is not one.
pub fn filter(argv: &[String], input: &str) -> Option<String> {
    let a: Vec<&str> = argv.iter().map(String::as_str).collect();
    let lines = input.lines();
    let joined = |it: &mut dyn Iterator<Item = &str>| it.map(|l| format!("{l}\n")).collect::<String>();
    Some(match a.as_slice() {
        ["grep", rest @ ..] => {
            let invert = rest.contains(&"-v");
            let count = rest.contains(&"-c");
            let Some(word) = rest.iter().find(|w| !w.starts_with('-')) else {
                return Some("Usage: grep [OPTION]... PATTERNS [FILE]...\n".into());
            };
            let mut hits = lines.filter(|l| l.contains(word) != invert);
            if count { format!("{}\n", hits.count()) } else { joined(&mut hits) }
        }
        ["wc", "-l"] => format!("{}\n", lines.count()),
        ["head", n] | ["head", "-n", n] => joined(&mut lines.take(count_arg(n)?)),
        ["tail", n] | ["tail", "-n", n] => {
            let all: Vec<&str> = lines.collect();
            let n = count_arg(n)?.min(all.len());
            joined(&mut all[all.len() - n..].iter().copied())
        }
        _ => return None,
    })
}

/// `N` or `-N`.
fn count_arg(w: &str) -> Option<usize> {
    w.trim_start_matches('-').parse().ok()
}

#[cfg(test)]
mod test {
    use super::*;

    fn words(s: &str) -> Vec<String> {
        s.split(' ').map(String::from).collect()
    }

    #[test]
    fn filters_do_what_coreutils_do() {
        let text = "a x\nb\nc x\n";
        assert_eq!(filter(&words("grep x"), text).unwrap(), "a x\nc x\n");
        assert_eq!(filter(&words("grep -v x"), text).unwrap(), "b\n");
        assert_eq!(filter(&words("grep -c x"), text).unwrap(), "2\n");
        assert_eq!(filter(&words("wc -l"), text).unwrap(), "3\n");
        assert_eq!(filter(&words("head -n 1"), text).unwrap(), "a x\n");
        assert_eq!(filter(&words("tail -2"), text).unwrap(), "b\nc x\n");
        assert!(filter(&words("sort"), text).is_none());
        assert_eq!(stages(&words("a b | c | d e")).len(), 3);
    }
}
