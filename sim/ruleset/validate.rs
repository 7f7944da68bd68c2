//! What the kernel checks when a table is replaced (`translate_table`): every
//! chain's hook mask (from which built-in chains it is reachable), jump
//! loops reachable from a built-in chain (ELOOP), then each rule's matches
//! and target against table, hooks and protocol (`xt_check_match/target`).

use super::error::Error;
use super::model::{TableRules, Verdict};
use crate::xt::{self, CheckCtx, Hook, RuleInfo};

/// Hook mask per chain (same order as `t.chains`), or the loop error.
pub fn hook_masks(t: &TableRules) -> Result<Vec<u8>, Error> {
    let mut masks = vec![0u8; t.chains.len()];
    for (i, c) in t.chains.iter().enumerate() {
        if c.is_builtin() {
            let hook = Hook::from_chain_name(&c.name).expect("built-in chain has a hook");
            let mut path = Vec::new();
            walk(t, i, hook.bit(), &mut masks, &mut path)?;
        }
    }
    Ok(masks)
}

/// Depth-first from chain `i`; `path` holds the chains being walked, so
/// meeting one again is a loop (the kernel's `mark_source_chains`).
fn walk(t: &TableRules, i: usize, bit: u8, masks: &mut [u8], path: &mut Vec<usize>) -> Result<(), Error> {
    if path.contains(&i) {
        return Err(Error::iptc("Too many levels of symbolic links."));
    }
    if masks[i] & bit != 0 && !path.is_empty() {
        return Ok(());
    }
    masks[i] |= bit;
    path.push(i);
    // Bounded: each chain is entered at most once per path, and paths are
    // at most as long as the chain list.
    for r in &t.chains[i].rules {
        if let Some(name) = r.verdict.chain()
            && let Some(j) = t.chains.iter().position(|c| c.name == name)
        {
            walk(t, j, bit, masks, path)?;
        }
    }
    path.pop();
    Ok(())
}

/// Checks the whole table as the kernel would on replacement.
///
/// # Errors
/// ELOOP as `Too many levels of symbolic links.`, or a checkentry refusal as
/// `Invalid argument` with the kernel's log line.
pub fn check_table(t: &TableRules) -> Result<(), Error> {
    let masks = hook_masks(t)?;
    for (c, &hooks) in t.chains.iter().zip(&masks) {
        for r in &c.rules {
            let ctx = CheckCtx {
                table: t.table,
                hooks,
                rule: RuleInfo { proto: r.proto, proto_inv: r.proto_inv },
                matches: &r.matches,
            };
            for m in &r.matches {
                xt::check_match(m.as_ref(), &ctx).map_err(refused)?;
            }
            if let Verdict::Ext(tg) = &r.verdict {
                xt::check_target(tg.as_ref(), &ctx).map_err(refused)?;
            }
        }
    }
    Ok(())
}

/// The error iptables reports for a checkentry refusal.
fn refused(r: xt::Refusal) -> Error {
    if r.enoent || r.erange {
        let msg = if r.enoent { "No chain/target/match by that name." } else { "Numerical result out of range." };
        let mut e = Error::iptc(msg);
        e.kernel_log = r.log;
        e
    } else {
        Error::kernel(r.log)
    }
}
