//! Reading capture files: pcap (micro- and nanosecond) and pcapng (several
//! sections and interfaces, each with its own link type and time resolution).
//!
//! This module owns turning a file into a stream of [`Packet`]s. It must not
//! interpret packet bytes: that is the dissector's job.

use std::fmt;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use pcap_parser::pcapng::Block;
use pcap_parser::{create_reader, PcapBlockOwned, PcapError};

/// One captured packet, borrowed from the reader's buffer.
#[derive(Debug, Clone, Copy)]
pub struct Packet<'a> {
    /// 1-based index of the packet in the file (as tshark numbers frames).
    pub index: u64,
    /// Capture time in seconds since the epoch.
    pub ts: f64,
    /// The pcap LINKTYPE_* value of the interface the packet was captured on.
    pub linktype: u32,
    /// The captured bytes (possibly shorter than on the wire).
    pub data: &'a [u8],
}

/// Why a capture could not be read.
#[derive(Debug)]
pub enum CaptureError {
    /// The file could not be opened or read.
    Io(PathBuf, std::io::Error),
    /// The file is empty.
    Empty(PathBuf),
    /// The file is neither pcap nor pcapng.
    NotACapture(PathBuf),
    /// The file ends in the middle of a block (after `packets` whole packets).
    Truncated(PathBuf, u64),
    /// A block could not be parsed (after `packets` whole packets).
    Corrupt(PathBuf, u64, String),
    /// An enhanced packet block names an interface that was never described.
    UnknownInterface(PathBuf, u64, u32),
}

impl fmt::Display for CaptureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CaptureError::Io(p, e) => write!(f, "{}: cannot read: {e}", p.display()),
            CaptureError::Empty(p) => write!(f, "{}: empty file, not a capture", p.display()),
            CaptureError::NotACapture(p) => {
                write!(f, "{}: not a pcap or pcapng file", p.display())
            }
            CaptureError::Truncated(p, n) => write!(
                f,
                "{}: file is truncated: it ends inside a block after {n} packets",
                p.display()
            ),
            CaptureError::Corrupt(p, n, why) => {
                write!(f, "{}: corrupt block after {n} packets: {why}", p.display())
            }
            CaptureError::UnknownInterface(p, n, id) => write!(
                f,
                "{}: packet {} names interface {id}, which no interface block describes",
                p.display(),
                n + 1
            ),
        }
    }
}

impl std::error::Error for CaptureError {}

#[derive(Debug, Clone, Copy)]
struct Interface {
    linktype: u32,
    /// Timestamp units per second.
    resolution: u64,
    offset: i64,
}

/// Call `each` for every packet of the capture at `path`, in file order.
///
/// Packets seen before an error have already been handed to `each` when the
/// error is returned, so a caller can report what it has and then the error.
pub fn for_each_packet(path: &Path, mut each: impl FnMut(Packet<'_>)) -> Result<u64, CaptureError> {
    let file = File::open(path).map_err(|e| CaptureError::Io(path.into(), e))?;
    for_each_packet_in(path, file, &mut each)
}

fn for_each_packet_in(
    path: &Path,
    input: impl Read + Send,
    each: &mut impl FnMut(Packet<'_>),
) -> Result<u64, CaptureError> {
    let mut reader = match create_reader(1 << 20, input) {
        Ok(r) => r,
        Err(PcapError::Eof) => return Err(CaptureError::Empty(path.into())),
        Err(PcapError::ReadError) => {
            return Err(CaptureError::Io(
                path.into(),
                std::io::Error::other("read failed"),
            ))
        }
        Err(PcapError::Incomplete(_)) | Err(PcapError::UnexpectedEof) => {
            return Err(CaptureError::Truncated(path.into(), 0))
        }
        Err(_) => return Err(CaptureError::NotACapture(path.into())),
    };
    let mut legacy: Option<Interface> = None;
    let mut interfaces: Vec<Interface> = Vec::new();
    let mut count: u64 = 0;
    loop {
        match reader.next() {
            Ok((offset, block)) => {
                match block {
                    PcapBlockOwned::LegacyHeader(h) => {
                        legacy = Some(Interface {
                            linktype: h.network.0 as u32,
                            resolution: if h.is_nanosecond_precision() {
                                1_000_000_000
                            } else {
                                1_000_000
                            },
                            offset: 0,
                        });
                    }
                    PcapBlockOwned::Legacy(b) => {
                        let Some(ifc) = legacy else {
                            return Err(CaptureError::Corrupt(
                                path.into(),
                                count,
                                "packet before file header".into(),
                            ));
                        };
                        let len = (b.caplen as usize).min(b.data.len());
                        let ts = f64::from(b.ts_sec) + f64::from(b.ts_usec) / ifc.resolution as f64;
                        count += 1;
                        each(Packet {
                            index: count,
                            ts,
                            linktype: ifc.linktype,
                            data: b.data.get(..len).unwrap_or(b.data),
                        });
                    }
                    PcapBlockOwned::NG(Block::SectionHeader(_)) => interfaces.clear(),
                    PcapBlockOwned::NG(Block::InterfaceDescription(idb)) => {
                        let resolution = idb
                            .if_tsresol()
                            .and_then(|r| r.ok())
                            .map_or(Some(1_000_000), pcap_parser::build_ts_resolution)
                            .unwrap_or(1_000_000);
                        interfaces.push(Interface {
                            linktype: idb.linktype.0 as u32,
                            resolution,
                            offset: idb.if_tsoffset,
                        });
                    }
                    PcapBlockOwned::NG(Block::EnhancedPacket(epb)) => {
                        let Some(ifc) = interfaces.get(epb.if_id as usize).copied() else {
                            return Err(CaptureError::UnknownInterface(
                                path.into(),
                                count,
                                epb.if_id,
                            ));
                        };
                        let raw = (u64::from(epb.ts_high) << 32) | u64::from(epb.ts_low);
                        let ts = ifc.offset as f64
                            + (raw / ifc.resolution) as f64
                            + (raw % ifc.resolution) as f64 / ifc.resolution as f64;
                        let len = (epb.caplen as usize).min(epb.data.len());
                        count += 1;
                        each(Packet {
                            index: count,
                            ts,
                            linktype: ifc.linktype,
                            data: epb.data.get(..len).unwrap_or(epb.data),
                        });
                    }
                    PcapBlockOwned::NG(Block::SimplePacket(spb)) => {
                        let Some(ifc) = interfaces.first().copied() else {
                            return Err(CaptureError::UnknownInterface(path.into(), count, 0));
                        };
                        let len = (spb.origlen as usize).min(spb.data.len());
                        count += 1;
                        each(Packet {
                            index: count,
                            ts: 0.0,
                            linktype: ifc.linktype,
                            data: spb.data.get(..len).unwrap_or(spb.data),
                        });
                    }
                    PcapBlockOwned::NG(_) => {}
                }
                reader.consume(offset);
            }
            Err(PcapError::Eof) => return Ok(count),
            Err(PcapError::Incomplete(_)) => {
                // The reader says Eof / UnexpectedEof itself once its input
                // is exhausted, so refilling always makes progress.
                if reader.refill().is_err() {
                    return Err(CaptureError::Io(
                        path.into(),
                        std::io::Error::other("read failed"),
                    ));
                }
            }
            Err(PcapError::UnexpectedEof) => {
                return Err(CaptureError::Truncated(path.into(), count))
            }
            Err(PcapError::BufferTooSmall) => {
                let cap = reader.data().len().saturating_mul(2).max(1 << 21);
                if cap > 1 << 28 || !reader.grow(cap) {
                    return Err(CaptureError::Corrupt(
                        path.into(),
                        count,
                        "block larger than 256 MiB".into(),
                    ));
                }
                reader.refill().map_err(|_| {
                    CaptureError::Io(path.into(), std::io::Error::other("read failed"))
                })?;
            }
            Err(e) => return Err(CaptureError::Corrupt(path.into(), count, format!("{e:?}"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(bytes: &[u8]) -> Result<Vec<(u64, u32, usize)>, CaptureError> {
        let mut out = Vec::new();
        for_each_packet_in(Path::new("mem"), bytes, &mut |p| {
            out.push((p.index, p.linktype, p.data.len()))
        })
        .map(|_| out)
    }

    fn legacy_file(nanos: bool, packets: &[&[u8]]) -> Vec<u8> {
        let mut f = Vec::new();
        let magic: u32 = if nanos { 0xa1b2_3c4d } else { 0xa1b2_c3d4 };
        f.extend_from_slice(&magic.to_le_bytes());
        f.extend_from_slice(&2u16.to_le_bytes());
        f.extend_from_slice(&4u16.to_le_bytes());
        f.extend_from_slice(&[0; 8]);
        f.extend_from_slice(&65535u32.to_le_bytes());
        f.extend_from_slice(&101u32.to_le_bytes());
        for (i, p) in packets.iter().enumerate() {
            f.extend_from_slice(&(i as u32 + 1).to_le_bytes());
            f.extend_from_slice(&500u32.to_le_bytes());
            f.extend_from_slice(&(p.len() as u32).to_le_bytes());
            f.extend_from_slice(&(p.len() as u32).to_le_bytes());
            f.extend_from_slice(p);
        }
        f
    }

    #[test]
    fn reads_legacy_pcap_and_numbers_from_one() {
        let f = legacy_file(false, &[&[0x45; 20], &[0x60; 40]]);
        assert_eq!(read_all(&f).unwrap(), vec![(1, 101, 20), (2, 101, 40)]);
    }

    #[test]
    fn nanosecond_pcap_timestamps() {
        let f = legacy_file(true, &[&[0x45; 20]]);
        let mut ts = 0.0;
        for_each_packet_in(Path::new("mem"), &f[..], &mut |p| ts = p.ts).unwrap();
        assert!((ts - 1.0000005).abs() < 1e-9, "{ts}");
    }

    #[test]
    fn truncated_file_is_an_error_after_the_good_packets() {
        let f = legacy_file(false, &[&[0x45; 20], &[0x60; 40]]);
        let mut seen = 0;
        let err = for_each_packet_in(Path::new("mem"), &f[..f.len() - 5], &mut |_| seen += 1)
            .unwrap_err();
        assert_eq!(seen, 1);
        assert!(matches!(err, CaptureError::Truncated(_, 1)), "{err}");
    }

    #[test]
    fn garbage_and_empty_files_are_errors() {
        assert!(matches!(
            read_all(b"this is not a capture file at all, not even close......"),
            Err(CaptureError::NotACapture(_))
        ));
        assert!(matches!(read_all(b""), Err(CaptureError::Empty(_))));
    }
}
