//! Background jobs (`on HOST CMD &`): commands that keep printing while
//! virtual time runs, until `kill %N` or the end of the scenario. The one
//! such command is `conntrack -E`: the job holds its filters, and the
//! world hands it the host's conntrack events after each step, writing
//! the lines it prints into the transcript at the time they happen.

use super::{Kind, Record, World};
use crate::conntrack::filter::Filter;
use crate::engine::Instant;

/// One background job of a host's shell.
#[derive(Clone, Debug)]
pub struct Job {
    /// Its number (`%1` is the first job started on the host).
    pub number: u32,
    /// The filters and event mask of its `conntrack -E`.
    pub filter: Filter,
    /// Event lines printed so far (its summary counts them).
    pub shown: u64,
    /// False once killed.
    pub running: bool,
}

impl World {
    /// Hands host `node`'s new conntrack events to its running jobs.
    pub(super) fn job_events(&mut self, at: Instant, node: usize) {
        let n = &mut self.nodes[node];
        let Some(ct) = n.host.netfilter.conntrack.as_mut() else { return };
        let events = ct.take_events();
        for e in &events {
            for job in n.jobs.iter_mut().filter(|j| j.running && e.passes(&j.filter)) {
                job.shown += 1;
                let text = format!("%{}: {}", job.number, e.line());
                self.records.push(Record { at, kind: Kind::Job, host: n.host.name.clone(), text });
            }
        }
    }
}
