//! DNS messages on the wire (RFC 1035 §4.1): the 12-byte header, the
//! question, and answer records of type A and PTR (others are kept as
//! bytes). Only what a stub resolver and a small authoritative server
//! exchange over UDP.
//!
//! Parsing never trusts a length: every read is bounds-checked, names are
//! limited to 255 bytes and labels to 63 (§2.3.4), and a compression
//! pointer must point backwards (so a name cannot loop). Bad input is an
//! [`Error`], never a panic. Emitting writes names uncompressed.

use std::fmt;
use std::net::Ipv4Addr;

/// `A` (§3.2.2).
pub const TYPE_A: u16 = 1;
/// `PTR`.
pub const TYPE_PTR: u16 = 12;
/// `*` in a question: every type.
pub const TYPE_ANY: u16 = 255;
/// `IN`.
pub const CLASS_IN: u16 = 1;

/// Response codes (§4.1.1) a resolver acts on.
pub mod rcode {
    /// No error.
    pub const NOERROR: u8 = 0;
    /// The server could not read the query.
    pub const FORMERR: u8 = 1;
    /// The server failed.
    pub const SERVFAIL: u8 = 2;
    /// The name does not exist.
    pub const NXDOMAIN: u8 = 3;
    /// Not implemented.
    pub const NOTIMP: u8 = 4;
    /// Refused.
    pub const REFUSED: u8 = 5;
}

/// Why bytes are not a DNS message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Error {
    /// The message ends inside a field.
    Truncated,
    /// A label is longer than 63 bytes, or a label type is reserved.
    BadLabel,
    /// A name is longer than 255 bytes.
    NameTooLong,
    /// A compression pointer does not point backwards.
    BadPointer,
    /// An A record whose data is not 4 bytes.
    BadRdata,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Error::Truncated => "message truncated",
            Error::BadLabel => "bad label",
            Error::NameTooLong => "name longer than 255 bytes",
            Error::BadPointer => "compression pointer does not point backwards",
            Error::BadRdata => "record data of the wrong length",
        })
    }
}

/// A question: a name, its type and class.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Question {
    /// Dotted, without the final dot (`80.100.51.198.in-addr.arpa`).
    pub name: String,
    /// `TYPE_PTR`, `TYPE_A` ...
    pub qtype: u16,
    /// `CLASS_IN`.
    pub qclass: u16,
}

/// What a record holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Rdata {
    /// An IPv4 address.
    A(Ipv4Addr),
    /// A name (PTR).
    Ptr(String),
    /// Any other type, as bytes.
    Other(u16, Vec<u8>),
}

impl Rdata {
    /// The record type.
    pub fn rtype(&self) -> u16 {
        match self {
            Rdata::A(_) => TYPE_A,
            Rdata::Ptr(_) => TYPE_PTR,
            Rdata::Other(t, _) => *t,
        }
    }
}

/// A resource record of the answer section.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    /// Owner name.
    pub name: String,
    /// Class (`CLASS_IN`).
    pub class: u16,
    /// Time to live, seconds.
    pub ttl: u32,
    /// Type and data.
    pub data: Rdata,
}

/// A message: header fields, questions, answers. Authority and
/// additional records are counted but not read (a stub resolver reads
/// the answer section only).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Message {
    /// Matches an answer to its query.
    pub id: u16,
    /// QR: this is a response.
    pub response: bool,
    /// OPCODE (0: a standard query).
    pub opcode: u8,
    /// AA: the server is an authority for the name.
    pub authoritative: bool,
    /// TC: truncated, ask again over TCP.
    pub truncated: bool,
    /// RD: recursion desired.
    pub recursion_desired: bool,
    /// RA: recursion available.
    pub recursion_available: bool,
    /// RCODE.
    pub rcode: u8,
    /// The question section.
    pub questions: Vec<Question>,
    /// The answer section.
    pub answers: Vec<Record>,
    /// NSCOUNT as sent.
    pub authority_count: u16,
    /// ARCOUNT as sent.
    pub additional_count: u16,
}

/// The header's length.
pub const HEADER_LEN: usize = 12;
/// How many records a section may claim before we stop believing it: a
/// 512-byte UDP answer holds far fewer.
const SECTION_MAX: usize = 64;

/// Reads a big-endian u16 at `at`.
fn u16_at(b: &[u8], at: usize) -> Result<u16, Error> {
    let s = b.get(at..at + 2).ok_or(Error::Truncated)?;
    Ok(u16::from_be_bytes([s[0], s[1]]))
}

fn u32_at(b: &[u8], at: usize) -> Result<u32, Error> {
    let s = b.get(at..at + 4).ok_or(Error::Truncated)?;
    Ok(u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
}

/// Reads the name at `at`; returns it and the offset after it (after the
/// first pointer, when the name is compressed).
fn name_at(b: &[u8], at: usize) -> Result<(String, usize), Error> {
    let mut name = String::new();
    let mut wire_len = 0usize;
    let mut pos = at;
    let mut end = None;
    loop {
        let len = *b.get(pos).ok_or(Error::Truncated)? as usize;
        match len & 0xc0 {
            0x00 if len == 0 => {
                return Ok((name, end.unwrap_or(pos + 1)));
            }
            0x00 => {
                let label = b.get(pos + 1..pos + 1 + len).ok_or(Error::Truncated)?;
                wire_len += len + 1;
                if wire_len + 1 > 255 {
                    return Err(Error::NameTooLong);
                }
                if !name.is_empty() {
                    name.push('.');
                }
                push_label(&mut name, label);
                pos += 1 + len;
            }
            0xc0 => {
                let target = (u16_at(b, pos)? & 0x3fff) as usize;
                // Backwards only: each jump lands earlier, so this ends.
                if target >= pos {
                    return Err(Error::BadPointer);
                }
                end.get_or_insert(pos + 2);
                pos = target;
            }
            _ => return Err(Error::BadLabel),
        }
    }
}

/// A label as text: printable bytes as they are, `.` `\` and the rest as
/// `\DDD` (the master-file escape, §5.1).
fn push_label(out: &mut String, label: &[u8]) {
    for &c in label {
        if c.is_ascii_graphic() && c != b'.' && c != b'\\' {
            out.push(c as char);
        } else {
            out.push_str(&format!("\\{c:03}"));
        }
    }
}

/// Writes `name` as labels. Names we emit come from our own zone files
/// and questions we parsed, so escapes are not undone.
///
/// # Errors
/// A label longer than 63 bytes or a name longer than 255.
fn emit_name(out: &mut Vec<u8>, name: &str) -> Result<(), Error> {
    let start = out.len();
    for label in name.trim_end_matches('.').split('.').filter(|l| !l.is_empty()) {
        if label.len() > 63 {
            return Err(Error::BadLabel);
        }
        out.push(label.len() as u8);
        out.extend_from_slice(label.as_bytes());
    }
    out.push(0);
    if out.len() - start > 255 { Err(Error::NameTooLong) } else { Ok(()) }
}

/// Parses a message.
///
/// # Errors
/// The first thing that is not as RFC 1035 lays it out.
pub fn parse(b: &[u8]) -> Result<Message, Error> {
    if b.len() < HEADER_LEN {
        return Err(Error::Truncated);
    }
    let flags = u16_at(b, 2)?;
    let mut m = Message {
        id: u16_at(b, 0)?,
        response: flags & 0x8000 != 0,
        opcode: ((flags >> 11) & 0xf) as u8,
        authoritative: flags & 0x0400 != 0,
        truncated: flags & 0x0200 != 0,
        recursion_desired: flags & 0x0100 != 0,
        recursion_available: flags & 0x0080 != 0,
        rcode: (flags & 0xf) as u8,
        authority_count: u16_at(b, 8)?,
        additional_count: u16_at(b, 10)?,
        ..Message::default()
    };
    let (qd, an) = (u16_at(b, 4)? as usize, u16_at(b, 6)? as usize);
    if qd > SECTION_MAX || an > SECTION_MAX {
        return Err(Error::Truncated);
    }
    let mut pos = HEADER_LEN;
    for _ in 0..qd {
        let (name, next) = name_at(b, pos)?;
        m.questions.push(Question { name, qtype: u16_at(b, next)?, qclass: u16_at(b, next + 2)? });
        pos = next + 4;
    }
    for _ in 0..an {
        let (name, next) = name_at(b, pos)?;
        let (rtype, class, ttl) = (u16_at(b, next)?, u16_at(b, next + 2)?, u32_at(b, next + 4)?);
        let len = u16_at(b, next + 8)? as usize;
        let at = next + 10;
        let rdata = b.get(at..at + len).ok_or(Error::Truncated)?;
        let data = match rtype {
            TYPE_A => match rdata {
                [a, b2, c, d] => Rdata::A(Ipv4Addr::new(*a, *b2, *c, *d)),
                _ => return Err(Error::BadRdata),
            },
            TYPE_PTR => {
                let (target, after) = name_at(b, at)?;
                if after != at + len {
                    return Err(Error::BadRdata);
                }
                Rdata::Ptr(target)
            }
            t => Rdata::Other(t, rdata.to_vec()),
        };
        m.answers.push(Record { name, class, ttl, data });
        pos = at + len;
    }
    Ok(m)
}

impl Message {
    /// The message as bytes.
    ///
    /// # Errors
    /// A name that cannot be written (a label over 63 bytes, a name over 255).
    pub fn emit(&self) -> Result<Vec<u8>, Error> {
        let mut out = Vec::with_capacity(512);
        out.extend_from_slice(&self.id.to_be_bytes());
        let flags = (u16::from(self.response) << 15)
            | (u16::from(self.opcode & 0xf) << 11)
            | (u16::from(self.authoritative) << 10)
            | (u16::from(self.truncated) << 9)
            | (u16::from(self.recursion_desired) << 8)
            | (u16::from(self.recursion_available) << 7)
            | u16::from(self.rcode & 0xf);
        out.extend_from_slice(&flags.to_be_bytes());
        for n in [self.questions.len(), self.answers.len(), 0, 0] {
            out.extend_from_slice(&(n.min(u16::MAX as usize) as u16).to_be_bytes());
        }
        for q in &self.questions {
            emit_name(&mut out, &q.name)?;
            out.extend_from_slice(&q.qtype.to_be_bytes());
            out.extend_from_slice(&q.qclass.to_be_bytes());
        }
        for r in &self.answers {
            emit_name(&mut out, &r.name)?;
            out.extend_from_slice(&r.data.rtype().to_be_bytes());
            out.extend_from_slice(&r.class.to_be_bytes());
            out.extend_from_slice(&r.ttl.to_be_bytes());
            let mut data = Vec::new();
            match &r.data {
                Rdata::A(a) => data.extend_from_slice(&a.octets()),
                Rdata::Ptr(n) => emit_name(&mut data, n)?,
                Rdata::Other(_, bytes) => data.extend_from_slice(bytes),
            }
            out.extend_from_slice(&(data.len() as u16).to_be_bytes());
            out.extend_from_slice(&data);
        }
        Ok(out)
    }

    /// A standard query for `name` of type `qtype`, recursion desired (as
    /// `res_mkquery` builds it).
    pub fn query(id: u16, name: &str, qtype: u16) -> Message {
        Message {
            id,
            recursion_desired: true,
            questions: vec![Question { name: name.to_string(), qtype, qclass: CLASS_IN }],
            ..Message::default()
        }
    }
}

/// The name a reverse lookup asks for: `198.51.100.80` →
/// `80.100.51.198.in-addr.arpa` (RFC 1035 §3.5).
pub fn reverse_name(a: Ipv4Addr) -> String {
    let o = a.octets();
    format!("{}.{}.{}.{}.in-addr.arpa", o[3], o[2], o[1], o[0])
}

/// Names compare without regard to case or a final dot (§2.3.3).
pub fn same_name(a: &str, b: &str) -> bool {
    a.trim_end_matches('.').eq_ignore_ascii_case(b.trim_end_matches('.'))
}

#[cfg(test)]
mod test {
    use super::*;

    /// A PTR answer as a server with compression sends it: the answer's
    /// owner is a pointer to the question's name (offset 12).
    const PTR_ANSWER: &[u8] = &[
        0x12, 0x34, 0x85, 0x80, 0, 1, 0, 1, 0, 0, 0, 0, // header: QR AA RD RA, 1 question, 1 answer
        2, b'8', b'0', 3, b'1', b'0', b'0', 2, b'5', b'1', 3, b'1', b'9', b'8', 7, b'i', b'n', b'-', b'a', b'd', b'd',
        b'r', 4, b'a', b'r', b'p', b'a', 0, 0, 12, 0, 1, // question
        0xc0, 12, 0, 12, 0, 1, 0, 0, 0x0e, 0x10, 0, 17, // answer header, rdlength 17
        3, b'w', b'w', b'w', 7, b'e', b'x', b'a', b'm', b'p', b'l', b'e', 3, b'n', b'e', b't', 0,
    ];

    #[test]
    fn a_compressed_ptr_answer_deconstructs() {
        let m = parse(PTR_ANSWER).unwrap();
        assert_eq!(m.id, 0x1234);
        assert!(m.response && m.authoritative && m.recursion_desired && m.recursion_available);
        assert_eq!(m.rcode, rcode::NOERROR);
        assert_eq!(m.questions[0].name, "80.100.51.198.in-addr.arpa");
        assert_eq!(m.questions[0].qtype, TYPE_PTR);
        assert_eq!(m.answers[0].name, "80.100.51.198.in-addr.arpa");
        assert_eq!(m.answers[0].ttl, 3600);
        assert_eq!(m.answers[0].data, Rdata::Ptr("www.example.net".into()));
    }

    #[test]
    fn emit_then_parse_gives_the_message_back() {
        let mut m = Message::query(7, &reverse_name(Ipv4Addr::new(198, 51, 100, 80)), TYPE_PTR);
        m.response = true;
        m.rcode = rcode::NXDOMAIN;
        m.answers.push(Record {
            name: "a.example".into(),
            class: CLASS_IN,
            ttl: 5,
            data: Rdata::A([1, 2, 3, 4].into()),
        });
        m.answers.push(Record { name: "x".into(), class: CLASS_IN, ttl: 0, data: Rdata::Other(16, vec![1, b'a']) });
        assert_eq!(parse(&m.emit().unwrap()).unwrap(), m);
    }

    #[test]
    fn malformed_messages_are_errors() {
        assert_eq!(parse(&PTR_ANSWER[..11]), Err(Error::Truncated));
        for cut in 12..PTR_ANSWER.len() {
            assert!(parse(&PTR_ANSWER[..cut]).is_err(), "cut at {cut}");
        }
        // A pointer to itself, and one pointing forwards.
        let mut looped = PTR_ANSWER.to_vec();
        looped[45] = 44;
        assert_eq!(parse(&looped), Err(Error::BadPointer));
        looped[45] = 60;
        assert_eq!(parse(&looped), Err(Error::BadPointer));
        // A reserved label type (0x40).
        let mut reserved = PTR_ANSWER.to_vec();
        reserved[12] = 0x41;
        assert_eq!(parse(&reserved), Err(Error::BadLabel));
        // An A record with 3 bytes of data.
        let a = [0, 1, 0x81, 0x80, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 3, 1, 2, 3];
        assert_eq!(parse(&a), Err(Error::BadRdata));
        // A name made of 128 one-byte labels is over 255 bytes.
        let mut long = vec![0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0];
        for _ in 0..128 {
            long.extend_from_slice(&[1, b'a']);
        }
        long.extend_from_slice(&[0, 0, 12, 0, 1]);
        assert_eq!(parse(&long), Err(Error::NameTooLong));
        assert_eq!(emit_name(&mut Vec::new(), &"a".repeat(64)), Err(Error::BadLabel));
    }

    #[test]
    fn odd_bytes_in_labels_are_escaped() {
        let mut b = vec![0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 3, b'a', b'.', 0xff, 0, 0, 12, 0, 1];
        assert_eq!(parse(&b).unwrap().questions[0].name, "a\\046\\255");
        b[13] = b'\\';
        assert_eq!(parse(&b).unwrap().questions[0].name, "\\092\\046\\255");
    }

    #[test]
    fn reverse_names_and_comparison() {
        assert_eq!(reverse_name(Ipv4Addr::new(192, 0, 2, 1)), "1.2.0.192.in-addr.arpa");
        assert!(same_name("WWW.Example.NET.", "www.example.net"));
        assert!(!same_name("www.example.net", "www.example.org"));
    }

    proptest::proptest! {
        /// Arbitrary bytes, and mutations of a real answer, never panic the
        /// parser (the `dns_parse` fuzz target's property, in `cargo test`).
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..600)) {
            let _ = parse(&bytes);
        }

        #[test]
        fn mutated_answers_never_panic(at in 0usize..PTR_ANSWER.len(), v in proptest::num::u8::ANY, cut in 0usize..80) {
            let mut b = PTR_ANSWER.to_vec();
            b[at] = v;
            b.truncate(PTR_ANSWER.len().saturating_sub(cut % 8));
            if let Ok(m) = parse(&b) {
                // What parsed emits again (names we read are at most 255 bytes).
                let _ = m.emit();
            }
        }
    }
}
