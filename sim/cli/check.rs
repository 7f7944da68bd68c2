//! `nfsim check FILE`: validate a ruleset file (iptables-save text or a
//! script of `iptables ...` lines) as Linux would, and optionally print it
//! back the way iptables does.
//!
//! Exit status: 0 valid, 2 refused (the refusal on stderr as `FILE:LINE:
//! message`, then the kernel's log lines if the kernel refused).

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;

use crate::ruleset::{self, ListOpts, Ruleset, Table};

/// How to print a valid ruleset.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum PrintFormat {
    /// `iptables-save` text (without the dated comment lines).
    #[value(name = "save")]
    Save,
    /// `iptables -S`.
    #[value(name = "S")]
    S,
    /// `iptables -L`.
    #[value(name = "L")]
    L,
    /// `iptables -L -n -v`.
    #[value(name = "Lnv")]
    Lnv,
    /// `iptables -L -n -v -x`.
    #[value(name = "Lnvx")]
    Lnvx,
}

/// Arguments of `nfsim check`.
#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// The ruleset file: iptables-save output or a shell script of iptables lines.
    pub file: PathBuf,
    /// Print the loaded ruleset in this form.
    #[arg(long)]
    pub print: Option<PrintFormat>,
    /// Only this table for `--print S|L...` (default: every table used).
    #[arg(short = 't', long)]
    pub table: Option<String>,
}

/// The text `--print` asks for.
pub fn render(rs: &Ruleset, format: PrintFormat, only: Option<Table>) -> String {
    if format == PrintFormat::Save {
        return match only {
            Some(t) => rs.save_table(t, false),
            None => rs.save(false),
        };
    }
    let tables: Vec<Table> = match only {
        Some(t) => vec![t],
        None => rs.tables.iter().map(|t| t.table).collect(),
    };
    let opts = |numeric, verbose, exact| ListOpts { numeric, verbose, exact, line_numbers: false };
    let mut out = String::new();
    for (i, t) in tables.iter().enumerate() {
        if tables.len() > 1 {
            if i > 0 {
                out.push('\n');
            }
            out.push_str(&format!("# table {}\n", t.as_str()));
        }
        let text = match format {
            PrintFormat::S => rs.list_rules(*t, None),
            PrintFormat::L => rs.list(*t, None, opts(false, false, false)) + "\n",
            PrintFormat::Lnv => rs.list(*t, None, opts(true, true, false)) + "\n",
            _ => rs.list(*t, None, opts(true, true, true)) + "\n",
        };
        out.push_str(&text);
    }
    out
}

/// Runs `nfsim check`.
///
/// # Errors
/// The file cannot be read, or the table name given is unknown.
pub fn run(args: &CheckArgs) -> anyhow::Result<ExitCode> {
    let text = std::fs::read_to_string(&args.file).with_context(|| format!("cannot read {}", args.file.display()))?;
    let origin = args.file.display().to_string();
    let only = match &args.table {
        Some(name) => Some(Table::from_name(name).with_context(|| format!("unknown table `{name}'"))?),
        None => None,
    };
    match ruleset::load(&text, &origin) {
        Ok(rs) => {
            if let Some(f) = args.print {
                let mut out = std::io::stdout().lock();
                out.write_all(render(&rs, f, only).as_bytes())?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            let mut err = std::io::stderr().lock();
            writeln!(err, "{origin}:{}: {}", e.line, e.one_line_without_kernel())?;
            for l in &e.kernel_log {
                writeln!(err, "{origin}:{}: kernel: {l}", e.line)?;
            }
            Ok(ExitCode::from(2))
        }
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn renders_s_per_table_with_headers() {
        let rs = ruleset::load("*nat\n:PREROUTING ACCEPT [0:0]\nCOMMIT\n*filter\n-A INPUT -j ACCEPT\nCOMMIT\n", "x")
            .unwrap();
        let s = render(&rs, PrintFormat::S, None);
        assert!(s.starts_with("# table filter\n-P INPUT ACCEPT\n"), "{s}");
        assert!(s.contains("\n# table nat\n-P PREROUTING ACCEPT\n"));
        assert_eq!(render(&rs, PrintFormat::S, Some(Table::Nat)).lines().count(), 4);
    }
}
