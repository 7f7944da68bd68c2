//! `ip link set dev X down|up`: the administrative state of an interface.
//!
//! Down, the interface neither receives nor sends, and the routes through
//! it go: its connected routes and every static route by it (the kernel's
//! `fib_disable_ip` flushes them, and they do not come back). Up again, its
//! connected routes return with its addresses (`fib_add_ifaddr`); static
//! routes must be added again, as on Linux.

use super::host::Host;

impl Host {
    /// Sets interface `name` up or down, as `ip link set dev NAME up|down`.
    ///
    /// # Errors
    /// iproute2's words for an unknown device.
    pub fn set_link(&mut self, name: &str, up: bool) -> Result<(), String> {
        let Some(i) = self.ifaces.iter().position(|x| x.name == name) else {
            return Err(format!("Cannot find device \"{name}\""));
        };
        if self.ifaces[i].up == up {
            return Ok(());
        }
        self.ifaces[i].up = up;
        let index = self.ifaces[i].index;
        if !up {
            self.routes.remove_dev(index);
            // Packets waiting for a neighbour behind it are lost with it.
            self.neigh.incomplete.retain(|_, n| n.oif != index);
        }
        self.routes.sync_connected(&self.ifaces);
        Ok(())
    }
}

impl Host {
    /// `ip route add SPEC`.
    ///
    /// # Errors
    /// iproute2's words (an unknown device, a gateway not on-link, a duplicate).
    pub fn add_route(&mut self, spec: &super::RouteSpec) -> Result<(), String> {
        self.routes.add(spec, &self.ifaces)
    }
}
