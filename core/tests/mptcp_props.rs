//! Property tests for the MPTCP sub-option layer: parsing never panics,
//! and `parse(emit(x)) == x` for arbitrary field values of every type.

use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use mptcp_dissect::wire::mptcp::{
    AddAddr, AddAddrForm, DataAck, Dss, DssMapping, MpCapable, MpExperimental, MpFail, MpFastclose,
    MpJoin, MpPrio, MpTcpRst, MptcpOption, RemoveAddr, Version, KIND_MPTCP,
};
use proptest::prelude::*;

/// Emits `o`, checks the size agrees with `buffer_len`, parses the bytes
/// back and returns the result, plus checks that emit is idempotent.
fn reparse(o: MptcpOption<'_>, buf: &mut [u8; 64]) -> Vec<u8> {
    let n = o.emit(buf).expect("emit");
    assert_eq!(n, o.buffer_len());
    assert_eq!(usize::from(buf[1]), n);
    buf[..n].to_vec()
}

fn roundtrip(o: MptcpOption<'_>) {
    let mut buf = [0u8; 64];
    let bytes = reparse(o, &mut buf);
    let back = MptcpOption::parse(&bytes).expect("parse");
    assert_eq!(back, o);
    // And the re-emitted bytes are identical.
    let mut buf2 = [0u8; 64];
    assert_eq!(reparse(back, &mut buf2), bytes);
}

fn version() -> impl Strategy<Value = Version> {
    prop_oneof![Just(Version::V0), Just(Version::V1)]
}

fn capable() -> impl Strategy<Value = MpCapable> {
    (
        version(),
        any::<u8>(),
        any::<[u64; 2]>(),
        any::<[u16; 2]>(),
        0usize..5,
    )
        .prop_map(|(version, flags, [s, r], [d, c], shape)| {
            // v0 has only the 12- and 20-byte forms.
            let shape = match version {
                Version::V0 => 1 + shape % 2,
                Version::V1 => shape,
            };
            MpCapable {
                version,
                flags,
                sender_key: (shape >= 1).then_some(s),
                receiver_key: (shape >= 2).then_some(r),
                data_len: (shape >= 3).then_some(d),
                checksum: (shape >= 4).then_some(c),
            }
        })
}

fn join() -> impl Strategy<Value = MpJoin> {
    (
        0u8..3,
        0u8..16,
        any::<u8>(),
        any::<u64>(),
        any::<u32>(),
        any::<[u8; 20]>(),
    )
        .prop_map(|(form, flags, id, x, nonce, hmac)| match form {
            0 => MpJoin::Syn {
                flags,
                backup: flags & 1 != 0,
                addr_id: id,
                token: x as u32,
                nonce,
            },
            1 => MpJoin::SynAck {
                flags,
                backup: flags & 1 != 0,
                addr_id: id,
                trunc_hmac: x,
                nonce,
            },
            _ => MpJoin::Ack {
                flags,
                reserved: id,
                hmac,
            },
        })
}

fn dss() -> impl Strategy<Value = Dss> {
    (
        any::<u8>(),
        0u8..16,
        proptest::option::of((any::<u64>(), any::<bool>())),
        proptest::option::of((
            any::<u64>(),
            any::<bool>(),
            any::<u32>(),
            any::<u16>(),
            proptest::option::of(any::<u16>()),
        )),
    )
        .prop_map(|(flags, reserved, ack, map)| {
            let data_ack = ack.map(|(v, wide)| DataAck {
                value: if wide { v } else { v & 0xffff_ffff },
                wide,
            });
            let mapping = map.map(|(dsn, dsn_wide, ssn, data_len, checksum)| DssMapping {
                dsn: if dsn_wide { dsn } else { dsn & 0xffff_ffff },
                dsn_wide,
                ssn,
                data_len,
                checksum,
            });
            let d = Dss {
                flags,
                reserved,
                data_ack,
                mapping,
            };
            // Keep `flags` consistent with the fields, as parse produces.
            Dss {
                flags: d.wire_flags(),
                ..d
            }
        })
}

fn ip() -> impl Strategy<Value = IpAddr> {
    prop_oneof![
        any::<[u8; 4]>().prop_map(|b| IpAddr::V4(Ipv4Addr::from(b))),
        any::<[u8; 16]>().prop_map(|b| IpAddr::V6(Ipv6Addr::from(b))),
    ]
}

fn add_addr() -> impl Strategy<Value = AddAddr> {
    (
        0u8..3,
        any::<u8>(),
        ip(),
        proptest::option::of(any::<u16>()),
        any::<u64>(),
    )
        .prop_map(|(form, addr_id, ip, port, h)| {
            let (form, hmac) = match form {
                0 => (AddAddrForm::V0, None),
                1 => (AddAddrForm::V1 { echo: true }, None),
                _ => (AddAddrForm::V1 { echo: false }, Some(h)),
            };
            AddAddr {
                form,
                addr_id,
                ip,
                port,
                hmac,
            }
        })
}

fn prio() -> impl Strategy<Value = MpPrio> {
    (0u8..16, proptest::option::of(any::<u8>())).prop_map(|(flags, addr_id)| MpPrio {
        flags,
        backup: flags & 1 != 0,
        addr_id,
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2048))]

    /// `MptcpOption::parse` never panics, and whatever it accepts it can
    /// write back byte for byte.
    #[test]
    fn parse_never_panics(mut bytes in proptest::collection::vec(any::<u8>(), 0..64),
                          frame in any::<bool>()) {
        if frame && bytes.len() >= 2 {
            bytes[0] = KIND_MPTCP;
            bytes[1] = bytes.len() as u8;
        }
        if let Ok(o) = MptcpOption::parse(&bytes) {
            let mut buf = [0u8; 64];
            let n = o.emit(&mut buf).expect("a parsed option re-emits");
            prop_assert_eq!(&buf[..n], &bytes[..]);
        }
    }

    #[test]
    fn capable_roundtrip(c in capable()) { roundtrip(MptcpOption::Capable(c)); }

    #[test]
    fn join_roundtrip(j in join()) { roundtrip(MptcpOption::Join(j)); }

    #[test]
    fn dss_roundtrip(d in dss()) { roundtrip(MptcpOption::Dss(d)); }

    #[test]
    fn add_addr_roundtrip(a in add_addr()) { roundtrip(MptcpOption::AddAddr(a)); }

    #[test]
    fn remove_addr_roundtrip(ids in proptest::collection::vec(any::<u8>(), 1..=37),
                             reserved in 0u8..16) {
        roundtrip(MptcpOption::RemoveAddr(RemoveAddr { ids: &ids, reserved }));
    }

    #[test]
    fn prio_roundtrip(p in prio()) { roundtrip(MptcpOption::Prio(p)); }

    #[test]
    fn fail_roundtrip(dsn in any::<u64>(), reserved in 0u16..0x1000) {
        roundtrip(MptcpOption::Fail(MpFail { dsn, reserved }));
    }

    #[test]
    fn fastclose_roundtrip(receiver_key in any::<u64>(), reserved in 0u16..0x1000) {
        roundtrip(MptcpOption::Fastclose(MpFastclose { receiver_key, reserved }));
    }

    #[test]
    fn tcprst_roundtrip(flags in 0u8..16, reason in any::<u8>()) {
        roundtrip(MptcpOption::TcpRst(MpTcpRst { flags, reason }));
    }

    #[test]
    fn experimental_roundtrip(body in proptest::collection::vec(any::<u8>(), 0..37),
                              nibble in 0u8..16) {
        let mut raw = vec![KIND_MPTCP, (body.len() + 3) as u8, 0xf0 | nibble];
        raw.extend_from_slice(&body);
        roundtrip(MptcpOption::Experimental(MpExperimental { raw: &raw }));
    }

    #[test]
    fn unknown_roundtrip(st in 9u8..=14, body in proptest::collection::vec(any::<u8>(), 0..37)) {
        let mut raw = vec![KIND_MPTCP, (body.len() + 3) as u8, st << 4];
        raw.extend_from_slice(&body);
        roundtrip(MptcpOption::Unknown { subtype: st, raw: &raw });
    }

    /// Emit either fails or writes something parse gives back unchanged,
    /// for fully arbitrary (possibly inconsistent) DSS values.
    #[test]
    fn dss_emit_consistent(flags in any::<u8>(), reserved in any::<u8>(),
                           ack in proptest::option::of((any::<u64>(), any::<bool>())),
                           dsn in any::<u64>(), wide in any::<bool>()) {
        let d = Dss {
            flags,
            reserved,
            data_ack: ack.map(|(value, wide)| DataAck { value, wide }),
            mapping: Some(DssMapping { dsn, dsn_wide: wide, ssn: 1, data_len: 0, checksum: None }),
        };
        let mut buf = [0u8; 64];
        if let Ok(n) = d.emit(&mut buf) {
            let back = Dss::parse(&buf[..n]).expect("parse");
            prop_assert_eq!(back, Dss { flags: d.wire_flags(), ..d });
        }
    }
}

proptest! {
    /// For fully arbitrary (possibly inconsistent) values, `emit` either
    /// fails with `Unrepresentable` and `buffer_len` is 0, or it writes
    /// `buffer_len` bytes that parse back to the same value.
    #[test]
    fn emit_total(flags in any::<u8>(), backup in any::<bool>(), id in proptest::option::of(any::<u8>()),
                  reserved in any::<u16>(), x in any::<u64>(), form in 0u8..3,
                  ipx in ip(), hm in proptest::option::of(any::<u64>())) {
        let join = match form {
            0 => MpJoin::Syn { flags, backup, addr_id: 0, token: x as u32, nonce: 1 },
            1 => MpJoin::SynAck { flags, backup, addr_id: 0, trunc_hmac: x, nonce: 1 },
            _ => MpJoin::Ack { flags, reserved: reserved as u8, hmac: [7; 20] },
        };
        let aa_form = match form {
            0 => AddAddrForm::V0,
            1 => AddAddrForm::V1 { echo: true },
            _ => AddAddrForm::V1 { echo: false },
        };
        let cases = [
            MptcpOption::Join(join),
            MptcpOption::Prio(MpPrio { flags, backup, addr_id: id }),
            MptcpOption::TcpRst(MpTcpRst { flags, reason: 3 }),
            MptcpOption::Fail(MpFail { dsn: x, reserved }),
            MptcpOption::Fastclose(MpFastclose { receiver_key: x, reserved }),
            MptcpOption::AddAddr(AddAddr { form: aa_form, addr_id: 1, ip: ipx, port: id.map(u16::from), hmac: hm }),
            MptcpOption::RemoveAddr(RemoveAddr { ids: &[1, 2, 3, 4, 5, 6, 7, 8, 9][..usize::from(flags % 10)], reserved: flags >> 4 }),
        ];
        for o in cases {
            let mut buf = [0u8; 64];
            match o.emit(&mut buf) {
                Ok(n) => {
                    prop_assert_eq!(n, o.buffer_len());
                    prop_assert_eq!(MptcpOption::parse(&buf[..n]), Ok(o));
                }
                Err(e) => {
                    prop_assert_eq!(e, mptcp_dissect::wire::mptcp::EmitError::Unrepresentable);
                    prop_assert_eq!(o.buffer_len(), 0);
                }
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    /// Every sub-option type's own `parse` never panics on arbitrary bytes,
    /// with the framing (kind, length) and its subtype nibble forced in most
    /// cases so each parser sees deep inputs, and left random in the rest.
    #[test]
    fn every_parser_never_panics(mut bytes in proptest::collection::vec(any::<u8>(), 0..48),
                                 frame in 0u8..4) {
        use mptcp_dissect::wire::mptcp::*;
        for st in [0u8, 1, 2, 3, 4, 5, 6, 7, 8, 15] {
            if frame != 0 && bytes.len() >= 3 {
                bytes[0] = KIND_MPTCP;
                bytes[1] = bytes.len() as u8;
                bytes[2] = (st << 4) | (bytes[2] & 0x0f);
            }
            let b = &bytes[..];
            let _ = MpCapable::parse(b);
            let _ = MpJoin::parse(b);
            let _ = Dss::parse(b);
            let _ = AddAddr::parse(b);
            let _ = RemoveAddr::parse(b);
            let _ = MpPrio::parse(b);
            let _ = MpFail::parse(b);
            let _ = MpFastclose::parse(b);
            let _ = MpTcpRst::parse(b);
            let _ = MpExperimental::parse(b);
        }
    }
}
