//! Host tests: the frame loop against a mocked W5500 (embedded-hal-mock's
//! SPI device, expecting the exact register transactions of the datasheet's
//! MACRAW receive procedure), fed with the real captures of `fixtures/`.

extern crate std;

use std::vec::Vec;

use embedded_hal_mock::eh1::spi::{Mock, Transaction as T};
use mptcp_dissect::dissector::{Dissector, DissectorConfig};
use w5500_ll::eh1::vdm::W5500;

use super::*;

const SN0: u8 = 0b00001;
const SN0_RX: u8 = 0b00011;

fn header(addr: u16, block: u8, write: bool) -> Vec<u8> {
    let [hi, lo] = addr.to_be_bytes();
    std::vec![hi, lo, (block << 3) | (u8::from(write) << 2)]
}

fn rd(addr: u16, block: u8, data: &[u8]) -> [T<u8>; 4] {
    [
        T::transaction_start(),
        T::write_vec(header(addr, block, false)),
        T::read_vec(data.to_vec()),
        T::transaction_end(),
    ]
}

fn wr(addr: u16, block: u8, data: &[u8]) -> [T<u8>; 4] {
    [
        T::transaction_start(),
        T::write_vec(header(addr, block, true)),
        T::write_vec(data.to_vec()),
        T::transaction_end(),
    ]
}

fn init_expectations(version: u8, status: u8) -> Vec<T<u8>> {
    let mut e = Vec::new();
    e.extend(rd(0x0039, 0, &[version]));
    if version != W5500_VERSION {
        return e;
    }
    e.extend(wr(0x0001, SN0, &[0x10])); // Sn_CR = CLOSE
    e.extend(rd(0x0001, SN0, &[0x10])); // not taken yet
    e.extend(rd(0x0001, SN0, &[0x00])); // taken
    for sn in 0u8..8 {
        let size = if sn == 0 { 16 } else { 0 };
        e.extend(wr(0x001e, sn * 4 + 1, &[size]));
    }
    e.extend(wr(0x0000, SN0, &[0x04])); // Sn_MR = MACRAW, MFEN off
    e.extend(wr(0x0001, SN0, &[0x01])); // Sn_CR = OPEN
    e.extend(rd(0x0001, SN0, &[0x00])); // Sn_CR taken
    e.extend(rd(0x0003, SN0, &[status])); // Sn_SR
    e
}

/// The transactions of receiving `frame` with the read pointer at `ptr`;
/// returns the next read pointer.
fn recv_expectations(e: &mut Vec<T<u8>>, ptr: u16, frame: &[u8], fits: bool) -> u16 {
    let total = frame.len() as u16 + 2;
    e.extend(rd(0x0026, SN0, &total.to_be_bytes())); // Sn_RX_RSR
    e.extend(rd(0x0026, SN0, &total.to_be_bytes())); // again, the same
    e.extend(rd(0x0028, SN0, &ptr.to_be_bytes())); // Sn_RX_RD
    e.extend(rd(ptr, SN0_RX, &total.to_be_bytes())); // length header
    if fits {
        e.extend(rd(ptr.wrapping_add(2), SN0_RX, frame));
    }
    let next = ptr.wrapping_add(total);
    e.extend(wr(0x0028, SN0, &next.to_be_bytes()));
    e.extend(wr(0x0001, SN0, &[0x40])); // Sn_CR = RECV
    e.extend(rd(0x0001, SN0, &[0x00])); // Sn_CR taken
    next
}

fn read_pcap(name: &str) -> Vec<Vec<u8>> {
    let path = std::format!("{}/../../fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    let data = std::fs::read(&path).expect("fixture");
    assert_eq!(
        &data[..4],
        &[0xd4, 0xc3, 0xb2, 0xa1],
        "little-endian µs pcap"
    );
    assert_eq!(
        u32::from_le_bytes(data[20..24].try_into().unwrap()),
        1,
        "Ethernet"
    );
    let mut out = Vec::new();
    let mut off = 24;
    while off + 16 <= data.len() {
        let incl = u32::from_le_bytes(data[off + 8..off + 12].try_into().unwrap()) as usize;
        out.push(data[off + 16..off + 16 + incl].to_vec());
        off += 16 + incl;
    }
    out
}

#[test]
fn init_opens_macraw() {
    let mut w = W5500::new(Mock::new(&init_expectations(0x04, 0x42)));
    assert_eq!(init(&mut w), Ok(()));
    w.free().done();
}

#[test]
fn init_rejects_other_chips_and_states() {
    let mut w = W5500::new(Mock::new(&init_expectations(0x51, 0)));
    assert_eq!(init(&mut w), Err(Error::Version(0x51)));
    w.free().done();
    let mut w = W5500::new(Mock::new(&init_expectations(0x04, 0x00)));
    assert_eq!(init(&mut w), Err(Error::NotMacraw(0x00)));
    w.free().done();
}

#[test]
fn empty_ring_reads_only_rsr() {
    let mut e = rd(0x0026, SN0, &[0, 0]).to_vec();
    e.extend(rd(0x0026, SN0, &[0, 0]));
    let mut w = W5500::new(Mock::new(&e));
    let mut buf = [0u8; MAX_FRAME];
    assert_eq!(recv_frame(&mut w, &mut buf), Ok(Recv::Empty));
    w.free().done();
}

/// `Sn_RX_RSR` is read until two reads in a row agree: a torn read (here
/// 0x01ff while the register goes from 0x00ff to 0x0100) is not taken for
/// the ring's size. Reads that never agree leave the ring alone (empty for
/// now), after `RSR_READS` reads.
#[test]
fn rx_size_is_read_until_two_reads_agree() {
    let frame = [0x5au8; 98];
    let mut e = Vec::new();
    for v in [0x00ffu16, 0x01ff] {
        e.extend(rd(0x0026, SN0, &v.to_be_bytes()));
    }
    // Then the frame's own transactions, whose two RSR reads agree.
    recv_expectations(&mut e, 0x1234, &frame, true);
    let mut w = W5500::new(Mock::new(&e));
    let mut buf = [0u8; MAX_FRAME];
    assert_eq!(recv_frame(&mut w, &mut buf), Ok(Recv::Frame(98)));
    assert_eq!(&buf[..98], &frame[..]);
    w.free().done();
    let mut e = Vec::new();
    for i in 0..RSR_READS as u16 {
        e.extend(rd(0x0026, SN0, &(100 + i).to_be_bytes()));
    }
    let mut w = W5500::new(Mock::new(&e));
    assert_eq!(recv_frame(&mut w, &mut buf), Ok(Recv::Empty));
    w.free().done();
}

#[test]
fn oversize_frame_is_skipped_and_freed() {
    let frame = [0xabu8; 100];
    let mut e = Vec::new();
    recv_expectations(&mut e, 0xfff0, &frame, false);
    let mut w = W5500::new(Mock::new(&e));
    let mut buf = [0u8; 64];
    assert_eq!(recv_frame(&mut w, &mut buf), Ok(Recv::Dropped(100)));
    w.free().done();
}

/// A length header that counts less than itself or more than the ring
/// holds is refused, and the read pointer is not moved.
#[test]
fn bad_length_headers_are_refused() {
    for (rsr, total) in [(100u16, 0u16), (100, 1), (100, 101), (100, 0xffff)] {
        let mut e = Vec::new();
        e.extend(rd(0x0026, SN0, &rsr.to_be_bytes())); // Sn_RX_RSR
        e.extend(rd(0x0026, SN0, &rsr.to_be_bytes())); // again, the same
        e.extend(rd(0x0028, SN0, &0x1234u16.to_be_bytes())); // Sn_RX_RD
        e.extend(rd(0x1234, SN0_RX, &total.to_be_bytes())); // length header
        let mut w = W5500::new(Mock::new(&e));
        let mut buf = [0u8; MAX_FRAME];
        assert_eq!(
            recv_frame(&mut w, &mut buf),
            Err(Error::BadHeader(total)),
            "rsr {rsr} total {total}"
        );
        w.free().done();
    }
    // Exactly what the ring holds is a frame.
    let frame = [0x5au8; 98];
    let mut e = Vec::new();
    recv_expectations(&mut e, 0x1234, &frame, true);
    let mut w = W5500::new(Mock::new(&e));
    let mut buf = [0u8; MAX_FRAME];
    assert_eq!(recv_frame(&mut w, &mut buf), Ok(Recv::Frame(98)));
    w.free().done();
}

/// The whole loop over real captures: every frame comes out of the mocked
/// RX ring (the read pointer wrapping around 0xffff), and the verdicts are
/// those of the dissector run directly on the capture.
#[test]
fn frame_loop_over_fixtures() {
    for name in [
        "linux/v1-csum-on.pcap",
        "linux/v1-addaddr-v4v6.pcap",
        "linux/v1-ipv6.pcap",
        "crafted/malformed.pcap",
    ] {
        let frames = read_pcap(name);
        let mut e = Vec::new();
        let mut ptr = 0xf000u16;
        for f in &frames {
            ptr = recv_expectations(&mut e, ptr, f, true);
        }
        e.extend(rd(0x0026, SN0, &[0, 0]));
        e.extend(rd(0x0026, SN0, &[0, 0]));

        // What the dissector says when run directly on the capture.
        let mut direct: Dissector<64, 32> = Dissector::new([5; 16], DissectorConfig::default());
        let want: Vec<Verdict> = frames
            .iter()
            .enumerate()
            .map(|(i, f)| {
                let d = direct.dissect(f, LinkType::Ethernet, i as u64 * 1_000_000);
                Verdict::of(f.len(), &d, direct.events())
            })
            .collect();

        let mut w = W5500::new(Mock::new(&e));
        let mut dis: Dissector<64, 32> = Dissector::new([5; 16], DissectorConfig::default());
        let mut view = dis.view();
        let mut buf = [0u8; MAX_FRAME];
        let mut got = Vec::new();
        let mut n = 0u64;
        loop {
            let r = poll(&mut w, &mut view, &mut buf, n * 1_000_000, |v, _, _| {
                got.push(*v)
            })
            .expect("poll");
            if r == Recv::Empty {
                break;
            }
            n += 1;
        }
        w.free().done();
        assert_eq!(got, want, "{name}");
        assert_eq!(got.len(), frames.len());
        if name.starts_with("linux/") {
            assert!(got.iter().filter(|v| v.class == Class::Mptcp).count() > frames.len() / 2);
            assert!(got.iter().any(|v| v.conn.is_some()), "{name}: a connection");
        } else {
            assert!(
                got.iter().any(|v| v.option_errors > 0),
                "{name}: option errors"
            );
        }
    }
}

/// A command the chip never takes (Sn_CR stays set) is an error after
/// COMMAND_POLLS reads, not a hang, nor a read of a socket state the
/// command has not produced.
#[test]
fn a_command_the_chip_does_not_take_is_an_error() {
    let mut e = Vec::new();
    e.extend(rd(0x0039, 0, &[0x04]));
    e.extend(wr(0x0001, SN0, &[0x10])); // Sn_CR = CLOSE
    for _ in 0..COMMAND_POLLS {
        e.extend(rd(0x0001, SN0, &[0x10]));
    }
    let mut w = W5500::new(Mock::new(&e));
    assert_eq!(init(&mut w), Err(Error::CommandStuck(0x10)));
    w.free().done();
}

/// The cycle clock in nanoseconds: exact (168 MHz: 168 cycles a µs), and
/// past 3.5 years of cycles, where `cycles * 1000` overflowed, still
/// increasing and equal to the exact value (u128 arithmetic).
#[test]
fn cycle_clock_does_not_overflow() {
    assert_eq!(cycles_to_ns(168, 168), 1000);
    assert_eq!(cycles_to_ns(167, 168), 994);
    let exact = |c: u64| (u128::from(c) * 1000 / 168) as u64;
    let wrap = u64::MAX / 1000; // where cycles * 1000 overflowed
    for c in [
        0,
        1,
        12_345_678_901,
        wrap - 1,
        wrap,
        wrap + 1,
        wrap * 100,
        u64::MAX / 8,
    ] {
        assert_eq!(cycles_to_ns(c, 168), exact(c), "{c}");
    }
    assert!(cycles_to_ns(wrap + 168, 168) > cycles_to_ns(wrap - 168, 168));
    assert_eq!(cycles_to_ns(5, 0), 0);
}
