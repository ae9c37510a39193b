//! The option walks of `benches/options.rs`, shared with the
//! `option_walk` example (callgrind instruction counts of the very same
//! functions the criterion bench times).

use std::hint::black_box;

use std::net::IpAddr;

use mptcp_dissect::wire::mptcp::{AddAddrForm, MptcpView};
use mptcp_dissect::wire::tcp_option::{kind, OptionView, TcpOptions};

pub fn ours(areas: &[Vec<u8>]) -> usize {
    let mut n = 0;
    for a in areas {
        for o in TcpOptions::new(a) {
            n += usize::from(o.is_ok());
            let _ = black_box(o);
        }
    }
    n
}

/// Framing only (`next_raw`): the same walk as etherparse's raw walk, no
/// option decoded.
pub fn ours_raw(areas: &[Vec<u8>]) -> usize {
    let mut n = 0;
    for a in areas {
        let mut it = TcpOptions::new(a);
        while let Some(o) = it.next_raw() {
            n += usize::from(o.is_ok());
            let _ = black_box(o);
        }
    }
    n
}

/// The view walk (`TcpOptions::next_view`): every option validated as
/// `ours` validates it, no field read.
pub fn ours_view(areas: &[Vec<u8>]) -> usize {
    let mut n = 0;
    for a in areas {
        let mut it = TcpOptions::new(a);
        while let Some(o) = it.next_view() {
            n += usize::from(o.is_ok());
            let _ = black_box(o);
        }
    }
    n
}

/// The view walk reading every field: for each MPTCP sub-option every
/// accessor of its view, for each classic option its value, all folded
/// into the black-boxed result (the "full decoding" peer of `ours`).
pub fn ours_view_fields(areas: &[Vec<u8>]) -> usize {
    let mut n = 0;
    for a in areas {
        let mut it = TcpOptions::new(a);
        while let Some(o) = it.next_view() {
            match o {
                Ok(v) => {
                    n += 1;
                    black_box(fields(&v));
                }
                Err(e) => {
                    black_box(e);
                }
            }
        }
    }
    n
}

fn slice_bits(s: &[u8]) -> u64 {
    (s.as_ptr() as usize as u64) ^ (s.len() as u64).rotate_left(48)
}

fn opt_u64(v: Option<u64>) -> u64 {
    v.map_or(1 << 63, |x| x)
}

/// Every field of one view, folded.
#[inline(always)]
fn fields(v: &OptionView<'_>) -> u64 {
    let Some(m) = v.mptcp() else {
        return match v.kind() {
            kind::MSS => v.mss().map_or(0, u64::from),
            kind::WINDOW_SCALE => v.window_scale().map_or(0, u64::from),
            kind::TIMESTAMPS => v
                .timestamps()
                .map_or(0, |(a, b)| u64::from(a) << 32 | u64::from(b)),
            kind::SACK => v.sack().map_or(0, |s| slice_bits(s.as_bytes())),
            kind::EOL | kind::NOP | kind::SACK_PERMITTED => u64::from(v.kind()),
            kind::MD5
            | kind::TCP_AO
            | kind::FAST_OPEN
            | kind::EXPERIMENTAL_1
            | kind::EXPERIMENTAL_2 => {
                let _ = black_box(v.decode());
                0
            }
            _ => slice_bits(v.data()),
        };
    };
    match m {
        MptcpView::Dss(d) => {
            let ack = d.data_ack();
            u64::from(d.flags())
                ^ u64::from(d.reserved()) << 8
                ^ u64::from(d.data_fin()) << 12
                ^ opt_u64(ack.map(|a| a.value))
                ^ u64::from(ack.is_some_and(|a| a.wide)) << 13
                ^ u64::from(d.has_mapping()) << 14
                ^ opt_u64(d.dsn()).rotate_left(7)
                ^ u64::from(d.dsn_wide()) << 15
                ^ opt_u64(d.ssn().map(u64::from)).rotate_left(17)
                ^ opt_u64(d.data_len().map(u64::from)).rotate_left(29)
                ^ opt_u64(d.checksum().map(u64::from)).rotate_left(41)
        }
        MptcpView::Capable(c) => {
            u64::from(c.version() as u8)
                ^ u64::from(c.flags()) << 8
                ^ opt_u64(c.sender_key())
                ^ opt_u64(c.receiver_key()).rotate_left(7)
                ^ opt_u64(c.data_len().map(u64::from)).rotate_left(17)
                ^ opt_u64(c.checksum().map(u64::from)).rotate_left(29)
        }
        MptcpView::Join(j) => {
            let hmac = j.hmac();
            let _ = black_box(hmac);
            u64::from(j.form() as u8)
                ^ u64::from(j.flags()) << 8
                ^ u64::from(j.backup()) << 12
                ^ opt_u64(j.addr_id().map(u64::from)).rotate_left(3)
                ^ opt_u64(j.token().map(u64::from)).rotate_left(7)
                ^ opt_u64(j.nonce().map(u64::from)).rotate_left(11)
                ^ opt_u64(j.trunc_hmac()).rotate_left(17)
                ^ opt_u64(j.reserved().map(u64::from)).rotate_left(23)
                ^ u64::from(hmac.is_some())
        }
        MptcpView::AddAddr(a) => {
            let ip = match a.ip() {
                IpAddr::V4(x) => u64::from(u32::from(x)),
                IpAddr::V6(x) => {
                    let b = u128::from(x);
                    (b as u64) ^ ((b >> 64) as u64)
                }
            };
            let form = match a.form() {
                AddAddrForm::V0 => 0,
                AddAddrForm::V1 { echo } => 1 | u64::from(echo) << 1,
            };
            form ^ u64::from(a.echo()) << 2
                ^ u64::from(a.addr_id()) << 8
                ^ ip.rotate_left(16)
                ^ opt_u64(a.port().map(u64::from)).rotate_left(5)
                ^ opt_u64(a.hmac()).rotate_left(37)
        }
        MptcpView::RemoveAddr(r) => slice_bits(r.ids()) ^ u64::from(r.reserved()),
        MptcpView::Prio(p) => {
            u64::from(p.flags()) ^ u64::from(p.backup()) << 4 ^ opt_u64(p.addr_id().map(u64::from))
        }
        MptcpView::Fail(f) => f.dsn() ^ u64::from(f.reserved()).rotate_left(50),
        MptcpView::Fastclose(f) => f.receiver_key() ^ u64::from(f.reserved()).rotate_left(50),
        MptcpView::TcpRst(t) => {
            u64::from(t.flags())
                ^ u64::from(t.reason()) << 4
                ^ u64::from(t.transient()) << 12
                ^ u64::from(t.reason_code().code()) << 16
        }
        MptcpView::Experimental(e) => slice_bits(e.raw),
        MptcpView::Unknown { subtype, raw } => slice_bits(raw) ^ u64::from(subtype),
    }
}

pub fn etherparse(areas: &[Vec<u8>]) -> usize {
    let mut n = 0;
    for a in areas {
        for o in etherparse::TcpOptionsIterator::from_slice(a) {
            n += usize::from(o.is_ok());
            let _ = black_box(o);
        }
    }
    n
}

/// etherparse's iterator restarted after each option kind it does not know
/// (skipped by its length byte, not decoded): a raw walk of the whole area.
pub fn etherparse_skip(areas: &[Vec<u8>]) -> usize {
    let mut n = 0;
    for a in areas {
        let mut it = etherparse::TcpOptionsIterator::from_slice(a);
        loop {
            let before = it.rest();
            match it.next() {
                None => break,
                Some(Ok(e)) => {
                    n += 1;
                    black_box(e);
                }
                Some(Err(etherparse::TcpOptionReadError::UnknownId(_))) => {
                    match before.get(1).map(|&l| usize::from(l)) {
                        Some(l) if l >= 2 && l <= before.len() => {
                            n += 1;
                            black_box(&before[..l]);
                            it = etherparse::TcpOptionsIterator::from_slice(&before[l..]);
                        }
                        _ => break,
                    }
                }
                Some(Err(_)) => break,
            }
        }
    }
    n
}

pub fn smoltcp(areas: &[Vec<u8>]) -> usize {
    use smoltcp::wire::TcpOption;
    let mut n = 0;
    for a in areas {
        let mut rest: &[u8] = a;
        while let Ok((r, o)) = TcpOption::parse(rest) {
            n += 1;
            black_box(&o);
            if o == TcpOption::EndOfList {
                break;
            }
            rest = r;
            if rest.is_empty() {
                break;
            }
        }
    }
    n
}

pub fn has_mptcp(a: &[u8]) -> bool {
    let mut i = 0;
    while let Some(&k) = a.get(i) {
        match k {
            0 => return false,
            1 => i += 1,
            30 => return true,
            _ => match a.get(i + 1) {
                Some(&l) if l >= 2 => i += usize::from(l),
                _ => return false,
            },
        }
    }
    false
}
