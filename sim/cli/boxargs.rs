//! The box every command builds: interfaces, routes, sysctls, neighbours,
//! rules and seed, from the same options (`nfsim replay`, `trace`, ...).

use anyhow::{Context, Result, bail};
use clap::Args;
use std::path::PathBuf;

use crate::net::neigh::parse_neigh;
use crate::net::{HostConfig, IfaceSpec, RouteSpec};
use crate::pcap::replay::IngressRules;

/// Options that describe the box and where packets enter it.
#[derive(Args, Debug, Clone)]
pub struct BoxArgs {
    /// The box's iptables rules: an iptables-save file or a script of iptables lines.
    #[arg(long, value_name = "FILE")]
    pub(super) rules: Option<PathBuf>,
    /// A box interface: NAME=ADDR/LEN[,ADDR/LEN...][,mac=MAC][,mtu=N]. Repeat per interface.
    #[arg(long = "iface", value_name = "SPEC", required = true)]
    pub(super) ifaces: Vec<String>,
    /// A route in `ip route` syntax, e.g. 'default via 203.0.113.254'. Repeatable.
    #[arg(long = "route", value_name = "ROUTE")]
    pub(super) routes: Vec<String>,
    /// A sysctl as KEY=VALUE, e.g. net.ipv4.ip_forward=1. Repeatable.
    #[arg(long = "sysctl", value_name = "KEY=VALUE")]
    pub(super) sysctls: Vec<String>,
    /// A permanent neighbour: IP=MAC. Repeatable.
    #[arg(long = "neigh", value_name = "IP=MAC")]
    pub(super) neighbours: Vec<String>,
    /// Map a capture interface (pcapng name or number, SLL2 index) to a box interface: KEY=IFACE.
    #[arg(long = "iface-map", value_name = "KEY=IFACE")]
    pub(super) iface_map: Vec<String>,
    /// The interface for packets the capture does not place.
    #[arg(long = "in", value_name = "IFACE")]
    pub(super) default_in: Option<String>,
    /// Seed of every random choice the box makes.
    #[arg(long, default_value_t = 1)]
    pub(super) seed: u64,
}

impl BoxArgs {
    /// The box these options describe, validated.
    pub fn host_config(&self) -> Result<HostConfig> {
        self.host_config_with(self.rules.as_deref())
    }

    /// The same box with another ruleset file (`--baseline`).
    pub fn host_config_with(&self, rules: Option<&std::path::Path>) -> Result<HostConfig> {
        let mut config = HostConfig { name: "box".into(), seed: self.seed, ..HostConfig::default() };
        for spec in &self.ifaces {
            config.ifaces.push(
                spec.parse::<IfaceSpec>().map_err(anyhow::Error::msg).with_context(|| format!("--iface {spec}"))?,
            );
        }
        for route in &self.routes {
            config.routes.push(
                route.parse::<RouteSpec>().map_err(anyhow::Error::msg).with_context(|| format!("--route '{route}'"))?,
            );
        }
        config.sysctls = self.sysctls.clone();
        if let Some(path) = rules {
            let origin = path.display().to_string();
            let text = std::fs::read_to_string(path).with_context(|| origin.clone())?;
            config.ruleset = crate::ruleset::load(&text, &origin).map_err(|e| {
                let mut msg = format!("{origin}:{}: {}", e.line, e.one_line_without_kernel());
                for l in &e.kernel_log {
                    msg.push_str(&format!("\n{origin}:{}: kernel: {l}", e.line));
                }
                anyhow::anyhow!(msg)
            })?;
        }
        for n in &self.neighbours {
            config.neighbours.push(parse_neigh(n).map_err(anyhow::Error::msg).with_context(|| format!("--neigh {n}"))?);
        }
        Ok(config)
    }

    /// Where replayed packets enter.
    pub fn ingress_rules(&self) -> Result<IngressRules> {
        let mut rules = IngressRules { default_in: self.default_in.clone(), ..IngressRules::default() };
        for m in &self.iface_map {
            let Some((key, iface)) = m.split_once('=') else { bail!("--iface-map {m}: expected KEY=IFACE") };
            rules.iface_map.push((key.to_string(), iface.to_string()));
        }
        Ok(rules)
    }
}
