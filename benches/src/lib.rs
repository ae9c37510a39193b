//! Support code for the criterion benchmarks in `benches/`: a tiny classic
//! pcap reader, the fixture "traffic mix", and a replicator that turns the
//! few real MPTCP connections of the fixtures into as many distinct,
//! *self-consistent* connections as a benchmark needs (1 K … 1 M flows).
//!
//! # Replication
//!
//! A *story* is one capture of `fixtures/linux/` (one or two MPTCP
//! connections, their joins, data, ADD_ADDR, close). A *session* is one
//! replay of a story under a 32-bit session id. For session `id` every
//! frame is rewritten so that the dissector sees a brand-new connection that
//! behaves exactly like the original:
//!
//! * IPv4 addresses: bits 10..23 and 2..7 are XORed with the id's 20 low
//!   bits (the first octet and the host bits that tell endpoints apart stay);
//!   IPv6 addresses: bytes 4..8 are XORed with the id. The IPv4 header
//!   checksum is recomputed. Ports are kept. The addresses inside ADD_ADDR
//!   get the same rewrite.
//! * Every MPTCP key (MP_CAPABLE, MP_FASTCLOSE) is XORed with a per-session
//!   64-bit mask, and everything derived from a key is recomputed: MP_JOIN
//!   tokens, the MP_JOIN SYN/ACK and ACK HMACs, the ADD_ADDR HMAC, and every
//!   DSN / data ACK is shifted by the change of its IDSN, with the DSS
//!   checksum updated incrementally (RFC 1624), so a wrong checksum stays
//!   wrong (the MP_FAIL story) — also the checksum of the MP_CAPABLE third
//!   ACK that carries data, whose DSN (IDSN + 1) is implicit.
//!
//! The test `tests/replica.rs` checks that a replayed session yields the same
//! counters and the same events as the original capture.
//!
//! TCP checksums are not updated (the dissector does not verify them).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use mptcp_dissect::crypto;
use mptcp_dissect::wire::frame::LinkType;
use mptcp_dissect::wire::mptcp::Version;

/// One capture: its link type and frames (captured bytes).
#[derive(Debug, Clone)]
pub struct Capture {
    /// Name of the file.
    pub name: String,
    /// pcap `LINKTYPE_*`.
    pub linktype: u32,
    /// Frames, in file order.
    pub frames: Vec<Vec<u8>>,
}

impl Capture {
    /// The dissector's link type.
    pub fn link(&self) -> LinkType {
        LinkType::from_pcap(self.linktype).expect("known link type")
    }
}

/// Reads a classic (libpcap) file, either byte order, µs or ns timestamps.
///
/// # Panics
/// If the file cannot be read or is not a classic pcap file.
pub fn read_pcap(path: &Path) -> Capture {
    try_read_pcap(path).unwrap_or_else(|| panic!("{}: not a classic pcap file", path.display()))
}

/// [`read_pcap`], `None` for a file that is not classic pcap (pcapng).
pub fn try_read_pcap(path: &Path) -> Option<Capture> {
    let data = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let magic = u32::from_le_bytes(data.get(0..4)?.try_into().ok()?);
    let le = match magic {
        0xa1b2_c3d4 | 0xa1b2_3c4d => true,
        0xd4c3_b2a1 | 0x4d3c_b2a1 => false,
        _ => return None,
    };
    let u32_at = |o: usize| {
        let b: [u8; 4] = data[o..o + 4].try_into().unwrap();
        if le {
            u32::from_le_bytes(b)
        } else {
            u32::from_be_bytes(b)
        }
    };
    let linktype = u32_at(20) & 0x0fff_ffff;
    let mut frames = Vec::new();
    let mut off = 24;
    while off + 16 <= data.len() {
        let incl = u32_at(off + 8) as usize;
        let start = off + 16;
        frames.push(data.get(start..start + incl)?.to_vec());
        off = start + incl;
    }
    Some(Capture {
        name: path.file_name()?.to_string_lossy().into_owned(),
        linktype,
        frames,
    })
}

/// `fixtures/` of the repository.
pub fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures")
}

/// Captures the benches leave out, so that the measured mix and option
/// areas stay those of the earlier sessions and their numbers comparable:
/// `v1-mixed.pcap` (MPTCP beside plain TCP, added in the sixth session; its
/// plain TCP would make the mix cheaper, not dearer) and
/// `v1-join-refused.pcap` (a join refused with a RST) and
/// `v1-fallback-fin.pcap` (a fallback to TCP), added in the twentieth.
pub const NOT_BENCHED: &[&str] = &[
    "v1-mixed.pcap",
    "v1-join-refused.pcap",
    "v1-fallback-fin.pcap",
];

fn benched(p: &Path) -> bool {
    !p.file_name()
        .is_some_and(|n| NOT_BENCHED.iter().any(|x| n == std::ffi::OsStr::new(x)))
}

/// The stories: every capture of `fixtures/linux/` (real Linux 6.18 MPTCP
/// v1 traffic, Ethernet) except the snap-length-cut copy and
/// [`NOT_BENCHED`].
pub fn linux_stories() -> Vec<Capture> {
    let mut names: Vec<PathBuf> = std::fs::read_dir(fixtures_dir().join("linux"))
        .expect("fixtures/linux")
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.extension().is_some_and(|x| x == "pcap")
                && !p.to_string_lossy().contains("snap96")
                && benched(p)
        })
        .collect();
    names.sort();
    names.iter().map(|p| read_pcap(p)).collect()
}

/// Every capture of `fixtures/{linux,public,crafted}` that is classic pcap
/// (the snap-length copy is pcapng and skipped), but [`NOT_BENCHED`].
pub fn all_captures() -> Vec<Capture> {
    let mut out = Vec::new();
    for dir in ["linux", "public", "crafted"] {
        let mut names: Vec<PathBuf> = std::fs::read_dir(fixtures_dir().join(dir))
            .expect("fixtures dir")
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "pcap") && benched(p))
            .collect();
        names.sort();
        out.extend(names.iter().filter_map(|p| try_read_pcap(p)));
    }
    out
}

/// Offsets of the IP and TCP headers of an Ethernet frame (untagged or
/// 802.1Q) carrying TCP, and whether it is IPv6.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Offsets {
    /// Start of the IP header.
    pub ip: usize,
    /// IPv6?
    pub v6: bool,
    /// Start of the TCP header.
    pub tcp: usize,
    /// Start of the TCP options.
    pub opts: usize,
    /// End of the TCP options (the data offset).
    pub opts_end: usize,
}

/// Locates IP and TCP in a frame of `link` (Ethernet, SLL, SLL2, raw IP,
/// loopback);
/// `None` for anything else or a frame too short to hold its TCP header.
pub fn locate(frame: &[u8], link: LinkType) -> Option<Offsets> {
    let ip = match link {
        LinkType::Ethernet => {
            let mut o = 12;
            while matches!(frame.get(o..o + 2)?, [0x81, 0x00] | [0x88, 0xa8]) {
                o += 4;
            }
            o + 2
        }
        LinkType::LinuxSll => 16,
        LinkType::LinuxSll2 => 20,
        LinkType::RawIp | LinkType::Ipv4 | LinkType::Ipv6 => 0,
        LinkType::Null | LinkType::Loop => 4,
        LinkType::Ppp => return None,
    };
    let ver = frame.get(ip)? >> 4;
    let (tcp, v6) = match ver {
        4 => {
            if *frame.get(ip + 9)? != 6 {
                return None;
            }
            (ip + usize::from(frame.get(ip)? & 0x0f) * 4, false)
        }
        6 => {
            if *frame.get(ip + 6)? != 6 {
                return None;
            }
            (ip + 40, true)
        }
        _ => return None,
    };
    let doff = usize::from(frame.get(tcp + 12)? >> 4) * 4;
    let opts_end = tcp + doff;
    if doff < 20 || opts_end > frame.len() {
        return None;
    }
    Some(Offsets {
        ip,
        v6,
        tcp,
        opts: tcp + 20,
        opts_end,
    })
}

/// The TCP option areas of every TCP segment of `caps` whose header was
/// captured whole.
pub fn option_areas(caps: &[Capture]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for c in caps {
        for f in &c.frames {
            if let Some(o) = locate(f, c.link()) {
                out.push(f[o.opts..o.opts_end].to_vec());
            }
        }
    }
    out
}

/// `(kind, offset of the kind byte, length)` of every well-framed option.
fn walk_options(area: &[u8]) -> Vec<(u8, usize, usize)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < area.len() {
        match area[i] {
            0 => break,
            1 => i += 1,
            k => {
                let Some(&len) = area.get(i + 1) else { break };
                let len = usize::from(len);
                if len < 2 || i + len > area.len() {
                    break;
                }
                out.push((k, i, len));
                i += len;
            }
        }
    }
    out
}

fn be64(b: &[u8]) -> u64 {
    u64::from_be_bytes(b[..8].try_into().unwrap())
}

fn be32(b: &[u8]) -> u32 {
    u32::from_be_bytes(b[..4].try_into().unwrap())
}

/// A rewrite of one field of a frame, in terms of the original values.
#[derive(Debug, Clone, Copy)]
enum Patch {
    /// An 8-byte key at `at`.
    Key { at: usize },
    /// A 4-byte MP_JOIN token naming `key`.
    Token { at: usize, key: u64 },
    /// MP_JOIN SYN/ACK truncated HMAC (8 bytes).
    SynAckHmac {
        at: usize,
        listener: u64,
        initiator: u64,
        nl: u32,
        ni: u32,
    },
    /// MP_JOIN ACK HMAC (20 bytes).
    AckHmac {
        at: usize,
        initiator: u64,
        listener: u64,
        ni: u32,
        nl: u32,
    },
    /// ADD_ADDR: address at `addr` (4 or 16 bytes), HMAC at `hmac`.
    AddAddr {
        addr: usize,
        v6: bool,
        hmac: Option<usize>,
        id: u8,
        port: Option<u16>,
        sender: u64,
        receiver: u64,
    },
    /// A DSN (`wide`: 8 bytes, else 4) sent by the owner of `key`, with the
    /// DSS checksum at `csum` if any.
    Dsn {
        at: usize,
        wide: bool,
        key: u64,
        csum: Option<usize>,
    },
    /// A data ACK acknowledging data of the owner of `key`.
    DataAck { at: usize, wide: bool, key: u64 },
    /// The DSS checksum at `csum` of the MP_CAPABLE third ACK with data
    /// (24 bytes): its mapping's DSN is implicit, the IDSN of `key` + 1, so
    /// only the checksum changes with the key.
    ImplicitDsn { csum: usize, key: u64 },
}

/// One frame of a story, with the rewrites it needs.
#[derive(Debug, Clone)]
struct StoryFrame {
    bytes: Vec<u8>,
    off: Option<Offsets>,
    patches: Vec<Patch>,
}

/// A story prepared for replay.
#[derive(Debug, Clone)]
pub struct Story {
    /// File name.
    pub name: String,
    /// Link type.
    pub link: LinkType,
    frames: Vec<StoryFrame>,
    /// Every key of the story (to precompute per-session hashes).
    keys: Vec<u64>,
    /// Subflows the story creates.
    pub subflows: usize,
}

type Endpoint = (Vec<u8>, u16);

#[derive(Debug, Clone, Default)]
struct ConnInfo {
    client: Option<Endpoint>,
    client_key: Option<u64>,
    server_key: Option<u64>,
}

#[derive(Debug, Clone)]
struct SubInfo {
    conn: usize,
    /// This subflow's endpoint on the connection's client side.
    client_ep: Endpoint,
    join_nonces: (Option<u32>, Option<u32>),
    /// For a join: the listener's key (the one its SYN's token names).
    listener_key: Option<u64>,
}

impl Story {
    /// Analyses a capture: which frame belongs to which connection, and what
    /// each MPTCP field is derived from.
    pub fn new(cap: &Capture) -> Story {
        let link = cap.link();
        let mut conns: Vec<ConnInfo> = Vec::new();
        let mut subs: HashMap<(Endpoint, Endpoint), SubInfo> = HashMap::new();
        let mut frames = Vec::new();
        let mut keys = Vec::new();
        let canon = |a: Endpoint, b: Endpoint| if a <= b { (a, b) } else { (b, a) };
        for bytes in &cap.frames {
            let off = locate(bytes, link);
            let mut patches = Vec::new();
            if let Some(o) = off {
                let (src, dst) = if o.v6 {
                    (
                        bytes[o.ip + 8..o.ip + 24].to_vec(),
                        bytes[o.ip + 24..o.ip + 40].to_vec(),
                    )
                } else {
                    (
                        bytes[o.ip + 12..o.ip + 16].to_vec(),
                        bytes[o.ip + 16..o.ip + 20].to_vec(),
                    )
                };
                let sp = u16::from_be_bytes([bytes[o.tcp], bytes[o.tcp + 1]]);
                let dp = u16::from_be_bytes([bytes[o.tcp + 2], bytes[o.tcp + 3]]);
                let flags = bytes[o.tcp + 13];
                let (syn, ack) = (flags & 0x02 != 0, flags & 0x10 != 0);
                let s_ep: Endpoint = (src, sp);
                let d_ep: Endpoint = (dst, dp);
                let fkey = canon(s_ep.clone(), d_ep.clone());
                let area = &bytes[o.opts..o.opts_end];
                for (kind, at, len) in walk_options(area) {
                    if kind != 30 || len < 3 {
                        continue;
                    }
                    let opt = &area[at..at + len];
                    let base = o.opts + at;
                    let sub = opt[2] >> 4;
                    match sub {
                        // MP_CAPABLE
                        0 => {
                            if syn && !ack && len >= 12 {
                                // v0-style SYN with key: not in the linux stories.
                                patches.push(Patch::Key { at: base + 4 });
                                keys.push(be64(&opt[4..]));
                            }
                            if syn && ack && len >= 12 {
                                let k = be64(&opt[4..]);
                                keys.push(k);
                                patches.push(Patch::Key { at: base + 4 });
                                let c = conns.len();
                                conns.push(ConnInfo {
                                    client: Some(d_ep.clone()),
                                    client_key: None,
                                    server_key: Some(k),
                                });
                                subs.insert(
                                    fkey.clone(),
                                    SubInfo {
                                        conn: c,
                                        client_ep: d_ep.clone(),
                                        join_nonces: (None, None),
                                        listener_key: None,
                                    },
                                );
                            }
                            if !syn && len >= 20 {
                                let (ks, kr) = (be64(&opt[4..]), be64(&opt[12..]));
                                keys.extend([ks, kr]);
                                patches.push(Patch::Key { at: base + 4 });
                                patches.push(Patch::Key { at: base + 12 });
                                if len == 24 {
                                    patches.push(Patch::ImplicitDsn {
                                        csum: base + 22,
                                        key: ks,
                                    });
                                }
                                let c = match subs.get(&fkey) {
                                    Some(s) => s.conn,
                                    None => {
                                        conns.push(ConnInfo::default());
                                        subs.insert(
                                            fkey.clone(),
                                            SubInfo {
                                                conn: conns.len() - 1,
                                                client_ep: s_ep.clone(),
                                                join_nonces: (None, None),
                                                listener_key: None,
                                            },
                                        );
                                        conns.len() - 1
                                    }
                                };
                                let ci = &mut conns[c];
                                ci.client = Some(s_ep.clone());
                                ci.client_key = Some(ks);
                                ci.server_key = Some(kr);
                            }
                        }
                        // MP_JOIN
                        1 => {
                            if syn && !ack && len == 12 {
                                let token = be32(&opt[4..]);
                                let nonce = be32(&opt[8..]);
                                let hit = keys
                                    .iter()
                                    .copied()
                                    .find(|&k| crypto::key_hash(Version::V1, k).token == token);
                                if let Some(k) = hit {
                                    patches.push(Patch::Token {
                                        at: base + 4,
                                        key: k,
                                    });
                                    if let Some(c) = conns.iter().position(|c| {
                                        c.server_key == Some(k) || c.client_key == Some(k)
                                    }) {
                                        let client_ep = if conns[c].server_key == Some(k) {
                                            s_ep.clone()
                                        } else {
                                            d_ep.clone()
                                        };
                                        subs.insert(
                                            fkey.clone(),
                                            SubInfo {
                                                conn: c,
                                                client_ep,
                                                join_nonces: (Some(nonce), None),
                                                listener_key: Some(k),
                                            },
                                        );
                                    }
                                }
                            } else if let Some(s) = subs.get_mut(&fkey) {
                                let ci = &conns[s.conn];
                                let kl = s.listener_key;
                                let ki = if kl == ci.server_key {
                                    ci.client_key
                                } else {
                                    ci.server_key
                                };
                                if let (Some(ki), Some(kl)) = (ki, kl) {
                                    if syn && ack && len == 16 {
                                        let nl = be32(&opt[12..]);
                                        s.join_nonces.1 = Some(nl);
                                        if let Some(ni) = s.join_nonces.0 {
                                            patches.push(Patch::SynAckHmac {
                                                at: base + 4,
                                                listener: kl,
                                                initiator: ki,
                                                nl,
                                                ni,
                                            });
                                        }
                                    } else if !syn && len == 24 {
                                        if let (Some(ni), Some(nl)) = s.join_nonces {
                                            patches.push(Patch::AckHmac {
                                                at: base + 4,
                                                initiator: ki,
                                                listener: kl,
                                                ni,
                                                nl,
                                            });
                                        }
                                    }
                                }
                            }
                        }
                        // DSS
                        2 if len >= 4 => {
                            let Some(s) = subs.get(&fkey) else { continue };
                            let ci = &conns[s.conn];
                            let from_client = s.client_ep == s_ep;
                            let (ksend, krecv) = if from_client {
                                (ci.client_key, ci.server_key)
                            } else {
                                (ci.server_key, ci.client_key)
                            };
                            let fl = opt[3];
                            let mut p = 4;
                            if fl & 0x01 != 0 {
                                let wide = fl & 0x02 != 0;
                                if let Some(k) = krecv {
                                    patches.push(Patch::DataAck {
                                        at: base + p,
                                        wide,
                                        key: k,
                                    });
                                }
                                p += if wide { 8 } else { 4 };
                            }
                            if fl & 0x04 != 0 {
                                let wide = fl & 0x08 != 0;
                                let dl = if wide { 8 } else { 4 };
                                let csum = (len == p + dl + 4 + 2 + 2).then_some(base + p + dl + 6);
                                if let Some(k) = ksend {
                                    patches.push(Patch::Dsn {
                                        at: base + p,
                                        wide,
                                        key: k,
                                        csum,
                                    });
                                }
                            }
                        }
                        // ADD_ADDR (v1)
                        3 if len >= 8 => {
                            let Some(s) = subs.get(&fkey) else { continue };
                            let ci = &conns[s.conn];
                            let from_client = s.client_ep == s_ep;
                            let (ks, kr) = if from_client {
                                (ci.client_key, ci.server_key)
                            } else {
                                (ci.server_key, ci.client_key)
                            };
                            let echo = opt[2] & 0x01 != 0;
                            let id = opt[3];
                            let body = len - 4 - if echo { 0 } else { 8 };
                            let (v6, port) = match body {
                                4 => (false, None),
                                6 => (false, Some(u16::from_be_bytes([opt[8], opt[9]]))),
                                16 => (true, None),
                                18 => (true, Some(u16::from_be_bytes([opt[20], opt[21]]))),
                                _ => continue,
                            };
                            if let (Some(ks), Some(kr)) = (ks, kr) {
                                patches.push(Patch::AddAddr {
                                    addr: base + 4,
                                    v6,
                                    hmac: (!echo).then_some(base + len - 8),
                                    id,
                                    port,
                                    sender: ks,
                                    receiver: kr,
                                });
                            }
                        }
                        // MP_FASTCLOSE: the receiver's key
                        7 if len >= 12 => patches.push(Patch::Key { at: base + 4 }),
                        _ => {}
                    }
                }
            }
            frames.push(StoryFrame {
                bytes: bytes.clone(),
                off,
                patches,
            });
        }
        keys.sort_unstable();
        keys.dedup();
        Story {
            name: cap.name.clone(),
            link,
            frames,
            keys,
            subflows: subs.len(),
        }
    }

    /// Number of frames.
    pub fn len(&self) -> usize {
        self.frames.len()
    }

    /// `true` if the story has no frame.
    pub fn is_empty(&self) -> bool {
        self.frames.is_empty()
    }

    /// Per-session values (key hashes) for session `id`.
    pub fn session(&self, id: u32) -> Session {
        let mask = key_mask(id);
        let hashes = self
            .keys
            .iter()
            .map(|&k| {
                let old = crypto::key_hash(Version::V1, k);
                let new = crypto::key_hash(Version::V1, k ^ mask);
                (k, old, new)
            })
            .collect();
        Session { id, mask, hashes }
    }

    /// Writes frame `i` of `session` into `out` (cleared first).
    pub fn write_frame(&self, i: usize, session: &Session, out: &mut Vec<u8>) {
        let f = &self.frames[i];
        out.clear();
        out.extend_from_slice(&f.bytes);
        let Some(o) = f.off else { return };
        let id = session.id;
        if o.v6 {
            xor_v6(&mut out[o.ip + 8..o.ip + 24], id);
            xor_v6(&mut out[o.ip + 24..o.ip + 40], id);
        } else {
            xor_v4(&mut out[o.ip + 12..o.ip + 16], id);
            xor_v4(&mut out[o.ip + 16..o.ip + 20], id);
            let hl = usize::from(out[o.ip] & 0x0f) * 4;
            out[o.ip + 10] = 0;
            out[o.ip + 11] = 0;
            let c = ip_checksum(&out[o.ip..o.ip + hl]);
            out[o.ip + 10..o.ip + 12].copy_from_slice(&c.to_be_bytes());
        }
        let m = session.mask;
        for p in &f.patches {
            match *p {
                Patch::Key { at } => {
                    let k = be64(&out[at..]) ^ m;
                    out[at..at + 8].copy_from_slice(&k.to_be_bytes());
                }
                Patch::Token { at, key } => {
                    let t = session.hash(key).1.token;
                    out[at..at + 4].copy_from_slice(&t.to_be_bytes());
                }
                Patch::SynAckHmac {
                    at,
                    listener,
                    initiator,
                    nl,
                    ni,
                } => {
                    let h =
                        crypto::join_synack_hmac(Version::V1, listener ^ m, initiator ^ m, nl, ni);
                    out[at..at + 8].copy_from_slice(&h.to_be_bytes());
                }
                Patch::AckHmac {
                    at,
                    initiator,
                    listener,
                    ni,
                    nl,
                } => {
                    let h = crypto::join_ack_hmac(Version::V1, initiator ^ m, listener ^ m, ni, nl);
                    out[at..at + 20].copy_from_slice(&h);
                }
                Patch::AddAddr {
                    addr,
                    v6,
                    hmac,
                    id: aid,
                    port,
                    sender,
                    receiver,
                } => {
                    let ip = if v6 {
                        xor_v6(&mut out[addr..addr + 16], id);
                        let b: [u8; 16] = out[addr..addr + 16].try_into().unwrap();
                        std::net::IpAddr::from(b)
                    } else {
                        xor_v4(&mut out[addr..addr + 4], id);
                        let b: [u8; 4] = out[addr..addr + 4].try_into().unwrap();
                        std::net::IpAddr::from(b)
                    };
                    if let Some(h) = hmac {
                        let v = crypto::add_addr_hmac(sender ^ m, receiver ^ m, aid, ip, port);
                        out[h..h + 8].copy_from_slice(&v.to_be_bytes());
                    }
                }
                Patch::Dsn {
                    at,
                    wide,
                    key,
                    csum,
                } => {
                    let (old, new) = session.hash(key);
                    let delta = new.idsn.wrapping_sub(old.idsn);
                    let before = out[at..at + if wide { 8 } else { 4 }].to_vec();
                    shift(&mut out[at..], wide, delta);
                    if let Some(c) = csum {
                        let after = &out[at..at + before.len()];
                        let mut hc = u16::from_be_bytes([out[c], out[c + 1]]);
                        hc = update_checksum(hc, &before, after);
                        out[c..c + 2].copy_from_slice(&hc.to_be_bytes());
                    }
                }
                Patch::DataAck { at, wide, key } => {
                    let (old, new) = session.hash(key);
                    shift(&mut out[at..], wide, new.idsn.wrapping_sub(old.idsn));
                }
                Patch::ImplicitDsn { csum, key } => {
                    let (old, new) = session.hash(key);
                    let before = old.idsn.wrapping_add(1).to_be_bytes();
                    let after = new.idsn.wrapping_add(1).to_be_bytes();
                    let mut hc = u16::from_be_bytes([out[csum], out[csum + 1]]);
                    hc = update_checksum(hc, &before, &after);
                    out[csum..csum + 2].copy_from_slice(&hc.to_be_bytes());
                }
            }
        }
    }
}

/// Per-session values of a [`Story`].
#[derive(Debug, Clone)]
pub struct Session {
    id: u32,
    mask: u64,
    hashes: Vec<(u64, crypto::KeyHash, crypto::KeyHash)>,
}

impl Session {
    fn hash(&self, key: u64) -> (crypto::KeyHash, crypto::KeyHash) {
        let (_, a, b) = self
            .hashes
            .iter()
            .find(|(k, _, _)| *k == key)
            .expect("key of the story");
        (*a, *b)
    }
}

fn key_mask(id: u32) -> u64 {
    // splitmix64 of id + 1: never 0 for the ids used here.
    let mut z = u64::from(id)
        .wrapping_add(1)
        .wrapping_mul(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31) | 1
}

fn xor_v4(a: &mut [u8], id: u32) {
    let x = ((id & 0x3fff) << 10) | (((id >> 14) & 0x3f) << 2);
    let v = be32(a) ^ x;
    a.copy_from_slice(&v.to_be_bytes());
}

fn xor_v6(a: &mut [u8], id: u32) {
    for (b, x) in a[4..8].iter_mut().zip(id.to_be_bytes()) {
        *b ^= x;
    }
}

fn shift(b: &mut [u8], wide: bool, delta: u64) {
    if wide {
        let v = be64(b).wrapping_add(delta);
        b[..8].copy_from_slice(&v.to_be_bytes());
    } else {
        let v = be32(b).wrapping_add(delta as u32);
        b[..4].copy_from_slice(&v.to_be_bytes());
    }
}

fn ip_checksum(h: &[u8]) -> u16 {
    let mut s: u32 = 0;
    for w in h.chunks(2) {
        s += u32::from(u16::from_be_bytes([w[0], *w.get(1).unwrap_or(&0)]));
    }
    while s > 0xffff {
        s = (s & 0xffff) + (s >> 16);
    }
    !(s as u16)
}

/// RFC 1624 eqn. 3: `HC' = ~(~HC + ~m + m')` over the 16-bit words of a
/// field that changed from `old` to `new` (even offset, even length).
fn update_checksum(hc: u16, old: &[u8], new: &[u8]) -> u16 {
    let mut s = u32::from(!hc);
    for (o, n) in old.chunks(2).zip(new.chunks(2)) {
        s += u32::from(!u16::from_be_bytes([o[0], o[1]]));
        s += u32::from(u16::from_be_bytes([n[0], n[1]]));
    }
    while s > 0xffff {
        s = (s & 0xffff) + (s >> 16);
    }
    !(s as u16)
}

/// An endless packet stream: `slots` sessions in flight, interleaved round
/// robin (one frame of each in turn, so consecutive packets belong to
/// different connections, as on a busy link). Slot `i` replays story
/// `i % stories`; when its story ends it starts a new session (a new id:
/// new addresses and keys) of the same story.
///
/// [`Stream::shuffled`] interleaves the same sessions in a random order
/// instead (each packet from a session drawn at random; each session's own
/// frames stay in order): consecutive packets then share no pattern that a
/// cache or the table's LRU lists could profit from.
#[derive(Debug)]
pub struct Stream<'s> {
    stories: &'s [Story],
    slots: Vec<SlotState>,
    next_id: u32,
    cursor: usize,
    /// xorshift64 state of the random order; 0: round robin.
    rng: u64,
    /// Packets handed out so far.
    pub packets: u64,
    /// `(story, frame index)` of the last packet handed out.
    pub last: (usize, usize),
}

#[derive(Debug)]
struct SlotState {
    story: usize,
    pos: usize,
    session: Session,
}

impl<'s> Stream<'s> {
    /// A stream of `slots` concurrent sessions over `stories`. Slot `i`
    /// starts at frame 0 of its story.
    pub fn new(stories: &'s [Story], slots: usize) -> Self {
        let mut next_id = 0;
        let slots = (0..slots)
            .map(|i| {
                let story = i % stories.len();
                let session = stories[story].session(next_id);
                next_id += 1;
                SlotState {
                    story,
                    pos: 0,
                    session,
                }
            })
            .collect();
        Stream {
            stories,
            slots,
            next_id,
            cursor: 0,
            rng: 0,
            packets: 0,
            last: (0, 0),
        }
    }

    /// The sessions of [`Stream::new`], interleaved in a random order drawn
    /// from `seed` (any value; the same seed gives the same stream).
    pub fn shuffled(stories: &'s [Story], slots: usize, seed: u64) -> Self {
        let mut s = Self::new(stories, slots);
        s.set_order(Some(seed));
        s
    }

    /// From the next packet on: a random interleaving drawn from the seed
    /// (`Some`), or round robin (`None`). The sessions in flight continue.
    pub fn set_order(&mut self, seed: Option<u64>) {
        self.rng = seed.map_or(0, |s| s | 1);
    }

    /// Writes the next packet into `out`; returns its link type.
    pub fn next_into(&mut self, out: &mut Vec<u8>) -> LinkType {
        let n = self.slots.len();
        if self.rng != 0 {
            self.rng ^= self.rng << 13;
            self.rng ^= self.rng >> 7;
            self.rng ^= self.rng << 17;
            // Multiply-shift: uniform enough over `n` and free of `%`.
            self.cursor = ((u128::from(self.rng) * n as u128) >> 64) as usize;
        }
        let slot = &mut self.slots[self.cursor];
        self.cursor = (self.cursor + 1) % n;
        let story = &self.stories[slot.story];
        if slot.pos >= story.len() {
            slot.pos = 0;
            slot.session = story.session(self.next_id);
            self.next_id = self.next_id.wrapping_add(1);
        }
        story.write_frame(slot.pos, &slot.session, out);
        self.last = (slot.story, slot.pos);
        slot.pos += 1;
        self.packets += 1;
        story.link
    }
}

/// Dissects `stream`'s packets (`now` advancing 100 ns each) until the
/// subflow table is in steady state: full and evicting (its first eviction),
/// and at least `4 × capacity` packets in; at most `256 × capacity`
/// packets. Returns the packets used. A table of 2²⁰ subflows needs about
/// 40 M packets (its 2¹⁸ sessions must get through their captures about
/// twice before closed subflows fill it); stopping earlier would time a
/// half-empty table whose sessions are all mid-capture (fewer handshakes,
/// no eviction).
pub fn warm_up(
    d: &mut mptcp_dissect::dissector::DissectorView<'_>,
    stream: &mut Stream<'_>,
    now: &mut u64,
    capacity: usize,
) -> u64 {
    let (min, max) = (4 * capacity as u64, 256 * capacity as u64);
    let mut buf = Vec::with_capacity(2048);
    let mut n = 0;
    while n < max && (n < min || d.stats().subflows_evicted == 0) {
        let link = stream.next_into(&mut buf);
        *now += 100;
        std::hint::black_box(d.dissect(&buf, link, *now));
        n += 1;
    }
    n
}

/// The memory of a dissector of any size on the heap (a
/// [`mptcp_dissect::dissector::Dissector`] of 2²⁰ subflows is far too
/// large for a stack), used through a
/// [`mptcp_dissect::dissector::DissectorView`] like the C ABI does.
#[derive(Debug)]
pub struct DissectorMem {
    st: mptcp_dissect::dissector::DissectorState,
    sub: TableMem<mptcp_dissect::flow::FlowKey, mptcp_dissect::flow::Subflow>,
    conn: TableMem<u32, mptcp_dissect::flow::Connection>,
    tok: TableMem<u32, mptcp_dissect::flow::SlotId>,
    sub_an: TableVec<mptcp_dissect::analysis::SubflowAnalysis>,
    conn_an: TableVec<mptcp_dissect::analysis::ConnAnalysis>,
}

/// Table memory: in transparent huge pages starting on a huge-page
/// boundary (`mptcp_dissect_ffi::huge_pages::HugeSlice`), as a DPDK
/// caller's hugepage memory would be, unless the environment sets
/// `BENCH_HUGE_PAGES=0` (a plain vector in 4 KiB pages, for an A/B of the
/// two).
pub type TableVec<T> = mptcp_dissect_ffi::huge_pages::HugeSlice<T>;

/// `n` copies of `v` as table memory (see [`TableVec`]).
pub fn table_vec<T: Clone>(n: usize, v: T) -> TableVec<T> {
    if std::env::var_os("BENCH_HUGE_PAGES").is_some_and(|s| s == "0") {
        TableVec::from(vec![v; n])
    } else {
        TableVec::filled(n, v)
    }
}

/// The memory of one flow table: state, slots, index.
#[derive(Debug)]
pub struct TableMem<K, V> {
    /// Table state.
    pub st: mptcp_dissect::flow::TableState,
    /// Slots.
    pub slots: TableVec<mptcp_dissect::flow::Slot<K, V>>,
    /// Index.
    pub index: TableVec<u32>,
}

impl<K: Clone, V: Clone> TableMem<K, V> {
    /// An initialised, empty table of `capacity` (a power of two).
    pub fn new(capacity: usize, seed: [u8; 16]) -> Self {
        use mptcp_dissect::flow::{layout, FlowTableView, Slot, TableState};
        let l = layout(capacity).expect("power of two");
        let mut t = TableMem {
            st: TableState::new(),
            slots: table_vec(l.slots, Slot::new()),
            index: table_vec(l.index, 0),
        };
        FlowTableView::new(&mut t.st, &mut t.slots, &mut t.index, seed).expect("layout");
        t
    }

    /// The table.
    pub fn view(&mut self) -> mptcp_dissect::flow::FlowTableView<'_, K, V> {
        mptcp_dissect::flow::FlowTableView::attach(&mut self.st, &mut self.slots, &mut self.index)
            .expect("initialised")
    }

    /// Bytes of slot and index memory.
    pub fn bytes(&self) -> usize {
        self.slots.len() * std::mem::size_of::<mptcp_dissect::flow::Slot<K, V>>()
            + self.index.len() * 4
    }
}

impl DissectorMem {
    /// A dissector with `subflows` subflow slots and `conns` connection (and
    /// token) slots, default configuration.
    pub fn new(subflows: usize, conns: usize) -> Self {
        Self::with_config(subflows, conns, Default::default(), false)
    }

    /// A dissector with `subflows` subflow slots and `conns` connection (and
    /// token) slots, configuration `config`, and the analysis side arrays
    /// (one entry per slot) if `analysis`.
    pub fn with_config(
        subflows: usize,
        conns: usize,
        config: mptcp_dissect::dissector::DissectorConfig,
        analysis: bool,
    ) -> Self {
        let (ns, nc) = if analysis { (subflows, conns) } else { (0, 0) };
        DissectorMem {
            st: mptcp_dissect::dissector::DissectorState::new(config),
            sub: TableMem::new(subflows, [1; 16]),
            conn: TableMem::new(conns, [2; 16]),
            tok: TableMem::new(conns, [3; 16]),
            sub_an: table_vec(ns, Default::default()),
            conn_an: table_vec(nc, Default::default()),
        }
    }

    /// The dissector (with the analysis side arrays if it has them).
    pub fn view(&mut self) -> mptcp_dissect::dissector::DissectorView<'_> {
        mptcp_dissect::dissector::DissectorView::new(
            &mut self.st,
            self.sub.view(),
            self.conn.view(),
            self.tok.view(),
        )
        .with_analysis(&mut self.sub_an, &mut self.conn_an)
    }

    /// Bytes of table memory (analysis side arrays included).
    pub fn bytes(&self) -> usize {
        self.sub.bytes()
            + self.conn.bytes()
            + self.tok.bytes()
            + self.sub_an.len() * std::mem::size_of::<mptcp_dissect::analysis::SubflowAnalysis>()
            + self.conn_an.len() * std::mem::size_of::<mptcp_dissect::analysis::ConnAnalysis>()
    }
}

/// The `dissect` bench's baseline peer: a minimal per-flow tracker, with
/// etherparse's parser and a direct-mapped flow cache (the simplest bounded
/// flow table: one slot per hash, a new flow overwrites whatever was there,
/// nothing is evicted by age, no connection level, no MPTCP decoding). One
/// simple implementation to measure `dissect` against, not a lower bound
/// for every tracker.
///
/// Per packet: `SlicedPacket::from_ethernet` (Ethernet, VLANs, IPv4/IPv6
/// with extension headers, TCP header, all length-checked), a walk of the
/// TCP options with etherparse's iterator (restarted after each kind it
/// does not know, MPTCP among them, as in the `options` bench's
/// `etherparse+skip`), the 4-tuple ordered so both directions give the
/// same key, a multiplicative hash, and one slot read, compared and
/// written (packets, payload bytes, last sequence number, options seen).
///
/// [`FlowCache::with_core_parser`] makes the same peer with the core's
/// parser instead (`parse_frame`, the core's option framing), the same
/// keys and slots: the two differ only in the parsing.
#[derive(Debug)]
pub struct FlowCache {
    slots: TableVec<CacheSlot>,
    /// `true`: the core's parser; `false`: etherparse's.
    core_parser: bool,
    /// [`FlowCache::burst`]'s parsed frames (allocated once, reused).
    seen: Vec<Option<Seen>>,
}

/// Frames [`FlowCache::burst`] parses and prefetches before it updates
/// their slots.
const CACHE_BURST: usize = 256;

/// One flow of a [`FlowCache`]: a 64-byte slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(align(64))]
pub struct CacheSlot {
    /// The lower (address, port) then the higher, IPv4 as IPv4-mapped IPv6.
    pub key: [u8; 36],
    /// Packets of the flow since it took the slot.
    pub packets: u32,
    /// Their TCP payload bytes.
    pub payload: u32,
    /// The sequence number of its last packet.
    pub last_seq: u32,
    /// TCP options seen: every option etherparse's iterator yields (NOPs
    /// included) or steps over as a kind it does not know (MPTCP's,
    /// length-checked only), up to the first malformed one.
    pub options: u32,
}

impl CacheSlot {
    /// An empty slot (an all-zero key: no flow).
    pub const EMPTY: CacheSlot = CacheSlot {
        key: [0; 36],
        packets: 0,
        payload: 0,
        last_seq: 0,
        options: 0,
    };
}

impl FlowCache {
    /// A cache of `slots` flows (a power of two), in table memory
    /// ([`table_vec`]).
    ///
    /// # Panics
    /// If `slots` is not a power of two.
    pub fn new(slots: usize) -> Self {
        assert!(slots.is_power_of_two(), "slots: a power of two");
        FlowCache {
            slots: table_vec(slots, CacheSlot::EMPTY),
            core_parser: false,
            seen: vec![None; CACHE_BURST],
        }
    }

    /// The same cache with the core's parser: `parse_frame` (Ethernet),
    /// the core's option framing (`TcpOptions::next_raw`, options up to
    /// the first malformed one, the end-of-list marker not counted, as
    /// etherparse's iterator stops there). Same keys, hash and slots.
    ///
    /// # Panics
    /// If `slots` is not a power of two.
    pub fn with_core_parser(slots: usize) -> Self {
        FlowCache {
            core_parser: true,
            ..FlowCache::new(slots)
        }
    }

    /// Parses a frame with this cache's parser.
    #[inline]
    fn parse(&self, frame: &[u8]) -> Option<Seen> {
        if self.core_parser {
            Seen::of_core(frame)
        } else {
            Seen::of(frame)
        }
    }

    /// Accounts one Ethernet frame; the flow's slot, or `None` for a frame
    /// that is not a well-formed TCP segment over IP.
    #[inline]
    pub fn packet(&mut self, frame: &[u8]) -> Option<&CacheSlot> {
        let seen = self.parse(frame)?;
        self.account(&seen)
    }

    /// Accounts a burst of Ethernet frames as a bulk hash lookup does: up
    /// to 256 frames at a time parsed and hashed first, each one's slot
    /// handed to `prefetch`, then their slots updated in order (the same
    /// result as [`FlowCache::packet`] on each frame in turn). `each` gets
    /// each TCP frame's slot.
    pub fn burst(
        &mut self,
        frames: &[&[u8]],
        mut prefetch: impl FnMut(*const u8),
        mut each: impl FnMut(&CacheSlot),
    ) {
        let mask = self.slots.len() - 1;
        let mut seen = core::mem::take(&mut self.seen);
        seen.resize(CACHE_BURST, None);
        for chunk in frames.chunks(CACHE_BURST) {
            for (s, f) in seen.iter_mut().zip(chunk) {
                *s = self.parse(f);
                if let Some(slot) = s
                    .as_ref()
                    .and_then(|s| self.slots.get(s.hash as usize & mask))
                {
                    prefetch(core::ptr::from_ref(slot).cast());
                }
            }
            for s in seen.iter().take(chunk.len()).flatten() {
                if let Some(slot) = self.account(s) {
                    each(slot);
                }
            }
        }
        self.seen = seen;
    }

    /// Updates the slot of a parsed frame.
    #[inline]
    fn account(&mut self, seen: &Seen) -> Option<&CacheSlot> {
        let mask = self.slots.len() - 1;
        let slot = self.slots.get_mut(seen.hash as usize & mask)?;
        if slot.key != seen.key {
            *slot = CacheSlot {
                key: seen.key,
                ..CacheSlot::EMPTY
            };
        }
        slot.packets = slot.packets.wrapping_add(1);
        slot.payload = slot.payload.wrapping_add(seen.payload);
        slot.last_seq = seen.seq;
        slot.options = slot.options.wrapping_add(seen.options);
        Some(slot)
    }

    /// The slots (for tests).
    pub fn slots(&self) -> &[CacheSlot] {
        &self.slots
    }
}

/// What [`FlowCache`] takes from a frame.
#[derive(Debug, Clone, Copy)]
struct Seen {
    key: [u8; 36],
    hash: u64,
    payload: u32,
    seq: u32,
    options: u32,
}

impl Seen {
    /// Parses an Ethernet frame; `None` if it is not a well-formed TCP
    /// segment over IP.
    #[inline]
    fn of(frame: &[u8]) -> Option<Seen> {
        use etherparse::{NetSlice, SlicedPacket, TransportSlice};
        let s = SlicedPacket::from_ethernet(frame).ok()?;
        let mapped = |a: [u8; 4]| std::net::Ipv4Addr::from(a).to_ipv6_mapped().octets();
        let (src, dst) = match &s.net {
            Some(NetSlice::Ipv4(ip)) => (
                mapped(ip.header().source()),
                mapped(ip.header().destination()),
            ),
            Some(NetSlice::Ipv6(ip)) => (ip.header().source(), ip.header().destination()),
            _ => return None,
        };
        let Some(TransportSlice::Tcp(tcp)) = &s.transport else {
            return None;
        };
        Some(Seen::new(
            (src, tcp.source_port()),
            (dst, tcp.destination_port()),
            u32::try_from(tcp.payload().len()).unwrap_or(u32::MAX),
            tcp.sequence_number(),
            count_options(tcp.options()),
        ))
    }

    /// Parses an Ethernet frame with the core's parser (see
    /// [`FlowCache::with_core_parser`]).
    #[inline]
    fn of_core(frame: &[u8]) -> Option<Seen> {
        use mptcp_dissect::wire::frame::{parse_frame, Transport};
        let f = parse_frame(frame, LinkType::Ethernet).ok()?;
        let Transport::Tcp(tcp) = f.transport else {
            return None;
        };
        let octets = |a: std::net::IpAddr| match a {
            std::net::IpAddr::V4(a) => a.to_ipv6_mapped().octets(),
            std::net::IpAddr::V6(a) => a.octets(),
        };
        Some(Seen::new(
            (octets(f.src()), tcp.src_port()),
            (octets(f.dst()), tcp.dst_port()),
            u32::try_from(tcp.payload().len()).unwrap_or(u32::MAX),
            tcp.seq_number(),
            core_options(tcp.options()),
        ))
    }

    /// The flow key (the lower (address, port) first), its hash, and the
    /// rest.
    #[inline]
    fn new(a: ([u8; 16], u16), b: ([u8; 16], u16), payload: u32, seq: u32, options: u32) -> Seen {
        let (src, sp) = a;
        let (dst, dp) = b;
        let (lo, hi) = if (src, sp) <= (dst, dp) {
            ((src, sp), (dst, dp))
        } else {
            ((dst, dp), (src, sp))
        };
        let mut key = [0u8; 36];
        key[..16].copy_from_slice(&lo.0);
        key[16..18].copy_from_slice(&lo.1.to_be_bytes());
        key[18..34].copy_from_slice(&hi.0);
        key[34..].copy_from_slice(&hi.1.to_be_bytes());
        Seen {
            key,
            hash: flow_hash(&key),
            payload,
            seq,
            options,
        }
    }
}

/// Options in a TCP option area by the core's framing
/// (`TcpOptions::next_raw`): up to the first malformed one, the end-of-list
/// marker not counted (etherparse's iterator stops there without yielding
/// it). [`FlowCache::with_core_parser`]'s count, and the tests' reference
/// for etherparse's.
pub fn core_options(area: &[u8]) -> u32 {
    let mut walk = mptcp_dissect::wire::tcp_option::TcpOptions::new(area);
    let mut n = 0u32;
    while let Some(Ok(raw)) = walk.next_raw() {
        if raw.kind == 0 {
            break;
        }
        n += 1;
    }
    n
}

/// Well-formed options in a TCP option area, by etherparse's iterator,
/// restarted after each option of a kind it does not know.
fn count_options(mut area: &[u8]) -> u32 {
    let mut n = 0u32;
    loop {
        let mut it = etherparse::TcpOptionsIterator::from_slice(area);
        loop {
            let before = it.rest();
            match it.next() {
                None => return n,
                Some(Ok(_)) => n += 1,
                Some(Err(etherparse::TcpOptionReadError::UnknownId(_))) => {
                    match before.get(1).map(|&l| usize::from(l)) {
                        Some(l) if l >= 2 && l <= before.len() => {
                            n += 1;
                            area = &before[l..];
                            break;
                        }
                        _ => return n,
                    }
                }
                Some(Err(_)) => return n,
            }
        }
    }
}

/// 64-bit multiply-fold hash of a flow key (8 bytes at a time).
#[inline]
fn flow_hash(key: &[u8; 36]) -> u64 {
    let mut h = 0x9e37_79b9_7f4a_7c15u64;
    for c in key.chunks(8) {
        let mut w = [0u8; 8];
        w[..c.len()].copy_from_slice(c);
        let x = u128::from(h ^ u64::from_le_bytes(w)) * 0x2d35_8dcc_aa6c_78a5;
        h = (x as u64) ^ ((x >> 64) as u64);
    }
    h
}
