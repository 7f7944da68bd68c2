//! Files under `/etc` on a host, written and read as a shell does:
//! `echo TEXT > FILE`, `echo TEXT >> FILE`, `cat > FILE <<EOF`, `cat FILE`.
//! They live in [`crate::net::Host::files`]; what reads them is the
//! host's C library (`/etc/resolv.conf`, `/etc/hosts`, `/etc/networks`,
//! see [`crate::apps::dns::conf`]), whose defaults a file never written
//! shows.

use crate::apps::dns::conf;
use crate::net::Host;

/// The text a file reads as: what was written, or what the box ships.
fn contents(host: &Host, path: &str) -> Option<String> {
    host.files.get(path).cloned().or_else(|| match path {
        conf::HOSTS => Some(conf::DEFAULT_HOSTS.to_string()),
        conf::NETWORKS => Some(conf::DEFAULT_NETWORKS.to_string()),
        _ => None,
    })
}

/// Splits `WORDS... > FILE` / `>> FILE` (or `>FILE`, `>>FILE`) for a file
/// under `/etc`: the words, the path, and whether it appends.
fn redirect(args: &[String]) -> Option<(&[String], &str, bool)> {
    let i = args.iter().position(|a| a.starts_with('>'))?;
    let op = &args[i];
    let (append, attached) = match op.strip_prefix(">>") {
        Some(rest) => (true, rest),
        None => (false, &op[1..]),
    };
    let path = if attached.is_empty() { args.get(i + 1)?.as_str() } else { attached };
    path.starts_with("/etc/").then_some((&args[..i], path, append))
}

fn write(host: &mut Host, path: &str, text: &str, append: bool) {
    let mut now = if append { contents(host, path).unwrap_or_default() } else { String::new() };
    now.push_str(text);
    host.files.insert(path.to_string(), now);
}

/// `echo [-n] WORDS > /etc/FILE` or `>>`; `None` when not writing under `/etc`.
pub fn echo_to_file(host: &mut Host, args: &[String]) -> Option<String> {
    let (words, path, append) = redirect(args)?;
    let newline = words.first().is_none_or(|w| w != "-n");
    let words = if newline { words } else { &words[1..] };
    let text = format!("{}{}", words.join(" "), if newline { "\n" } else { "" });
    write(host, path, &text, append);
    Some(String::new())
}

/// `cat /etc/FILE...`, or `cat > /etc/FILE` / `>>` from standard input;
/// `None` when no path is under `/etc` (another `cat` answers).
pub fn cat(host: &mut Host, args: &[String], stdin: Option<&str>) -> Option<String> {
    if let Some((words, path, append)) = redirect(args) {
        if !words.is_empty() {
            let mut text = String::new();
            for p in words {
                text.push_str(&contents(host, p)?);
            }
            write(host, path, &text, append);
        } else {
            write(host, path, stdin.unwrap_or_default(), append);
        }
        return Some(String::new());
    }
    if args.is_empty() || !args.iter().all(|a| a.starts_with("/etc/")) {
        return None;
    }
    Some(
        args.iter()
            .map(|p| contents(host, p).unwrap_or_else(|| format!("cat: {p}: No such file or directory\n")))
            .collect(),
    )
}
