#!/usr/bin/env python3
"""Seeds fuzz/corpus/<target>/ from the captures in fixtures/ (stdlib only).

    python3 fuzz/seed.py            # from the repository root or anywhere

For the capture target, whole capture files (see capture_seeds).

For each frame of fixtures/**/*.pcap (classic pcap, any byte order):
  * frame:        1 link-type byte (index into LinkType::ALL) + the frame;
  * tcp_options:  the TCP options area (bytes 20 .. data offset * 4);
  * mptcp_option: every kind-30 option of that area, whole.

The dissection here is deliberately minimal (Ethernet + VLAN, SLL, SLL2,
raw IP; IPv4; IPv6 with hop-by-hop/routing/destination/fragment headers):
it only has to find option bytes, the Rust code is what gets tested.

Seeds are deduplicated by content and named by their SHA-1, as libFuzzer
names its corpus files. To keep the committed corpus small, frames are
grouped by shape (link, IP version, TCP flags, option kinds and MPTCP
subtypes/lengths) and only the smallest frame of each shape is kept; option
areas and MPTCP options likewise, one per layout.
Existing files are left alone; run `cargo fuzz cmin` afterwards.
"""

import glob
import hashlib
import os
import struct
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = os.path.join(ROOT, "fuzz", "corpus")

# pcap LINKTYPE -> index in LinkType::ALL
# (Ethernet, RawIp, Ipv4, Ipv6, LinuxSll, LinuxSll2, Ppp).
LINK_INDEX = {1: 0, 101: 1, 12: 1, 14: 1, 228: 2, 229: 3, 113: 4, 276: 5, 9: 6, 0: 7, 108: 8}


def read_pcap(path):
    with open(path, "rb") as f:
        data = f.read()
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        end = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        end = ">"
    else:
        print(f"{path}: not a classic pcap, skipped", file=sys.stderr)
        return None, []
    linktype = struct.unpack(end + "I", data[20:24])[0] & 0x0FFFFFFF
    frames, at = [], 24
    while at + 16 <= len(data):
        incl = struct.unpack(end + "I", data[at + 8 : at + 12])[0]
        frames.append(data[at + 16 : at + 16 + incl])
        at += 16 + incl
    return linktype, frames


def ip_offset(link, frame):
    """(offset of the IP header, ethertype or None) for a link index."""
    if link == 0:
        at, et = 14, frame[12:14]
    elif link == 4:
        at, et = 16, frame[14:16]
    elif link == 5:
        at, et = 20, frame[0:2]
    elif link in (1, 2, 3):
        return 0
    elif link in (7, 8):
        return 4
    else:
        return None
    while et in (b"\x81\x00", b"\x88\xa8", b"\x91\x00"):
        et, at = frame[at + 2 : at + 4], at + 4
    return at if et in (b"\x08\x00", b"\x86\xdd") else None


def tcp_segment(ip):
    """(TCP segment bytes, IP version) or None."""
    if not ip:
        return None
    v = ip[0] >> 4
    if v == 4 and len(ip) >= 20:
        ihl = (ip[0] & 0x0F) * 4
        frag = struct.unpack(">H", ip[6:8])[0] & 0x1FFF
        if ip[9] != 6 or frag:
            return None
        total = struct.unpack(">H", ip[2:4])[0]
        return ip[ihl:total], 4
    if v == 6 and len(ip) >= 40:
        nh, at = ip[6], 40
        end = 40 + struct.unpack(">H", ip[4:6])[0]
        while nh in (0, 43, 60, 44) and at + 8 <= len(ip):
            if nh == 44:
                nxt, ln = ip[at], 8
            else:
                nxt, ln = ip[at], (ip[at + 1] + 1) * 8
            nh, at = nxt, at + ln
        return (ip[at:end], 6) if nh == 6 else None
    return None


def options(area):
    """Whole options as (kind, bytes), stopping where the framing breaks."""
    out, at = [], 0
    while at < len(area):
        k = area[at]
        if k == 0:
            break
        if k == 1:
            at += 1
            continue
        if at + 1 >= len(area) or area[at + 1] < 2 or at + area[at + 1] > len(area):
            break
        out.append((k, area[at : at + area[at + 1]]))
        at += area[at + 1]
    return out


def pcapng(big_endian):
    """Block builders (any block, section header, interface, enhanced and
    simple packet) in one byte order."""
    e = ">" if big_endian else "<"

    def block(kind, body):
        n = 12 + len(body)
        return struct.pack(e + "II", kind, n) + body + struct.pack(e + "I", n)

    def shb():
        return block(0x0A0D0D0A, struct.pack(e + "IHH", 0x1A2B3C4D, 1, 0) + b"\xff" * 8)

    def idb(linktype, tsresol=None):
        body = struct.pack(e + "HHI", linktype, 0, 0)
        if tsresol is not None:
            body += struct.pack(e + "HH", 9, 1) + bytes([tsresol, 0, 0, 0]) + b"\0" * 4
        return block(1, body)

    def epb(if_id, ts, data):
        body = struct.pack(e + "IIIII", if_id, ts >> 32, ts & 0xFFFFFFFF, len(data), len(data))
        body += data + b"\0" * (-len(data) % 4)
        return block(6, body)

    def spb(data):
        return block(3, struct.pack(e + "I", len(data)) + data + b"\0" * (-len(data) % 4))

    return block, shb, idb, epb, spb


def capture_seeds():
    """Whole capture files for the `capture` target: the fixtures of at
    most 4 KiB, the three-interface pcapng up to its third packet, a
    two-section pcapng of both byte orders with every block type the
    readers know and one they do not (as the CLI's `built_pcapng` test
    capture) and a big-endian nanosecond pcap."""
    out = []
    for path in sorted(glob.glob(os.path.join(ROOT, "fixtures", "**", "*.pcap*"), recursive=True)):
        with open(path, "rb") as f:
            data = f.read()
        if len(data) <= 4096:
            out.append(data)
    with open(os.path.join(ROOT, "fixtures", "public", "merged-sll2-eth-raw.pcapng"), "rb") as f:
        ng = f.read()
    at = 0
    for _ in range(7):
        at += struct.unpack("<I", ng[at + 4 : at + 8])[0]
    out.append(ng[:at])
    block, shb, idb, epb, spb = pcapng(False)
    two = shb() + idb(1) + idb(101, 9)
    two += epb(1, 2_000_000_123, b"\x45" * 21) + block(4, b"\0" * 4)
    two += epb(0, 3_000_007, b"\xff" * 60) + spb(b"\x09" * 13)
    two += block(5, b"\0" * 12) + block(0x0BAD, b"\x01\x02\x03\x04")
    two += epb(1, 4_000_000_000, b"\x07" * 3)
    block, shb, idb, epb, spb = pcapng(True)
    two += shb() + idb(276, 3) + idb(1, 0x8A) + epb(1, 5 << 10, b"\x01" * 40) + epb(0, 6007, b"\0")
    out.append(two)
    be = struct.pack(">IHHiIII", 0xA1B23C4D, 2, 4, 0, 0, 65535, 101)
    for i, d in enumerate([b"\x45" * 20, b"\x60" * 40, b""]):
        be += struct.pack(">IIII", i + 1, 500, len(d), len(d)) + d
    out.append(be)
    return out


def main():
    seeds = {"frame": None, "tcp_options": {}, "mptcp_option": {}}
    shapes = {}
    pcaps = sorted(glob.glob(os.path.join(ROOT, "fixtures", "**", "*.pcap"), recursive=True))
    for path in pcaps:
        linktype, frames = read_pcap(path)
        link = LINK_INDEX.get(linktype)
        if link is None:
            continue
        for frame in frames:
            at = ip_offset(link, frame)
            seg = tcp_segment(frame[at:]) if at is not None else None
            if not seg or len(seg[0]) < 20:
                continue
            tcp, version = seg
            area = tcp[20 : (tcp[12] >> 4) * 4]
            opts = options(area)
            mptcp = [o for k, o in opts if k == 30]
            # Timestamps, keys and sequence numbers make most areas unique;
            # keep one per layout (option kinds and lengths, MPTCP header
            # bytes) and one MPTCP option per (subtype/nibble, length, byte 3).
            layout = tuple((k, len(o), o[2:4] if k == 30 else b"") for k, o in opts)
            seeds["tcp_options"].setdefault(layout, area)
            for o in mptcp:
                seeds["mptcp_option"].setdefault((o[2:3], len(o), o[3:4]), o)
            shape = (
                link,
                version,
                tcp[13],
                tuple(k for k, _ in opts),
                tuple((o[2] >> 4, len(o)) for o in mptcp if len(o) > 2),
            )
            fz = bytes([link]) + frame
            if shape not in shapes or len(fz) < len(shapes[shape]):
                shapes[shape] = fz
    seeds["frame"] = {fz: None for fz in shapes.values()}
    seeds["capture"] = {c: None for c in capture_seeds()}
    for target, by_shape in seeds.items():
        items = dict.fromkeys(by_shape.values() if target not in ("frame", "capture") else by_shape)
        out = os.path.join(CORPUS, target)
        os.makedirs(out, exist_ok=True)
        new = 0
        for data in items:
            name = os.path.join(out, hashlib.sha1(data).hexdigest())
            if not os.path.exists(name):
                with open(name, "wb") as f:
                    f.write(data)
                new += 1
        size = sum(len(d) for d in items)
        print(f"{target}: {len(items)} seeds ({size} bytes), {new} new")


if __name__ == "__main__":
    main()
