//! Ethernet II frames and their 802.1Q / 802.1ad VLAN tags.
//!
//! This module owns the Ethernet II header (destination, source, EtherType)
//! and the walk over stacked VLAN tags (TPID 0x8100, 0x88a8 and the
//! pre-standard 0x9100), up to [`MAX_VLAN_TAGS`] deep. It exposes the VLAN
//! ids, the inner EtherType and the offset of the payload.
//!
//! It must not keep state, allocate, or look past the inner EtherType: what
//! the payload is, is for [`super::frame`] to decide.

use core::fmt;

/// Byte ranges of the fixed Ethernet II header.
pub mod field {
    /// A range of bytes within a header.
    pub type Field = core::ops::Range<usize>;
    /// Destination MAC address.
    pub const DESTINATION: Field = 0..6;
    /// Source MAC address.
    pub const SOURCE: Field = 6..12;
    /// The outer EtherType (or the first tag's TPID).
    pub const ETHERTYPE: Field = 12..14;
}

/// Length of the Ethernet II header without VLAN tags.
pub const HEADER_LEN: usize = field::ETHERTYPE.end;
/// Length of one VLAN tag (TPID + TCI).
pub const VLAN_TAG_LEN: usize = 4;
/// The deepest VLAN stack walked; a deeper one is an error.
pub const MAX_VLAN_TAGS: usize = 4;

/// EtherType values this crate recognises.
pub mod ethertype {
    /// IPv4.
    pub const IPV4: u16 = 0x0800;
    /// ARP.
    pub const ARP: u16 = 0x0806;
    /// IPv6.
    pub const IPV6: u16 = 0x86dd;
    /// 802.1Q customer VLAN tag.
    pub const VLAN: u16 = 0x8100;
    /// 802.1ad service VLAN tag (QinQ).
    pub const QINQ: u16 = 0x88a8;
    /// Pre-standard QinQ tag used by some vendors.
    pub const QINQ_LEGACY: u16 = 0x9100;

    /// Whether `ethertype` is the TPID of a VLAN tag.
    pub const fn is_vlan_tpid(ethertype: u16) -> bool {
        matches!(ethertype, VLAN | QINQ | QINQ_LEGACY)
    }
}

/// One VLAN tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct VlanTag {
    /// Tag protocol identifier (0x8100, 0x88a8 or 0x9100).
    pub tpid: u16,
    /// Priority code point (3 bits).
    pub pcp: u8,
    /// Drop eligible indicator.
    pub dei: bool,
    /// VLAN identifier (12 bits).
    pub vid: u16,
}

impl VlanTag {
    /// Decodes a tag from its TPID and 16-bit tag control information.
    pub const fn from_tci(tpid: u16, tci: u16) -> Self {
        VlanTag {
            tpid,
            pcp: (tci >> 13) as u8,
            dei: tci & 0x1000 != 0,
            vid: tci & 0x0fff,
        }
    }
}

/// The VLAN stack of a frame (outermost first), the inner EtherType and
/// where the payload starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct VlanTags {
    tags: [VlanTag; MAX_VLAN_TAGS],
    count: u8,
    ethertype: u16,
    payload_offset: usize,
}

impl VlanTags {
    /// A stack of at most one tag (`tag`, if `count` is 1) then `ethertype`,
    /// the payload at `payload_offset`: what [`vlan_tags_after`] returns for
    /// such a frame (the frame fast path builds it directly).
    pub(crate) fn at_most_one(
        tag: VlanTag,
        count: u8,
        ethertype: u16,
        payload_offset: usize,
    ) -> Self {
        let mut tags = [VlanTag::default(); MAX_VLAN_TAGS];
        if let Some(first) = tags.first_mut() {
            *first = tag;
        }
        VlanTags {
            tags,
            count,
            ethertype,
            payload_offset,
        }
    }

    /// The tags, outermost first (empty for an untagged frame).
    pub fn as_slice(&self) -> &[VlanTag] {
        self.tags.get(..usize::from(self.count)).unwrap_or(&[])
    }

    /// Number of tags.
    pub const fn len(&self) -> usize {
        self.count as usize
    }

    /// Whether the frame was untagged.
    pub const fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The outermost VLAN id, if tagged.
    pub fn outer_vid(&self) -> Option<u16> {
        self.as_slice().first().map(|t| t.vid)
    }

    /// The innermost VLAN id, if tagged.
    pub fn inner_vid(&self) -> Option<u16> {
        self.as_slice().last().map(|t| t.vid)
    }

    /// The EtherType after the last tag.
    pub const fn ethertype(&self) -> u16 {
        self.ethertype
    }

    /// Offset of the payload from the start of the buffer walked.
    pub const fn payload_offset(&self) -> usize {
        self.payload_offset
    }
}

/// Why an Ethernet frame was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum EthernetErrorReason {
    /// The buffer ends inside the header or inside a VLAN tag.
    Truncated,
    /// More than [`MAX_VLAN_TAGS`] stacked tags.
    TooManyVlanTags,
}

/// A malformed Ethernet frame: where (byte offset in the frame) and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct EthernetError {
    /// Offset of the field that could not be read (at most the buffer's length).
    pub offset: usize,
    /// What is wrong.
    pub reason: EthernetErrorReason,
}

impl fmt::Display for EthernetErrorReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EthernetErrorReason::Truncated => f.write_str("truncated"),
            EthernetErrorReason::TooManyVlanTags => {
                write!(f, "more than {MAX_VLAN_TAGS} VLAN tags")
            }
        }
    }
}

impl fmt::Display for EthernetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ethernet: {} at offset {}", self.reason, self.offset)
    }
}

fn be16(data: &[u8], at: usize) -> Option<u16> {
    match data.get(at..at.checked_add(2)?) {
        Some(&[a, b]) => Some(u16::from_be_bytes([a, b])),
        _ => None,
    }
}

/// Walks VLAN tags starting at the EtherType field at `ethertype_offset`
/// (12 in an Ethernet II frame).
///
/// Returns what could be walked and, if the walk stopped early, why. On
/// error the returned tags hold the tags read so far; their EtherType and
/// payload offset are then not meaningful.
pub fn walk_vlan_tags(data: &[u8], ethertype_offset: usize) -> (VlanTags, Option<EthernetError>) {
    match be16(data, ethertype_offset) {
        Some(ethertype) => vlan_tags_after(data, ethertype, ethertype_offset.saturating_add(2)),
        None => {
            let tags = VlanTags {
                payload_offset: ethertype_offset,
                ..VlanTags::default()
            };
            let err = EthernetError {
                offset: ethertype_offset.min(data.len()),
                reason: EthernetErrorReason::Truncated,
            };
            (tags, Some(err))
        }
    }
}

/// Walks VLAN tags given an EtherType already read (e.g. from a Linux
/// cooked-capture header) whose payload starts at `payload_offset`: if
/// `ethertype` is a VLAN TPID, a tag's TCI and the next EtherType follow at
/// `payload_offset`, and so on.
///
/// Returns what could be walked and, if the walk stopped early, why (see
/// [`walk_vlan_tags`]).
pub fn vlan_tags_after(
    data: &[u8],
    ethertype: u16,
    payload_offset: usize,
) -> (VlanTags, Option<EthernetError>) {
    let mut tags = VlanTags {
        ethertype,
        payload_offset,
        ..VlanTags::default()
    };
    while ethertype::is_vlan_tpid(tags.ethertype) {
        let at = tags.payload_offset;
        if usize::from(tags.count) >= MAX_VLAN_TAGS {
            let err = EthernetError {
                offset: at.saturating_sub(2),
                reason: EthernetErrorReason::TooManyVlanTags,
            };
            return (tags, Some(err));
        }
        let (Some(tci), Some(inner)) = (be16(data, at), be16(data, at.saturating_add(2))) else {
            let err = EthernetError {
                offset: at,
                reason: EthernetErrorReason::Truncated,
            };
            return (tags, Some(err));
        };
        if let Some(slot) = tags.tags.get_mut(usize::from(tags.count)) {
            *slot = VlanTag::from_tci(tags.ethertype, tci);
        }
        tags.count = tags.count.saturating_add(1);
        tags.ethertype = inner;
        tags.payload_offset = at.saturating_add(VLAN_TAG_LEN);
    }
    (tags, None)
}

/// A read-only view of an Ethernet II frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct EthernetFrame<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> EthernetFrame<T> {
    /// Wraps a buffer without checking it; accessors then return zeros and
    /// empty slices for bytes that are missing.
    pub const fn new_unchecked(buffer: T) -> Self {
        EthernetFrame { buffer }
    }

    /// Wraps a buffer after [`check_len`](Self::check_len).
    pub fn new_checked(buffer: T) -> Result<Self, EthernetError> {
        let frame = Self::new_unchecked(buffer);
        frame.check_len()?;
        Ok(frame)
    }

    /// Checks that the header and every VLAN tag fit in the buffer and that
    /// the stack is at most [`MAX_VLAN_TAGS`] deep.
    pub fn check_len(&self) -> Result<(), EthernetError> {
        match walk_vlan_tags(self.buffer.as_ref(), field::ETHERTYPE.start).1 {
            Some(err) => Err(err),
            None => Ok(()),
        }
    }

    /// Consumes the view, returning the buffer.
    pub fn into_inner(self) -> T {
        self.buffer
    }

    fn mac(&self, range: field::Field) -> [u8; 6] {
        let mut mac = [0u8; 6];
        if let Some(src) = self.buffer.as_ref().get(range) {
            if src.len() == mac.len() {
                mac.copy_from_slice(src);
            }
        }
        mac
    }

    /// Destination MAC address.
    pub fn dst_addr(&self) -> [u8; 6] {
        self.mac(field::DESTINATION)
    }

    /// Source MAC address.
    pub fn src_addr(&self) -> [u8; 6] {
        self.mac(field::SOURCE)
    }

    /// The outer EtherType field (a TPID if the frame is tagged).
    pub fn outer_ethertype(&self) -> u16 {
        be16(self.buffer.as_ref(), field::ETHERTYPE.start).unwrap_or(0)
    }

    /// The VLAN stack, inner EtherType and payload offset.
    pub fn vlan_tags(&self) -> VlanTags {
        walk_vlan_tags(self.buffer.as_ref(), field::ETHERTYPE.start).0
    }

    /// The EtherType after all VLAN tags.
    pub fn ethertype(&self) -> u16 {
        self.vlan_tags().ethertype()
    }

    /// Offset of the payload (after all VLAN tags).
    pub fn payload_offset(&self) -> usize {
        self.vlan_tags().payload_offset()
    }

    /// The payload after all VLAN tags (may include link padding).
    pub fn payload(&self) -> &[u8] {
        self.buffer
            .as_ref()
            .get(self.payload_offset()..)
            .unwrap_or(&[])
    }
}
