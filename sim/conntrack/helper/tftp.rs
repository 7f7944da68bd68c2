//! The TFTP helper's test (`nf_conntrack_tftp`): a read or write request
//! announces a transfer the server answers from another port. Any packet
//! of the master (even its first) whose opcode is RRQ (1) or WRQ (2) asks
//! for an expectation; DATA, ACK and ERROR are ignored.

/// Whether the UDP payload is a read or write request.
pub fn is_request(payload: &[u8]) -> bool {
    matches!(payload, [0, 1 | 2, ..])
}

#[cfg(test)]
mod test {
    #[test]
    fn only_requests_count() {
        assert!(super::is_request(b"\x00\x01file\x00octet\x00"));
        assert!(super::is_request(b"\x00\x02f\x00netascii\x00"));
        assert!(super::is_request(b"\x00\x01"), "two bytes are enough");
        assert!(!super::is_request(b"\x00\x03\x00\x01data"));
        assert!(!super::is_request(b"\x00"));
    }
}
