//! Synthetic frames for tests, fuzzing and benchmarks (feature `fuzzing`).
//!
//! This module owns writing a raw IP packet (IPv4 or IPv6, link type
//! [`LinkType::RawIp`](crate::wire::frame::LinkType::RawIp)) carrying one TCP
//! segment with timestamps, MPTCP options and a payload, with valid IP and
//! TCP checksums, into caller memory. It uses the crate's own emit code for
//! the MPTCP options, so it is a builder, never an oracle: tests that check
//! parsing use byte vectors and captures written by other tools.
//!
//! It must not allocate or keep state.

use core::net::IpAddr;

use crate::checksum::{tcp_pseudo_header, Checksum, TCP_CHECKSUM_OFFSET};
use crate::wire::mptcp::MptcpOption;
use crate::wire::tcp::TcpFlags;

/// Largest TCP options area.
const MAX_OPTIONS: usize = 40;

/// One TCP segment to synthesise.
#[derive(Debug, Clone, Copy)]
pub struct Segment<'a> {
    /// Source address (IPv4 and IPv6 must not be mixed).
    pub src: IpAddr,
    /// Source port.
    pub sport: u16,
    /// Destination address.
    pub dst: IpAddr,
    /// Destination port.
    pub dport: u16,
    /// Sequence number.
    pub seq: u32,
    /// Acknowledgment number.
    pub ack: u32,
    /// TCP flags.
    pub flags: TcpFlags,
    /// The timestamps option (TSval, TSecr), written first (NOP NOP TS).
    pub timestamps: Option<(u32, u32)>,
    /// MPTCP options, in order.
    pub mptcp: &'a [MptcpOption<'a>],
    /// Payload bytes.
    pub payload: &'a [u8],
}

impl<'a> Segment<'a> {
    /// A segment `src:sport → dst:dport` with no flags, options or payload.
    pub const fn new(src: IpAddr, sport: u16, dst: IpAddr, dport: u16) -> Self {
        Segment {
            src,
            sport,
            dst,
            dport,
            seq: 0,
            ack: 0,
            flags: TcpFlags::EMPTY,
            timestamps: None,
            mptcp: &[],
            payload: &[],
        }
    }
}

/// A tiny bounds-checked writer over caller memory.
struct Out<'b> {
    buf: &'b mut [u8],
    at: usize,
}

impl Out<'_> {
    fn put(&mut self, bytes: &[u8]) -> Option<()> {
        let end = self.at.checked_add(bytes.len())?;
        self.buf.get_mut(self.at..end)?.copy_from_slice(bytes);
        self.at = end;
        Some(())
    }
}

/// Writes `seg` as a raw IP packet into `out`; returns its length, or `None`
/// when `out` is too small, the options exceed 40 bytes, the packet exceeds
/// 65535 bytes, or the address families differ.
pub fn write_ip(seg: &Segment<'_>, out: &mut [u8]) -> Option<usize> {
    // Options: NOP NOP TS, then the MPTCP options, padded with NOPs.
    let mut opts = [0u8; MAX_OPTIONS];
    let mut olen = 0usize;
    if let Some((tsval, tsecr)) = seg.timestamps {
        let ts = opts.get_mut(..12)?;
        ts.copy_from_slice(&[1, 1, 8, 10, 0, 0, 0, 0, 0, 0, 0, 0]);
        ts.get_mut(4..8)?.copy_from_slice(&tsval.to_be_bytes());
        ts.get_mut(8..12)?.copy_from_slice(&tsecr.to_be_bytes());
        olen = 12;
    }
    for m in seg.mptcp {
        let n = m.emit(opts.get_mut(olen..)?).ok()?;
        olen = olen.checked_add(n)?;
    }
    while olen % 4 != 0 {
        *opts.get_mut(olen)? = 1;
        olen = olen.checked_add(1)?;
    }
    let tcp_len = 20usize.checked_add(olen)?.checked_add(seg.payload.len())?;
    let ip_header = match (seg.src, seg.dst) {
        (IpAddr::V4(_), IpAddr::V4(_)) => 20usize,
        (IpAddr::V6(_), IpAddr::V6(_)) => 40,
        _ => return None,
    };
    let total = ip_header.checked_add(tcp_len)?;
    if total > usize::from(u16::MAX) || out.len() < total {
        return None;
    }
    let mut w = Out { buf: out, at: 0 };
    match (seg.src, seg.dst) {
        (IpAddr::V4(s), IpAddr::V4(d)) => {
            let mut h = [0u8; 20];
            h.get_mut(..12)?
                .copy_from_slice(&[0x45, 0, 0, 0, 0, 0, 0x40, 0, 64, 6, 0, 0]);
            h.get_mut(2..4)?
                .copy_from_slice(&u16::try_from(total).ok()?.to_be_bytes());
            h.get_mut(12..16)?.copy_from_slice(&s.octets());
            h.get_mut(16..20)?.copy_from_slice(&d.octets());
            let csum = Checksum::of(&h).finish();
            h.get_mut(10..12)?.copy_from_slice(&csum.to_be_bytes());
            w.put(&h)?;
        }
        (IpAddr::V6(s), IpAddr::V6(d)) => {
            w.put(&[0x60, 0, 0, 0])?;
            w.put(&u16::try_from(tcp_len).ok()?.to_be_bytes())?;
            w.put(&[6, 64])?;
            w.put(&s.octets())?;
            w.put(&d.octets())?;
        }
        _ => return None,
    }
    let tcp_start = w.at;
    w.put(&seg.sport.to_be_bytes())?;
    w.put(&seg.dport.to_be_bytes())?;
    w.put(&seg.seq.to_be_bytes())?;
    w.put(&seg.ack.to_be_bytes())?;
    let offset_words = u16::try_from(tcp_len.checked_sub(seg.payload.len())? / 4).ok()?;
    let flags = seg.flags.bits() & 0x1ff;
    w.put(&((offset_words << 12) | flags).to_be_bytes())?;
    w.put(&[0xff, 0xff, 0, 0, 0, 0])?;
    w.put(opts.get(..olen)?)?;
    w.put(seg.payload)?;
    let segment = w.buf.get(tcp_start..total)?;
    let csum = tcp_pseudo_header(seg.src, seg.dst, 6, u32::try_from(tcp_len).ok()?)
        .combine(Checksum::of(segment))
        .finish();
    let at = tcp_start.checked_add(TCP_CHECKSUM_OFFSET)?;
    w.buf
        .get_mut(at..at.checked_add(2)?)?
        .copy_from_slice(&csum.to_be_bytes());
    Some(total)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checksum::{verify_tcp, TcpChecksum};
    use crate::wire::frame::{parse_frame, LinkType, Transport};
    use crate::wire::mptcp::{MpCapable, Version};
    use crate::wire::tcp_option::TcpOption;

    #[test]
    fn written_packets_parse_back_with_valid_checksums() {
        let cap = MptcpOption::Capable(MpCapable {
            version: Version::V1,
            flags: 0x81,
            sender_key: Some(7),
            receiver_key: None,
            data_len: None,
            checksum: None,
        });
        let opts = [cap];
        for (src, dst) in [("10.0.0.1", "10.0.0.2"), ("2001:db8::1", "2001:db8::2")] {
            let mut seg = Segment::new(src.parse().unwrap(), 1000, dst.parse().unwrap(), 80);
            seg.flags = TcpFlags::SYN | TcpFlags::ACK;
            seg.seq = 5;
            seg.timestamps = Some((11, 22));
            seg.mptcp = &opts;
            seg.payload = b"abc";
            let mut buf = [0u8; 200];
            let n = write_ip(&seg, &mut buf).unwrap();
            let f = parse_frame(&buf[..n], LinkType::RawIp).unwrap();
            let Transport::Tcp(t) = f.transport else {
                panic!("{:?}", f.transport)
            };
            assert_eq!(t.seq_number(), 5);
            assert_eq!(t.flags(), seg.flags);
            assert_eq!(t.payload(), b"abc");
            let got: [_; 4] = core::array::from_fn(|_| None);
            let mut got = got;
            for (i, o) in t.option_iter().enumerate().take(4) {
                got[i] = Some(o.unwrap());
            }
            assert_eq!(
                got[2],
                Some(TcpOption::Timestamps {
                    tsval: 11,
                    tsecr: 22
                })
            );
            assert_eq!(got[3], Some(TcpOption::Mptcp(cap)));
            assert_eq!(
                verify_tcp(f.src(), f.dst(), t.segment()),
                TcpChecksum::Valid
            );
        }
    }

    #[test]
    fn too_small_buffers_and_mixed_families_are_refused() {
        let mut seg = Segment::new(
            "10.0.0.1".parse().unwrap(),
            1,
            "10.0.0.2".parse().unwrap(),
            2,
        );
        assert_eq!(write_ip(&seg, &mut [0u8; 39]), None);
        assert_eq!(write_ip(&seg, &mut [0u8; 40]), Some(40));
        seg.dst = "::1".parse().unwrap();
        assert_eq!(write_ip(&seg, &mut [0u8; 100]), None);
    }
}
