//! The ruleset layer: the model of tables, chains and rules
//! ([`Ruleset`]), its two input forms (iptables-restore files and
//! `iptables ...` command lines, [`load`]), validation with iptables' and the
//! kernel's own messages ([`Error`]), the printers (`iptables-save`, `-S`,
//! `-L`), and chain traversal ([`Ruleset::traverse`]).
//!
//! Data flows one way: text → `shell` (words) → `getopt` (options) →
//! `argv` + `spec` (a parsed
//! [`argv::Command`], extensions from `crate::xt`) → `command` (libiptc's
//! checks) → `validate` (the kernel's checks at table replacement) → model.
//! `restore` drives the same steps per `*table` block.

pub mod argv;
pub mod command;
pub mod error;
pub mod eval;
pub mod explain;
pub mod getopt;
mod index;
pub mod list;
pub mod model;
pub mod restore;
pub mod save;
pub mod shell;
pub mod spec;
pub mod validate;

pub use argv::{Command, ListOpts, Op};
pub use command::Output;
pub use error::Error;
pub use eval::{Decision, RuleVerdict};
pub use explain::{Miss, RuleStep};
pub use model::{Addr, Chain, Counters, Iface, Policy, Rule, Ruleset, Table, TableRules, Verdict};
pub use restore::RestoreOpts;

/// The two input forms a ruleset file may take.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// iptables-save / iptables-restore text.
    Restore,
    /// A shell script of `iptables ...` lines.
    Script,
}

/// Guesses the form: restore text starts (after comments and blank lines)
/// with `*table`; anything else is taken for a script.
pub fn detect(text: &str) -> Format {
    let first = text.lines().map(str::trim).find(|l| !l.is_empty() && !l.starts_with('#'));
    match first {
        Some(l) if l.starts_with('*') || l.starts_with(':') => Format::Restore,
        _ => Format::Script,
    }
}

/// Whether `word` invokes iptables (`iptables`, `/sbin/iptables`, `iptables-legacy`).
fn is_iptables(word: &str) -> bool {
    let base = word.rsplit('/').next().unwrap_or(word);
    matches!(base, "iptables" | "iptables-legacy" | "iptables-nft")
}

/// Loads a ruleset file of either form.
///
/// # Errors
/// The first refusal, as `origin:line: message`.
pub fn load(text: &str, origin: &str) -> Result<Ruleset, Error> {
    let mut rs = Ruleset::new();
    match detect(text) {
        Format::Restore => rs.apply_restore(text, origin, false)?,
        Format::Script => rs.apply_script(text, origin)?,
    }
    Ok(rs)
}

impl Ruleset {
    /// Runs every `iptables ...` line of a shell script.
    ///
    /// # Errors
    /// The first failing line's error, or a line that is not an iptables command.
    pub fn apply_script(&mut self, text: &str, origin: &str) -> Result<(), Error> {
        let lines = shell::split_script(text).map_err(|(line, msg)| Error::bare(msg).at(origin, line))?;
        for l in lines {
            let mut words = l.words.as_slice();
            if words.first().is_some_and(|w| w == "sudo") {
                words = &words[1..];
            }
            match words.first() {
                Some(w) if is_iptables(w) => {}
                _ => {
                    let cmd = words.first().map_or("", String::as_str);
                    return Err(Error::bare(format!("not an iptables command: `{cmd}'")).at(origin, l.line));
                }
            }
            self.apply_argv(&words[1..]).map_err(|e| e.at(origin, l.line))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn detects_restore_and_script() {
        assert_eq!(detect("# x\n*filter\nCOMMIT\n"), Format::Restore);
        assert_eq!(detect("iptables -A INPUT -j ACCEPT\n"), Format::Script);
    }

    #[test]
    fn script_and_restore_forms_give_the_same_save() {
        let script = "iptables -N LOGDROP\niptables -A INPUT -s 10.0.0.0/8 -p tcp --dport 22 -j ACCEPT\niptables -A LOGDROP -j LOG --log-prefix \"DROP \"\n";
        let a = load(script, "fw.sh").unwrap();
        let b = load(&a.save(false), "fw.rules").unwrap();
        assert_eq!(a.save(false), b.save(false));
        assert!(a.save(false).contains("-A INPUT -s 10.0.0.0/8 -p tcp -m tcp --dport 22 -j ACCEPT\n"));
    }

    #[test]
    fn script_error_names_file_and_line() {
        let e = load("iptables -N X\n\niptables -A X -p tcp --dport 99999\n", "fw.sh").unwrap_err();
        assert_eq!(e.to_string(), "fw.sh:3: invalid port/service `99999' specified");
        assert_eq!(e.status, 2);
    }
}
