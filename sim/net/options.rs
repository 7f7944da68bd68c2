//! IPv4 header options as the kernel's `ip_options.c` treats them: compiled
//! at input (`ip_options_compile`), updated when forwarding
//! (`ip_forward_options`), and echoed into the replies the box builds
//! (`ip_options_echo` + `ip_options_build`).
//!
//! Record route is the option acted on: at input a slot with room gets the
//! address the box would use towards the sender ("spec_dst") and the pointer
//! moves on; forwarding overwrites that slot with the egress source address
//! and recomputes the header checksum (the input rewrite leaves it stale);
//! a reply carries the option back with one more slot, filled with the
//! reply's source. Other options are only checked for a sane length; the
//! ones Linux does not echo (router alert, ...) are not in replies.
//! Headers without options (IHL 5) never come here.

use crate::skb::IpOpt;
use std::net::Ipv4Addr;

const IPOPT_END: u8 = 0;
const IPOPT_NOOP: u8 = 1;
const IPOPT_RR: u8 = 7;

/// Longest options area (IHL 15).
const MAX_OPTLEN: usize = 40;

/// `ip_options_compile` on a received `header` (its whole IHL, options
/// included), rewriting it in place. `Err` holds the offset of the byte at
/// fault, for the parameter problem the kernel answers with.
pub(super) fn compile(header: &mut [u8], spec_dst: Ipv4Addr) -> Result<IpOpt, u8> {
    let mut opt = IpOpt::default();
    let len = header.len();
    let mut i = 20;
    while i < len {
        match header[i] {
            IPOPT_END => {
                // Everything after the end of the list becomes END too.
                if i + 1 < len {
                    header[i + 1..].fill(IPOPT_END);
                    opt.changed = true;
                }
                break;
            }
            IPOPT_NOOP => {
                i += 1;
                continue;
            }
            _ => {}
        }
        if len - i < 2 {
            return Err(i as u8);
        }
        let optlen = header[i + 1] as usize;
        if optlen < 2 || optlen > len - i {
            return Err(i as u8);
        }
        if header[i] == IPOPT_RR {
            if opt.rr != 0 {
                return Err(i as u8);
            }
            if optlen < 3 {
                return Err(i as u8 + 1);
            }
            let ptr = header[i + 2] as usize;
            if ptr < 4 {
                return Err(i as u8 + 2);
            }
            if ptr <= optlen {
                // Less than a whole slot left: malformed.
                if ptr + 3 > optlen {
                    return Err(i as u8 + 2);
                }
                header[i + ptr - 1..i + ptr + 3].copy_from_slice(&spec_dst.octets());
                header[i + 2] += 4;
                opt.rr_needaddr = true;
                opt.changed = true;
            }
            opt.rr = i as u8;
        }
        i += optlen;
    }
    Ok(opt)
}

/// `ip_forward_options`: the record route slot compile reserved gets the
/// egress source address; a header changed at input or here gets its
/// checksum recomputed.
pub(super) fn forward(header: &mut [u8], opt: IpOpt, egress_src: Ipv4Addr) {
    if opt.rr_needaddr {
        let rr = opt.rr as usize;
        let at = rr + header[rr + 2] as usize - 5;
        header[at..at + 4].copy_from_slice(&egress_src.octets());
    }
    if opt.rr_needaddr || opt.changed {
        fill_checksum(header);
    }
}

/// The options of a reply (`ip_options_echo`), to be written with [`Echo::build`].
#[derive(Clone, Copy, Debug)]
pub(super) struct Echo {
    bytes: [u8; MAX_OPTLEN],
    len: u8,
    /// Offset of record route within `bytes`, when the reply fills a slot.
    rr_fill: Option<u8>,
}

impl Echo {
    pub(super) const NONE: Echo = Echo { bytes: [0; MAX_OPTLEN], len: 0, rr_fill: None };

    /// `ip_options_echo` for a reply to `header` compiled as `opt`. `None`
    /// when the kernel refuses (`-EINVAL`: the reply would have no whole
    /// slot); then it sends no reply.
    pub(super) fn of(header: &[u8], opt: IpOpt) -> Option<Echo> {
        let mut echo = Echo::NONE;
        if opt.rr != 0 {
            let rr = opt.rr as usize;
            let optlen = header[rr + 1] as usize;
            let ptr = header[rr + 2] as usize;
            echo.bytes[..optlen].copy_from_slice(&header[rr..rr + optlen]);
            if opt.rr_needaddr && ptr <= optlen {
                if ptr + 3 > optlen {
                    return None;
                }
                echo.bytes[2] = ptr as u8 + 4;
                echo.rr_fill = Some(0);
            }
            echo.len = optlen as u8;
        }
        // Padded to whole words with END.
        echo.len = echo.len.next_multiple_of(4);
        Some(echo)
    }

    /// Bytes of options the reply carries (a multiple of 4).
    pub(super) fn len(&self) -> usize {
        self.len as usize
    }

    /// `ip_options_build`: writes the options after the reply's 20-byte
    /// `header`, sets its IHL and checksum; the record route slot gets the
    /// reply's source address.
    pub(super) fn build(&self, header: &mut [u8], src: Ipv4Addr) {
        if self.len == 0 {
            return;
        }
        let len = self.len();
        header[20..20 + len].copy_from_slice(&self.bytes[..len]);
        if let Some(rr) = self.rr_fill {
            let rr = 20 + rr as usize;
            let at = rr + header[rr + 2] as usize - 5;
            header[at..at + 4].copy_from_slice(&src.octets());
        }
        header[0] = 0x40 | ((20 + len) / 4) as u8;
        fill_checksum(&mut header[..20 + len]);
    }
}

/// The IPv4 header checksum over `header` (its whole IHL).
fn fill_checksum(header: &mut [u8]) {
    header[10..12].fill(0);
    let mut sum: u32 = 0;
    for w in header.chunks(2) {
        sum += u32::from(u16::from_be_bytes([w[0], *w.get(1).unwrap_or(&0)]));
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    header[10..12].copy_from_slice(&(!(sum as u16)).to_be_bytes());
}

#[cfg(test)]
mod test {
    use super::*;

    const LAN: Ipv4Addr = Ipv4Addr::new(192, 168, 1, 1);

    fn header_with(options: &[u8]) -> Vec<u8> {
        let mut h = vec![0u8; 20];
        h[0] = 0x40 | ((20 + options.len()) / 4) as u8;
        h.extend_from_slice(options);
        h
    }

    #[test]
    fn record_route_with_room_gets_spec_dst_and_the_pointer_moves_on() {
        let mut h = header_with(&[7, 11, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        let opt = compile(&mut h, LAN).unwrap();
        assert_eq!(opt, IpOpt { rr: 20, rr_needaddr: true, changed: true });
        assert_eq!(&h[20..], &[7, 11, 8, 192, 168, 1, 1, 0, 0, 0, 0, 0]);
        let echo = Echo::of(&h, opt).unwrap();
        let mut reply = vec![0u8; 20 + echo.len()];
        echo.build(&mut reply, LAN);
        assert_eq!(&reply[20..], &[7, 11, 12, 192, 168, 1, 1, 192, 168, 1, 1, 0]);
        assert_eq!(reply[0], 0x48);
    }

    #[test]
    fn full_record_route_is_left_alone_and_a_partial_slot_is_a_parameter_problem() {
        let mut full = header_with(&[7, 7, 8, 1, 2, 3, 4, 0]);
        let opt = compile(&mut full, LAN).unwrap();
        assert_eq!(opt, IpOpt { rr: 20, rr_needaddr: false, changed: false });
        assert_eq!(&full[20..], &[7, 7, 8, 1, 2, 3, 4, 0]);
        let mut partial = header_with(&[7, 9, 8, 1, 2, 3, 4, 0, 0, 0, 0, 0]);
        assert_eq!(compile(&mut partial, LAN), Err(22));
        let mut bad_len = header_with(&[1, 7, 30, 0]);
        assert_eq!(compile(&mut bad_len, LAN), Err(21));
    }

    #[test]
    fn options_not_echoed_leave_the_reply_without_options() {
        let mut h = header_with(&[0x94, 4, 0, 0]);
        let opt = compile(&mut h, LAN).unwrap();
        assert_eq!(Echo::of(&h, opt).unwrap().len(), 0);
    }
}
