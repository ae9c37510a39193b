//! Reading capture files: pcap (micro- and nanosecond, either byte order)
//! and pcapng (several sections and interfaces, each with its own link type
//! and time resolution).
//!
//! This module owns turning a file into a stream of [`Packet`]s. It must not
//! interpret packet bytes: that is the dissector's job. A caller may have
//! work done on each packet where it is read ([`open_with`]: a function of
//! the packet whose result comes with it), which for a large file is the
//! reader thread — the report verifies TCP checksums there, off the thread
//! that dissects.
//!
//! # Two readers, one behaviour
//!
//! A regular file is read in chunks of [`CHUNK`] bytes, and the records
//! of each chunk are walked in place ([`walk`]): no copy of a packet, no
//! per-record bookkeeping of a circular buffer, which were the largest
//! cost of the CLI's own side of a pass. A file of more than one chunk is
//! read and walked by a thread of its own ([`ReadAhead`], started by
//! [`open`]) into a few buffers it hands over with the packets it found in
//! each (their places in the buffer, and what the caller's `prepare` made
//! of them), so the kernel's copy of the file, the walk and that work run
//! on another core while the packets of the previous chunk are dissected;
//! a smaller one is read on the calling thread. Each chunk is
//! read after [`RESERVE`] free bytes, to a page-aligned address ([`ALIGN`]:
//! the kernel copies to an unaligned one 2–3× slower): a record cut by the
//! end of a chunk is copied there (its bytes only), right before the bytes
//! that complete it.
//! The walk only accepts well-formed records (of less than 1 MiB each); at
//! anything else — a truncated or corrupt block, an unknown interface, an
//! oversized record, a read error — it stops (the packets before are
//! handed out, the reader thread is joined), and pcap-parser's streaming
//! reader ([`stream`])
//! reads the file from the start, skips the packets the walk already
//! handed out, and goes on from there. So what is delivered, and every
//! error with its packet count and text, is what the streaming reader
//! says. Anything that is not a non-empty regular file (a pipe, a
//! directory, an empty file) is read by the streaming reader alone,
//! through a 1 MiB buffer.

use std::cell::RefCell;
use std::fmt;
use std::fs::File;
use std::io::{ErrorKind, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{channel, Receiver, Sender, TryRecvError};
use std::thread::JoinHandle;

use mptcp_dissect_ffi::prefetch::prefetch;

use pcap_parser::pcapng::{
    parse_block_be, parse_block_le, parse_sectionheaderblock, Block, InterfaceDescriptionBlock,
    OptionCode,
};
use pcap_parser::{create_reader, nom, parse_pcap_header, PcapBlockOwned, PcapError};

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
    /// Bytes captured of each packet at most (0: no limit).
    snaplen: u32,
}

impl Interface {
    /// A pcap file's only interface.
    fn legacy(linktype: u32, nanosecond: bool) -> Interface {
        Interface {
            linktype,
            resolution: if nanosecond { 1_000_000_000 } else { 1_000_000 },
            offset: 0,
            snaplen: 0,
        }
    }

    /// A pcapng interface of a section in byte order `big_endian`
    /// (microseconds unless `if_tsresol` says otherwise). The options are
    /// read here, not by pcap-parser 0.17.0, which reads a power-of-two
    /// `if_tsresol` (bit 7 set) as invalid and `if_tsoffset` as
    /// little-endian in every section. An `if_tsresol` whose units do not
    /// fit a u64 (10^20 and up, 2^64 and up), or an option of the wrong
    /// length, makes the block corrupt: its times cannot be read.
    fn pcapng(idb: &InterfaceDescriptionBlock<'_>, big_endian: bool) -> Result<Interface, String> {
        let mut ifc = Interface {
            linktype: idb.linktype.0 as u32,
            resolution: 1_000_000,
            offset: 0,
            snaplen: idb.snaplen,
        };
        for o in &idb.options {
            let value = o.as_bytes().map_err(|e| format!("interface option: {e}"))?;
            match o.code {
                OptionCode::IfTsresol => {
                    let &[r] = value else {
                        return Err(format!("if_tsresol of {} bytes", value.len()));
                    };
                    ifc.resolution = ts_resolution(r)
                        .ok_or_else(|| format!("if_tsresol {r:#04x} out of range"))?;
                }
                OptionCode::IfTsoffset => {
                    let b: [u8; 8] = value
                        .try_into()
                        .map_err(|_| format!("if_tsoffset of {} bytes", value.len()))?;
                    ifc.offset = if big_endian {
                        i64::from_be_bytes(b)
                    } else {
                        i64::from_le_bytes(b)
                    };
                }
                _ => {}
            }
        }
        Ok(ifc)
    }

    /// Seconds since the epoch of a pcap record's (seconds, fraction).
    #[inline]
    fn legacy_ts(&self, sec: u32, frac: u32) -> f64 {
        f64::from(sec) + f64::from(frac) / self.resolution as f64
    }

    /// The captured bytes of a Simple Packet Block: its original length, at
    /// most the interface's snap length, at most what the block holds (its
    /// data is padded to 32 bits).
    fn spb_data<'a>(&self, origlen: u32, data: &'a [u8]) -> &'a [u8] {
        let mut len = (origlen as usize).min(data.len());
        if self.snaplen != 0 {
            len = len.min(self.snaplen as usize);
        }
        data.get(..len).unwrap_or(data)
    }

    /// Seconds since the epoch of a pcapng 64-bit timestamp.
    #[inline]
    fn pcapng_ts(&self, high: u32, low: u32) -> f64 {
        let raw = (u64::from(high) << 32) | u64::from(low);
        self.offset as f64
            + (raw / self.resolution) as f64
            + (raw % self.resolution) as f64 / self.resolution as f64
    }
}

/// Timestamp units per second of a pcapng `if_tsresol`: 10^r, or 2^(r &
/// 0x7f) with bit 7 set; `None` past a u64.
fn ts_resolution(r: u8) -> Option<u64> {
    if r & 0x80 == 0 {
        10u64.checked_pow(u32::from(r))
    } else {
        1u64.checked_shl(u32::from(r & 0x7f))
    }
}

/// Size of the streaming reader's buffer; the walk hands records of this
/// size or more to it (they make it grow its buffer, up to a limit).
const STREAM_BUFFER: usize = 1 << 20;

/// Bytes kept free before each chunk's data: the start of a record cut by
/// the end of the previous chunk is copied there, right before the bytes
/// that complete it. A carried tail is less than a [`STREAM_BUFFER`]
/// (else the walk stops), so this always has room for it.
const RESERVE: usize = STREAM_BUFFER;

/// Bytes read at a time (one `read` call for a regular file). On a
/// 230 MB capture, 512 KiB to 2 MiB (with 2 to 4 buffers) measured the
/// same within noise; 1 MiB keeps the buffers' memory small.
const CHUNK: usize = 1 << 20;

/// Buffers of [`RESERVE`] + [`CHUNK`] (+ [`ALIGN`]) bytes a reader thread
/// and the walk pass between them: the walk holds one, the thread fills the
/// others.
const BUFFERS: usize = 3;

/// How many packets ahead of the one being dissected the main thread asks
/// the CPU to fetch the headers of (the cache lines holding the frame's
/// bytes 0 and 64: Ethernet, IP and most of TCP).
const AHEAD: usize = 4;

/// Call `each` for every packet of the capture at `path`, in file order.
///
/// Packets seen before an error have already been handed to `each` when the
/// error is returned, so a caller can report what it has and then the error.
pub fn for_each_packet(path: &Path, each: impl FnMut(Packet<'_>)) -> Result<u64, CaptureError> {
    open(path)?.for_each_packet(each)
}

/// Work done on each packet where it is read (on the reader thread of a
/// large file): its result is handed to the caller with the packet.
pub type Prepare<T> = fn(&Packet<'_>) -> T;

/// A capture file opened for reading; a large one is already being read,
/// ahead of [`Capture::for_each_packet`], by a thread of its own.
pub struct Capture<T = ()> {
    path: PathBuf,
    input: Input<T>,
    prepare: Prepare<T>,
}

enum Input<T> {
    /// Not a non-empty regular file: the streaming reader alone.
    Stream(File),
    /// At most one chunk: walked on the calling thread.
    Inline(File),
    /// Larger: read ahead and walked by a thread.
    Ahead(ReadAhead<File, T>),
}

/// Opens the capture at `path`; a regular file of more than one chunk
/// starts being read at once (into [`BUFFERS`] buffers, no further), so
/// reading overlaps whatever the caller does before
/// [`Capture::for_each_packet`].
pub fn open(path: &Path) -> Result<Capture, CaptureError> {
    open_with(path, |_| ())
}

/// [`open`], with `prepare` run on every packet where it is read: on the
/// reader thread for a file of more than one chunk, else on the thread of
/// [`Capture::for_each_prepared`], which hands its result out with the
/// packet.
pub fn open_with<T: Send + 'static>(
    path: &Path,
    prepare: Prepare<T>,
) -> Result<Capture<T>, CaptureError> {
    let file = open_file(path)?;
    let len = file
        .metadata()
        .ok()
        .filter(|m| m.is_file())
        .map_or(0, |m| m.len());
    let input = if len == 0 {
        Input::Stream(file)
    } else if len <= CHUNK as u64 {
        Input::Inline(file)
    } else {
        match ReadAhead::start(file, RESERVE, CHUNK, BUFFERS, prepare) {
            Ok(ahead) => Input::Ahead(ahead),
            // No thread to be had: the same walk, on this thread.
            Err(file) => Input::Inline(file),
        }
    };
    Ok(Capture {
        path: path.into(),
        input,
        prepare,
    })
}

impl Capture {
    /// Calls `each` for every packet, in file order (see
    /// [`for_each_packet`]). The reader thread, if any, is joined before
    /// this returns.
    pub fn for_each_packet(self, mut each: impl FnMut(Packet<'_>)) -> Result<u64, CaptureError> {
        self.for_each_prepared(|p, ()| each(p))
    }
}

impl<T: Send + 'static> Capture<T> {
    /// Calls `each` for every packet, in file order, with what the
    /// capture's `prepare` made of it (see [`open_with`] and
    /// [`for_each_packet`]). The reader thread, if any, is joined before
    /// this returns.
    pub fn for_each_prepared(
        self,
        mut each: impl FnMut(Packet<'_>, T),
    ) -> Result<u64, CaptureError> {
        let Capture {
            path,
            input,
            prepare,
        } = self;
        let (walked, mut file) = match input {
            Input::Stream(file) => {
                return stream(&path, file, 0, &mut |p| each(p, prepare(&p)));
            }
            Input::Inline(file) => {
                let mut chunks = Inline::new(file, RESERVE, CHUNK);
                let walked = walk(&mut chunks, RESERVE, &mut |p| each(p, prepare(&p)));
                (walked, chunks.input)
            }
            Input::Ahead(mut ahead) => {
                let walked = ahead.deliver(&mut each);
                (walked, ahead.finish())
            }
        };
        match walked {
            Walk::Done(n) => Ok(n),
            Walk::Stopped(n) => {
                // The streaming reader takes over, reading the file from
                // the start as it always did.
                file.seek(SeekFrom::Start(0))
                    .map_err(|e| CaptureError::Io(path.clone(), e))?;
                stream(&path, file, n, &mut |p| each(p, prepare(&p)))
            }
        }
    }
}

/// How far [`walk`] went.
#[derive(Debug, PartialEq, Eq)]
enum Walk {
    /// Every record was read; this many packets.
    Done(u64),
    /// This many packets were handed out, then a record the walk does not
    /// accept (or the file is not a capture it recognises, or a read
    /// failed).
    Stopped(u64),
}

/// Reads `input` into `buf` until `buf` is full or the input ends, from
/// `buf[*filled..]`; says whether the input ended.
fn fill(input: &mut impl Read, buf: &mut [u8], filled: &mut usize) -> std::io::Result<bool> {
    while *filled < buf.len() {
        match input.read(&mut buf[*filled..]) {
            Ok(0) => return Ok(true),
            Ok(n) => *filled += n,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(false)
}

/// A chunk's buffer.
type Buffer = Vec<u8>;

/// Alignment of the address a chunk is read to. The kernel copies a file
/// into user memory 2–3× slower when the destination is not aligned like
/// the page-cache source (measured on this project's VM, 230 MB from the
/// page cache in 1 MiB reads: 19–25 ms to a page-aligned address, 51–65 ms
/// 16 bytes past one — where a 2 MiB `Vec` from the allocator puts
/// `RESERVE`). Chunks are read whole and in order, so their file offsets
/// are multiples of [`CHUNK`], page-aligned like the destination.
const ALIGN: usize = 4096;

/// A new chunk buffer: room for `reserve` free bytes, the [`ALIGN`] padding
/// that aligns the chunk's start, and `chunk` bytes of data.
fn new_buffer(reserve: usize, chunk: usize) -> Buffer {
    vec![0; reserve + ALIGN + chunk]
}

/// One chunk of input: `buf[start..start + len]` was read (the `start ≥
/// reserve` bytes before are free for a carried tail); `eof`: the input
/// ended there.
struct Chunk {
    buf: Buffer,
    start: usize,
    len: usize,
    eof: bool,
}

/// Reads the next chunk of `input` (at most `chunk` bytes) into `buf` (from
/// [`new_buffer`]), after at least `reserve` bytes: at the first
/// [`ALIGN`]-aligned address past them.
fn read_chunk(
    input: &mut impl Read,
    mut buf: Buffer,
    reserve: usize,
    chunk: usize,
) -> std::io::Result<Chunk> {
    let pad = buf.as_ptr().wrapping_add(reserve).align_offset(ALIGN);
    // `align_offset` may give up (`usize::MAX`); the chunk is then read
    // unaligned, which is only slower.
    let start = reserve + if pad < ALIGN { pad } else { 0 };
    let end = (start + chunk).min(buf.len());
    let mut filled = start;
    let eof = fill(input, &mut buf[..end], &mut filled)?;
    Ok(Chunk {
        buf,
        start,
        len: filled - start,
        eof,
    })
}

/// Where [`walk`] gets its chunks from.
trait Chunks {
    /// The next chunk (never called again after one at the end of the
    /// input or an error).
    fn next(&mut self) -> std::io::Result<Chunk>;
    /// Hands back the buffer of a chunk that was walked.
    fn recycle(&mut self, buf: Buffer);
}

/// Chunks read on the calling thread, into two buffers at most.
struct Inline<R> {
    input: R,
    reserve: usize,
    chunk: usize,
    spare: Option<Buffer>,
}

impl<R: Read> Inline<R> {
    fn new(input: R, reserve: usize, chunk: usize) -> Self {
        Inline {
            input,
            reserve,
            chunk,
            spare: None,
        }
    }
}

impl<R: Read> Chunks for Inline<R> {
    fn next(&mut self) -> std::io::Result<Chunk> {
        let buf = self
            .spare
            .take()
            .unwrap_or_else(|| new_buffer(self.reserve, self.chunk));
        read_chunk(&mut self.input, buf, self.reserve, self.chunk)
    }

    fn recycle(&mut self, buf: Buffer) {
        self.spare = Some(buf);
    }
}

/// A capture read and walked by a thread of its own, ahead of the
/// caller: the thread reads chunks ([`Feed`]), walks them ([`walk`]), runs
/// `prepare` on every packet and sends each chunk's buffer with its packets
/// ([`Batch`]); [`ReadAhead::deliver`] hands them out and sends each batch
/// back once done, for the thread to refill. At most `buffers` exist, so
/// the thread is never more than that many chunks ahead.
///
/// Whoever holds it ends it: [`ReadAhead::finish`] or dropping it (also
/// while unwinding) closes both channels, which wakes the thread wherever
/// it waits, and joins it — it reads one more chunk at most.
struct ReadAhead<R, T> {
    /// Batches (then how the walk ended) coming, handed-out batches going
    /// back; `None` once closed.
    chunks: Option<Channels<T>>,
    thread: Option<JoinHandle<Option<R>>>,
}

/// The caller's ends of a [`ReadAhead`]'s channels.
type Channels<T> = (Receiver<Msg<T>>, Sender<Batch<T>>);

/// A walked chunk: its buffer and the packets found in it.
struct Batch<T> {
    buf: Buffer,
    packets: Vec<Walked<T>>,
}

/// A packet found by the reader thread's walk: its bytes are
/// `buf[at..at + len]` of its [`Batch`]; `prep` is what `prepare` made of
/// it.
struct Walked<T> {
    index: u64,
    ts: f64,
    linktype: u32,
    at: usize,
    len: usize,
    prep: T,
}

/// What the reader thread sends.
enum Msg<T> {
    /// A walked chunk.
    Batch(Batch<T>),
    /// The walk ended, thus (every packet it found was sent before).
    End(Walk),
}

/// The reader thread's [`Chunks`]: reads into the buffers handed back (or
/// new ones, up to the limit), and sends each walked chunk with its
/// packets. `current` is shared with the walk's callback: the address of
/// the buffer being walked and the packets found in it so far.
struct Feed<'a, R, T> {
    input: R,
    reserve: usize,
    chunk: usize,
    buffers: usize,
    made: usize,
    free: Receiver<Batch<T>>,
    full: Sender<Msg<T>>,
    current: &'a RefCell<(Option<usize>, Vec<Walked<T>>)>,
    /// The packets of the chunk walked before the current one, until its
    /// buffer is recycled.
    previous: Option<Vec<Walked<T>>>,
}

impl<R: Read, T> Chunks for Feed<'_, R, T> {
    fn next(&mut self) -> std::io::Result<Chunk> {
        let batch = match self.free.try_recv() {
            Ok(batch) => batch,
            Err(TryRecvError::Empty) if self.made < self.buffers => {
                self.made += 1;
                Batch {
                    buf: new_buffer(self.reserve, self.chunk),
                    packets: Vec::new(),
                }
            }
            Err(TryRecvError::Empty) => self
                .free
                .recv()
                .map_err(|_| std::io::Error::other("reader closed"))?,
            Err(TryRecvError::Disconnected) => return Err(std::io::Error::other("reader closed")),
        };
        let chunk = read_chunk(&mut self.input, batch.buf, self.reserve, self.chunk)?;
        let mut current = self.current.borrow_mut();
        let walked = std::mem::replace(&mut current.1, batch.packets);
        if current.0.is_some() {
            self.previous = Some(walked);
        }
        current.0 = Some(chunk.buf.as_ptr() as usize);
        Ok(chunk)
    }

    fn recycle(&mut self, buf: Buffer) {
        // The buffer walked before the current one, or (at the end of the
        // walk) the current one.
        let packets = self
            .previous
            .take()
            .unwrap_or_else(|| std::mem::take(&mut self.current.borrow_mut().1));
        // The caller may be gone; the batch is then dropped.
        let _ = self.full.send(Msg::Batch(Batch { buf, packets }));
    }
}

impl<R: Read + Send + 'static, T: Send + 'static> ReadAhead<R, T> {
    /// Starts reading `input` in chunks of `chunk` bytes after `reserve`
    /// free ones, into at most `buffers` (at least 2) buffers, walking them
    /// and running `prepare` on every packet; gives `input` back if no
    /// thread could be started.
    fn start(
        input: R,
        reserve: usize,
        chunk: usize,
        buffers: usize,
        prepare: Prepare<T>,
    ) -> Result<Self, R> {
        assert!(buffers >= 2 && chunk > 0, "the caller holds one buffer");
        let (give, take) = channel::<R>();
        let (full_tx, full_rx) = channel();
        let (free_tx, free_rx) = channel::<Batch<T>>();
        let spawned = std::thread::Builder::new()
            .name("capture-read".into())
            .spawn(move || {
                let input = take.recv().ok()?;
                let current = RefCell::new((None, Vec::new()));
                let mut feed = Feed {
                    input,
                    reserve,
                    chunk,
                    buffers,
                    made: 0,
                    free: free_rx,
                    full: full_tx,
                    current: &current,
                    previous: None,
                };
                let walked = walk(&mut feed, reserve, &mut |p: Packet<'_>| {
                    let prep = prepare(&p);
                    let mut current = current.borrow_mut();
                    let base = current.0.unwrap_or(0);
                    current.1.push(Walked {
                        index: p.index,
                        ts: p.ts,
                        linktype: p.linktype,
                        at: p.data.as_ptr() as usize - base,
                        len: p.data.len(),
                        prep,
                    });
                });
                let _ = feed.full.send(Msg::End(walked));
                Some(feed.input)
            });
        let Ok(thread) = spawned else {
            return Err(input);
        };
        if let Err(back) = give.send(input) {
            // The thread ended without taking it (it cannot, but then the
            // input is still ours).
            let _ = thread.join();
            return Err(back.0);
        }
        Ok(ReadAhead {
            chunks: Some((full_rx, free_tx)),
            thread: Some(thread),
        })
    }

    /// Calls `each` for every packet the thread's walk finds, in order,
    /// with what `prepare` made of it; returns how the walk ended (stopped
    /// after the packets handed out if the thread ended early: `finish`
    /// then resumes its panic).
    fn deliver(&mut self, each: &mut impl FnMut(Packet<'_>, T)) -> Walk {
        let mut count = 0;
        let Some((full, free)) = &self.chunks else {
            return Walk::Stopped(count);
        };
        loop {
            match full.recv() {
                Ok(Msg::Batch(mut batch)) => {
                    let mut walked = batch.packets.drain(..);
                    while let Some(w) = walked.next() {
                        // The headers of the packet `AHEAD` places on: the
                        // reader thread wrote them on the other core, and
                        // the first read of a frame's Ethernet header was
                        // the main thread's most sampled stall.
                        if let Some(next) = walked.as_slice().get(AHEAD - 1) {
                            let p = batch.buf.as_ptr().wrapping_add(next.at);
                            prefetch(p);
                            prefetch(p.wrapping_add(64));
                        }
                        count = w.index;
                        let packet = Packet {
                            index: w.index,
                            ts: w.ts,
                            linktype: w.linktype,
                            data: &batch.buf[w.at..w.at + w.len],
                        };
                        each(packet, w.prep);
                    }
                    drop(walked);
                    // The thread may be done; the batch is then dropped.
                    let _ = free.send(batch);
                }
                Ok(Msg::End(walked)) => return walked,
                Err(_) => return Walk::Stopped(count),
            }
        }
    }

    /// Stops the thread, joins it and returns the input (read up to
    /// wherever the thread got). A panic of the thread is resumed here.
    fn finish(mut self) -> R {
        self.chunks = None;
        let thread = self.thread.take().expect("joined only here or on drop");
        match thread.join() {
            Ok(input) => input.expect("the thread took the input"),
            Err(panic) => std::panic::resume_unwind(panic),
        }
    }
}

impl<R, T> Drop for ReadAhead<R, T> {
    fn drop(&mut self) {
        self.chunks = None;
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Walks the records of a capture read as `chunks` (each after `reserve`
/// free bytes), handing out packets until the end or the first record
/// that is not well-formed.
///
/// The format is recognised as pcap-parser's `create_reader` does, from
/// the first [`STREAM_BUFFER`] bytes: a pcapng section header first, then
/// a pcap file header. A record cut by the end of a chunk is copied right
/// before the next chunk's data and completed there; a cut record of more
/// than `reserve` bytes stops the walk, as does a read error (the
/// streaming reader meets it again and reports it).
fn walk(chunks: &mut impl Chunks, reserve: usize, each: &mut impl FnMut(Packet<'_>)) -> Walk {
    let Ok(mut cur) = chunks.next() else {
        return Walk::Stopped(0);
    };
    let walked = walk_from(chunks, reserve, each, &mut cur);
    // The last chunk is handed back too (the reader thread's walk sends
    // its packets with it).
    chunks.recycle(cur.buf);
    walked
}

/// [`walk`] from its first chunk, `cur` (which it replaces with the next).
fn walk_from(
    chunks: &mut impl Chunks,
    reserve: usize,
    each: &mut impl FnMut(Packet<'_>),
    cur: &mut Chunk,
) -> Walk {
    let mut at = cur.start;
    let mut end = cur.start + cur.len;
    let head = &cur.buf[at..end.min(at + STREAM_BUFFER)];
    let mut format = if parse_sectionheaderblock(head).is_ok() {
        Format::Pcapng {
            big_endian: false,
            interfaces: Vec::new(),
            last_ts: 0.0,
        }
    } else {
        match parse_pcap_header(head) {
            Ok((_, h)) if !h.is_modified_format() => {
                at += h.size();
                Format::Pcap {
                    big_endian: h.is_bigendian(),
                    ifc: Interface::legacy(h.network.0 as u32, h.is_nanosecond_precision()),
                }
            }
            _ => return Walk::Stopped(0),
        }
    };
    let mut count = 0;
    loop {
        let Some(used) = format.records(&cur.buf[at..end], cur.eof, &mut count, each) else {
            return Walk::Stopped(count);
        };
        if cur.eof {
            return Walk::Done(count);
        }
        at += used;
        // What is left is the start of a record: carry it over.
        let tail = end - at;
        if tail >= STREAM_BUFFER || tail > reserve {
            return Walk::Stopped(count);
        }
        let Ok(mut next) = chunks.next() else {
            return Walk::Stopped(count);
        };
        next.buf[next.start - tail..next.start].copy_from_slice(&cur.buf[at..end]);
        chunks.recycle(std::mem::replace(cur, next).buf);
        at = cur.start - tail;
        end = cur.start + cur.len;
    }
}

/// The walk's state between chunks.
enum Format {
    /// A pcap file, past its header.
    Pcap { big_endian: bool, ifc: Interface },
    /// A pcapng file: the current section's byte order and interfaces.
    Pcapng {
        big_endian: bool,
        interfaces: Vec<Interface>,
        /// The time of the last packet (a Simple Packet Block has none).
        last_ts: f64,
    },
}

impl Format {
    /// Hands out the packets of the whole records at the start of `bytes`,
    /// numbering them after `count`. Returns how many bytes they took (what
    /// is left is the start of a record), or `None` at a record the walk
    /// does not accept. At the end of the input (`eof`), a record that is
    /// not whole is not accepted either.
    fn records(
        &mut self,
        bytes: &[u8],
        eof: bool,
        count: &mut u64,
        each: &mut impl FnMut(Packet<'_>),
    ) -> Option<usize> {
        match self {
            Format::Pcap { big_endian, ifc } => {
                walk_pcap(bytes, eof, *big_endian, ifc, count, each)
            }
            Format::Pcapng {
                big_endian,
                interfaces,
                last_ts,
            } => walk_pcapng(bytes, eof, big_endian, interfaces, last_ts, count, each),
        }
    }
}

/// The records of a pcap file (see [`Format::records`]).
fn walk_pcap(
    bytes: &[u8],
    eof: bool,
    big_endian: bool,
    ifc: &Interface,
    count: &mut u64,
    each: &mut impl FnMut(Packet<'_>),
) -> Option<usize> {
    let word = |b: &[u8], at: usize| {
        let w = [b[at], b[at + 1], b[at + 2], b[at + 3]];
        if big_endian {
            u32::from_be_bytes(w)
        } else {
            u32::from_le_bytes(w)
        }
    };
    let mut at = 0;
    loop {
        let rest = &bytes[at..];
        if rest.is_empty() {
            return Some(at);
        }
        let Some(header) = rest.get(..16) else {
            return (!eof).then_some(at);
        };
        let size = 16 + word(header, 8) as usize;
        if size >= STREAM_BUFFER {
            return None;
        }
        let Some(record) = rest.get(..size) else {
            return (!eof).then_some(at);
        };
        *count += 1;
        each(Packet {
            index: *count,
            ts: ifc.legacy_ts(word(header, 0), word(header, 4)),
            linktype: ifc.linktype,
            data: &record[16..],
        });
        at += size;
    }
}

/// What [`short_process_information_block`] reports.
const SHORT_PIB: &str = "process information block shorter than 12 bytes";

/// Whether `head` starts a pcapng Process Information Block (in a section
/// of byte order `big_endian`) whose length is below 12, its three length
/// and type words. pcap-parser 0.17.0 takes `length - 12` of such a block
/// having checked only `length >= 4` (`pcapng/block.rs`): built with
/// overflow checks (debug, tests, the fuzzer) that panics, without them it
/// wraps and reads as incomplete. Both readers here refuse the block first,
/// as corrupt (found by the `capture` fuzz target).
fn short_process_information_block(head: &[u8], big_endian: bool) -> bool {
    let word = |at: usize| {
        let b: [u8; 4] = head.get(at..at + 4)?.try_into().ok()?;
        Some(if big_endian {
            u32::from_be_bytes(b)
        } else {
            u32::from_le_bytes(b)
        })
    };
    word(0) == Some(0x8000_0001) && word(4).is_some_and(|len| len < 12)
}

/// The blocks of a pcapng file, as pcap-parser's `PcapNGReader` reads them
/// (each section in its own byte order; see [`Format::records`]).
fn walk_pcapng(
    bytes: &[u8],
    eof: bool,
    big_endian: &mut bool,
    interfaces: &mut Vec<Interface>,
    last_ts: &mut f64,
    count: &mut u64,
    each: &mut impl FnMut(Packet<'_>),
) -> Option<usize> {
    let mut at = 0;
    loop {
        let rest = &bytes[at..];
        if rest.is_empty() {
            return Some(at);
        }
        if short_process_information_block(rest, *big_endian) {
            return None; // the streaming reader reports it
        }
        let parse = if *big_endian {
            parse_block_be
        } else {
            parse_block_le
        };
        let (after, block) = match parse(rest) {
            Ok(parsed) => parsed,
            Err(nom::Err::Incomplete(_)) if !eof => return Some(at),
            Err(_) => return None,
        };
        let size = rest.len() - after.len();
        if size >= STREAM_BUFFER {
            return None;
        }
        match block {
            Block::SectionHeader(shb) => {
                *big_endian = shb.big_endian();
                interfaces.clear();
            }
            Block::InterfaceDescription(idb) => {
                interfaces.push(Interface::pcapng(&idb, *big_endian).ok()?);
            }
            Block::EnhancedPacket(epb) => {
                let ifc = interfaces.get(epb.if_id as usize)?;
                let len = (epb.caplen as usize).min(epb.data.len());
                *count += 1;
                *last_ts = ifc.pcapng_ts(epb.ts_high, epb.ts_low);
                each(Packet {
                    index: *count,
                    ts: *last_ts,
                    linktype: ifc.linktype,
                    data: &epb.data[..len],
                });
            }
            Block::SimplePacket(spb) => {
                let ifc = interfaces.first()?;
                *count += 1;
                each(Packet {
                    index: *count,
                    ts: *last_ts,
                    linktype: ifc.linktype,
                    data: ifc.spb_data(spb.origlen, spb.data),
                });
            }
            _ => {}
        }
        at += size;
    }
}

/// Reads a capture through pcap-parser's streaming reader (1 MiB buffer,
/// grown up to 256 MiB for large blocks). The first `skip` packets are
/// parsed but not handed to `each` (a [`walk`] already did).
fn stream(
    path: &Path,
    input: impl Read + Send,
    skip: u64,
    each: &mut impl FnMut(Packet<'_>),
) -> Result<u64, CaptureError> {
    stream_until(path, input, skip, &mut |p| {
        each(p);
        true
    })
}

/// [`stream`], stopping (with the count so far) when `each` returns
/// `false`.
fn stream_until(
    path: &Path,
    input: impl Read + Send,
    skip: u64,
    each: &mut impl FnMut(Packet<'_>) -> bool,
) -> Result<u64, CaptureError> {
    let mut each = |p: Packet<'_>| p.index <= skip || each(p);
    // pcap-parser reports a read error without the OS's reason: keep it.
    let failed = std::sync::Arc::new(std::sync::Mutex::new(None));
    let input = Remembered {
        input,
        failed: failed.clone(),
    };
    let read_error = || {
        let e = failed.lock().ok().and_then(|mut f| f.take());
        CaptureError::Io(
            path.into(),
            e.unwrap_or_else(|| std::io::Error::other("read failed")),
        )
    };
    let mut reader = match create_reader(STREAM_BUFFER, input) {
        Ok(r) => r,
        Err(PcapError::Eof) => return Err(CaptureError::Empty(path.into())),
        Err(PcapError::ReadError) => return Err(read_error()),
        Err(PcapError::Incomplete(_)) | Err(PcapError::UnexpectedEof) => {
            return Err(CaptureError::Truncated(path.into(), 0))
        }
        Err(_) => return Err(CaptureError::NotACapture(path.into())),
    };
    let mut legacy: Option<Interface> = None;
    let mut interfaces: Vec<Interface> = Vec::new();
    let mut count: u64 = 0;
    // The time of the last packet (a Simple Packet Block has none).
    let mut last_ts = 0.0;
    // The current pcapng section's byte order (None: not pcapng, or before
    // its first section header).
    let mut section_be: Option<bool> = None;
    loop {
        if section_be.is_some_and(|be| short_process_information_block(reader.data(), be)) {
            return Err(CaptureError::Corrupt(path.into(), count, SHORT_PIB.into()));
        }
        match reader.next() {
            Ok((offset, block)) => {
                match block {
                    PcapBlockOwned::LegacyHeader(h) => {
                        legacy = Some(Interface::legacy(
                            h.network.0 as u32,
                            h.is_nanosecond_precision(),
                        ));
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
                        count += 1;
                        if !each(Packet {
                            index: count,
                            ts: ifc.legacy_ts(b.ts_sec, b.ts_usec),
                            linktype: ifc.linktype,
                            data: b.data.get(..len).unwrap_or(b.data),
                        }) {
                            return Ok(count);
                        }
                    }
                    PcapBlockOwned::NG(Block::SectionHeader(shb)) => {
                        section_be = Some(shb.big_endian());
                        interfaces.clear();
                    }
                    PcapBlockOwned::NG(Block::InterfaceDescription(idb)) => {
                        let be = section_be.unwrap_or(false);
                        match Interface::pcapng(&idb, be) {
                            Ok(ifc) => interfaces.push(ifc),
                            Err(why) => {
                                return Err(CaptureError::Corrupt(path.into(), count, why));
                            }
                        }
                    }
                    PcapBlockOwned::NG(Block::EnhancedPacket(epb)) => {
                        let Some(ifc) = interfaces.get(epb.if_id as usize).copied() else {
                            return Err(CaptureError::UnknownInterface(
                                path.into(),
                                count,
                                epb.if_id,
                            ));
                        };
                        let len = (epb.caplen as usize).min(epb.data.len());
                        count += 1;
                        last_ts = ifc.pcapng_ts(epb.ts_high, epb.ts_low);
                        if !each(Packet {
                            index: count,
                            ts: last_ts,
                            linktype: ifc.linktype,
                            data: epb.data.get(..len).unwrap_or(epb.data),
                        }) {
                            return Ok(count);
                        }
                    }
                    PcapBlockOwned::NG(Block::SimplePacket(spb)) => {
                        let Some(ifc) = interfaces.first().copied() else {
                            return Err(CaptureError::UnknownInterface(path.into(), count, 0));
                        };
                        count += 1;
                        if !each(Packet {
                            index: count,
                            ts: last_ts,
                            linktype: ifc.linktype,
                            data: ifc.spb_data(spb.origlen, spb.data),
                        }) {
                            return Ok(count);
                        }
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
                    return Err(read_error());
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
                reader.refill().map_err(|_| read_error())?;
            }
            Err(e) => return Err(CaptureError::Corrupt(path.into(), count, format!("{e:?}"))),
        }
    }
}

/// The time of the first packet of the capture at `path` (`None`: it has
/// none), reading no further than that packet; an error if the file
/// cannot be read up to it.
pub fn first_time(path: &Path) -> Result<Option<f64>, CaptureError> {
    let file = open_file(path)?;
    let mut first = None;
    stream_until(path, file, 0, &mut |p| {
        first = Some(p.ts);
        false
    })?;
    Ok(first)
}

/// Opens `path` for reading; a directory says so (reading one fails with
/// a reason pcap-parser would not pass on).
fn open_file(path: &Path) -> Result<File, CaptureError> {
    let file = File::open(path).map_err(|e| CaptureError::Io(path.into(), e))?;
    if file.metadata().is_ok_and(|m| m.is_dir()) {
        let e = std::io::Error::new(ErrorKind::IsADirectory, "is a directory");
        return Err(CaptureError::Io(path.into(), e));
    }
    Ok(file)
}

/// A reader that keeps its last error for [`stream`] to report.
struct Remembered<R> {
    input: R,
    failed: std::sync::Arc<std::sync::Mutex<Option<std::io::Error>>>,
}

impl<R: Read> Read for Remembered<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let r = self.input.read(buf);
        if let Err(e) = &r {
            if let Ok(mut f) = self.failed.lock() {
                *f = Some(std::io::Error::new(e.kind(), e.to_string()));
            }
        }
        r
    }
}

/// The readers checked against each other: what the tests and the
/// `capture` fuzz target (which includes this file, built with `--cfg
/// fuzzing`) run over any bytes. Every walk (each of a few
/// buffer sizes, on the calling thread and through a reader thread, and
/// through a reader that returns 7 bytes a call) must hand out the same
/// packets (numbers, link types, times, bytes) and end with the same
/// result as the streaming reader alone; [`read_all`] panics where one
/// does not.
#[cfg(any(test, fuzzing))]
pub mod differential {
    use super::*;

    /// (index, linktype, length, ts) of each packet, then the result.
    pub type Seen = (Vec<(u64, u32, usize, f64)>, Result<u64, CaptureError>);

    /// [`Seen`] with each packet's bytes too (what the readers must agree
    /// on; the tests look at [`Seen`]).
    pub type SeenBytes = (Vec<(u64, u32, f64, Vec<u8>)>, Result<u64, CaptureError>);

    /// What the readers must agree on of a packet.
    pub fn seen(p: &Packet<'_>) -> (u64, u32, f64, Vec<u8>) {
        (p.index, p.linktype, p.ts, p.data.to_vec())
    }

    /// The streaming reader alone over `bytes`.
    pub fn via_stream(bytes: &[u8]) -> SeenBytes {
        let mut out = Vec::new();
        let r = stream(Path::new("mem"), bytes, 0, &mut |p| out.push(seen(&p)));
        (out, r)
    }

    /// (reserve, chunk) sizes the walk is tried with: the real ones, and
    /// small ones that cut the test captures' records at many places (a
    /// cut record larger than the reserve stops the walk).
    pub const SIZES: [(usize, usize); 5] =
        [(RESERVE, CHUNK), (64, 64), (100, 28), (61, 7), (7, 61)];

    /// How a test walks: chunks read on the test's thread, or read and
    /// walked by a reader thread with this many buffers.
    pub const WAYS: [Way; 3] = [Way::Inline, Way::Thread(2), Way::Thread(3)];

    /// How the walk reads its chunks.
    #[derive(Debug, Clone, Copy)]
    pub enum Way {
        /// On the calling thread.
        Inline,
        /// By a reader thread, with this many buffers.
        Thread(usize),
    }

    /// What the reader thread's `prepare` computes in the tests: the
    /// packet's number, link type, length and the sum of its bytes.
    pub fn fingerprint(p: &Packet<'_>) -> (u64, u32, usize, u64) {
        let sum = p.data.iter().map(|&b| u64::from(b)).sum();
        (p.index, p.linktype, p.data.len(), sum)
    }

    /// Walks `input` the `way` given, in chunks of `chunk` bytes after
    /// `reserve` free ones; a reader thread is finished (joined) after.
    /// Through a thread, each packet comes with its [`fingerprint`],
    /// which must be the packet's own.
    pub(super) fn walk_with<R: Read + Send + 'static>(
        input: R,
        way: Way,
        (reserve, chunk): (usize, usize),
        each: &mut impl FnMut(Packet<'_>),
    ) -> Walk {
        match way {
            Way::Inline => walk(&mut Inline::new(input, reserve, chunk), reserve, each),
            Way::Thread(buffers) => {
                let Ok(mut ahead) = ReadAhead::start(input, reserve, chunk, buffers, fingerprint)
                else {
                    panic!("no reader thread");
                };
                let walked = ahead.deliver(&mut |p, f| {
                    assert_eq!(f, fingerprint(&p), "prepared with another packet");
                    each(p)
                });
                ahead.finish();
                walked
            }
        }
    }

    /// A reader handing out at most 7 bytes a call, and failing once with
    /// `Interrupted` first (both must be invisible to the walk).
    pub struct Trickle(pub std::io::Cursor<Vec<u8>>, pub bool);

    impl Read for Trickle {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            if !self.1 {
                self.1 = true;
                return Err(ErrorKind::Interrupted.into());
            }
            let n = buf.len().min(7);
            self.0.read(&mut buf[..n])
        }
    }

    /// What [`for_each_packet`] does with a regular file, over `input`:
    /// [`walk_with`], then [`stream`] over `bytes` from the start if the
    /// walk stopped.
    pub fn via_walk<R: Read + Send + 'static>(
        bytes: &[u8],
        input: R,
        way: Way,
        sizes: (usize, usize),
    ) -> SeenBytes {
        let mut out = Vec::new();
        let mut each = |p: Packet<'_>| out.push(seen(&p));
        let r = match walk_with(input, way, sizes, &mut each) {
            Walk::Done(n) => Ok(n),
            Walk::Stopped(n) => stream(Path::new("mem"), bytes, n, &mut each),
        };
        (out, r)
    }

    /// The streaming reader alone, and the walk with each of [`SIZES`]
    /// each of the [`WAYS`] (and through a [`Trickle`]), which must all
    /// agree (every packet's number, link type, time and bytes, and the
    /// result); the packets are numbered from 1 in order and an error
    /// counts the packets before it. Returns the packets and the result.
    pub fn read_all(bytes: &[u8]) -> Seen {
        let (a, ra) = via_stream(bytes);
        let mut walks: Vec<(String, SeenBytes)> = Vec::new();
        for sizes in SIZES {
            for way in WAYS {
                let input = std::io::Cursor::new(bytes.to_vec());
                walks.push((
                    format!("{way:?} {sizes:?}"),
                    via_walk(bytes, input, way, sizes),
                ));
            }
        }
        for way in WAYS {
            let input = Trickle(std::io::Cursor::new(bytes.to_vec()), false);
            walks.push((
                format!("trickle {way:?}"),
                via_walk(bytes, input, way, (64, 64)),
            ));
        }
        for (how, (b, rb)) in &walks {
            assert_eq!(&a, b, "walk {how} hands out other packets than the stream");
            assert_eq!(
                format!("{ra:?}"),
                format!("{rb:?}"),
                "walk {how} ends otherwise than the stream"
            );
        }
        // The packets are numbered from 1 in order, and an error counts
        // the packets handed out before it.
        for (i, p) in a.iter().enumerate() {
            assert_eq!(p.0, i as u64 + 1, "packets out of order");
        }
        let n = a.len() as u64;
        match &ra {
            Ok(k)
            | Err(CaptureError::Truncated(_, k))
            | Err(CaptureError::Corrupt(_, k, _))
            | Err(CaptureError::UnknownInterface(_, k, _)) => {
                assert_eq!(*k, n, "{ra:?} after {n} packets")
            }
            Err(CaptureError::Empty(_)) | Err(CaptureError::NotACapture(_)) => {
                assert_eq!(n, 0, "{ra:?} after {n} packets")
            }
            Err(CaptureError::Io(..)) => panic!("an I/O error from memory: {ra:?}"),
        }
        let short = a
            .iter()
            .map(|(i, l, ts, d)| (*i, *l, d.len(), *ts))
            .collect();
        (short, ra)
    }
}

#[cfg(test)]
mod tests {
    use super::differential::*;
    use super::*;

    /// How far the walk alone goes over `bytes` with buffers of `sizes`
    /// (the same each of the [`WAYS`]).
    fn walk_alone(bytes: &[u8], sizes: (usize, usize)) -> Walk {
        let walks: Vec<Walk> = WAYS
            .iter()
            .map(|&way| {
                walk_with(
                    std::io::Cursor::new(bytes.to_vec()),
                    way,
                    sizes,
                    &mut |_| {},
                )
            })
            .collect();
        assert!(walks.iter().all(|w| *w == walks[0]), "{walks:?}");
        walks.into_iter().next().unwrap()
    }

    /// The packets of a well-formed capture, which the walk reads alone,
    /// with the real buffers and with small ones (records are carried
    /// from chunk to chunk many times).
    fn packets(bytes: &[u8]) -> Vec<(u64, u32, usize, f64)> {
        let (p, r) = read_all(bytes);
        r.unwrap();
        for sizes in [(RESERVE, CHUNK), (128, 64), (100, 30)] {
            assert_eq!(walk_alone(bytes, sizes), Walk::Done(p.len() as u64));
        }
        p
    }

    /// A pcap file: magic in the file's byte order, version 2.4, snaplen
    /// 65535, link type 101 (raw IP); records at (i + 1) s + 500 units.
    fn legacy_file(nanos: bool, big_endian: bool, packets: &[&[u8]]) -> Vec<u8> {
        let w32 = |f: &mut Vec<u8>, v: u32| {
            f.extend_from_slice(&if big_endian {
                v.to_be_bytes()
            } else {
                v.to_le_bytes()
            })
        };
        let w16 = |f: &mut Vec<u8>, v: u16| {
            f.extend_from_slice(&if big_endian {
                v.to_be_bytes()
            } else {
                v.to_le_bytes()
            })
        };
        let mut f = Vec::new();
        w32(&mut f, if nanos { 0xa1b2_3c4d } else { 0xa1b2_c3d4 });
        w16(&mut f, 2);
        w16(&mut f, 4);
        f.extend_from_slice(&[0; 8]);
        w32(&mut f, 65535);
        w32(&mut f, 101);
        for (i, p) in packets.iter().enumerate() {
            w32(&mut f, i as u32 + 1);
            w32(&mut f, 500);
            w32(&mut f, p.len() as u32);
            w32(&mut f, p.len() as u32);
            f.extend_from_slice(p);
        }
        f
    }

    #[test]
    fn reads_legacy_pcap_and_numbers_from_one() {
        let f = legacy_file(false, false, &[&[0x45; 20], &[0x60; 40]]);
        assert_eq!(
            packets(&f),
            vec![(1, 101, 20, 1.0005), (2, 101, 40, 2.0005)]
        );
    }

    #[test]
    fn nanosecond_pcap_timestamps() {
        let f = legacy_file(true, false, &[&[0x45; 20]]);
        let ts = packets(&f)[0].3;
        assert!((ts - 1.0000005).abs() < 1e-9, "{ts}");
    }

    #[test]
    fn big_endian_pcap_by_hand() {
        // Written out byte by byte: big-endian nanosecond magic, v2.4,
        // link type 1 (Ethernet), one 4-byte record at 3 s + 250 ns.
        let f: Vec<u8> = [
            &[0xa1, 0xb2, 0x3c, 0x4d, 0, 2, 0, 4][..],
            &[0; 8],
            &[0, 0, 0xff, 0xff, 0, 0, 0, 1],
            &[0, 0, 0, 3, 0, 0, 0, 250, 0, 0, 0, 4, 0, 0, 0, 60],
            &[0xde, 0xad, 0xbe, 0xef],
        ]
        .concat();
        let p = packets(&f);
        assert_eq!(p.len(), 1);
        assert_eq!((p[0].0, p[0].1, p[0].2), (1, 1, 4));
        assert!((p[0].3 - 3.000_000_25).abs() < 1e-9, "{}", p[0].3);
        // The same in microseconds, little-endian, is another file.
        let le = legacy_file(false, true, &[&[1, 2, 3]]);
        assert_eq!(packets(&le), vec![(1, 101, 3, 1.0005)]);
    }

    #[test]
    fn truncated_file_is_an_error_after_the_good_packets() {
        let f = legacy_file(false, false, &[&[0x45; 20], &[0x60; 40]]);
        // Cut inside the second record's data, then inside its header.
        for cut in [5, 40 + 10] {
            let (seen, r) = read_all(&f[..f.len() - cut]);
            assert_eq!(seen.len(), 1, "cut {cut}");
            let err = r.unwrap_err();
            assert!(matches!(err, CaptureError::Truncated(_, 1)), "{err}");
        }
        // Only the file header, cut.
        let (seen, r) = read_all(&f[..20]);
        assert!(seen.is_empty());
        assert!(matches!(r, Err(CaptureError::Truncated(_, 0))), "{r:?}");
    }

    #[test]
    fn records_of_a_mebibyte_or_more_are_read_once_each() {
        let big = vec![0x45; 1_500_000];
        let f = legacy_file(false, false, &[&[0x45; 20], &big, &[0x60; 40]]);
        // The walk hands the large record to the streaming reader…
        assert_eq!(walk_alone(&f, (RESERVE, CHUNK)), Walk::Stopped(1));
        // …which skips the packet the walk handed out and reads the rest.
        let (p, r) = read_all(&f);
        assert_eq!(r.unwrap(), 3);
        let short: Vec<(u64, usize)> = p.iter().map(|p| (p.0, p.2)).collect();
        assert_eq!(short, vec![(1, 20), (2, 1_500_000), (3, 40)]);
    }

    #[test]
    fn garbage_and_empty_files_are_errors() {
        assert!(matches!(
            read_all(b"this is not a capture file at all, not even close......").1,
            Err(CaptureError::NotACapture(_))
        ));
        assert!(matches!(read_all(b"").1, Err(CaptureError::Empty(_))));
    }

    /// pcapng blocks, little- or big-endian.
    struct Ng {
        be: bool,
        out: Vec<u8>,
    }

    impl Ng {
        fn new(be: bool) -> Ng {
            Ng {
                be,
                out: Vec::new(),
            }
        }
        fn u32(&self, v: u32) -> [u8; 4] {
            if self.be {
                v.to_be_bytes()
            } else {
                v.to_le_bytes()
            }
        }
        fn u16(&self, v: u16) -> [u8; 2] {
            if self.be {
                v.to_be_bytes()
            } else {
                v.to_le_bytes()
            }
        }
        /// A block: type, total length, body, total length.
        fn block(&mut self, kind: u32, body: &[u8]) {
            assert_eq!(body.len() % 4, 0);
            let len = 12 + body.len() as u32;
            let block = [&self.u32(kind)[..], &self.u32(len), body, &self.u32(len)].concat();
            self.out.extend_from_slice(&block);
        }
        /// Section header: byte-order magic, v1.0, unknown section length.
        fn shb(&mut self) {
            let body = [
                &self.u32(0x1a2b_3c4d)[..],
                &self.u16(1),
                &self.u16(0),
                &[0xff; 8],
            ]
            .concat();
            self.block(0x0a0d_0d0a, &body);
        }
        /// Interface description; `tsresol` adds the if_tsresol option.
        fn idb(&mut self, linktype: u16, tsresol: Option<u8>) {
            let opts: Vec<(u16, Vec<u8>)> = tsresol.map(|r| (9, vec![r])).into_iter().collect();
            self.idb_with(linktype, 0, &opts);
        }
        /// Interface description with a snap length and options (code,
        /// value; each padded to 4 bytes).
        fn idb_with(&mut self, linktype: u16, snaplen: u32, opts: &[(u16, Vec<u8>)]) {
            let mut body = [&self.u16(linktype)[..], &[0, 0], &self.u32(snaplen)].concat();
            for (code, value) in opts {
                body.extend_from_slice(&self.u16(*code));
                body.extend_from_slice(&self.u16(value.len() as u16));
                body.extend_from_slice(value);
                body.resize(body.len().div_ceil(4) * 4, 0);
            }
            if !opts.is_empty() {
                body.extend_from_slice(&[0; 4]); // opt_endofopt
            }
            self.block(1, &body);
        }
        /// Enhanced packet block (data padded to 4 bytes).
        fn epb(&mut self, if_id: u32, ts: u64, data: &[u8]) {
            let mut body = [
                &self.u32(if_id)[..],
                &self.u32((ts >> 32) as u32),
                &self.u32(ts as u32),
                &self.u32(data.len() as u32),
                &self.u32(data.len() as u32),
                data,
            ]
            .concat();
            body.resize(body.len().div_ceil(4) * 4, 0);
            self.block(6, &body);
        }
        /// Simple packet block (data padded to 4 bytes).
        fn spb(&mut self, data: &[u8]) {
            self.spb_of(data.len() as u32, data);
        }
        /// Simple packet block of a packet of `origlen` bytes (data padded
        /// to 4 bytes).
        fn spb_of(&mut self, origlen: u32, data: &[u8]) {
            let mut body = [&self.u32(origlen)[..], data].concat();
            body.resize(body.len().div_ceil(4) * 4, 0);
            self.block(3, &body);
        }
    }

    /// pcapng interface options read as the format says (pcap-parser
    /// 0.17.0 misreads two of them): a power-of-two `if_tsresol` (2^-20 s
    /// here), `if_tsoffset` in the section's byte order, each alone and
    /// together; an `if_tsresol` past a u64 makes the block corrupt.
    #[test]
    fn pcapng_time_resolution_and_offset_follow_the_format() {
        for be in [false, true] {
            let mut ng = Ng {
                be,
                out: Vec::new(),
            };
            let offset = |v: i64| if be { v.to_be_bytes() } else { v.to_le_bytes() }.to_vec();
            ng.shb();
            ng.idb_with(1, 0, &[(9, vec![0x80 | 20])]);
            ng.idb_with(1, 0, &[(14, offset(1000))]);
            ng.idb_with(1, 0, &[(9, vec![0x80 | 1]), (14, offset(-5))]);
            ng.epb(0, (3 << 20) + (1 << 19), &[0; 14]);
            ng.epb(1, 2_500_000, &[0; 14]);
            ng.epb(2, 21, &[0; 14]);
            let times: Vec<f64> = packets(&ng.out).iter().map(|p| p.3).collect();
            assert_eq!(times, vec![3.5, 1002.5, 5.5], "big-endian {be}");
        }
        let mut ng = Ng::new(false);
        ng.shb();
        ng.idb(1, None);
        ng.epb(0, 1, &[0; 14]);
        ng.idb(1, Some(20)); // 10^20 units a second
        ng.epb(1, 1, &[0; 14]);
        let (seen, r) = read_all(&ng.out);
        assert_eq!(seen.len(), 1);
        match r {
            Err(CaptureError::Corrupt(_, 1, why)) => assert!(why.contains("if_tsresol"), "{why}"),
            r => panic!("{r:?}"),
        }
    }

    /// A Simple Packet Block holds at most the interface's snap length
    /// (its padding is not packet data) and has no time of its own: it
    /// takes the time of the packet before it (0 for the first).
    #[test]
    fn simple_packet_blocks_keep_the_snap_length_and_the_last_time() {
        let mut ng = Ng::new(false);
        ng.shb();
        ng.idb_with(1, 77, &[]);
        ng.spb_of(100, &[7; 77]);
        ng.epb(0, 2_000_000, &[0; 14]);
        ng.spb_of(20, &[9; 20]);
        let p = packets(&ng.out);
        let short: Vec<(usize, f64)> = p.iter().map(|p| (p.2, p.3)).collect();
        assert_eq!(short, vec![(77, 0.0), (14, 2.0), (20, 2.0)]);
    }

    #[test]
    fn pcapng_interfaces_and_sections_keep_their_own_link_and_clock() {
        let mut ng = Ng::new(false);
        ng.shb();
        ng.idb(1, None); // Ethernet, microseconds
        ng.idb(101, Some(9)); // raw IP, nanoseconds
        ng.epb(1, 2_000_000_123, &[0x45; 21]);
        ng.epb(0, 3_000_007, &[0xff; 60]);
        // A second section, big-endian, whose interface 0 is Linux SLL2.
        ng.be = true;
        ng.shb();
        ng.idb(276, Some(3)); // milliseconds
        ng.epb(0, 4_005, &[0; 3]);
        let p = packets(&ng.out);
        let short: Vec<(u64, u32, usize)> = p.iter().map(|p| (p.0, p.1, p.2)).collect();
        assert_eq!(short, vec![(1, 101, 21), (2, 1, 60), (3, 276, 3)]);
        for (got, want) in p.iter().map(|p| p.3).zip([2.000_000_123, 3.000_007, 4.005]) {
            assert!((got - want).abs() < 1e-9, "{got} vs {want}");
        }
    }

    #[test]
    fn pcapng_errors_keep_their_packet_counts() {
        let mut ng = Ng::new(false);
        ng.shb();
        ng.idb(1, None);
        ng.epb(0, 1, &[0; 14]);
        let good = ng.out.clone();
        // A packet on interface 3, which was never described.
        ng.epb(3, 2, &[0; 14]);
        let (seen, r) = read_all(&ng.out);
        assert_eq!(seen.len(), 1);
        assert!(
            matches!(r, Err(CaptureError::UnknownInterface(_, 1, 3))),
            "{r:?}"
        );
        // A block whose trailing length disagrees with its leading one.
        let mut bad = good.clone();
        ng.out.clear();
        ng.epb(0, 2, &[0; 14]);
        let n = ng.out.len();
        ng.out[n - 4] ^= 0x40;
        bad.extend_from_slice(&ng.out);
        let (seen, r) = read_all(&bad);
        assert_eq!(seen.len(), 1);
        assert!(matches!(r, Err(CaptureError::Corrupt(_, 1, _))), "{r:?}");
        // Cut inside the second packet's block.
        let mut cut = good.clone();
        cut.extend_from_slice(&ng.out[..10]);
        let (seen, r) = read_all(&cut);
        assert_eq!(seen.len(), 1);
        assert!(matches!(r, Err(CaptureError::Truncated(_, 1))), "{r:?}");
    }

    /// A capture file on disk, removed when dropped.
    struct TempCapture(PathBuf);

    impl TempCapture {
        fn new(name: &str, bytes: &[u8]) -> TempCapture {
            let p = std::env::temp_dir().join(format!(
                "mpdissect-capture-{}-{name}.pcap",
                std::process::id()
            ));
            std::fs::write(&p, bytes).unwrap();
            TempCapture(p)
        }
    }

    impl Drop for TempCapture {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.0);
        }
    }

    /// Packets of 1000 bytes, each filled with its index (mod 251), to
    /// more than two [`CHUNK`]s: records cut by chunk ends, carried over.
    fn big_legacy_file() -> (Vec<u8>, u64) {
        let n = (2 * CHUNK + (1 << 20)) / 1016 + 1;
        let bodies: Vec<Vec<u8>> = (1..=n).map(|i| vec![(i % 251) as u8; 1000]).collect();
        let refs: Vec<&[u8]> = bodies.iter().map(|b| &b[..]).collect();
        (legacy_file(false, false, &refs), n as u64)
    }

    /// Reads `path` with [`for_each_packet`], checking every packet's
    /// index and contents; returns how many were seen and the result.
    fn read_file_checked(path: &Path) -> (u64, Result<u64, CaptureError>) {
        let mut seen = 0;
        let r = for_each_packet(path, |p| {
            seen += 1;
            assert_eq!(p.index, seen);
            assert_eq!(p.data.len(), 1000);
            assert!(p.data.iter().all(|&b| u64::from(b) == p.index % 251));
        });
        (seen, r)
    }

    /// Every chunk is read to an `ALIGN`-aligned address at least
    /// `reserve` bytes into its buffer, `chunk` bytes at a time, and holds
    /// the input's bytes in order (the kernel copies to an unaligned
    /// address 2–3× slower).
    #[test]
    fn chunks_are_read_to_aligned_addresses() {
        let input: Vec<u8> = (0..10_000u32).map(|i| (i % 251) as u8).collect();
        for (reserve, chunk) in [(RESERVE, CHUNK), (61, 7), (100, 4096), (1, 3000)] {
            let mut r = &input[..];
            let mut got = Vec::new();
            loop {
                let c = read_chunk(&mut r, new_buffer(reserve, chunk), reserve, chunk).unwrap();
                assert!(c.start >= reserve && c.start < reserve + ALIGN);
                assert_eq!(c.buf[c.start..].as_ptr() as usize % ALIGN, 0);
                assert!(c.len <= chunk && (c.len == chunk || c.eof));
                got.extend_from_slice(&c.buf[c.start..c.start + c.len]);
                if c.eof {
                    break;
                }
            }
            assert_eq!(got, input, "reserve {reserve}, chunk {chunk}");
        }
    }

    #[test]
    fn large_files_are_read_in_chunks() {
        let (f, n) = big_legacy_file();
        assert!(f.len() > 2 * CHUNK);
        // 24 + 1016 k is never a multiple of the chunk: a record is cut.
        assert_ne!((CHUNK - 24) % 1016, 0);
        assert_eq!(walk_alone(&f, (RESERVE, CHUNK)), Walk::Done(n));
        let t = TempCapture::new("big", &f);
        let (seen, r) = read_file_checked(&t.0);
        assert_eq!(seen, n);
        assert_eq!(r.unwrap(), n);
    }

    #[test]
    fn a_large_truncated_file_hands_out_each_packet_once() {
        // The walk stops at the cut, chunks later; the streaming reader
        // reads the file again and skips the packets already handed out.
        let (f, n) = big_legacy_file();
        let cut = &f[..f.len() - 300];
        assert_eq!(walk_alone(cut, (RESERVE, CHUNK)), Walk::Stopped(n - 1));
        let t = TempCapture::new("big-cut", cut);
        let (seen, r) = read_file_checked(&t.0);
        assert_eq!(seen, n - 1);
        let err = r.unwrap_err();
        assert!(
            matches!(err, CaptureError::Truncated(_, c) if c == n - 1),
            "{err}"
        );
    }

    /// 40 records of 16 + 20..=50 bytes, each filled with its index.
    fn uneven_file() -> Vec<u8> {
        let bodies: Vec<Vec<u8>> = (0..40u8)
            .map(|i| vec![i; 20 + usize::from(i % 31)])
            .collect();
        let refs: Vec<&[u8]> = bodies.iter().map(|b| &b[..]).collect();
        legacy_file(false, false, &refs)
    }

    #[test]
    fn every_chunk_size_with_room_for_a_record_reads_alone() {
        // Records cut at every offset of a chunk; a carried tail is at
        // most 65 bytes. On this thread for every chunk size that holds
        // the file header, through a reader thread for some.
        let f = uneven_file();
        for chunk in 24..300 {
            for way in [Way::Inline, Way::Thread(2)] {
                if matches!(way, Way::Thread(_)) && chunk % 7 != 0 {
                    continue;
                }
                let mut lens = Vec::new();
                let input = std::io::Cursor::new(f.clone());
                let w = walk_with(input, way, (65, chunk), &mut |p| {
                    assert_eq!(p.index, lens.len() as u64 + 1);
                    assert!(p.data.iter().all(|&b| usize::from(b) == lens.len()));
                    lens.push(p.data.len());
                });
                assert_eq!(w, Walk::Done(40), "chunk {chunk} {way:?}");
                let want: Vec<usize> = (0..40).map(|i| 20 + i % 31).collect();
                assert_eq!(lens, want, "chunk {chunk} {way:?}");
            }
        }
        // Too small a reserve for a cut record stops the walk before the
        // end; the streaming reader reads the rest.
        assert!(
            matches!(walk_alone(&f, (30, 30)), Walk::Stopped(n) if n < 40),
            "{:?}",
            walk_alone(&f, (30, 30))
        );
        assert_eq!(read_all(&f).1.unwrap(), 40);
    }

    /// A reader failing after `ok` bytes.
    struct Failing(std::io::Cursor<Vec<u8>>, usize);

    impl Read for Failing {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            if self.1 == 0 {
                return Err(std::io::Error::other("disk on fire"));
            }
            let n = buf.len().min(self.1);
            let n = self.0.read(&mut buf[..n])?;
            self.1 -= n;
            Ok(n)
        }
    }

    #[test]
    fn a_read_error_stops_the_walk_after_the_whole_records() {
        // Header (24) and the first two records (16 + 20, 16 + 40) read,
        // the third (16 + 30) cut by the error, in chunks of 61 bytes: the
        // third chunk fails after 4 bytes (on the reader thread, which
        // then ends).
        let f = legacy_file(false, false, &[&[0x45; 20], &[0x60; 40], &[0x45; 30]]);
        for way in WAYS {
            let failing = Failing(std::io::Cursor::new(f.clone()), 24 + 36 + 56 + 10);
            let w = walk_with(failing, way, (64, 61), &mut |_| {});
            assert_eq!(w, Walk::Stopped(2), "{way:?}");
            let failing = Failing(std::io::Cursor::new(f.clone()), 10);
            let w = walk_with(failing, way, (RESERVE, CHUNK), &mut |_| {});
            assert_eq!(w, Walk::Stopped(0), "{way:?}");
        }
        // The streaming reader, which reports it, keeps the reason.
        for cut in [24, 24 + 36 + 56 + 10] {
            let failing = Failing(std::io::Cursor::new(f.clone()), cut);
            let e = stream(Path::new("f"), failing, 0, &mut |_| {}).unwrap_err();
            assert_eq!(e.to_string(), "f: cannot read: disk on fire");
        }
    }

    /// A reader over `bytes` that counts what was read and says when it
    /// is dropped (which a joined reader thread has done).
    struct Watched {
        bytes: std::io::Cursor<Vec<u8>>,
        dropped: std::sync::Arc<std::sync::atomic::AtomicBool>,
    }

    impl Read for Watched {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            self.bytes.read(buf)
        }
    }

    impl Drop for Watched {
        fn drop(&mut self) {
            self.dropped
                .store(true, std::sync::atomic::Ordering::SeqCst);
        }
    }

    /// 2000 records of 100 bytes, the 4th claiming 1.5 MiB.
    fn bad_early_file() -> Vec<u8> {
        let body = [0x45; 84];
        let mut f = legacy_file(false, false, &vec![&body[..]; 2000]);
        let fourth = 24 + 3 * 100;
        f[fourth + 8..fourth + 12].copy_from_slice(&0x0018_0000u32.to_le_bytes());
        f
    }

    #[test]
    fn a_walk_that_stops_early_stops_and_joins_its_reader_thread() {
        // The walk stops at the 4th record of 2000, with the thread at
        // most a few chunks ahead (waiting for a buffer): `finish` wakes
        // it, joins it and gives the input back, read no further.
        let f = bad_early_file();
        for buffers in [2, 3] {
            let dropped = std::sync::Arc::default();
            let input = Watched {
                bytes: std::io::Cursor::new(f.clone()),
                dropped: std::sync::Arc::clone(&dropped),
            };
            let Ok(mut ahead) = ReadAhead::start(input, 200, 256, buffers, |_| ()) else {
                panic!("no reader thread");
            };
            assert_eq!(ahead.deliver(&mut |_, ()| {}), Walk::Stopped(3));
            let input = ahead.finish();
            let read = input.bytes.position();
            assert!(read <= 256 * (buffers as u64 + 2), "read {read} bytes");
            assert!(!dropped.load(std::sync::atomic::Ordering::SeqCst));
        }
        // The whole file through `for_each_packet`, with a reader thread:
        // the walk stops, the streaming reader reads it all again and
        // says what it says alone.
        let f = [&f[..], &vec![0x45; 3 * CHUNK]].concat();
        let t = TempCapture::new("bad-early", &f);
        let mut seen = Vec::new();
        let r = for_each_packet(&t.0, |p| {
            seen.push((p.index, p.linktype, p.data.len(), p.ts))
        });
        let mut want = Vec::new();
        let want_r = stream(&t.0, &f[..], 0, &mut |p| {
            want.push((p.index, p.linktype, p.data.len(), p.ts))
        });
        assert_eq!(seen, want);
        assert_eq!(format!("{r:?}"), format!("{want_r:?}"));
    }

    #[test]
    fn dropping_a_reader_mid_file_or_panicking_joins_its_thread() {
        let f = bad_early_file();
        let watched = |dropped: &std::sync::Arc<std::sync::atomic::AtomicBool>| {
            let input = Watched {
                bytes: std::io::Cursor::new(f.clone()),
                dropped: std::sync::Arc::clone(dropped),
            };
            let Ok(ahead) = ReadAhead::start(input, 200, 256, 2, |_| ()) else {
                panic!("no reader thread");
            };
            ahead
        };
        // Dropped after one chunk, with the thread waiting for a buffer.
        let dropped = std::sync::Arc::default();
        let ahead = watched(&dropped);
        let first = ahead.chunks.as_ref().map(|(full, _)| full.recv());
        assert!(matches!(first, Some(Ok(Msg::Batch(_)))));
        drop(ahead);
        assert!(dropped.load(std::sync::atomic::Ordering::SeqCst));
        // Unwound from a packet callback that panics.
        let dropped = std::sync::Arc::default();
        let mut ahead = watched(&dropped);
        let unwound = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || {
            ahead.deliver(&mut |p, ()| assert!(p.index < 2, "callback fails"))
        }));
        assert!(unwound.is_err());
        assert!(dropped.load(std::sync::atomic::Ordering::SeqCst));
    }

    #[test]
    fn small_empty_special_and_missing_files() {
        let f = legacy_file(false, false, &[&[0x45; 20], &[0x60; 40]]);
        let t = TempCapture::new("small", &f);
        let mut lens = Vec::new();
        assert_eq!(
            for_each_packet(&t.0, |p| lens.push(p.data.len())).unwrap(),
            2
        );
        assert_eq!(lens, vec![20, 40]);
        let empty = TempCapture::new("empty", b"");
        assert!(matches!(
            for_each_packet(&empty.0, |_| {}),
            Err(CaptureError::Empty(_))
        ));
        assert!(matches!(
            for_each_packet(Path::new("/dev/null"), |_| {}),
            Err(CaptureError::Empty(_))
        ));
        // A directory says so (not pcap-parser's bare "read failed").
        let dir = std::env::temp_dir();
        match for_each_packet(&dir, |_| {}) {
            Err(e @ CaptureError::Io(..)) => {
                assert!(
                    e.to_string().ends_with("cannot read: is a directory"),
                    "{e}"
                );
            }
            r => panic!("{r:?}"),
        }
        assert!(matches!(
            for_each_packet(Path::new("/nonexistent/capture.pcap"), |_| {}),
            Err(CaptureError::Io(..))
        ));
    }

    /// Small real captures: pcap with Ethernet, Linux SLL and raw IP
    /// link types, and a pcapng of three interfaces of three link types.
    fn real_captures() -> [&'static [u8]; 5] {
        [
            include_bytes!("../../../fixtures/public/ptcpdump_mptcp.pcap"),
            include_bytes!("../../../fixtures/public/tcpdump_mptcp-fclose.pcap"),
            include_bytes!("../../../fixtures/public/tcpdump_mptcp-aa-echo.pcap"),
            include_bytes!("../../../fixtures/public/tcpdump_mptcp-tcprst.pcap"),
            include_bytes!("../../../fixtures/public/merged-sll2-eth-raw.pcapng"),
        ]
    }

    /// A pcapng built here: two sections (little-, then big-endian), four
    /// interfaces with three time resolutions, six packets (one in a
    /// simple packet block), and blocks that carry none (name resolution,
    /// interface statistics, a type no reader knows).
    fn built_pcapng() -> Vec<u8> {
        let mut ng = Ng::new(false);
        ng.shb();
        ng.idb(1, None);
        ng.idb(101, Some(9));
        ng.epb(1, 2_000_000_123, &[0x45; 21]);
        ng.block(4, &[0; 4]);
        ng.epb(0, 3_000_007, &[0xff; 60]);
        ng.spb(&[9; 13]);
        ng.block(5, &[0; 12]);
        ng.block(0x0bad, &[1, 2, 3, 4]);
        ng.epb(1, 4_000_000_000, &[7; 3]);
        ng.be = true;
        ng.shb();
        ng.idb(276, Some(3));
        ng.idb(1, Some(0x80 | 10));
        ng.epb(1, 5 << 10, &[1; 40]);
        ng.epb(0, 6_007, &[0; 1]);
        ng.out
    }

    /// Where each record of a well-formed pcap file ends, read here from
    /// the record headers (the independent count the cut tests check the
    /// readers against).
    fn pcap_record_ends(f: &[u8]) -> Vec<usize> {
        let be = f[..4] == [0xa1, 0xb2, 0xc3, 0xd4] || f[..4] == [0xa1, 0xb2, 0x3c, 0x4d];
        let mut ends = Vec::new();
        let mut at = 24;
        while at < f.len() {
            let field: [u8; 4] = f[at + 8..at + 12].try_into().unwrap();
            let caplen = if be {
                u32::from_be_bytes(field)
            } else {
                u32::from_le_bytes(field)
            };
            at += 16 + caplen as usize;
            ends.push(at);
        }
        assert_eq!(at, f.len(), "the test capture is not well formed");
        ends
    }

    /// Where each block of a little-endian pcapng file ends, and whether
    /// it is a packet (enhanced packet block), read here from the block
    /// headers; stops after `max` blocks.
    fn pcapng_block_ends(f: &[u8], max: usize) -> Vec<(usize, bool)> {
        let mut ends = Vec::new();
        let mut at = 0;
        while at < f.len() && ends.len() < max {
            let word = |o: usize| u32::from_le_bytes(f[o..o + 4].try_into().unwrap());
            at += word(at + 4) as usize;
            ends.push((at, word(at - word(at - 4) as usize) == 6));
        }
        ends
    }

    #[test]
    fn every_cut_of_a_capture_reads_the_whole_packets_before_it() {
        // Cut at every byte. The readers agree, hand out exactly the
        // records that end at or before the cut, and end in `Ok` at the
        // end of a record (or of the file header), `Truncated` inside one,
        // with the count of those records; a cut inside the first header
        // is an error with no packet.
        let check = |f: &[u8], header: usize, ends: &[(usize, bool)]| {
            let (all, r) = read_all(f);
            let packets = ends.iter().filter(|e| e.1).count();
            assert_eq!(r.unwrap(), packets as u64);
            for cut in 0..f.len() {
                let (got, r) = read_all(&f[..cut]);
                let whole = ends.iter().filter(|e| e.1 && e.0 <= cut).count();
                if cut == 0 {
                    assert!(matches!(r, Err(CaptureError::Empty(_))), "{r:?}");
                } else if cut < header {
                    assert!(r.is_err(), "cut {cut}: {r:?}");
                } else if cut == header || ends.iter().any(|e| e.0 == cut) {
                    assert_eq!(r.unwrap(), whole as u64, "cut {cut}");
                } else {
                    assert!(
                        matches!(r, Err(CaptureError::Truncated(_, n)) if n == whole as u64),
                        "cut {cut}: {r:?}"
                    );
                }
                assert_eq!(got[..], all[..whole], "cut {cut}");
            }
        };
        for f in &real_captures()[..4] {
            let ends: Vec<(usize, bool)> =
                pcap_record_ends(f).into_iter().map(|e| (e, true)).collect();
            check(f, 24, &ends);
        }
        // The real pcapng up to its third packet: a section header, three
        // interfaces, three packets.
        let ng = real_captures()[4];
        let ends = pcapng_block_ends(ng, 7);
        let first = ends[0].0;
        let ng = &ng[..ends[6].0];
        check(ng, first, &ends);
        // The built pcapng (two sections of both byte orders): the readers
        // agree and hand out a prefix of the whole file's packets.
        let f = built_pcapng();
        let (all, r) = read_all(&f);
        assert_eq!(r.unwrap(), 6);
        // The simple packet block's packet: the first interface's link
        // type, the time of the packet before it.
        assert_eq!(all[1].3, 3.000_007);
        assert_eq!(all[2], (3, 1, 13, 3.000_007));
        for cut in 0..f.len() {
            let (got, _) = read_all(&f[..cut]);
            assert_eq!(got[..], all[..got.len()], "cut {cut}");
        }
    }

    /// One change to a capture's bytes.
    #[derive(Debug, Clone)]
    enum Edit {
        /// Set the byte at this offset (modulo the length).
        Byte(usize, u8),
        /// Write a 32-bit value at this offset (rounded down to a multiple
        /// of 4 when the flag says so), in either byte order: lengths,
        /// magics, block types and interface numbers live in such fields.
        Word(usize, bool, u32, bool),
        /// Keep only this many bytes (modulo the length + 1).
        Cut(usize),
        /// Insert a copy of `len` bytes from one offset at another.
        Copy(usize, usize, usize),
        /// Remove `len` bytes at an offset.
        Remove(usize, usize),
    }

    impl Edit {
        fn apply(&self, f: &mut Vec<u8>) {
            let n = f.len();
            match *self {
                Edit::Byte(at, v) if n > 0 => f[at % n] = v,
                Edit::Word(at, aligned, v, be) if n >= 4 => {
                    let mut at = at % (n - 3);
                    if aligned {
                        at &= !3;
                    }
                    let b = if be { v.to_be_bytes() } else { v.to_le_bytes() };
                    f[at..at + 4].copy_from_slice(&b);
                }
                Edit::Cut(keep) => f.truncate(keep % (n + 1)),
                Edit::Copy(from, to, len) if n > 0 => {
                    let from = from % n;
                    let len = len.min(n - from);
                    let piece = f[from..from + len].to_vec();
                    let to = to % (n + 1);
                    f.splice(to..to, piece);
                }
                Edit::Remove(at, len) if n > 0 => {
                    let at = at % n;
                    f.drain(at..(at + len).min(n));
                }
                _ => {}
            }
        }
    }

    /// 32-bit values that mean something to a capture reader, and any.
    fn word() -> impl proptest::strategy::Strategy<Value = u32> {
        use proptest::prelude::*;
        prop_oneof![
            prop::sample::select(vec![
                0,
                1,
                3,
                4,
                6,
                12,
                16,
                28,
                0xff,
                0xffff,
                (STREAM_BUFFER as u32) - 1,
                STREAM_BUFFER as u32,
                STREAM_BUFFER as u32 + 1,
                0x7fff_ffff,
                0xffff_ffff,
                0xa1b2_c3d4,
                0xa1b2_3c4d,
                0x0a0d_0d0a,
                0x1a2b_3c4d,
            ]),
            any::<u32>(),
        ]
    }

    fn edit() -> impl proptest::strategy::Strategy<Value = Edit> {
        use proptest::prelude::*;
        prop_oneof![
            1 => (any::<usize>(), any::<u8>()).prop_map(|(a, v)| Edit::Byte(a, v)),
            4 => (any::<usize>(), any::<bool>(), word(), any::<bool>())
                .prop_map(|(a, al, v, be)| Edit::Word(a, al, v, be)),
            1 => any::<usize>().prop_map(Edit::Cut),
            1 => (any::<usize>(), any::<usize>(), 0..200usize)
                .prop_map(|(a, b, l)| Edit::Copy(a, b, l)),
            1 => (any::<usize>(), 0..200usize).prop_map(|(a, l)| Edit::Remove(a, l)),
        ]
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(512))]

        /// Any damage to a real or built capture: neither reader panics,
        /// and every walk (each buffer size, on this thread and through a
        /// reader thread) hands out the same packets, bytes and error as
        /// the streaming reader alone.
        #[test]
        fn damaged_captures_read_the_same_every_way(
            base in 0..7usize,
            edits in proptest::collection::vec(edit(), 1..5),
        ) {
            let mut f = match base {
                0..=3 => real_captures()[base].to_vec(),
                // The real pcapng up to its third packet (the next one is
                // 7 KB).
                4 => real_captures()[4][..pcapng_block_ends(real_captures()[4], 7)[6].0].to_vec(),
                5 => built_pcapng(),
                _ => uneven_file(),
            };
            for e in &edits {
                e.apply(&mut f);
            }
            // Panics where the readers disagree, or where the packets'
            // numbers or the error's packet count are wrong.
            let (_packets, _result) = read_all(&f);
        }
    }

    #[test]
    fn a_short_process_information_block_is_an_error() {
        // The `capture` target's finding: a pcapng section header, an
        // interface, then a Process Information Block (type 0x80000001)
        // of length 4. pcap-parser 0.17.0 alone panics here with overflow
        // checks on (this debug test build); both readers refuse it first.
        let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz");
        let bytes = std::fs::read(fuzz.join("regressions/capture/short-process-information-block"))
            .unwrap();
        assert_eq!(&bytes[0x30..0x38], &[1, 0, 0, 0x80, 4, 0, 0, 0]);
        let (packets, result) = read_all(&bytes);
        assert!(packets.is_empty());
        match result {
            Err(CaptureError::Corrupt(_, 0, why)) => assert_eq!(why, SHORT_PIB),
            other => panic!("{other:?}"),
        }
        // At 12 bytes it is not this error (pcap-parser judges it).
        let mut ok = bytes[..0x30].to_vec();
        ok.extend_from_slice(&[1, 0, 0, 0x80, 12, 0, 0, 0, 12, 0, 0, 0]);
        let (_, result) = read_all(&ok);
        assert!(
            !matches!(&result, Err(CaptureError::Corrupt(_, _, w)) if w == SHORT_PIB),
            "{result:?}"
        );
    }

    #[test]
    fn the_capture_fuzz_corpus_reads_the_same_every_way() {
        // The `capture` fuzz target's committed corpus and regressions,
        // through its oracle, on stable.
        let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz");
        let mut n = 0;
        for dir in ["corpus/capture", "regressions/capture"] {
            let Ok(entries) = std::fs::read_dir(fuzz.join(dir)) else {
                continue;
            };
            for e in entries {
                let bytes = std::fs::read(e.unwrap().path()).unwrap();
                let (_packets, _result) = read_all(&bytes);
                n += 1;
            }
        }
        assert!(n >= 10, "only {n} corpus files");
    }
}
