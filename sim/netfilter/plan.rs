//! The steps a hook runs in a given box: [`steps`] without the tables that
//! do not exist (a table registers at its hooks when first used). Worked
//! out at compile time for every set of tables, so that a packet pays one
//! lookup per hook rather than a test and a dispatch per possible table.

use super::{Step, steps};
use crate::ruleset::Table;
use crate::xt::Hook;

/// The most steps a hook has (OUTPUT's).
const MAX_STEPS: usize = 6;

/// One hook's steps for one set of existing tables, in priority order.
#[derive(Clone, Copy)]
pub(super) struct Plan {
    steps: [Step; MAX_STEPS],
    len: u8,
}

impl Plan {
    /// The steps, in order.
    #[inline]
    pub(super) fn steps(&self) -> &[Step] {
        &self.steps[..self.len as usize]
    }
}

/// How many sets of tables there are: one bit per table.
const SETS: usize = 1 << Table::ALL.len();

/// `PLANS[hook][set]`, `set` holding bit `1 << table as u8` per existing table.
static PLANS: [[Plan; SETS]; 5] = build();

/// The plan of `hook` when the tables of `present` exist.
#[inline]
pub(super) fn plan(hook: Hook, present: u8) -> &'static Plan {
    &PLANS[hook as usize][present as usize % SETS]
}

const fn build() -> [[Plan; SETS]; 5] {
    let mut out = [[Plan { steps: [Step::Confirm; MAX_STEPS], len: 0 }; SETS]; 5];
    // Bounded: 5 hooks, 32 sets, at most MAX_STEPS steps each.
    let mut h = 0;
    while h < Hook::ALL.len() {
        let all = steps(Hook::ALL[h]);
        let mut set = 0;
        while set < SETS {
            let plan = &mut out[h][set];
            let mut i = 0;
            while i < all.len() {
                let keep = match all[i] {
                    Step::Table(t) => set & 1 << t as u8 != 0,
                    Step::Conntrack | Step::Confirm => true,
                };
                if keep {
                    plan.steps[plan.len as usize] = all[i];
                    plan.len += 1;
                }
                i += 1;
            }
            set += 1;
        }
        h += 1;
    }
    out
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn a_plan_is_the_hooks_steps_of_existing_tables() {
        for hook in Hook::ALL {
            for set in 0..SETS as u8 {
                let want: Vec<Step> = steps(hook)
                    .iter()
                    .copied()
                    .filter(|s| !matches!(s, Step::Table(t) if set & 1 << *t as u8 == 0))
                    .collect();
                assert_eq!(plan(hook, set).steps(), &want[..], "{hook} {set:#b}");
            }
        }
    }
}
