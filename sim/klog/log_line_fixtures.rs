//! LOG lines captured from Linux 6.18.44 (iptables-legacy 1.8.9), one per
//! packet and rule: each frame was injected with an AF_PACKET socket into a
//! scratch namespace's `eth0`, logged by these rules in raw PREROUTING
//! (`nfA`: no flags; `nfB`: `--log-tcp-sequence --log-tcp-options
//! --log-ip-options --log-level 6`; `nfC`: `--log-macdecode --log-level 7`),
//! mangle PREROUTING after `MARK --set-mark 0x2a` (`nfM`) and filter FORWARD
//! (`nfF`, `OUT=eth1`, TTL already decremented), and read from `/dev/kmsg`.

/// One injected frame and the lines the kernel printed for it.
pub(super) struct Fixture {
    /// What the packet exercises.
    pub name: &'static str,
    /// The Ethernet frame, in hex.
    pub frame: &'static str,
    /// (printk level, line) in the order printed.
    pub lines: &'static [(u8, &'static str)],
}

/// Every capture.
pub(super) const FIXTURES: &[Fixture] = &[
    Fixture {
        name: "t_syn",
        frame: "02000000010102000000010208004500003c8eeb4000400695340a4d01020a4d01019c4000163cf76adc00000000a002faf0fc9e0000020405b40402080a865f6f4a0000000001030307",
        lines: &[
            (
                4,
                "nfA IN=eth0 OUT= MAC=02:00:00:00:01:01:02:00:00:00:01:02:08:00 SRC=10.77.1.2 DST=10.77.1.1 LEN=60 TOS=0x00 PREC=0x00 TTL=64 ID=36587 DF PROTO=TCP SPT=40000 DPT=22 WINDOW=64240 RES=0x00 SYN URGP=0 ",
            ),
            (
                6,
                "nfB IN=eth0 OUT= MAC=02:00:00:00:01:01:02:00:00:00:01:02:08:00 SRC=10.77.1.2 DST=10.77.1.1 LEN=60 TOS=0x00 PREC=0x00 TTL=64 ID=36587 DF PROTO=TCP SPT=40000 DPT=22 SEQ=1022847708 ACK=0 WINDOW=64240 RES=0x00 SYN URGP=0 OPT (020405B40402080A865F6F4A0000000001030307) ",
            ),
            (
                7,
                "nfC IN=eth0 OUT= MACSRC=02:00:00:00:01:02 MACDST=02:00:00:00:01:01 MACPROTO=0800 SRC=10.77.1.2 DST=10.77.1.1 LEN=60 TOS=0x00 PREC=0x00 TTL=64 ID=36587 DF PROTO=TCP SPT=40000 DPT=22 WINDOW=64240 RES=0x00 SYN URGP=0 ",
            ),
        ],
    },
    Fixture {
        name: "t_ack_psh",
        frame: "02000000010102000000010208004500002d000240004006242d0a4d01020a4d01019c400016000000050000004d501801f6b6ba000068656c6c6f",
        lines: &[
            (
                4,
                "nfA IN=eth0 OUT= MAC=02:00:00:00:01:01:02:00:00:00:01:02:08:00 SRC=10.77.1.2 DST=10.77.1.1 LEN=45 TOS=0x00 PREC=0x00 TTL=64 ID=2 DF PROTO=TCP SPT=40000 DPT=22 WINDOW=502 RES=0x00 ACK PSH URGP=0 ",
            ),
            (
                6,
                "nfB IN=eth0 OUT= MAC=02:00:00:00:01:01:02:00:00:00:01:02:08:00 SRC=10.77.1.2 DST=10.77.1.1 LEN=45 TOS=0x00 PREC=0x00 TTL=64 ID=2 DF PROTO=TCP SPT=40000 DPT=22 SEQ=5 ACK=77 WINDOW=502 RES=0x00 ACK PSH URGP=0 ",
            ),
            (
                7,
                "nfC IN=eth0 OUT= MACSRC=02:00:00:00:01:02 MACDST=02:00:00:00:01:01 MACPROTO=0800 SRC=10.77.1.2 DST=10.77.1.1 LEN=45 TOS=0x00 PREC=0x00 TTL=64 ID=2 DF PROTO=TCP SPT=40000 DPT=22 WINDOW=502 RES=0x00 ACK PSH URGP=0 ",
            ),
        ],
    },
    Fixture {
        name: "t_rst",
        frame: "02000000010102000000010208004500002800004000400624340a4d01020a4d01019c400016000000070000000050040000fce60000",
        lines: &[
            (
                4,
                "nfA IN=eth0 OUT= MAC=02:00:00:00:01:01:02:00:00:00:01:02:08:00 SRC=10.77.1.2 DST=10.77.1.1 LEN=40 TOS=0x00 PREC=0x00 TTL=64 ID=0 DF PROTO=TCP SPT=40000 DPT=22 WINDOW=0 RES=0x00 RST URGP=0 ",
            ),
            (
                6,
                "nfB IN=eth0 OUT= MAC=02:00:00:00:01:01:02:00:00:00:01:02:08:00 SRC=10.77.1.2 DST=10.77.1.1 LEN=40 TOS=0x00 PREC=0x00 TTL=64 ID=0 DF PROTO=TCP SPT=40000 DPT=22 SEQ=7 ACK=0 WINDOW=0 RES=0x00 RST URGP=0 ",
            ),
            (
                7,
                "nfC IN=eth0 OUT= MACSRC=02:00:00:00:01:02 MACDST=02:00:00:00:01:01 MACPROTO=0800 SRC=10.77.1.2 DST=10.77.1.1 LEN=40 TOS=0x00 PREC=0x00 TTL=64 ID=0 DF PROTO=TCP SPT=40000 DPT=22 WINDOW=0 RES=0x00 RST URGP=0 ",
            ),
        ],
    },
    Fixture {
        name: "t_allflags",
        frame: "02000000010102000000010208004500002812344000400612000a4d01020a4d010100010002000003e8000000005fe1faf08a840007",
        lines: &[
            (
                4,
                "nfA IN=eth0 OUT= MAC=02:00:00:00:01:01:02:00:00:00:01:02:08:00 SRC=10.77.1.2 DST=10.77.1.1 LEN=40 TOS=0x00 PREC=0x00 TTL=64 ID=4660 DF PROTO=TCP SPT=1 DPT=2 WINDOW=64240 RES=0x38 AE CWR ECE URG FIN URGP=7 ",
            ),
            (
                6,
                "nfB IN=eth0 OUT= MAC=02:00:00:00:01:01:02:00:00:00:01:02:08:00 SRC=10.77.1.2 DST=10.77.1.1 LEN=40 TOS=0x00 PREC=0x00 TTL=64 ID=4660 DF PROTO=TCP SPT=1 DPT=2 SEQ=1000 ACK=0 WINDOW=64240 RES=0x38 AE CWR ECE URG FIN URGP=7 ",
            ),
            (
                7,
                "nfC IN=eth0 OUT= MACSRC=02:00:00:00:01:02 MACDST=02:00:00:00:01:01 MACPROTO=0800 SRC=10.77.1.2 DST=10.77.1.1 LEN=40 TOS=0x00 PREC=0x00 TTL=64 ID=4660 DF PROTO=TCP SPT=1 DPT=2 WINDOW=64240 RES=0x38 AE CWR ECE URG FIN URGP=7 ",
            ),
        ],
    },
    Fixture {
        name: "t_res2",
        frame: "02000000010102000000010208004500002812344000400612000a4d01020a4d010100010002000003e8000000005202faf0986a0000",
        lines: &[
            (
                4,
                "nfA IN=eth0 OUT= MAC=02:00:00:00:01:01:02:00:00:00:01:02:08:00 SRC=10.77.1.2 DST=10.77.1.1 LEN=40 TOS=0x00 PREC=0x00 TTL=64 ID=4660 DF PROTO=TCP SPT=1 DPT=2 WINDOW=64240 RES=0x08 SYN URGP=0 ",
            ),
            (
                6,
                "nfB IN=eth0 OUT= MAC=02:00:00:00:01:01:02:00:00:00:01:02:08:00 SRC=10.77.1.2 DST=10.77.1.1 LEN=40 TOS=0x00 PREC=0x00 TTL=64 ID=4660 DF PROTO=TCP SPT=1 DPT=2 SEQ=1000 ACK=0 WINDOW=64240 RES=0x08 SYN URGP=0 ",
            ),
            (
                7,
                "nfC IN=eth0 OUT= MACSRC=02:00:00:00:01:02 MACDST=02:00:00:00:01:01 MACPROTO=0800 SRC=10.77.1.2 DST=10.77.1.1 LEN=40 TOS=0x00 PREC=0x00 TTL=64 ID=4660 DF PROTO=TCP SPT=1 DPT=2 WINDOW=64240 RES=0x08 SYN URGP=0 ",
            ),
        ],
    },
    Fixture {
        name: "t_trunc",
        frame: "02000000010102000000010208004500001e123440004006120a0a4d01020a4d010100010002000003e80000",
        lines: &[
            (
                4,
                "nfA IN=eth0 OUT= MAC=02:00:00:00:01:01:02:00:00:00:01:02:08:00 SRC=10.77.1.2 DST=10.77.1.1 LEN=30 TOS=0x00 PREC=0x00 TTL=64 ID=4660 DF PROTO=TCP INCOMPLETE [10 bytes] ",
            ),
            (
                6,
                "nfB IN=eth0 OUT= MAC=02:00:00:00:01:01:02:00:00:00:01:02:08:00 SRC=10.77.1.2 DST=10.77.1.1 LEN=30 TOS=0x00 PREC=0x00 TTL=64 ID=4660 DF PROTO=TCP INCOMPLETE [10 bytes] ",
            ),
            (
                7,
                "nfC IN=eth0 OUT= MACSRC=02:00:00:00:01:02 MACDST=02:00:00:00:01:01 MACPROTO=0800 SRC=10.77.1.2 DST=10.77.1.1 LEN=30 TOS=0x00 PREC=0x00 TTL=64 ID=4660 DF PROTO=TCP INCOMPLETE [10 bytes] ",
            ),
        ],
    },
    Fixture {
        name: "t_optrunc",
        frame: "02000000010102000000010208004500002c12344000400611fc0a4d01020a4d010100010002000003e800000000f002faf08864000001010101",
        lines: &[
            (
                4,
                "nfA IN=eth0 OUT= MAC=02:00:00:00:01:01:02:00:00:00:01:02:08:00 SRC=10.77.1.2 DST=10.77.1.1 LEN=44 TOS=0x00 PREC=0x00 TTL=64 ID=4660 DF PROTO=TCP SPT=1 DPT=2 WINDOW=64240 RES=0x00 SYN URGP=0 ",
            ),
            (
                6,
                "nfB IN=eth0 OUT= MAC=02:00:00:00:01:01:02:00:00:00:01:02:08:00 SRC=10.77.1.2 DST=10.77.1.1 LEN=44 TOS=0x00 PREC=0x00 TTL=64 ID=4660 DF PROTO=TCP SPT=1 DPT=2 SEQ=1000 ACK=0 WINDOW=64240 RES=0x00 SYN URGP=0 OPT (TRUNCATED)",
            ),
            (
                7,
                "nfC IN=eth0 OUT= MACSRC=02:00:00:00:01:02 MACDST=02:00:00:00:01:01 MACPROTO=0800 SRC=10.77.1.2 DST=10.77.1.1 LEN=44 TOS=0x00 PREC=0x00 TTL=64 ID=4660 DF PROTO=TCP SPT=1 DPT=2 WINDOW=64240 RES=0x00 SYN URGP=0 ",
            ),
        ],
    },
    Fixture {
        name: "u_dns",
        frame: "020000000101020000000102080045000027506340004011d3c60a4d01020a4d0101cf0800350013881f68656c6c6f20776f726c64",
        lines: &[
            (
                4,
                "nfA IN=eth0 OUT= MAC=02:00:00:00:01:01:02:00:00:00:01:02:08:00 SRC=10.77.1.2 DST=10.77.1.1 LEN=39 TOS=0x00 PREC=0x00 TTL=64 ID=20579 DF PROTO=UDP SPT=53000 DPT=53 LEN=19 ",
            ),
            (
                6,
                "nfB IN=eth0 OUT= MAC=02:00:00:00:01:01:02:00:00:00:01:02:08:00 SRC=10.77.1.2 DST=10.77.1.1 LEN=39 TOS=0x00 PREC=0x00 TTL=64 ID=20579 DF PROTO=UDP SPT=53000 DPT=53 LEN=19 ",
            ),
            (
                7,
                "nfC IN=eth0 OUT= MACSRC=02:00:00:00:01:02 MACDST=02:00:00:00:01:01 MACPROTO=0800 SRC=10.77.1.2 DST=10.77.1.1 LEN=39 TOS=0x00 PREC=0x00 TTL=64 ID=20579 DF PROTO=UDP SPT=53000 DPT=53 LEN=19 ",
            ),
        ],
    },
    Fixture {
        name: "u_zero",
        frame: "02000000010102000000010208004500001d12344000401112000a4d01020a4d0101000100020009000078",
        lines: &[
            (
                4,
                "nfA IN=eth0 OUT= MAC=02:00:00:00:01:01:02:00:00:00:01:02:08:00 SRC=10.77.1.2 DST=10.77.1.1 LEN=29 TOS=0x00 PREC=0x00 TTL=64 ID=4660 DF PROTO=UDP SPT=1 DPT=2 LEN=9 ",
            ),
            (
                6,
                "nfB IN=eth0 OUT= MAC=02:00:00:00:01:01:02:00:00:00:01:02:08:00 SRC=10.77.1.2 DST=10.77.1.1 LEN=29 TOS=0x00 PREC=0x00 TTL=64 ID=4660 DF PROTO=UDP SPT=1 DPT=2 LEN=9 ",
            ),
            (
                7,
                "nfC IN=eth0 OUT= MACSRC=02:00:00:00:01:02 MACDST=02:00:00:00:01:01 MACPROTO=0800 SRC=10.77.1.2 DST=10.77.1.1 LEN=29 TOS=0x00 PREC=0x00 TTL=64 ID=4660 DF PROTO=UDP SPT=1 DPT=2 LEN=9 ",
            ),
        ],
    },
    Fixture {
        name: "u_trunc",
        frame: "02000000010102000000010208004500001812344000401112050a4d01020a4d010100010002",
        lines: &[
            (
                4,
                "nfA IN=eth0 OUT= MAC=02:00:00:00:01:01:02:00:00:00:01:02:08:00 SRC=10.77.1.2 DST=10.77.1.1 LEN=24 TOS=0x00 PREC=0x00 TTL=64 ID=4660 DF PROTO=UDP INCOMPLETE [4 bytes] ",
            ),
            (
                6,
                "nfB IN=eth0 OUT= MAC=02:00:00:00:01:01:02:00:00:00:01:02:08:00 SRC=10.77.1.2 DST=10.77.1.1 LEN=24 TOS=0x00 PREC=0x00 TTL=64 ID=4660 DF PROTO=UDP INCOMPLETE [4 bytes] ",
            ),
            (
                7,
                "nfC IN=eth0 OUT= MACSRC=02:00:00:00:01:02 MACDST=02:00:00:00:01:01 MACPROTO=0800 SRC=10.77.1.2 DST=10.77.1.1 LEN=24 TOS=0x00 PREC=0x00 TTL=64 ID=4660 DF PROTO=UDP INCOMPLETE [4 bytes] ",
            ),
        ],
    },
    Fixture {
        name: "udplite",
        frame: "02000000010102000000010208004500002012344000408811860a4d01020a4d010100050006000c23f161626364",
        lines: &[
            (
                4,
                "nfA IN=eth0 OUT= MAC=02:00:00:00:01:01:02:00:00:00:01:02:08:00 SRC=10.77.1.2 DST=10.77.1.1 LEN=32 TOS=0x00 PREC=0x00 TTL=64 ID=4660 DF PROTO=UDPLITE SPT=5 DPT=6 LEN=12 ",
            ),
            (
                6,
                "nfB IN=eth0 OUT= MAC=02:00:00:00:01:01:02:00:00:00:01:02:08:00 SRC=10.77.1.2 DST=10.77.1.1 LEN=32 TOS=0x00 PREC=0x00 TTL=64 ID=4660 DF PROTO=UDPLITE SPT=5 DPT=6 LEN=12 ",
            ),
            (
                7,
                "nfC IN=eth0 OUT= MACSRC=02:00:00:00:01:02 MACDST=02:00:00:00:01:01 MACPROTO=0800 SRC=10.77.1.2 DST=10.77.1.1 LEN=32 TOS=0x00 PREC=0x00 TTL=64 ID=4660 DF PROTO=UDPLITE SPT=5 DPT=6 LEN=12 ",
            ),
        ],
    },
    Fixture {
        name: "i_echo",
        frame: "02000000010102000000010208004500005491604000400192ac0a4d01020a4d01010800aba74c5700010000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000",
        lines: &[
            (
                4,
                "nfA IN=eth0 OUT= MAC=02:00:00:00:01:01:02:00:00:00:01:02:08:00 SRC=10.77.1.2 DST=10.77.1.1 LEN=84 TOS=0x00 PREC=0x00 TTL=64 ID=37216 DF PROTO=ICMP TYPE=8 CODE=0 ID=19543 SEQ=1 ",
            ),
            (
                6,
                "nfB IN=eth0 OUT= MAC=02:00:00:00:01:01:02:00:00:00:01:02:08:00 SRC=10.77.1.2 DST=10.77.1.1 LEN=84 TOS=0x00 PREC=0x00 TTL=64 ID=37216 DF PROTO=ICMP TYPE=8 CODE=0 ID=19543 SEQ=1 ",
            ),
            (
                7,
                "nfC IN=eth0 OUT= MACSRC=02:00:00:00:01:02 MACDST=02:00:00:00:01:01 MACPROTO=0800 SRC=10.77.1.2 DST=10.77.1.1 LEN=84 TOS=0x00 PREC=0x00 TTL=64 ID=37216 DF PROTO=ICMP TYPE=8 CODE=0 ID=19543 SEQ=1 ",
            ),
        ],
    },
    Fixture {
        name: "i_reply",
        frame: "02000000010102000000010208004500001f123440004001120e0a4d01020a4d010100003b960007ffff616263",
        lines: &[
            (
                4,
                "nfA IN=eth0 OUT= MAC=02:00:00:00:01:01:02:00:00:00:01:02:08:00 SRC=10.77.1.2 DST=10.77.1.1 LEN=31 TOS=0x00 PREC=0x00 TTL=64 ID=4660 DF PROTO=ICMP TYPE=0 CODE=0 ID=7 SEQ=65535 ",
            ),
            (
                6,
                "nfB IN=eth0 OUT= MAC=02:00:00:00:01:01:02:00:00:00:01:02:08:00 SRC=10.77.1.2 DST=10.77.1.1 LEN=31 TOS=0x00 PREC=0x00 TTL=64 ID=4660 DF PROTO=ICMP TYPE=0 CODE=0 ID=7 SEQ=65535 ",
            ),
            (
                7,
                "nfC IN=eth0 OUT= MACSRC=02:00:00:00:01:02 MACDST=02:00:00:00:01:01 MACPROTO=0800 SRC=10.77.1.2 DST=10.77.1.1 LEN=31 TOS=0x00 PREC=0x00 TTL=64 ID=4660 DF PROTO=ICMP TYPE=0 CODE=0 ID=7 SEQ=65535 ",
            ),
        ],
    },
    Fixture {
        name: "i_unreach_udp",
        frame: "020000000101020000000102080045c0003b661100004001fd540a4d01020a4d0101030313b6000000004500001f506340004011d3ce0a4d01010a4d0102b05a1389000b60f5616263",
        lines: &[
            (
                4,
                "nfA IN=eth0 OUT= MAC=02:00:00:00:01:01:02:00:00:00:01:02:08:00 SRC=10.77.1.2 DST=10.77.1.1 LEN=59 TOS=0x00 PREC=0xC0 TTL=64 ID=26129 PROTO=ICMP TYPE=3 CODE=3 [SRC=10.77.1.1 DST=10.77.1.2 LEN=31 TOS=0x00 PREC=0x00 TTL=64 ID=20579 DF PROTO=UDP SPT=45146 DPT=5001 LEN=11 ] ",
            ),
            (
                6,
                "nfB IN=eth0 OUT= MAC=02:00:00:00:01:01:02:00:00:00:01:02:08:00 SRC=10.77.1.2 DST=10.77.1.1 LEN=59 TOS=0x00 PREC=0xC0 TTL=64 ID=26129 PROTO=ICMP TYPE=3 CODE=3 [SRC=10.77.1.1 DST=10.77.1.2 LEN=31 TOS=0x00 PREC=0x00 TTL=64 ID=20579 DF PROTO=UDP SPT=45146 DPT=5001 LEN=11 ] ",
            ),
            (
                7,
                "nfC IN=eth0 OUT= MACSRC=02:00:00:00:01:02 MACDST=02:00:00:00:01:01 MACPROTO=0800 SRC=10.77.1.2 DST=10.77.1.1 LEN=59 TOS=0x00 PREC=0xC0 TTL=64 ID=26129 PROTO=ICMP TYPE=3 CODE=3 [SRC=10.77.1.1 DST=10.77.1.2 LEN=31 TOS=0x00 PREC=0x00 TTL=64 ID=20579 DF PROTO=UDP SPT=45146 DPT=5001 LEN=11 ] ",
            ),
        ],
    },
    Fixture {
        name: "i_unreach_tcp8",
        frame: "02000000010102000000010208004500003812340000400151f50a4d01020a4d010103016045000000004500002800004000400624340a4d01010a4d010200169c4000000063",
        lines: &[
            (
                4,
                "nfA IN=eth0 OUT= MAC=02:00:00:00:01:01:02:00:00:00:01:02:08:00 SRC=10.77.1.2 DST=10.77.1.1 LEN=56 TOS=0x00 PREC=0x00 TTL=64 ID=4660 PROTO=ICMP TYPE=3 CODE=1 [SRC=10.77.1.1 DST=10.77.1.2 LEN=40 TOS=0x00 PREC=0x00 TTL=64 ID=0 DF PROTO=TCP INCOMPLETE [8 bytes] ] ",
            ),
            (
                6,
                "nfB IN=eth0 OUT= MAC=02:00:00:00:01:01:02:00:00:00:01:02:08:00 SRC=10.77.1.2 DST=10.77.1.1 LEN=56 TOS=0x00 PREC=0x00 TTL=64 ID=4660 PROTO=ICMP TYPE=3 CODE=1 [SRC=10.77.1.1 DST=10.77.1.2 LEN=40 TOS=0x00 PREC=0x00 TTL=64 ID=0 DF PROTO=TCP INCOMPLETE [8 bytes] ] ",
            ),
            (
                7,
                "nfC IN=eth0 OUT= MACSRC=02:00:00:00:01:02 MACDST=02:00:00:00:01:01 MACPROTO=0800 SRC=10.77.1.2 DST=10.77.1.1 LEN=56 TOS=0x00 PREC=0x00 TTL=64 ID=4660 PROTO=ICMP TYPE=3 CODE=1 [SRC=10.77.1.1 DST=10.77.1.2 LEN=40 TOS=0x00 PREC=0x00 TTL=64 ID=0 DF PROTO=TCP INCOMPLETE [8 bytes] ] ",
            ),
        ],
    },
    Fixture {
        name: "i_fragneeded",
        frame: "02000000010102000000010208004500004412340000400151e90a4d01020a4d010103040e3b000005784500002800004000400624340a4d01010a4d010200169c40000000633cf76add5012faf059b70000",
        lines: &[
            (
                4,
                "nfA IN=eth0 OUT= MAC=02:00:00:00:01:01:02:00:00:00:01:02:08:00 SRC=10.77.1.2 DST=10.77.1.1 LEN=68 TOS=0x00 PREC=0x00 TTL=64 ID=4660 PROTO=ICMP TYPE=3 CODE=4 [SRC=10.77.1.1 DST=10.77.1.2 LEN=40 TOS=0x00 PREC=0x00 TTL=64 ID=0 DF PROTO=TCP SPT=22 DPT=40000 WINDOW=64240 RES=0x00 ACK SYN URGP=0 ] MTU=1400 ",
            ),
            (
                6,
                "nfB IN=eth0 OUT= MAC=02:00:00:00:01:01:02:00:00:00:01:02:08:00 SRC=10.77.1.2 DST=10.77.1.1 LEN=68 TOS=0x00 PREC=0x00 TTL=64 ID=4660 PROTO=ICMP TYPE=3 CODE=4 [SRC=10.77.1.1 DST=10.77.1.2 LEN=40 TOS=0x00 PREC=0x00 TTL=64 ID=0 DF PROTO=TCP SPT=22 DPT=40000 SEQ=99 ACK=1022847709 WINDOW=64240 RES=0x00 ACK SYN URGP=0 ] MTU=1400 ",
            ),
            (
                7,
                "nfC IN=eth0 OUT= MACSRC=02:00:00:00:01:02 MACDST=02:00:00:00:01:01 MACPROTO=0800 SRC=10.77.1.2 DST=10.77.1.1 LEN=68 TOS=0x00 PREC=0x00 TTL=64 ID=4660 PROTO=ICMP TYPE=3 CODE=4 [SRC=10.77.1.1 DST=10.77.1.2 LEN=40 TOS=0x00 PREC=0x00 TTL=64 ID=0 DF PROTO=TCP SPT=22 DPT=40000 WINDOW=64240 RES=0x00 ACK SYN URGP=0 ] MTU=1400 ",
            ),
        ],
    },
    Fixture {
        name: "i_redirect",
        frame: "02000000010102000000010208004500003b12340000400151f20a4d01020a4d0101050106620a4d01094500001f506340004011d3ce0a4d01010a4d0102b05a1389000b60f5616263",
        lines: &[
            (
                4,
                "nfA IN=eth0 OUT= MAC=02:00:00:00:01:01:02:00:00:00:01:02:08:00 SRC=10.77.1.2 DST=10.77.1.1 LEN=59 TOS=0x00 PREC=0x00 TTL=64 ID=4660 PROTO=ICMP TYPE=5 CODE=1 GATEWAY=10.77.1.9 [SRC=10.77.1.1 DST=10.77.1.2 LEN=31 TOS=0x00 PREC=0x00 TTL=64 ID=20579 DF PROTO=UDP SPT=45146 DPT=5001 LEN=11 ] ",
            ),
            (
                6,
                "nfB IN=eth0 OUT= MAC=02:00:00:00:01:01:02:00:00:00:01:02:08:00 SRC=10.77.1.2 DST=10.77.1.1 LEN=59 TOS=0x00 PREC=0x00 TTL=64 ID=4660 PROTO=ICMP TYPE=5 CODE=1 GATEWAY=10.77.1.9 [SRC=10.77.1.1 DST=10.77.1.2 LEN=31 TOS=0x00 PREC=0x00 TTL=64 ID=20579 DF PROTO=UDP SPT=45146 DPT=5001 LEN=11 ] ",
            ),
            (
                7,
                "nfC IN=eth0 OUT= MACSRC=02:00:00:00:01:02 MACDST=02:00:00:00:01:01 MACPROTO=0800 SRC=10.77.1.2 DST=10.77.1.1 LEN=59 TOS=0x00 PREC=0x00 TTL=64 ID=4660 PROTO=ICMP TYPE=5 CODE=1 GATEWAY=10.77.1.9 [SRC=10.77.1.1 DST=10.77.1.2 LEN=31 TOS=0x00 PREC=0x00 TTL=64 ID=20579 DF PROTO=UDP SPT=45146 DPT=5001 LEN=11 ] ",
            ),
        ],
    },
    Fixture {
        name: "i_timex",
        frame: "02000000010102000000010208004500004012340000400151ed0a4d01020a4d01010b00f4ff000000004500002412344000010151090a4d01010a4d01020800f7f4000500060000000000000000",
        lines: &[
            (
                4,
                "nfA IN=eth0 OUT= MAC=02:00:00:00:01:01:02:00:00:00:01:02:08:00 SRC=10.77.1.2 DST=10.77.1.1 LEN=64 TOS=0x00 PREC=0x00 TTL=64 ID=4660 PROTO=ICMP TYPE=11 CODE=0 [SRC=10.77.1.1 DST=10.77.1.2 LEN=36 TOS=0x00 PREC=0x00 TTL=1 ID=4660 DF PROTO=ICMP TYPE=8 CODE=0 ID=5 SEQ=6 ] ",
            ),
            (
                6,
                "nfB IN=eth0 OUT= MAC=02:00:00:00:01:01:02:00:00:00:01:02:08:00 SRC=10.77.1.2 DST=10.77.1.1 LEN=64 TOS=0x00 PREC=0x00 TTL=64 ID=4660 PROTO=ICMP TYPE=11 CODE=0 [SRC=10.77.1.1 DST=10.77.1.2 LEN=36 TOS=0x00 PREC=0x00 TTL=1 ID=4660 DF PROTO=ICMP TYPE=8 CODE=0 ID=5 SEQ=6 ] ",
            ),
            (
                7,
                "nfC IN=eth0 OUT= MACSRC=02:00:00:00:01:02 MACDST=02:00:00:00:01:01 MACPROTO=0800 SRC=10.77.1.2 DST=10.77.1.1 LEN=64 TOS=0x00 PREC=0x00 TTL=64 ID=4660 PROTO=ICMP TYPE=11 CODE=0 [SRC=10.77.1.1 DST=10.77.1.2 LEN=36 TOS=0x00 PREC=0x00 TTL=1 ID=4660 DF PROTO=ICMP TYPE=8 CODE=0 ID=5 SEQ=6 ] ",
            ),
        ],
    },
    Fixture {
        name: "i_param",
        frame: "02000000010102000000010208004500003812340000400151f50a4d01020a4d01010c00bb1b140000004500001f506340004011d3ce0a4d01010a4d0102b05a1389000b60f5",
        lines: &[
            (
                4,
                "nfA IN=eth0 OUT= MAC=02:00:00:00:01:01:02:00:00:00:01:02:08:00 SRC=10.77.1.2 DST=10.77.1.1 LEN=56 TOS=0x00 PREC=0x00 TTL=64 ID=4660 PROTO=ICMP TYPE=12 CODE=0 PARAMETER=20 ",
            ),
            (
                6,
                "nfB IN=eth0 OUT= MAC=02:00:00:00:01:01:02:00:00:00:01:02:08:00 SRC=10.77.1.2 DST=10.77.1.1 LEN=56 TOS=0x00 PREC=0x00 TTL=64 ID=4660 PROTO=ICMP TYPE=12 CODE=0 PARAMETER=20 ",
            ),
            (
                7,
                "nfC IN=eth0 OUT= MACSRC=02:00:00:00:01:02 MACDST=02:00:00:00:01:01 MACPROTO=0800 SRC=10.77.1.2 DST=10.77.1.1 LEN=56 TOS=0x00 PREC=0x00 TTL=64 ID=4660 PROTO=ICMP TYPE=12 CODE=0 PARAMETER=20 ",
            ),
        ],
    },
    Fixture {
        name: "i_quench",
        frame: "02000000010102000000010208004500003b12340000400151f20a4d01020a4d0101040012b9000000004500001f506340004011d3ce0a4d01010a4d0102b05a1389000b60f5616263",
        lines: &[
            (
                4,
                "nfA IN=eth0 OUT= MAC=02:00:00:00:01:01:02:00:00:00:01:02:08:00 SRC=10.77.1.2 DST=10.77.1.1 LEN=59 TOS=0x00 PREC=0x00 TTL=64 ID=4660 PROTO=ICMP TYPE=4 CODE=0 [SRC=10.77.1.1 DST=10.77.1.2 LEN=31 TOS=0x00 PREC=0x00 TTL=64 ID=20579 DF PROTO=UDP SPT=45146 DPT=5001 LEN=11 ] ",
            ),
            (
                6,
                "nfB IN=eth0 OUT= MAC=02:00:00:00:01:01:02:00:00:00:01:02:08:00 SRC=10.77.1.2 DST=10.77.1.1 LEN=59 TOS=0x00 PREC=0x00 TTL=64 ID=4660 PROTO=ICMP TYPE=4 CODE=0 [SRC=10.77.1.1 DST=10.77.1.2 LEN=31 TOS=0x00 PREC=0x00 TTL=64 ID=20579 DF PROTO=UDP SPT=45146 DPT=5001 LEN=11 ] ",
            ),
            (
                7,
                "nfC IN=eth0 OUT= MACSRC=02:00:00:00:01:02 MACDST=02:00:00:00:01:01 MACPROTO=0800 SRC=10.77.1.2 DST=10.77.1.1 LEN=59 TOS=0x00 PREC=0x00 TTL=64 ID=4660 PROTO=ICMP TYPE=4 CODE=0 [SRC=10.77.1.1 DST=10.77.1.2 LEN=31 TOS=0x00 PREC=0x00 TTL=64 ID=20579 DF PROTO=UDP SPT=45146 DPT=5001 LEN=11 ] ",
            ),
        ],
    },
    Fixture {
        name: "i_tstamp",
        frame: "02000000010102000000010208004500002812344000400112050a4d01020a4d01010d00f2fc00010002000000000000000000000000",
        lines: &[
            (
                4,
                "nfA IN=eth0 OUT= MAC=02:00:00:00:01:01:02:00:00:00:01:02:08:00 SRC=10.77.1.2 DST=10.77.1.1 LEN=40 TOS=0x00 PREC=0x00 TTL=64 ID=4660 DF PROTO=ICMP TYPE=13 CODE=0 ",
            ),
            (
                6,
                "nfB IN=eth0 OUT= MAC=02:00:00:00:01:01:02:00:00:00:01:02:08:00 SRC=10.77.1.2 DST=10.77.1.1 LEN=40 TOS=0x00 PREC=0x00 TTL=64 ID=4660 DF PROTO=ICMP TYPE=13 CODE=0 ",
            ),
            (
                7,
                "nfC IN=eth0 OUT= MACSRC=02:00:00:00:01:02 MACDST=02:00:00:00:01:01 MACPROTO=0800 SRC=10.77.1.2 DST=10.77.1.1 LEN=40 TOS=0x00 PREC=0x00 TTL=64 ID=4660 DF PROTO=ICMP TYPE=13 CODE=0 ",
            ),
        ],
    },
    Fixture {
        name: "i_tstamp_short",
        frame: "02000000010102000000010208004500001c12344000400112110a4d01020a4d01010d00f2fc00010002",
        lines: &[
            (
                4,
                "nfA IN=eth0 OUT= MAC=02:00:00:00:01:01:02:00:00:00:01:02:08:00 SRC=10.77.1.2 DST=10.77.1.1 LEN=28 TOS=0x00 PREC=0x00 TTL=64 ID=4660 DF PROTO=ICMP TYPE=13 CODE=0 INCOMPLETE [8 bytes] ",
            ),
            (
                6,
                "nfB IN=eth0 OUT= MAC=02:00:00:00:01:01:02:00:00:00:01:02:08:00 SRC=10.77.1.2 DST=10.77.1.1 LEN=28 TOS=0x00 PREC=0x00 TTL=64 ID=4660 DF PROTO=ICMP TYPE=13 CODE=0 INCOMPLETE [8 bytes] ",
            ),
            (
                7,
                "nfC IN=eth0 OUT= MACSRC=02:00:00:00:01:02 MACDST=02:00:00:00:01:01 MACPROTO=0800 SRC=10.77.1.2 DST=10.77.1.1 LEN=28 TOS=0x00 PREC=0x00 TTL=64 ID=4660 DF PROTO=ICMP TYPE=13 CODE=0 INCOMPLETE [8 bytes] ",
            ),
        ],
    },
    Fixture {
        name: "i_short",
        frame: "02000000010102000000010208004500001a12344000400112130a4d01020a4d01010800f7ff0000",
        lines: &[
            (
                4,
                "nfA IN=eth0 OUT= MAC=02:00:00:00:01:01:02:00:00:00:01:02:08:00 SRC=10.77.1.2 DST=10.77.1.1 LEN=26 TOS=0x00 PREC=0x00 TTL=64 ID=4660 DF PROTO=ICMP INCOMPLETE [6 bytes] ",
            ),
            (
                6,
                "nfB IN=eth0 OUT= MAC=02:00:00:00:01:01:02:00:00:00:01:02:08:00 SRC=10.77.1.2 DST=10.77.1.1 LEN=26 TOS=0x00 PREC=0x00 TTL=64 ID=4660 DF PROTO=ICMP INCOMPLETE [6 bytes] ",
            ),
            (
                7,
                "nfC IN=eth0 OUT= MACSRC=02:00:00:00:01:02 MACDST=02:00:00:00:01:01 MACPROTO=0800 SRC=10.77.1.2 DST=10.77.1.1 LEN=26 TOS=0x00 PREC=0x00 TTL=64 ID=4660 DF PROTO=ICMP INCOMPLETE [6 bytes] ",
            ),
        ],
    },
    Fixture {
        name: "i_unreach_short",
        frame: "02000000010102000000010208004500002612340000400152070a4d01020a4d01010303e768000000004500001f506340004011",
        lines: &[
            (
                4,
                "nfA IN=eth0 OUT= MAC=02:00:00:00:01:01:02:00:00:00:01:02:08:00 SRC=10.77.1.2 DST=10.77.1.1 LEN=38 TOS=0x00 PREC=0x00 TTL=64 ID=4660 PROTO=ICMP TYPE=3 CODE=3 INCOMPLETE [18 bytes] ",
            ),
            (
                6,
                "nfB IN=eth0 OUT= MAC=02:00:00:00:01:01:02:00:00:00:01:02:08:00 SRC=10.77.1.2 DST=10.77.1.1 LEN=38 TOS=0x00 PREC=0x00 TTL=64 ID=4660 PROTO=ICMP TYPE=3 CODE=3 INCOMPLETE [18 bytes] ",
            ),
            (
                7,
                "nfC IN=eth0 OUT= MACSRC=02:00:00:00:01:02 MACDST=02:00:00:00:01:01 MACPROTO=0800 SRC=10.77.1.2 DST=10.77.1.1 LEN=38 TOS=0x00 PREC=0x00 TTL=64 ID=4660 PROTO=ICMP TYPE=3 CODE=3 INCOMPLETE [18 bytes] ",
            ),
        ],
    },
    Fixture {
        name: "i_unknown",
        frame: "02000000010102000000010208004500001c12344000400112110a4d01020a4d01012a01d5fe00000000",
        lines: &[
            (
                4,
                "nfA IN=eth0 OUT= MAC=02:00:00:00:01:01:02:00:00:00:01:02:08:00 SRC=10.77.1.2 DST=10.77.1.1 LEN=28 TOS=0x00 PREC=0x00 TTL=64 ID=4660 DF PROTO=ICMP TYPE=42 CODE=1 ",
            ),
            (
                6,
                "nfB IN=eth0 OUT= MAC=02:00:00:00:01:01:02:00:00:00:01:02:08:00 SRC=10.77.1.2 DST=10.77.1.1 LEN=28 TOS=0x00 PREC=0x00 TTL=64 ID=4660 DF PROTO=ICMP TYPE=42 CODE=1 ",
            ),
            (
                7,
                "nfC IN=eth0 OUT= MACSRC=02:00:00:00:01:02 MACDST=02:00:00:00:01:01 MACPROTO=0800 SRC=10.77.1.2 DST=10.77.1.1 LEN=28 TOS=0x00 PREC=0x00 TTL=64 ID=4660 DF PROTO=ICMP TYPE=42 CODE=1 ",
            ),
        ],
    },
    Fixture {
        name: "i_unreach_frag",
        frame: "02000000010102000000010208004500003812340000400151f50a4d01020a4d01010303fcfc000000004500001c123400b9401151480a4d01010a4d01020000000000000000",
        lines: &[
            (
                4,
                "nfA IN=eth0 OUT= MAC=02:00:00:00:01:01:02:00:00:00:01:02:08:00 SRC=10.77.1.2 DST=10.77.1.1 LEN=56 TOS=0x00 PREC=0x00 TTL=64 ID=4660 PROTO=ICMP TYPE=3 CODE=3 [SRC=10.77.1.1 DST=10.77.1.2 LEN=28 TOS=0x00 PREC=0x00 TTL=64 ID=4660 FRAG:185 PROTO=UDP ] ",
            ),
            (
                6,
                "nfB IN=eth0 OUT= MAC=02:00:00:00:01:01:02:00:00:00:01:02:08:00 SRC=10.77.1.2 DST=10.77.1.1 LEN=56 TOS=0x00 PREC=0x00 TTL=64 ID=4660 PROTO=ICMP TYPE=3 CODE=3 [SRC=10.77.1.1 DST=10.77.1.2 LEN=28 TOS=0x00 PREC=0x00 TTL=64 ID=4660 FRAG:185 PROTO=UDP ] ",
            ),
            (
                7,
                "nfC IN=eth0 OUT= MACSRC=02:00:00:00:01:02 MACDST=02:00:00:00:01:01 MACPROTO=0800 SRC=10.77.1.2 DST=10.77.1.1 LEN=56 TOS=0x00 PREC=0x00 TTL=64 ID=4660 PROTO=ICMP TYPE=3 CODE=3 [SRC=10.77.1.1 DST=10.77.1.2 LEN=28 TOS=0x00 PREC=0x00 TTL=64 ID=4660 FRAG:185 PROTO=UDP ] ",
            ),
        ],
    },
    Fixture {
        name: "i_unreach_ipopt",
        frame: "02000000010102000000010208004500004412340000400151e90a4d01020a4d0101030313b3000000004800002812344000401103ea0a4d01010a4d0102070b04000000000000000000000100020008e93e",
        lines: &[
            (
                4,
                "nfA IN=eth0 OUT= MAC=02:00:00:00:01:01:02:00:00:00:01:02:08:00 SRC=10.77.1.2 DST=10.77.1.1 LEN=68 TOS=0x00 PREC=0x00 TTL=64 ID=4660 PROTO=ICMP TYPE=3 CODE=3 [SRC=10.77.1.1 DST=10.77.1.2 LEN=40 TOS=0x00 PREC=0x00 TTL=64 ID=4660 DF PROTO=UDP SPT=1 DPT=2 LEN=8 ] ",
            ),
            (
                6,
                "nfB IN=eth0 OUT= MAC=02:00:00:00:01:01:02:00:00:00:01:02:08:00 SRC=10.77.1.2 DST=10.77.1.1 LEN=68 TOS=0x00 PREC=0x00 TTL=64 ID=4660 PROTO=ICMP TYPE=3 CODE=3 [SRC=10.77.1.1 DST=10.77.1.2 LEN=40 TOS=0x00 PREC=0x00 TTL=64 ID=4660 DF OPT (070B04000000000000000000) PROTO=UDP SPT=1 DPT=2 LEN=8 ] ",
            ),
            (
                7,
                "nfC IN=eth0 OUT= MACSRC=02:00:00:00:01:02 MACDST=02:00:00:00:01:01 MACPROTO=0800 SRC=10.77.1.2 DST=10.77.1.1 LEN=68 TOS=0x00 PREC=0x00 TTL=64 ID=4660 PROTO=ICMP TYPE=3 CODE=3 [SRC=10.77.1.1 DST=10.77.1.2 LEN=40 TOS=0x00 PREC=0x00 TTL=64 ID=4660 DF PROTO=UDP SPT=1 DPT=2 LEN=8 ] ",
            ),
        ],
    },
    Fixture {
        name: "i_unreach_tcpinner",
        frame: "02000000010102000000010208004500004412340000400151e90a4d01020a4d0101030313b4000000004500002800004000400624340a4d01010a4d010200169c40000000633cf76add5012faf059b70000",
        lines: &[
            (
                4,
                "nfA IN=eth0 OUT= MAC=02:00:00:00:01:01:02:00:00:00:01:02:08:00 SRC=10.77.1.2 DST=10.77.1.1 LEN=68 TOS=0x00 PREC=0x00 TTL=64 ID=4660 PROTO=ICMP TYPE=3 CODE=3 [SRC=10.77.1.1 DST=10.77.1.2 LEN=40 TOS=0x00 PREC=0x00 TTL=64 ID=0 DF PROTO=TCP SPT=22 DPT=40000 WINDOW=64240 RES=0x00 ACK SYN URGP=0 ] ",
            ),
            (
                6,
                "nfB IN=eth0 OUT= MAC=02:00:00:00:01:01:02:00:00:00:01:02:08:00 SRC=10.77.1.2 DST=10.77.1.1 LEN=68 TOS=0x00 PREC=0x00 TTL=64 ID=4660 PROTO=ICMP TYPE=3 CODE=3 [SRC=10.77.1.1 DST=10.77.1.2 LEN=40 TOS=0x00 PREC=0x00 TTL=64 ID=0 DF PROTO=TCP SPT=22 DPT=40000 SEQ=99 ACK=1022847709 WINDOW=64240 RES=0x00 ACK SYN URGP=0 ] ",
            ),
            (
                7,
                "nfC IN=eth0 OUT= MACSRC=02:00:00:00:01:02 MACDST=02:00:00:00:01:01 MACPROTO=0800 SRC=10.77.1.2 DST=10.77.1.1 LEN=68 TOS=0x00 PREC=0x00 TTL=64 ID=4660 PROTO=ICMP TYPE=3 CODE=3 [SRC=10.77.1.1 DST=10.77.1.2 LEN=40 TOS=0x00 PREC=0x00 TTL=64 ID=0 DF PROTO=TCP SPT=22 DPT=40000 WINDOW=64240 RES=0x00 ACK SYN URGP=0 ] ",
            ),
        ],
    },
    Fixture {
        name: "f_first",
        frame: "02000000010102000000010208004500002412342000401131f90a4d01020a4d0101000700080064e87a0000000000000000",
        lines: &[
            (
                4,
                "nfA IN=eth0 OUT= MAC=02:00:00:00:01:01:02:00:00:00:01:02:08:00 SRC=10.77.1.2 DST=10.77.1.1 LEN=36 TOS=0x00 PREC=0x00 TTL=64 ID=4660 MF PROTO=UDP SPT=7 DPT=8 LEN=100 ",
            ),
            (
                6,
                "nfB IN=eth0 OUT= MAC=02:00:00:00:01:01:02:00:00:00:01:02:08:00 SRC=10.77.1.2 DST=10.77.1.1 LEN=36 TOS=0x00 PREC=0x00 TTL=64 ID=4660 MF PROTO=UDP SPT=7 DPT=8 LEN=100 ",
            ),
            (
                7,
                "nfC IN=eth0 OUT= MACSRC=02:00:00:00:01:02 MACDST=02:00:00:00:01:01 MACPROTO=0800 SRC=10.77.1.2 DST=10.77.1.1 LEN=36 TOS=0x00 PREC=0x00 TTL=64 ID=4660 MF PROTO=UDP SPT=7 DPT=8 LEN=100 ",
            ),
        ],
    },
    Fixture {
        name: "f_next",
        frame: "020000000101020000000102080045000024123400b9401151400a4d01020a4d010100000000000000000000000000000000",
        lines: &[
            (
                4,
                "nfA IN=eth0 OUT= MAC=02:00:00:00:01:01:02:00:00:00:01:02:08:00 SRC=10.77.1.2 DST=10.77.1.1 LEN=36 TOS=0x00 PREC=0x00 TTL=64 ID=4660 FRAG:185 PROTO=UDP ",
            ),
            (
                6,
                "nfB IN=eth0 OUT= MAC=02:00:00:00:01:01:02:00:00:00:01:02:08:00 SRC=10.77.1.2 DST=10.77.1.1 LEN=36 TOS=0x00 PREC=0x00 TTL=64 ID=4660 FRAG:185 PROTO=UDP ",
            ),
            (
                7,
                "nfC IN=eth0 OUT= MACSRC=02:00:00:00:01:02 MACDST=02:00:00:00:01:01 MACPROTO=0800 SRC=10.77.1.2 DST=10.77.1.1 LEN=36 TOS=0x00 PREC=0x00 TTL=64 ID=4660 FRAG:185 PROTO=UDP ",
            ),
        ],
    },
    Fixture {
        name: "f_tcp_next",
        frame: "02000000010102000000010208004500002412342001400632030a4d01020a4d010100000000000000000000000000000000",
        lines: &[
            (
                4,
                "nfA IN=eth0 OUT= MAC=02:00:00:00:01:01:02:00:00:00:01:02:08:00 SRC=10.77.1.2 DST=10.77.1.1 LEN=36 TOS=0x00 PREC=0x00 TTL=64 ID=4660 MF FRAG:1 PROTO=TCP ",
            ),
            (
                6,
                "nfB IN=eth0 OUT= MAC=02:00:00:00:01:01:02:00:00:00:01:02:08:00 SRC=10.77.1.2 DST=10.77.1.1 LEN=36 TOS=0x00 PREC=0x00 TTL=64 ID=4660 MF FRAG:1 PROTO=TCP ",
            ),
            (
                7,
                "nfC IN=eth0 OUT= MACSRC=02:00:00:00:01:02 MACDST=02:00:00:00:01:01 MACPROTO=0800 SRC=10.77.1.2 DST=10.77.1.1 LEN=36 TOS=0x00 PREC=0x00 TTL=64 ID=4660 MF FRAG:1 PROTO=TCP ",
            ),
        ],
    },
    Fixture {
        name: "f_icmp_next",
        frame: "02000000010102000000010208004500002412340003400152060a4d01020a4d010100000000000000000000000000000000",
        lines: &[
            (
                4,
                "nfA IN=eth0 OUT= MAC=02:00:00:00:01:01:02:00:00:00:01:02:08:00 SRC=10.77.1.2 DST=10.77.1.1 LEN=36 TOS=0x00 PREC=0x00 TTL=64 ID=4660 FRAG:3 PROTO=ICMP ",
            ),
            (
                6,
                "nfB IN=eth0 OUT= MAC=02:00:00:00:01:01:02:00:00:00:01:02:08:00 SRC=10.77.1.2 DST=10.77.1.1 LEN=36 TOS=0x00 PREC=0x00 TTL=64 ID=4660 FRAG:3 PROTO=ICMP ",
            ),
            (
                7,
                "nfC IN=eth0 OUT= MACSRC=02:00:00:00:01:02 MACDST=02:00:00:00:01:01 MACPROTO=0800 SRC=10.77.1.2 DST=10.77.1.1 LEN=36 TOS=0x00 PREC=0x00 TTL=64 ID=4660 FRAG:3 PROTO=ICMP ",
            ),
        ],
    },
    Fixture {
        name: "gre",
        frame: "02000000010102000000010208004500002c12344000402f11d30a4d01020a4d0101000008000000000000000000000000000000000000000000",
        lines: &[
            (
                4,
                "nfA IN=eth0 OUT= MAC=02:00:00:00:01:01:02:00:00:00:01:02:08:00 SRC=10.77.1.2 DST=10.77.1.1 LEN=44 TOS=0x00 PREC=0x00 TTL=64 ID=4660 DF PROTO=47 ",
            ),
            (
                6,
                "nfB IN=eth0 OUT= MAC=02:00:00:00:01:01:02:00:00:00:01:02:08:00 SRC=10.77.1.2 DST=10.77.1.1 LEN=44 TOS=0x00 PREC=0x00 TTL=64 ID=4660 DF PROTO=47 ",
            ),
            (
                7,
                "nfC IN=eth0 OUT= MACSRC=02:00:00:00:01:02 MACDST=02:00:00:00:01:01 MACPROTO=0800 SRC=10.77.1.2 DST=10.77.1.1 LEN=44 TOS=0x00 PREC=0x00 TTL=64 ID=4660 DF PROTO=47 ",
            ),
        ],
    },
    Fixture {
        name: "esp",
        frame: "02000000010102000000010208004500002c12344000403211d00a4d01020a4d01011234abcd0000000100000000000000000000000000000000",
        lines: &[
            (
                4,
                "nfA IN=eth0 OUT= MAC=02:00:00:00:01:01:02:00:00:00:01:02:08:00 SRC=10.77.1.2 DST=10.77.1.1 LEN=44 TOS=0x00 PREC=0x00 TTL=64 ID=4660 DF PROTO=ESP SPI=0x1234abcd ",
            ),
            (
                6,
                "nfB IN=eth0 OUT= MAC=02:00:00:00:01:01:02:00:00:00:01:02:08:00 SRC=10.77.1.2 DST=10.77.1.1 LEN=44 TOS=0x00 PREC=0x00 TTL=64 ID=4660 DF PROTO=ESP SPI=0x1234abcd ",
            ),
            (
                7,
                "nfC IN=eth0 OUT= MACSRC=02:00:00:00:01:02 MACDST=02:00:00:00:01:01 MACPROTO=0800 SRC=10.77.1.2 DST=10.77.1.1 LEN=44 TOS=0x00 PREC=0x00 TTL=64 ID=4660 DF PROTO=ESP SPI=0x1234abcd ",
            ),
        ],
    },
    Fixture {
        name: "ah",
        frame: "02000000010102000000010208004500002c12344000403311cf0a4d01020a4d010106040000deadbeef00000001000000000000000000000000",
        lines: &[
            (
                4,
                "nfA IN=eth0 OUT= MAC=02:00:00:00:01:01:02:00:00:00:01:02:08:00 SRC=10.77.1.2 DST=10.77.1.1 LEN=44 TOS=0x00 PREC=0x00 TTL=64 ID=4660 DF PROTO=AH SPI=0xdeadbeef ",
            ),
            (
                6,
                "nfB IN=eth0 OUT= MAC=02:00:00:00:01:01:02:00:00:00:01:02:08:00 SRC=10.77.1.2 DST=10.77.1.1 LEN=44 TOS=0x00 PREC=0x00 TTL=64 ID=4660 DF PROTO=AH SPI=0xdeadbeef ",
            ),
            (
                7,
                "nfC IN=eth0 OUT= MACSRC=02:00:00:00:01:02 MACDST=02:00:00:00:01:01 MACPROTO=0800 SRC=10.77.1.2 DST=10.77.1.1 LEN=44 TOS=0x00 PREC=0x00 TTL=64 ID=4660 DF PROTO=AH SPI=0xdeadbeef ",
            ),
        ],
    },
    Fixture {
        name: "ah_frag",
        frame: "02000000010102000000010208004500002412340002403351d50a4d01020a4d010100000000000000000000000000000000",
        lines: &[
            (
                4,
                "nfA IN=eth0 OUT= MAC=02:00:00:00:01:01:02:00:00:00:01:02:08:00 SRC=10.77.1.2 DST=10.77.1.1 LEN=36 TOS=0x00 PREC=0x00 TTL=64 ID=4660 FRAG:2 ",
            ),
            (
                6,
                "nfB IN=eth0 OUT= MAC=02:00:00:00:01:01:02:00:00:00:01:02:08:00 SRC=10.77.1.2 DST=10.77.1.1 LEN=36 TOS=0x00 PREC=0x00 TTL=64 ID=4660 FRAG:2 ",
            ),
            (
                7,
                "nfC IN=eth0 OUT= MACSRC=02:00:00:00:01:02 MACDST=02:00:00:00:01:01 MACPROTO=0800 SRC=10.77.1.2 DST=10.77.1.1 LEN=36 TOS=0x00 PREC=0x00 TTL=64 ID=4660 FRAG:2 ",
            ),
        ],
    },
    Fixture {
        name: "esp_frag",
        frame: "02000000010102000000010208004500002412340002403251d60a4d01020a4d010100000000000000000000000000000000",
        lines: &[
            (
                4,
                "nfA IN=eth0 OUT= MAC=02:00:00:00:01:01:02:00:00:00:01:02:08:00 SRC=10.77.1.2 DST=10.77.1.1 LEN=36 TOS=0x00 PREC=0x00 TTL=64 ID=4660 FRAG:2 PROTO=ESP ",
            ),
            (
                6,
                "nfB IN=eth0 OUT= MAC=02:00:00:00:01:01:02:00:00:00:01:02:08:00 SRC=10.77.1.2 DST=10.77.1.1 LEN=36 TOS=0x00 PREC=0x00 TTL=64 ID=4660 FRAG:2 PROTO=ESP ",
            ),
            (
                7,
                "nfC IN=eth0 OUT= MACSRC=02:00:00:00:01:02 MACDST=02:00:00:00:01:01 MACPROTO=0800 SRC=10.77.1.2 DST=10.77.1.1 LEN=36 TOS=0x00 PREC=0x00 TTL=64 ID=4660 FRAG:2 PROTO=ESP ",
            ),
        ],
    },
    Fixture {
        name: "esp_short",
        frame: "02000000010102000000010208004500001812344000403211e40a4d01020a4d010100000000",
        lines: &[
            (
                4,
                "nfA IN=eth0 OUT= MAC=02:00:00:00:01:01:02:00:00:00:01:02:08:00 SRC=10.77.1.2 DST=10.77.1.1 LEN=24 TOS=0x00 PREC=0x00 TTL=64 ID=4660 DF PROTO=ESP INCOMPLETE [4 bytes] ",
            ),
            (
                6,
                "nfB IN=eth0 OUT= MAC=02:00:00:00:01:01:02:00:00:00:01:02:08:00 SRC=10.77.1.2 DST=10.77.1.1 LEN=24 TOS=0x00 PREC=0x00 TTL=64 ID=4660 DF PROTO=ESP INCOMPLETE [4 bytes] ",
            ),
            (
                7,
                "nfC IN=eth0 OUT= MACSRC=02:00:00:00:01:02 MACDST=02:00:00:00:01:01 MACPROTO=0800 SRC=10.77.1.2 DST=10.77.1.1 LEN=24 TOS=0x00 PREC=0x00 TTL=64 ID=4660 DF PROTO=ESP INCOMPLETE [4 bytes] ",
            ),
        ],
    },
    Fixture {
        name: "ah_short",
        frame: "02000000010102000000010208004500001a12344000403311e10a4d01020a4d0101000000000000",
        lines: &[
            (
                4,
                "nfA IN=eth0 OUT= MAC=02:00:00:00:01:01:02:00:00:00:01:02:08:00 SRC=10.77.1.2 DST=10.77.1.1 LEN=26 TOS=0x00 PREC=0x00 TTL=64 ID=4660 DF PROTO=AH INCOMPLETE [6 bytes] ",
            ),
            (
                6,
                "nfB IN=eth0 OUT= MAC=02:00:00:00:01:01:02:00:00:00:01:02:08:00 SRC=10.77.1.2 DST=10.77.1.1 LEN=26 TOS=0x00 PREC=0x00 TTL=64 ID=4660 DF PROTO=AH INCOMPLETE [6 bytes] ",
            ),
            (
                7,
                "nfC IN=eth0 OUT= MACSRC=02:00:00:00:01:02 MACDST=02:00:00:00:01:01 MACPROTO=0800 SRC=10.77.1.2 DST=10.77.1.1 LEN=26 TOS=0x00 PREC=0x00 TTL=64 ID=4660 DF PROTO=AH INCOMPLETE [6 bytes] ",
            ),
        ],
    },
    Fixture {
        name: "proto253",
        frame: "0200000001010200000001020800450000171234400040fd111a0a4d01020a4d010178797a",
        lines: &[
            (
                4,
                "nfA IN=eth0 OUT= MAC=02:00:00:00:01:01:02:00:00:00:01:02:08:00 SRC=10.77.1.2 DST=10.77.1.1 LEN=23 TOS=0x00 PREC=0x00 TTL=64 ID=4660 DF PROTO=253 ",
            ),
            (
                6,
                "nfB IN=eth0 OUT= MAC=02:00:00:00:01:01:02:00:00:00:01:02:08:00 SRC=10.77.1.2 DST=10.77.1.1 LEN=23 TOS=0x00 PREC=0x00 TTL=64 ID=4660 DF PROTO=253 ",
            ),
            (
                7,
                "nfC IN=eth0 OUT= MACSRC=02:00:00:00:01:02 MACDST=02:00:00:00:01:01 MACPROTO=0800 SRC=10.77.1.2 DST=10.77.1.1 LEN=23 TOS=0x00 PREC=0x00 TTL=64 ID=4660 DF PROTO=253 ",
            ),
        ],
    },
    Fixture {
        name: "ipopt_rr",
        frame: "02000000010102000000010208004800002812344000400103fa0a4d01020a4d0101070b040000000000000000000800f7fd00010001",
        lines: &[
            (
                4,
                "nfA IN=eth0 OUT= MAC=02:00:00:00:01:01:02:00:00:00:01:02:08:00 SRC=10.77.1.2 DST=10.77.1.1 LEN=40 TOS=0x00 PREC=0x00 TTL=64 ID=4660 DF PROTO=ICMP TYPE=8 CODE=0 ID=1 SEQ=1 ",
            ),
            (
                6,
                "nfB IN=eth0 OUT= MAC=02:00:00:00:01:01:02:00:00:00:01:02:08:00 SRC=10.77.1.2 DST=10.77.1.1 LEN=40 TOS=0x00 PREC=0x00 TTL=64 ID=4660 DF OPT (070B04000000000000000000) PROTO=ICMP TYPE=8 CODE=0 ID=1 SEQ=1 ",
            ),
            (
                7,
                "nfC IN=eth0 OUT= MACSRC=02:00:00:00:01:02 MACDST=02:00:00:00:01:01 MACPROTO=0800 SRC=10.77.1.2 DST=10.77.1.1 LEN=40 TOS=0x00 PREC=0x00 TTL=64 ID=4660 DF PROTO=ICMP TYPE=8 CODE=0 ID=1 SEQ=1 ",
            ),
        ],
    },
    Fixture {
        name: "ipopt_ra",
        frame: "0200000001010200000001020800460000201234400040117cf80a4d01020a4d010194040000000900090008e92f",
        lines: &[
            (
                4,
                "nfA IN=eth0 OUT= MAC=02:00:00:00:01:01:02:00:00:00:01:02:08:00 SRC=10.77.1.2 DST=10.77.1.1 LEN=32 TOS=0x00 PREC=0x00 TTL=64 ID=4660 DF PROTO=UDP SPT=9 DPT=9 LEN=8 ",
            ),
            (
                6,
                "nfB IN=eth0 OUT= MAC=02:00:00:00:01:01:02:00:00:00:01:02:08:00 SRC=10.77.1.2 DST=10.77.1.1 LEN=32 TOS=0x00 PREC=0x00 TTL=64 ID=4660 DF OPT (94040000) PROTO=UDP SPT=9 DPT=9 LEN=8 ",
            ),
            (
                7,
                "nfC IN=eth0 OUT= MACSRC=02:00:00:00:01:02 MACDST=02:00:00:00:01:01 MACPROTO=0800 SRC=10.77.1.2 DST=10.77.1.1 LEN=32 TOS=0x00 PREC=0x00 TTL=64 ID=4660 DF PROTO=UDP SPT=9 DPT=9 LEN=8 ",
            ),
        ],
    },
    Fixture {
        name: "tos_ce",
        frame: "020000000101020000000102080045b9001cffff8000ff11247b0a4d01020a4d0101000900090008e92f",
        lines: &[
            (
                4,
                "nfA IN=eth0 OUT= MAC=02:00:00:00:01:01:02:00:00:00:01:02:08:00 SRC=10.77.1.2 DST=10.77.1.1 LEN=28 TOS=0x18 PREC=0xA0 TTL=255 ID=65535 CE PROTO=UDP SPT=9 DPT=9 LEN=8 ",
            ),
            (
                6,
                "nfB IN=eth0 OUT= MAC=02:00:00:00:01:01:02:00:00:00:01:02:08:00 SRC=10.77.1.2 DST=10.77.1.1 LEN=28 TOS=0x18 PREC=0xA0 TTL=255 ID=65535 CE PROTO=UDP SPT=9 DPT=9 LEN=8 ",
            ),
            (
                7,
                "nfC IN=eth0 OUT= MACSRC=02:00:00:00:01:02 MACDST=02:00:00:00:01:01 MACPROTO=0800 SRC=10.77.1.2 DST=10.77.1.1 LEN=28 TOS=0x18 PREC=0xA0 TTL=255 ID=65535 CE PROTO=UDP SPT=9 DPT=9 LEN=8 ",
            ),
        ],
    },
    Fixture {
        name: "mark",
        frame: "02000000010102000000010208004500002812344000400611ff0a4d01030a4d010100010050000003e8000000005002faf09a1b0000",
        lines: &[
            (
                4,
                "nfA IN=eth0 OUT= MAC=02:00:00:00:01:01:02:00:00:00:01:02:08:00 SRC=10.77.1.3 DST=10.77.1.1 LEN=40 TOS=0x00 PREC=0x00 TTL=64 ID=4660 DF PROTO=TCP SPT=1 DPT=80 WINDOW=64240 RES=0x00 SYN URGP=0 ",
            ),
            (
                6,
                "nfB IN=eth0 OUT= MAC=02:00:00:00:01:01:02:00:00:00:01:02:08:00 SRC=10.77.1.3 DST=10.77.1.1 LEN=40 TOS=0x00 PREC=0x00 TTL=64 ID=4660 DF PROTO=TCP SPT=1 DPT=80 SEQ=1000 ACK=0 WINDOW=64240 RES=0x00 SYN URGP=0 ",
            ),
            (
                7,
                "nfC IN=eth0 OUT= MACSRC=02:00:00:00:01:02 MACDST=02:00:00:00:01:01 MACPROTO=0800 SRC=10.77.1.3 DST=10.77.1.1 LEN=40 TOS=0x00 PREC=0x00 TTL=64 ID=4660 DF PROTO=TCP SPT=1 DPT=80 WINDOW=64240 RES=0x00 SYN URGP=0 ",
            ),
            (
                4,
                "nfM IN=eth0 OUT= MAC=02:00:00:00:01:01:02:00:00:00:01:02:08:00 SRC=10.77.1.3 DST=10.77.1.1 LEN=40 TOS=0x00 PREC=0x00 TTL=64 ID=4660 DF PROTO=TCP SPT=1 DPT=80 WINDOW=64240 RES=0x00 SYN URGP=0 MARK=0x2a ",
            ),
        ],
    },
    Fixture {
        name: "forward",
        frame: "0200000001010200000001020800450000283de340004006e54f0a4d01020a4d02028442138800000001000000005002faf005890000",
        lines: &[
            (
                4,
                "nfA IN=eth0 OUT= MAC=02:00:00:00:01:01:02:00:00:00:01:02:08:00 SRC=10.77.1.2 DST=10.77.2.2 LEN=40 TOS=0x00 PREC=0x00 TTL=64 ID=15843 DF PROTO=TCP SPT=33858 DPT=5000 WINDOW=64240 RES=0x00 SYN URGP=0 ",
            ),
            (
                6,
                "nfB IN=eth0 OUT= MAC=02:00:00:00:01:01:02:00:00:00:01:02:08:00 SRC=10.77.1.2 DST=10.77.2.2 LEN=40 TOS=0x00 PREC=0x00 TTL=64 ID=15843 DF PROTO=TCP SPT=33858 DPT=5000 SEQ=1 ACK=0 WINDOW=64240 RES=0x00 SYN URGP=0 ",
            ),
            (
                7,
                "nfC IN=eth0 OUT= MACSRC=02:00:00:00:01:02 MACDST=02:00:00:00:01:01 MACPROTO=0800 SRC=10.77.1.2 DST=10.77.2.2 LEN=40 TOS=0x00 PREC=0x00 TTL=64 ID=15843 DF PROTO=TCP SPT=33858 DPT=5000 WINDOW=64240 RES=0x00 SYN URGP=0 ",
            ),
            (
                4,
                "nfF IN=eth0 OUT=eth1 MAC=02:00:00:00:01:01:02:00:00:00:01:02:08:00 SRC=10.77.1.2 DST=10.77.2.2 LEN=40 TOS=0x00 PREC=0x00 TTL=63 ID=15843 DF PROTO=TCP SPT=33858 DPT=5000 WINDOW=64240 RES=0x00 SYN URGP=0 ",
            ),
        ],
    },
    Fixture {
        name: "l2bcast",
        frame: "ffffffffffff02000000010208004500001c12344000401112010a4d01020a4d0101000900090008e92f",
        lines: &[
            (
                4,
                "nfA IN=eth0 OUT= MAC=ff:ff:ff:ff:ff:ff:02:00:00:00:01:02:08:00 SRC=10.77.1.2 DST=10.77.1.1 LEN=28 TOS=0x00 PREC=0x00 TTL=64 ID=4660 DF PROTO=UDP SPT=9 DPT=9 LEN=8 ",
            ),
            (
                6,
                "nfB IN=eth0 OUT= MAC=ff:ff:ff:ff:ff:ff:02:00:00:00:01:02:08:00 SRC=10.77.1.2 DST=10.77.1.1 LEN=28 TOS=0x00 PREC=0x00 TTL=64 ID=4660 DF PROTO=UDP SPT=9 DPT=9 LEN=8 ",
            ),
            (
                7,
                "nfC IN=eth0 OUT= MACSRC=02:00:00:00:01:02 MACDST=ff:ff:ff:ff:ff:ff MACPROTO=0800 SRC=10.77.1.2 DST=10.77.1.1 LEN=28 TOS=0x00 PREC=0x00 TTL=64 ID=4660 DF PROTO=UDP SPT=9 DPT=9 LEN=8 ",
            ),
        ],
    },
];
