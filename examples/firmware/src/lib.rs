//! The frame loop of the `mptcp-dissect` firmware image, as a library so
//! that the host tests drive exactly the code the image runs.
//!
//! * [`init`] puts a WIZnet W5500 into MACRAW mode on socket 0 (all 16 KiB of
//!   RX buffer, MAC filter off: every frame on the wire), through the
//!   [`w5500_ll`] register driver over any embedded-hal 1.0
//!   [`SpiDevice`](embedded_hal::spi::SpiDevice)
//!   ([`w5500_ll::eh1::vdm::W5500`]).
//! * [`recv_frame`] copies the next frame out of the RX ring (MACRAW prefixes
//!   each frame with its 2-byte length, header included) and frees it.
//! * [`poll`] = [`recv_frame`] + [`DissectorView::dissect`] + a compact
//!   [`Verdict`], handed to a callback (the image logs it with defmt).
//!
//! `no_std`, no allocation, no `unsafe`: the dissector tables are
//! caller-provided (`static` in the image, see `main.rs`).
#![no_std]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

use mptcp_dissect::dissector::{Dissection, DissectorView, Events};
use mptcp_dissect::wire::frame::LinkType;
use w5500_ll::{
    BufferSize, Protocol, Registers, Sn, SocketCommand, SocketMode, SocketStatus, SOCKETS,
};

/// Largest frame kept: 1518 (VLAN-tagged, no FCS: MACRAW strips it) rounded
/// up. Longer ones are dropped and counted.
pub const MAX_FRAME: usize = 1536;

/// The W5500's `VERSIONR`.
pub const W5500_VERSION: u8 = 0x04;

/// Socket used in MACRAW mode (the W5500 allows MACRAW on socket 0 only).
pub const SOCKET: Sn = Sn::Sn0;

/// A failure of the frame loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(target_os = "none", derive(defmt::Format))]
pub enum Error<E> {
    /// The SPI device failed.
    Spi(E),
    /// `VERSIONR` is not 0x04: no W5500 answering.
    Version(u8),
    /// Socket 0 did not enter MACRAW (its `Sn_SR`).
    NotMacraw(u8),
    /// A MACRAW length header below 2 (it counts itself) or above the bytes
    /// the ring holds (`Sn_RX_RSR`; the chip makes a frame visible whole):
    /// the RX ring is out of sync (the caller should re-run [`init`]). The
    /// read pointer is left where it was, so no byte of a later frame is
    /// taken for a header.
    BadHeader(u16),
    /// A socket command (`Sn_CR`) was not taken within [`COMMAND_POLLS`]
    /// reads.
    CommandStuck(u8),
}

/// Reads of `Sn_CR` a command may take before it counts as stuck (the chip
/// clears it once accepted, within microseconds).
pub const COMMAND_POLLS: usize = 1000;

/// Issues socket 0 command `cmd` and waits until the chip has taken it
/// (`Sn_CR` back to 0, as WIZnet's ioLibrary waits), so that the next
/// register read sees its effect.
fn command<W: Registers>(w: &mut W, cmd: SocketCommand) -> Result<(), Error<W::Error>> {
    w.set_sn_cr(SOCKET, cmd)?;
    for _ in 0..COMMAND_POLLS {
        if w.sn_cr(SOCKET)? == 0 {
            return Ok(());
        }
    }
    Err(Error::CommandStuck(cmd as u8))
}

impl<E> Error<E> {
    /// The error without the SPI driver's payload (for logging when that
    /// type has no `defmt::Format`).
    pub fn erased(&self) -> Error<()> {
        match *self {
            Error::Spi(_) => Error::Spi(()),
            Error::Version(v) => Error::Version(v),
            Error::NotMacraw(s) => Error::NotMacraw(s),
            Error::BadHeader(h) => Error::BadHeader(h),
            Error::CommandStuck(c) => Error::CommandStuck(c),
        }
    }
}

impl<E> From<E> for Error<E> {
    fn from(e: E) -> Self {
        Error::Spi(e)
    }
}

/// Brings socket 0 up in MACRAW mode with a 16 KiB RX buffer (the other
/// sockets get none): closed first, so that it also recovers a socket
/// already open (an MCU-only reset, or a ring out of sync: opening resets
/// the RX pointers).
pub fn init<W: Registers>(w: &mut W) -> Result<(), Error<W::Error>> {
    let v = w.version()?;
    if v != W5500_VERSION {
        return Err(Error::Version(v));
    }
    command(w, SocketCommand::Close)?;
    for sn in SOCKETS {
        let size = if sn == SOCKET {
            BufferSize::KB16
        } else {
            BufferSize::KB0
        };
        w.set_sn_rxbuf_size(sn, size)?;
    }
    // MFEN off: receive every frame (a passive monitor), not only ours.
    w.set_sn_mr(SOCKET, SocketMode::DEFAULT.set_protocol(Protocol::Macraw))?;
    command(w, SocketCommand::Open)?;
    match w.sn_sr(SOCKET)? {
        Ok(SocketStatus::Macraw) => Ok(()),
        Ok(s) => Err(Error::NotMacraw(s as u8)),
        Err(raw) => Err(Error::NotMacraw(raw)),
    }
}

/// Nanoseconds in `cycles` of a `mhz` MHz clock, without overflow for as
/// long as the result fits (`cycles * 1000` first, as until the
/// twenty-second session, overflowed after 2⁶⁴ / 1000 cycles: 3.5 years
/// at 168 MHz, when the clock jumped back to 0 and every flow looked
/// fresh). `mhz` must not be 0 (then it returns 0).
#[must_use]
pub const fn cycles_to_ns(cycles: u64, mhz: u64) -> u64 {
    if mhz == 0 {
        return 0;
    }
    (cycles / mhz) * 1000 + (cycles % mhz) * 1000 / mhz
}

/// What [`recv_frame`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(target_os = "none", derive(defmt::Format))]
pub enum Recv {
    /// The RX ring is empty.
    Empty,
    /// A frame of this many bytes is at the start of the buffer.
    Frame(usize),
    /// A frame of this many bytes did not fit the buffer and was skipped.
    Dropped(usize),
}

/// Reads of `Sn_RX_RSR` [`recv_frame`] makes at most while waiting for two
/// in a row to agree.
pub const RSR_READS: usize = 16;

/// `Sn_RX_RSR` once two reads in a row agree (W5500 datasheet: the chip
/// updates the 16-bit register while it receives, so one read can be torn
/// between its two bytes), or `None` after [`RSR_READS`] reads that never
/// did (frames arriving back to back; the caller tries again later).
fn rx_received_size<W: Registers>(w: &mut W) -> Result<Option<u16>, Error<W::Error>> {
    let mut last = w.sn_rx_rsr(SOCKET)?;
    for _ in 1..RSR_READS {
        let now = w.sn_rx_rsr(SOCKET)?;
        if now == last {
            return Ok(Some(now));
        }
        last = now;
    }
    Ok(None)
}

/// Takes the next frame out of socket 0's RX ring into `buf`.
pub fn recv_frame<W: Registers>(w: &mut W, buf: &mut [u8]) -> Result<Recv, Error<W::Error>> {
    let Some(rsr) = rx_received_size(w)?.filter(|&n| n >= 2) else {
        return Ok(Recv::Empty);
    };
    let ptr = w.sn_rx_rd(SOCKET)?;
    let mut hdr = [0u8; 2];
    w.sn_rx_buf(SOCKET, ptr, &mut hdr)?;
    let total = u16::from_be_bytes(hdr);
    if total < 2 || total > rsr {
        return Err(Error::BadHeader(total));
    }
    let len = usize::from(total - 2);
    let out = match buf.get_mut(..len) {
        Some(dst) => {
            w.sn_rx_buf(SOCKET, ptr.wrapping_add(2), dst)?;
            Recv::Frame(len)
        }
        None => Recv::Dropped(len),
    };
    w.set_sn_rx_rd(SOCKET, ptr.wrapping_add(total))?;
    // Any error from here on leaves `Sn_RX_RD` ahead of the chip's own
    // pointer: the caller must re-run [`init`] (the example's loop does on
    // every error).
    command(w, SocketCommand::Recv)?;
    Ok(out)
}

/// What a frame was, in one word.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(target_os = "none", derive(defmt::Format))]
pub enum Class {
    /// Not IP (ARP, LLDP…).
    NotIp,
    /// Malformed link, IP or TCP header.
    Malformed,
    /// IP but not TCP (or a later fragment).
    NotTcp,
    /// TCP without an MPTCP option.
    Tcp,
    /// TCP with at least one MPTCP option.
    Mptcp,
}

/// The compact verdict the image logs for each frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(target_os = "none", derive(defmt::Format))]
pub struct Verdict {
    /// Frame length.
    pub len: u16,
    /// What it was.
    pub class: Class,
    /// Public serial of its MPTCP connection.
    pub conn: Option<u32>,
    /// Slot of its subflow.
    pub subflow: Option<u32>,
    /// Events raised (see the `Dissection` for them).
    pub events: u8,
    /// Malformed TCP options.
    pub option_errors: u8,
}

impl Verdict {
    /// The verdict of a dissection of a `len`-byte frame.
    pub fn of(len: usize, d: &Dissection<'_>, events: &Events) -> Self {
        let class = match (&d.frame, &d.segment) {
            (Err(e), _) if e.is_not_ip() => Class::NotIp,
            (Err(_), _) => Class::Malformed,
            (Ok(_), None) => Class::NotTcp,
            (Ok(_), Some(s)) if s.mptcp => Class::Mptcp,
            (Ok(_), Some(_)) => Class::Tcp,
        };
        Verdict {
            len: u16::try_from(len).unwrap_or(u16::MAX),
            class,
            conn: d.conn.map(|c| c.serial),
            subflow: d.subflow.map(|s| s.0.index()),
            events: u8::try_from(events.len()).unwrap_or(u8::MAX),
            option_errors: d.segment.map_or(0, |s| s.option_errors),
        }
    }
}

/// One turn of the frame loop: receive at most one frame, dissect it at
/// `now`, hand the verdict and the full dissection to `on_frame`. Returns
/// what was received.
pub fn poll<W: Registers>(
    w: &mut W,
    d: &mut DissectorView<'_>,
    buf: &mut [u8],
    now: u64,
    mut on_frame: impl FnMut(&Verdict, &Dissection<'_>, &Events),
) -> Result<Recv, Error<W::Error>> {
    let r = recv_frame(w, buf)?;
    if let Recv::Frame(len) = r {
        let frame = buf.get(..len).unwrap_or(&[]);
        let dis = d.dissect(frame, LinkType::Ethernet, now);
        let events = d.events();
        on_frame(&Verdict::of(len, &dis, events), &dis, events);
    }
    Ok(r)
}

#[cfg(test)]
mod tests;
