//! `nfsim test DIR...`: runs every `*.nfs` under the directories (in
//! parallel, one thread per core, each run deterministic), compares each
//! transcript with `NAME.expected` beside it, checks its `expect` lines,
//! and prints pass/fail with a unified diff. `--bless` writes the golden
//! files; `--junit FILE` writes JUnit XML; `--shard I/N` runs a stable
//! slice (by sorted path). Exit 1 when anything failed.

use anyhow::{Context, Result, bail};
use clap::Args;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use super::run::{load, loader};
use crate::scenario::{self, Options};
use crate::world::report;

/// Run scenarios and compare their transcripts with their golden files.
#[derive(Args, Debug)]
pub struct TestArgs {
    /// Directories (searched recursively) or .nfs files.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// Write NAME.expected from each transcript instead of comparing.
    #[arg(long)]
    bless: bool,
    /// Write a JUnit XML report.
    #[arg(long, value_name = "FILE")]
    junit: Option<PathBuf>,
    /// Run only slice I of N (1-based), e.g. 2/4.
    #[arg(long, value_name = "I/N")]
    shard: Option<String>,
    /// Worker threads (default: the machine's cores).
    #[arg(long, short = 'j')]
    jobs: Option<usize>,
}

/// One scenario's result.
struct Result1 {
    path: PathBuf,
    failure: Option<String>,
    blessed: bool,
}

/// Runs `nfsim test`.
pub fn run(args: &TestArgs) -> Result<ExitCode> {
    let mut files = Vec::new();
    for p in &args.paths {
        collect(p, &mut files).with_context(|| p.display().to_string())?;
    }
    files.sort();
    if let Some(shard) = &args.shard {
        let (i, n) = shard
            .split_once('/')
            .and_then(|(i, n)| Some((i.parse::<usize>().ok()?, n.parse::<usize>().ok()?)))
            .unwrap_or((0, 0));
        if n == 0 || i == 0 || i > n {
            bail!("--shard {shard}: expected I/N with 1 <= I <= N");
        }
        files = files.into_iter().enumerate().filter(|(k, _)| k % n == i - 1).map(|(_, f)| f).collect();
    }
    if files.is_empty() {
        bail!("no .nfs scenarios found");
    }
    let jobs = args.jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get())).max(1);
    let results = run_all(&files, jobs, args.bless);
    let mut failed = 0;
    for r in &results {
        match (&r.failure, r.blessed) {
            (None, true) => println!("blessed {}", r.path.display()),
            (None, false) => println!("ok      {}", r.path.display()),
            (Some(f), _) => {
                failed += 1;
                println!("FAIL    {}\n{f}", r.path.display());
            }
        }
    }
    println!("{} passed, {failed} failed", results.len() - failed);
    if let Some(path) = &args.junit {
        std::fs::write(path, junit(&results)).with_context(|| path.display().to_string())?;
    }
    Ok(if failed > 0 { ExitCode::from(1) } else { ExitCode::SUCCESS })
}

fn collect(p: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    if p.is_file() {
        out.push(p.to_path_buf());
        return Ok(());
    }
    for e in std::fs::read_dir(p)? {
        let path = e?.path();
        if path.is_dir() {
            collect(&path, out)?;
        } else if path.extension().is_some_and(|x| x == "nfs") {
            out.push(path);
        }
    }
    Ok(())
}

/// Runs `files` on `jobs` threads; results come back in file order.
fn run_all(files: &[PathBuf], jobs: usize, bless: bool) -> Vec<Result1> {
    let next = std::sync::atomic::AtomicUsize::new(0);
    let slots: Vec<std::sync::Mutex<Option<Result1>>> = files.iter().map(|_| std::sync::Mutex::new(None)).collect();
    std::thread::scope(|s| {
        for _ in 0..jobs.min(files.len()) {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(f) = files.get(i) else { break };
                    let r = one(f, bless);
                    *slots[i].lock().expect("no panics while holding it") = Some(r);
                }
            });
        }
    });
    slots.into_iter().map(|m| m.into_inner().expect("not poisoned").expect("every file ran")).collect()
}

/// Where a scenario's golden transcript lives.
pub fn expected_path(f: &Path) -> PathBuf {
    f.with_extension("expected")
}

fn one(f: &Path, bless: bool) -> Result1 {
    let fail = |msg: String| Result1 { path: f.to_path_buf(), failure: Some(msg), blessed: false };
    let s = match load(f) {
        Ok((s, _)) => s,
        Err(e) => return fail(format!("{e}")),
    };
    let read = loader(f.parent().map(Path::to_path_buf).unwrap_or_default());
    let out = match scenario::run(&s, &Options { seed: None, load: Some(&read), ..Options::default() }) {
        Ok(o) => o,
        Err(e) => return fail(e),
    };
    let text = report::render_text(&out.records);
    let golden = expected_path(f);
    let mut problems = Vec::new();
    for e in &out.failures {
        problems.push(format!("  {e}"));
    }
    if bless {
        if let Err(e) = std::fs::write(&golden, &text) {
            problems.push(format!("  {}: {e}", golden.display()));
        }
    } else {
        match std::fs::read_to_string(&golden) {
            Ok(want) if want == text => {}
            Ok(want) => problems.push(unified_diff(&want, &text, &golden.display().to_string())),
            Err(_) => problems.push(format!("  {}: missing (run with --bless to create it)", golden.display())),
        }
    }
    let failure = (!problems.is_empty()).then(|| problems.join("\n"));
    Result1 { path: f.to_path_buf(), failure, blessed: bless }
}

/// A unified diff of two texts, three lines of context (an LCS on lines).
pub fn unified_diff(old: &str, new: &str, name: &str) -> String {
    let a: Vec<&str> = old.lines().collect();
    let b: Vec<&str> = new.lines().collect();
    // Trim the common head and tail, then an LCS table over the middle.
    let head = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let tail = a[head..].iter().rev().zip(b[head..].iter().rev()).take_while(|(x, y)| x == y).count();
    let (am, bm) = (&a[head..a.len() - tail], &b[head..b.len() - tail]);
    let mut lcs = vec![vec![0u32; bm.len() + 1]; am.len() + 1];
    for i in (0..am.len()).rev() {
        for j in (0..bm.len()).rev() {
            lcs[i][j] = if am[i] == bm[j] { lcs[i + 1][j + 1] + 1 } else { lcs[i + 1][j].max(lcs[i][j + 1]) };
        }
    }
    // Edit script over the whole texts: (' ' | '-' | '+', line).
    let mut ops: Vec<(char, &str)> = a[..head].iter().map(|l| (' ', *l)).collect();
    let (mut i, mut j) = (0, 0);
    while i < am.len() || j < bm.len() {
        if i < am.len() && j < bm.len() && am[i] == bm[j] {
            ops.push((' ', am[i]));
            (i, j) = (i + 1, j + 1);
        } else if i < am.len() && (j == bm.len() || lcs[i + 1][j] >= lcs[i][j + 1]) {
            // Deletions first, as diff -u prints them.
            ops.push(('-', am[i]));
            i += 1;
        } else {
            ops.push(('+', bm[j]));
            j += 1;
        }
    }
    ops.extend(a[a.len() - tail..].iter().map(|l| (' ', *l)));
    let mut out = format!("--- {name}\n+++ {name} (this run)\n");
    let changed: Vec<usize> = ops.iter().enumerate().filter(|(_, o)| o.0 != ' ').map(|(k, _)| k).collect();
    let mut k = 0;
    while k < changed.len() {
        let start = changed[k].saturating_sub(3);
        let mut end = changed[k] + 3;
        while k + 1 < changed.len() && changed[k + 1] <= end + 3 {
            k += 1;
            end = changed[k] + 3;
        }
        let end = end.min(ops.len() - 1);
        let old_line = ops[..start].iter().filter(|o| o.0 != '+').count() + 1;
        let new_line = ops[..start].iter().filter(|o| o.0 != '-').count() + 1;
        let old_n = ops[start..=end].iter().filter(|o| o.0 != '+').count();
        let new_n = ops[start..=end].iter().filter(|o| o.0 != '-').count();
        out.push_str(&format!("@@ -{old_line},{old_n} +{new_line},{new_n} @@\n"));
        for (c, l) in &ops[start..=end] {
            out.push_str(&format!("{c}{l}\n"));
        }
        k += 1;
    }
    out
}

fn junit(results: &[Result1]) -> String {
    let esc = |s: &str| s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;");
    let failures = results.iter().filter(|r| r.failure.is_some()).count();
    let mut x = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuite name=\"nfsim\" tests=\"{}\" failures=\"{failures}\">\n",
        results.len()
    );
    for r in results {
        let name = esc(&r.path.display().to_string());
        match &r.failure {
            None => x.push_str(&format!("  <testcase name=\"{name}\"/>\n")),
            Some(f) => x.push_str(&format!(
                "  <testcase name=\"{name}\">\n    <failure message=\"transcript or expectation differs\">{}</failure>\n  </testcase>\n",
                esc(f)
            )),
        }
    }
    x.push_str("</testsuite>\n");
    x
}

#[cfg(test)]
mod tests {
    use super::unified_diff;

    #[test]
    fn diff_shows_changed_lines_with_context() {
        let d = unified_diff("a\nb\nc\nd\n", "a\nb\nX\nd\n", "f");
        assert_eq!(d, "--- f\n+++ f (this run)\n@@ -1,4 +1,4 @@\n a\n b\n-c\n+X\n d\n");
    }
}
