//! Reports: what a run of traffic did to a box's conntrack table, over
//! virtual time, and what settings would have held (`nfsim report pressure`).
//!
//! Files: `sample` (the table at one instant, the kernel's memory for it),
//! `traffic` (one deterministic run of a capture or scenario under sysctl
//! overrides), `search` (the what-if runs behind the recommendations),
//! `model` (the report's numbers, as report.json has them), `plot` (charts
//! as SVG and PNG, text in an embedded font), `html` (the self-contained page).

pub mod html;
pub mod model;
pub mod plot;
pub mod sample;
pub mod search;
pub mod traffic;
