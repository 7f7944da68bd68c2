//! Errors in iptables' own words, with the exit status iptables uses and, for
//! refusals by the kernel's checkentry, the kernel log lines it would print.

use std::fmt;

/// The version string iptables prefixes to parameter problems; nfsim mimics
/// iptables 1.8.9 with the legacy (x_tables) backend.
pub const VERSION: &str = "iptables v1.8.9 (legacy)";

const TRY_HINT: &str = "Try `iptables -h' or 'iptables --help' for more information.";

/// How iptables reports a problem, which fixes its stderr layout and status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Parameter problem: `iptables v1.8.9 (legacy): MSG` + usage hint, exit 2.
    Param,
    /// Printed as is, then the usage hint, exit 2 (`Bad argument `x'`).
    Bare,
    /// libiptc or kernel refusal: `iptables: MSG`, exit 1.
    Iptc,
    /// The kernel's checkentry refused: `Invalid argument` + log lines, exit 1.
    Kernel,
    /// Table missing: exit 3.
    Table,
    /// iptables-restore's own messages (exit 1 or 2), printed as is.
    Restore,
}

/// A refusal, as iptables (or the kernel behind it) words it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    /// File (or other origin) the input came from.
    pub origin: String,
    /// 1-based line in `origin` (0 if not from a file).
    pub line: usize,
    /// The message in iptables' words, without prefix or hint.
    pub message: String,
    /// Exit status iptables uses for it.
    pub status: u8,
    /// Kernel log lines (`dmesg`) for kernel-side refusals.
    pub kernel_log: Vec<String>,
    /// How iptables prints it.
    pub kind: Kind,
    /// The tool's exact stderr when it differs from the `kind`'s layout
    /// (iptables-restore adds `Error occurred at line: N`).
    pub tool_stderr: Option<String>,
}

impl Error {
    /// A parameter problem (exit 2); a trailing newline in `msg` is kept, as
    /// iptables then prints an empty line before its hint.
    pub fn param(msg: impl Into<String>) -> Error {
        Error::new(Kind::Param, msg.into(), 2)
    }
    /// A bare message with the usage hint (exit 2).
    pub fn bare(msg: impl Into<String>) -> Error {
        Error::new(Kind::Bare, msg.into(), 2)
    }
    /// A libiptc error: `iptables: MSG` (exit 1).
    pub fn iptc(msg: impl Into<String>) -> Error {
        Error::new(Kind::Iptc, msg.into(), 1)
    }
    /// The kernel refused with EINVAL and logged `log`.
    pub fn kernel(log: Vec<String>) -> Error {
        let mut e = Error::new(Kind::Kernel, "Invalid argument. Run `dmesg' for more information.".into(), 1);
        e.kernel_log = log;
        e
    }
    /// An unknown table (exit 3).
    pub fn table(name: &str) -> Error {
        Error::new(
            Kind::Table,
            format!(
                "can't initialize iptables table `{name}': Table does not exist (do you need to insmod?)\nPerhaps iptables or your kernel needs to be upgraded."
            ),
            3,
        )
    }
    /// An iptables-restore message, printed as is.
    pub fn restore(msg: impl Into<String>, status: u8) -> Error {
        Error::new(Kind::Restore, msg.into(), status)
    }

    fn new(kind: Kind, message: String, status: u8) -> Error {
        Error { origin: String::new(), line: 0, message, status, kernel_log: Vec::new(), kind, tool_stderr: None }
    }

    /// The same error, located at `origin:line`.
    pub fn at(mut self, origin: &str, line: usize) -> Error {
        self.origin = origin.to_string();
        self.line = line;
        self
    }

    /// Exactly what `iptables` prints on stderr for this error.
    pub fn stderr(&self) -> String {
        if let Some(s) = &self.tool_stderr {
            return s.clone();
        }
        match self.kind {
            Kind::Param => format!("{VERSION}: {}\n{TRY_HINT}\n", self.message),
            Kind::Bare if self.message.is_empty() => format!("{TRY_HINT}\n"),
            Kind::Bare => format!("{}\n{TRY_HINT}\n", self.message),
            Kind::Iptc | Kind::Kernel => format!("iptables: {}\n", self.message),
            Kind::Table => format!("{VERSION}: {}\n", self.message),
            Kind::Restore => format!("{}\n", self.message),
        }
    }

    /// The message on one line without the kernel's log lines.
    pub fn one_line_without_kernel(&self) -> String {
        let text = match self.kind {
            Kind::Iptc | Kind::Kernel => format!("iptables: {}", self.message),
            _ => self.message.clone(),
        };
        let parts: Vec<&str> = text.split('\n').map(str::trim).filter(|s| !s.is_empty()).collect();
        parts.join(" ")
    }

    /// The message on one line (newlines folded), for `FILE:LINE: message`.
    pub fn one_line(&self) -> String {
        let text = match self.kind {
            Kind::Iptc | Kind::Kernel => format!("iptables: {}", self.message),
            _ => self.message.clone(),
        };
        let parts: Vec<&str> = text.split('\n').map(str::trim).filter(|s| !s.is_empty()).collect();
        let mut s = parts.join(" ");
        for l in &self.kernel_log {
            s.push_str(&format!(" (kernel: {l})"));
        }
        s
    }
}

impl From<crate::xt::Error> for Error {
    fn from(e: crate::xt::Error) -> Error {
        match e {
            crate::xt::Error::Param(m) => Error::param(m),
            crate::xt::Error::Bare(m) => Error::bare(m),
            crate::xt::Error::Noted(note, m) => {
                let mut e = Error::param(m);
                e.tool_stderr = Some(format!("{note}\n{}", e.stderr()));
                e
            }
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "{}:{}: {}", self.origin, self.line, self.one_line())
    }
}

impl std::error::Error for Error {}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn param_problem_keeps_blank_line_before_hint() {
        let e = Error::param("SNAT: option \"--to-source\" must be specified\n");
        assert_eq!(
            e.stderr(),
            "iptables v1.8.9 (legacy): SNAT: option \"--to-source\" must be specified\n\nTry `iptables -h' or 'iptables --help' for more information.\n"
        );
        assert_eq!(e.status, 2);
    }

    #[test]
    fn display_names_file_and_line() {
        let e = Error::iptc("Chain already exists.").at("fw.rules", 7);
        assert_eq!(e.to_string(), "fw.rules:7: iptables: Chain already exists.");
        assert_eq!(e.status, 1);
    }
}
