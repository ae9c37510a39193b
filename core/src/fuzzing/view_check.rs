//! The view oracle: a validated view's accessors against the owned value
//! the decoding walk / `MptcpOption::parse` gives for the same bytes.
//!
//! Shared by the fuzzing oracle ([`super::tcp_options`]) and, through
//! `#[path]`, by `tests/wire_option_views.rs` (which runs without the
//! `fuzzing` feature): the including module provides `w`, the crate's
//! `wire` module.

use super::w::mptcp::{
    AddAddr, DataAck, Dss, DssMapping, MpCapable, MpFail, MpFastclose, MpJoin, MpJoinForm, MpPrio,
    MpTcpRst, MptcpOption, MptcpView, RemoveAddr,
};
use super::w::tcp_option::{OptionView, TcpOption};

/// Asserts that every accessor of `v` equals the corresponding field of
/// `owned` (the decoding walk's item for the same option), and that
/// `v.decode()` is `owned`.
pub fn check_view(v: &OptionView<'_>, owned: &TcpOption<'_>) {
    assert_eq!(v.decode(), Ok(*owned), "view decode disagrees");
    assert_eq!(v.kind(), owned.kind(), "view kind");
    assert_eq!(
        v.mss(),
        if let TcpOption::Mss(m) = owned {
            Some(*m)
        } else {
            None
        }
    );
    let ws = if let TcpOption::WindowScale(s) = owned {
        Some(*s)
    } else {
        None
    };
    assert_eq!(v.window_scale(), ws);
    let ts = if let TcpOption::Timestamps { tsval, tsecr } = owned {
        Some((*tsval, *tsecr))
    } else {
        None
    };
    assert_eq!(v.timestamps(), ts);
    let sack = if let TcpOption::Sack(s) = owned {
        Some(*s)
    } else {
        None
    };
    assert_eq!(v.sack(), sack);
    match (v.mptcp(), owned) {
        (Some(m), TcpOption::Mptcp(o)) => {
            assert_eq!(v.mptcp_subtype(), Some(o.subtype()));
            check_mptcp_view(&m, o);
        }
        (None, TcpOption::Mptcp(_)) => panic!("no MPTCP view for an MPTCP option"),
        (Some(_), _) => panic!("an MPTCP view for a non-MPTCP option"),
        (None, _) => assert_eq!(v.mptcp_subtype(), None),
    }
}

/// Asserts that the sub-option view `m` reads, field by field through its
/// accessors, what `MptcpOption::parse` gave (`o`), and that its `decode`
/// is `o`.
pub fn check_mptcp_view(m: &MptcpView<'_>, o: &MptcpOption<'_>) {
    assert_eq!(m.decode(), *o, "sub-option view decode disagrees");
    assert_eq!(m.subtype(), o.subtype());
    match (m, o) {
        (MptcpView::Dss(d), MptcpOption::Dss(p)) => {
            let data_ack = d.data_ack();
            // Built from the single-field accessors (not `mapping()`).
            let mapping = if d.has_mapping() {
                Some(DssMapping {
                    ssn: d.ssn().expect("ssn with a mapping"),
                    data_len: d.data_len().expect("data_len with a mapping"),
                    checksum: d.checksum(),
                    dsn_wide: d.dsn_wide(),
                    dsn: d.dsn().expect("dsn with a mapping"),
                })
            } else {
                assert_eq!((d.dsn(), d.ssn(), d.data_len()), (None, None, None));
                assert_eq!((d.checksum(), d.dsn_wide()), (None, false));
                None
            };
            assert_eq!(d.mapping(), mapping);
            let built = Dss {
                flags: d.flags(),
                reserved: d.reserved(),
                data_ack: data_ack.map(|a| DataAck {
                    value: a.value,
                    wide: a.wide,
                }),
                mapping,
            };
            assert_eq!(built, *p, "DSS accessors");
            assert_eq!(d.data_fin(), p.data_fin());
        }
        (MptcpView::Capable(c), MptcpOption::Capable(p)) => {
            let built = MpCapable {
                version: c.version(),
                flags: c.flags(),
                sender_key: c.sender_key(),
                receiver_key: c.receiver_key(),
                data_len: c.data_len(),
                checksum: c.checksum(),
            };
            assert_eq!(built, *p, "MP_CAPABLE accessors");
        }
        (MptcpView::Join(j), MptcpOption::Join(p)) => {
            let built = match j.form() {
                MpJoinForm::Syn => MpJoin::Syn {
                    flags: j.flags(),
                    backup: j.backup(),
                    addr_id: j.addr_id().expect("SYN addr id"),
                    token: j.token().expect("SYN token"),
                    nonce: j.nonce().expect("SYN nonce"),
                },
                MpJoinForm::SynAck => MpJoin::SynAck {
                    flags: j.flags(),
                    backup: j.backup(),
                    addr_id: j.addr_id().expect("SYN/ACK addr id"),
                    trunc_hmac: j.trunc_hmac().expect("SYN/ACK truncated HMAC"),
                    nonce: j.nonce().expect("SYN/ACK nonce"),
                },
                MpJoinForm::Ack => MpJoin::Ack {
                    flags: j.flags(),
                    reserved: j.reserved().expect("ACK reserved byte"),
                    hmac: j.hmac().expect("ACK HMAC"),
                },
            };
            assert_eq!(built, *p, "MP_JOIN accessors");
            assert_eq!((j.backup(), j.addr_id()), (p.backup(), p.addr_id()));
            let absent = match j.form() {
                MpJoinForm::Syn => (j.trunc_hmac().is_none(), j.hmac().is_none()),
                MpJoinForm::SynAck => (j.token().is_none(), j.hmac().is_none()),
                MpJoinForm::Ack => (j.token().is_none(), j.nonce().is_none()),
            };
            assert_eq!(absent, (true, true), "MP_JOIN field of another form");
        }
        (MptcpView::AddAddr(a), MptcpOption::AddAddr(p)) => {
            let built = AddAddr {
                form: a.form(),
                addr_id: a.addr_id(),
                ip: a.ip(),
                port: a.port(),
                hmac: a.hmac(),
            };
            assert_eq!(built, *p, "ADD_ADDR accessors");
            assert_eq!(a.echo(), p.echo());
        }
        (MptcpView::RemoveAddr(r), MptcpOption::RemoveAddr(p)) => {
            let built = RemoveAddr {
                ids: r.ids(),
                reserved: r.reserved(),
            };
            assert_eq!(built, *p, "REMOVE_ADDR accessors");
        }
        (MptcpView::Prio(r), MptcpOption::Prio(p)) => {
            let built = MpPrio {
                flags: r.flags(),
                backup: r.backup(),
                addr_id: r.addr_id(),
            };
            assert_eq!(built, *p, "MP_PRIO accessors");
        }
        (MptcpView::Fail(f), MptcpOption::Fail(p)) => {
            let built = MpFail {
                dsn: f.dsn(),
                reserved: f.reserved(),
            };
            assert_eq!(built, *p, "MP_FAIL accessors");
        }
        (MptcpView::Fastclose(f), MptcpOption::Fastclose(p)) => {
            let built = MpFastclose {
                receiver_key: f.receiver_key(),
                reserved: f.reserved(),
            };
            assert_eq!(built, *p, "MP_FASTCLOSE accessors");
        }
        (MptcpView::TcpRst(t), MptcpOption::TcpRst(p)) => {
            let built = MpTcpRst {
                flags: t.flags(),
                reason: t.reason(),
            };
            assert_eq!(built, *p, "MP_TCPRST accessors");
            assert_eq!(
                (t.transient(), t.reason_code()),
                (p.transient(), p.reason_code())
            );
        }
        (MptcpView::Experimental(e), MptcpOption::Experimental(p)) => assert_eq!(e, p),
        (MptcpView::Unknown { subtype, raw }, MptcpOption::Unknown { subtype: s, raw: r }) => {
            assert_eq!((subtype, raw), (s, r));
        }
        _ => panic!("view {m:?} is not the parsed sub-option {o:?}"),
    }
}

/// Asserts that [`MptcpView::new_checked`] and each sub-option view's
/// `new_checked` accept exactly what [`MptcpOption::parse`] and the
/// sub-option's own `parse` accept (the same errors, `WrongSubtype`
/// included), the views reading what the parsers return.
pub fn check_mptcp_bytes(data: &[u8]) {
    use super::w::mptcp::{
        AddAddrView, DssView, MpCapableView, MpFailView, MpFastcloseView, MpJoinView, MpPrioView,
        MpTcpRstView, RemoveAddrView,
    };
    match (MptcpView::new_checked(data), MptcpOption::parse(data)) {
        (Ok(v), Ok(o)) => check_mptcp_view(&v, &o),
        (Err(a), Err(b)) => assert_eq!(a, b, "MptcpView::new_checked error"),
        (v, o) => panic!("MptcpView::new_checked {v:?}, parse {o:?}"),
    }
    assert_eq!(
        DssView::new_checked(data).map(|v| v.decode()),
        Dss::parse(data)
    );
    assert_eq!(
        MpCapableView::new_checked(data).map(|v| v.decode()),
        MpCapable::parse(data)
    );
    assert_eq!(
        MpJoinView::new_checked(data).map(|v| v.decode()),
        MpJoin::parse(data)
    );
    assert_eq!(
        AddAddrView::new_checked(data).map(|v| v.decode()),
        AddAddr::parse(data)
    );
    assert_eq!(
        RemoveAddrView::new_checked(data).map(|v| v.decode()),
        RemoveAddr::parse(data)
    );
    assert_eq!(
        MpPrioView::new_checked(data).map(|v| v.decode()),
        MpPrio::parse(data)
    );
    assert_eq!(
        MpFailView::new_checked(data).map(|v| v.decode()),
        MpFail::parse(data)
    );
    assert_eq!(
        MpFastcloseView::new_checked(data).map(|v| v.decode()),
        MpFastclose::parse(data)
    );
    assert_eq!(
        MpTcpRstView::new_checked(data).map(|v| v.decode()),
        MpTcpRst::parse(data)
    );
}
