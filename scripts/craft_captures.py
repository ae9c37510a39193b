#!/usr/bin/env python3
"""Write hand-crafted MPTCP captures to fixtures/crafted/ (pure stdlib).

  v0-handshake.pcap   RFC 6824 (v0) connection: MP_CAPABLE x3, DSS with
                      checksum, MP_JOIN x3 (real HMAC-SHA1 values), ADD_ADDR v0
                      (IPv4 + port), MP_PRIO v0 (with addr id), REMOVE_ADDR (2
                      ids), MP_FAIL, MP_FASTCLOSE.
  v1-mirrored.pcap    SYN/ACKs produced by a "mirroring" middlebox.
  malformed.pcap      bad lengths, unknown subtypes, option overrunning the
                      header, MP_EXPERIMENTAL, MP_TCPRST.
  hmac-vectors.json   independent crypto vectors (token/IDSN/HMACs) for v0
                      (SHA-1) and v1 (SHA-256).

Everything is deterministic (fixed keys, nonces, timestamps): re-running the
script produces byte-identical files.  Link type Ethernet (1); all IP and TCP
checksums are valid (computed here).
"""
import hashlib
import hmac
import json
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(os.path.dirname(HERE), "fixtures", "crafted")

# ------------------------------------------------------------------ checksums


def ones_sum(data: bytes, s: int = 0) -> int:
    if len(data) % 2:
        data += b"\0"
    for (w,) in struct.iter_unpack("!H", data):
        s += w
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return s


def csum(data: bytes) -> int:
    return (~ones_sum(data)) & 0xFFFF


def ip4(a: str) -> bytes:
    return bytes(int(x) for x in a.split("."))


def ip6(a: str) -> bytes:
    import ipaddress
    return ipaddress.IPv6Address(a).packed


# ------------------------------------------------------------------ packets

MAC_C = bytes.fromhex("020000000001")
MAC_S = bytes.fromhex("020000000002")


def tcp_segment(src, dst, sport, dport, seq, ack, flags, opts=b"", payload=b"",
                win=64240, v6=False, raw_doff=None, urg=0):
    """Build an Ethernet frame.  opts are raw option bytes; they are padded
    with EOL to a multiple of 4 unless raw_doff is given (then the data
    offset field is forced, used for malformed cases)."""
    if len(opts) % 4:
        opts += b"\0" * (4 - len(opts) % 4)
    assert len(opts) <= 40, len(opts)
    doff = raw_doff if raw_doff is not None else (20 + len(opts)) // 4
    fl = 0
    for ch, bit in (("F", 1), ("S", 2), ("R", 4), ("P", 8), ("A", 16), ("U", 32)):
        if ch in flags:
            fl |= bit
    if "A" not in flags:
        ack = 0
    hdr = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF,
                      doff << 4, fl, win, 0, urg)
    seg = hdr + opts + payload
    if v6:
        s, d = ip6(src), ip6(dst)
        pseudo = s + d + struct.pack("!IxxxB", len(seg), 6)
    else:
        s, d = ip4(src), ip4(dst)
        pseudo = s + d + struct.pack("!xBH", 6, len(seg))
    c = csum(pseudo + seg)
    seg = seg[:16] + struct.pack("!H", c) + seg[18:]
    if v6:
        iph = struct.pack("!IHBB", 6 << 28, len(seg), 6, 64) + s + d
        eth_type = 0x86DD
    else:
        iph = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(seg), 0, 0x4000, 64, 6, 0, s, d)
        iph = iph[:10] + struct.pack("!H", csum(iph)) + iph[12:]
        eth_type = 0x0800
    # client addresses end in .1 / ::1, everything else is "server"
    from_client = src.split(".")[-1] == "1" or src.endswith("::1")
    smac, dmac = (MAC_C, MAC_S) if from_client else (MAC_S, MAC_C)
    return dmac + smac + struct.pack("!H", eth_type) + iph + seg


def write_pcap(path, frames, t0=1700000000):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i, fr in enumerate(frames):
            ts = t0 + i * 0.001
            sec = int(ts)
            usec = int(round((ts - sec) * 1e6))
            f.write(struct.pack("<IIII", sec, usec, len(fr), len(fr)))
            f.write(fr)
    print(f"wrote {path}: {len(frames)} frames")


# ------------------------------------------------------------------ TCP options

NOP = b"\x01"


def opt_mss(m=1460):
    return struct.pack("!BBH", 2, 4, m)


def opt_ws(s=7):
    return struct.pack("!BBB", 3, 3, s)


def opt_sackperm():
    return b"\x04\x02"


def opt_ts(val, ecr):
    return struct.pack("!BBII", 8, 10, val, ecr)


def mp(subtype_byte_hi: int, low4: int, body: bytes) -> bytes:
    """MPTCP option: kind 30, length, subtype<<4|low4, body."""
    return struct.pack("!BBB", 30, 3 + len(body), (subtype_byte_hi << 4) | (low4 & 0xF)) + body


# ------------------------------------------------------------------ crypto


def key_material(key: int, algo):
    d = algo(struct.pack("!Q", key)).digest()
    return {
        "token": int.from_bytes(d[:4], "big"),
        "idsn": int.from_bytes(d[-8:], "big"),
        "digest": d.hex(),
    }


def join_hmacs(key_a, key_b, r_a, r_b, algo):
    ka, kb = struct.pack("!Q", key_a), struct.pack("!Q", key_b)
    ra, rb = struct.pack("!I", r_a), struct.pack("!I", r_b)
    mac_b = hmac.new(kb + ka, rb + ra, algo).digest()  # sent by B (SYN/ACK)
    mac_a = hmac.new(ka + kb, ra + rb, algo).digest()  # sent by A (third ACK)
    return mac_a, mac_b


def dss_checksum(dsn64: int, ssn: int, dll: int, payload: bytes) -> int:
    pseudo = struct.pack("!QIHH", dsn64, ssn, dll, 0)
    return csum(pseudo + payload)


# ------------------------------------------------------------------ constants

KEY_A = 0x0123456789ABCDEF  # client
KEY_B = 0xFEDCBA9876543210  # server
R_A = 0x11223344  # client's join nonce
R_B = 0x55667788  # server's join nonce
CLI, SRV = "192.0.2.1", "192.0.2.2"
CLI2 = "198.51.100.1"
SRV2 = "203.0.113.2"
CLI6, SRV6 = "2001:db8::1", "2001:db8::2"


def v0_handshake():
    frames = []
    ka = key_material(KEY_A, hashlib.sha1)
    kb = key_material(KEY_B, hashlib.sha1)
    cp, sp = 40000, 80
    isn_c, isn_s = 1000, 5000
    # v0 MP_CAPABLE flags: A (0x80, checksum required) | H (0x01, HMAC-SHA1)
    flags = 0x81
    A = struct.pack("!Q", KEY_A)
    B = struct.pack("!Q", KEY_B)
    # 1 SYN
    frames.append(tcp_segment(CLI, SRV, cp, sp, isn_c, 0, "S",
                              opt_mss() + opt_sackperm() + opt_ts(100, 0) + NOP + opt_ws()
                              + mp(0, 0, bytes([flags]) + A)))
    # 2 SYN/ACK
    frames.append(tcp_segment(SRV, CLI, sp, cp, isn_s, isn_c + 1, "SA",
                              opt_mss() + opt_sackperm() + opt_ts(200, 100) + NOP + opt_ws()
                              + mp(0, 0, bytes([flags]) + B)))
    # 3 ACK with both keys (20 bytes)
    frames.append(tcp_segment(CLI, SRV, cp, sp, isn_c + 1, isn_s + 1, "A",
                              NOP + NOP + opt_ts(101, 200) + mp(0, 0, bytes([flags]) + A + B)))
    # 4 data segment with DSS: data ACK 4 bytes, DSN 8 bytes, checksum
    payload = b"GET / HTTP/1.0\r\n\r\n"
    dsn = (ka["idsn"] + 1) & 0xFFFFFFFFFFFFFFFF
    data_ack = (kb["idsn"] + 1) & 0xFFFFFFFF
    ssn = 1
    dsum = dss_checksum(dsn, ssn, len(payload), payload)
    # self-check: sum over pseudo header incl. checksum + payload == 0xffff
    assert ones_sum(struct.pack("!QIHH", dsn, ssn, len(payload), dsum) + payload) == 0xFFFF
    dss_flags = 0x01 | 0x04 | 0x08  # A (data ack present, 4 bytes), M (map), m (8-byte DSN)
    dss_body = bytes([dss_flags]) + struct.pack("!IQIHH", data_ack, dsn, ssn, len(payload), dsum)
    frames.append(tcp_segment(CLI, SRV, cp, sp, isn_c + 1, isn_s + 1, "PA",
                              NOP + NOP + opt_ts(102, 200) + mp(2, 0, dss_body), payload))
    # 5 server ACK with DSS data-ack only (4 bytes)
    frames.append(tcp_segment(SRV, CLI, sp, cp, isn_s + 1, isn_c + 1 + len(payload), "A",
                              NOP + NOP + opt_ts(201, 102)
                              + mp(2, 0, bytes([0x01]) + struct.pack("!I", (dsn + len(payload)) & 0xFFFFFFFF))))
    # second subflow: MP_JOIN handshake, client 198.51.100.1 -> server 192.0.2.2
    mac_a, mac_b = join_hmacs(KEY_A, KEY_B, R_A, R_B, hashlib.sha1)
    cp2 = 40001
    isn_c2, isn_s2 = 7000, 9000
    join_syn = mp(1, 0, bytes([1]) + struct.pack("!II", kb["token"], R_A))  # addr id 1, receiver token
    assert len(join_syn) == 12
    frames.append(tcp_segment(CLI2, SRV, cp2, sp, isn_c2, 0, "S",
                              opt_mss() + opt_sackperm() + opt_ts(300, 0) + NOP + opt_ws() + join_syn))
    join_synack = mp(1, 0, bytes([0]) + mac_b[:8] + struct.pack("!I", R_B))
    assert len(join_synack) == 16
    frames.append(tcp_segment(SRV, CLI2, sp, cp2, isn_s2, isn_c2 + 1, "SA",
                              opt_mss() + opt_sackperm() + opt_ts(400, 300) + NOP + opt_ws() + join_synack))
    join_ack = mp(1, 0, b"\0" + mac_a)  # 12 reserved bits, 160-bit HMAC
    assert len(join_ack) == 24
    frames.append(tcp_segment(CLI2, SRV, cp2, sp, isn_c2 + 1, isn_s2 + 1, "A",
                              NOP + NOP + opt_ts(301, 400) + join_ack))
    # ADD_ADDR v0, IPVer 4, address id 5, 203.0.113.2 port 8080 (len 10)
    add_addr = mp(3, 4, bytes([5]) + ip4(SRV2) + struct.pack("!H", 8080))
    assert len(add_addr) == 10
    frames.append(tcp_segment(SRV, CLI, sp, cp, isn_s + 1, isn_c + 1 + len(payload), "A",
                              NOP + NOP + opt_ts(202, 102) + add_addr))
    # MP_PRIO v0 with address id (len 4), B=1, on subflow 2
    frames.append(tcp_segment(CLI2, SRV, cp2, sp, isn_c2 + 1, isn_s2 + 1, "A",
                              NOP + NOP + opt_ts(302, 400) + mp(5, 1, bytes([1]))))
    # REMOVE_ADDR with ids 5 and 6 (len 5)
    frames.append(tcp_segment(SRV, CLI, sp, cp, isn_s + 1, isn_c + 1 + len(payload), "A",
                              NOP + NOP + opt_ts(203, 102) + mp(4, 0, bytes([5, 6]))))
    # MP_FAIL (len 12) carrying the DSN of the bad mapping
    frames.append(tcp_segment(SRV, CLI, sp, cp, isn_s + 1, isn_c + 1 + len(payload), "A",
                              NOP + NOP + opt_ts(204, 102) + mp(6, 0, b"\0" + struct.pack("!Q", dsn))))
    # MP_FASTCLOSE (len 12) with the receiver's key (client -> server: key B), on ACK (v0),
    # followed by the RST of the subflows
    frames.append(tcp_segment(CLI, SRV, cp, sp, isn_c + 1 + len(payload), isn_s + 1, "A",
                              NOP + NOP + opt_ts(103, 204) + mp(7, 0, b"\0" + B)))
    frames.append(tcp_segment(SRV, CLI, sp, cp, isn_s + 1, 0, "R"))
    frames.append(tcp_segment(CLI2, SRV, cp2, sp, isn_c2 + 1, 0, "R"))
    write_pcap(os.path.join(OUT, "v0-handshake.pcap"), frames)
    return {
        "dss": {"dsn": dsn, "ssn": ssn, "data_level_length": len(payload),
                "payload_hex": payload.hex(), "checksum": dsum, "data_ack32": data_ack},
    }


def v1_mirrored():
    frames = []
    A = struct.pack("!Q", KEY_A)
    # (a) v0 SYN with key A; SYN/ACK mirrors the client's own key
    cp, sp = 41000, 80
    frames.append(tcp_segment(CLI, SRV, cp, sp, 100, 0, "S",
                              opt_mss() + opt_ts(10, 0) + NOP + NOP + mp(0, 0, b"\x81" + A)))
    frames.append(tcp_segment(SRV, CLI, sp, cp, 500, 101, "SA",
                              opt_mss() + opt_ts(20, 10) + NOP + NOP + mp(0, 0, b"\x81" + A)))
    # (b) v1 SYN (4-byte MP_CAPABLE) and a keyless 4-byte v1 SYN/ACK
    cp = 41001
    frames.append(tcp_segment(CLI, SRV, cp, sp, 200, 0, "S",
                              opt_mss() + opt_ts(11, 0) + NOP + NOP + mp(0, 1, b"\x81")))
    frames.append(tcp_segment(SRV, CLI, sp, cp, 600, 201, "SA",
                              opt_mss() + opt_ts(21, 11) + NOP + NOP + mp(0, 1, b"\x81")))
    # (c) IPv6: MP_JOIN SYN mirrored in the SYN/ACK (12 bytes, same token/nonce)
    cp = 41002
    tok = key_material(KEY_B, hashlib.sha256)["token"]
    join_syn = mp(1, 0, bytes([2]) + struct.pack("!II", tok, R_A))
    frames.append(tcp_segment(CLI6, SRV6, cp, sp, 300, 0, "S",
                              opt_mss(1440) + opt_ts(12, 0) + NOP + NOP + join_syn, v6=True))
    frames.append(tcp_segment(SRV6, CLI6, sp, cp, 700, 301, "SA",
                              opt_mss(1440) + opt_ts(22, 12) + NOP + NOP + join_syn, v6=True))
    # (d) SYN/ACK option list byte-identical to the SYN's (same TSval/TSecr)
    cp = 41003
    opts = opt_mss() + opt_sackperm() + opt_ts(13, 0) + NOP + opt_ws() + mp(0, 1, b"\x81")
    frames.append(tcp_segment(CLI, SRV, cp, sp, 400, 0, "S", opts))
    frames.append(tcp_segment(SRV, CLI, sp, cp, 800, 401, "SA", opts))
    write_pcap(os.path.join(OUT, "v1-mirrored.pcap"), frames)


def malformed():
    frames = []
    sp = 80
    ts = opt_ts(1, 1)

    def seg(cp, opts, flags="A", payload=b"", raw_doff=None):
        frames.append(tcp_segment(CLI, SRV, cp, sp, 1000, 2000, flags, opts, payload, raw_doff=raw_doff))

    # 1 DSS with length 9 (no valid DSS layout has length 9)
    seg(42001, NOP + NOP + ts + bytes([30, 9, 0x20, 0x01]) + b"\0" * 5)
    # 2 MP_CAPABLE version 0 with length 4 (v0 needs 12 or 20)
    seg(42002, opt_mss() + NOP + NOP + ts + bytes([30, 4, 0x00, 0x81]), flags="S")
    # 3 MP_JOIN with length 13
    seg(42003, opt_mss() + NOP + NOP + ts + bytes([30, 13, 0x10, 0x01]) + b"\xaa" * 9, flags="S")
    # 4 ADD_ADDR v1, E=0 (non-echo) IPv4 with length 8 (needs 16: HMAC missing)
    seg(42004, NOP + NOP + ts + bytes([30, 8, 0x30, 0x01]) + ip4(SRV2))
    # 5 bad DSS (len 9) then a valid MP_PRIO (len 3) then timestamps
    seg(42005, bytes([30, 9, 0x20, 0x01]) + b"\0" * 5 + mp(5, 1, b"") + ts)
    # 6 a TCP option whose length runs past the end of the header
    #   (MPTCP kind 30, length 40, only 12 bytes of option space left)
    seg(42006, NOP + NOP + ts + bytes([30, 40, 0x20, 0x01]) + b"\0" * 8)
    # 7 unknown MPTCP subtype 9 (len 4)
    seg(42007, NOP + NOP + ts + bytes([30, 4, 0x90, 0x00]))
    # 8 MP_EXPERIMENTAL (subtype 0xf), len 6
    seg(42008, NOP + NOP + ts + bytes([30, 6, 0xF0, 0x00, 0xDE, 0xAD]))
    # 9 MP_TCPRST (subtype 8) on a RST: flags T (transient, 0x1), reason 6 (middlebox)
    seg(42009, mp(8, 1, bytes([6])), flags="R")
    # 10 MPTCP option with length 2 (no subtype byte) followed by timestamps
    seg(42010, bytes([30, 2]) + NOP + NOP + ts)
    # 11 MPTCP option with length 0 at the end (parsers must not loop)
    seg(42011, NOP + NOP + ts + bytes([30, 0, 0x20, 0x01]))
    # 12 data offset (doff=15) larger than the segment (header truncated)
    seg(42012, NOP + NOP + ts, raw_doff=15)
    # 13 DSS with M flag but length too short for the mapping (len 8, 4-byte ack only fits)
    seg(42013, NOP + NOP + ts + bytes([30, 8, 0x20, 0x05]) + b"\0\0\0\x01")
    write_pcap(os.path.join(OUT, "malformed.pcap"), frames)


def vectors(extra):
    out = {"_comment": "Generated by scripts/craft_captures.py. Integers are also given as hex strings. "
           "Keys/nonces/ports are big-endian on the wire.",
           "keys": {"key_a": f"{KEY_A:016x}", "key_b": f"{KEY_B:016x}"},
           "nonces": {"r_a": f"{R_A:08x}", "r_b": f"{R_B:08x}"}}
    for ver, algo, name in (("v0", hashlib.sha1, "SHA-1 (RFC 6824)"), ("v1", hashlib.sha256, "SHA-256 (RFC 8684)")):
        ka = key_material(KEY_A, algo)
        kb = key_material(KEY_B, algo)
        mac_a, mac_b = join_hmacs(KEY_A, KEY_B, R_A, R_B, algo)
        v = {
            "hash": name,
            "key_a": {"key": f"{KEY_A:016x}", "hash_digest": ka["digest"],
                      "token": f"{ka['token']:08x}", "idsn": f"{ka['idsn']:016x}"},
            "key_b": {"key": f"{KEY_B:016x}", "hash_digest": kb["digest"],
                      "token": f"{kb['token']:08x}", "idsn": f"{kb['idsn']:016x}"},
            "join_synack_hmac_b": {
                "description": "sent by B (server) in MP_JOIN SYN/ACK: HMAC(key=KeyB||KeyA, msg=R_B||R_A), leftmost 64 bits",
                "hmac_key": f"{KEY_B:016x}{KEY_A:016x}", "msg": f"{R_B:08x}{R_A:08x}",
                "full": mac_b.hex(), "truncated64": mac_b[:8].hex()},
            "join_ack_hmac_a": {
                "description": "sent by A (client) in MP_JOIN third ACK: HMAC(key=KeyA||KeyB, msg=R_A||R_B); "
                               "option carries the leftmost 160 bits",
                "hmac_key": f"{KEY_A:016x}{KEY_B:016x}", "msg": f"{R_A:08x}{R_B:08x}",
                "full": mac_a.hex(), "carried160": mac_a[:20].hex()},
        }
        out[ver] = v
    # v1 ADD_ADDR HMAC (RFC 8684 3.4.1): sent by B (server) -> key = KeyB||KeyA;
    # msg = Address ID || IP address || port (if present); truncated = RIGHTMOST 64 bits.
    aa = []
    for (sender, k1, k2, addr_id, ip, port) in (
        ("B", KEY_B, KEY_A, 5, SRV2, 8080),
        ("B", KEY_B, KEY_A, 5, SRV2, None),
        ("A", KEY_A, KEY_B, 7, CLI6, None),
    ):
        ipb = ip6(ip) if ":" in ip else ip4(ip)
        key = struct.pack("!QQ", k1, k2)
        msg_rfc = bytes([addr_id]) + ipb + (struct.pack("!H", port) if port else b"")
        msg_linux = bytes([addr_id]) + ipb + struct.pack("!H", port or 0)
        d_rfc = hmac.new(key, msg_rfc, hashlib.sha256).digest()
        d_lin = hmac.new(key, msg_linux, hashlib.sha256).digest()
        aa.append({
            "sender": sender, "hmac_key": key.hex(), "addr_id": addr_id, "ip": ip, "port": port,
            "msg_rfc": msg_rfc.hex(), "full_rfc": d_rfc.hex(), "truncated64_rfc": d_rfc[-8:].hex(),
            "msg_linux": msg_linux.hex(), "full_linux": d_lin.hex(), "truncated64_linux": d_lin[-8:].hex(),
        })
    out["v1"]["add_addr_hmac"] = {
        "description": "HMAC-SHA256(key=Key-sender||Key-receiver, msg=AddrID||IP||Port), truncated = rightmost 64 bits "
                       "(RFC 8684 3.4.1; Linux add_addr_generate_hmac also takes the last 8 bytes). "
                       "*_rfc: port bytes only when a port is present (RFC wording); *_linux: Linux always appends 2 "
                       "port bytes (0 when absent) - verified against fixtures/linux/v1-addaddr-v4v6.pcap. "
                       "With a port both variants are identical.",
        "cases": aa,
    }
    # Real Linux 6.18 values observed in fixtures/linux/v1-addaddr-v4v6.pcap (as committed
    # together with this file; re-running gen-captures.sh produces new random keys).
    out["v1_linux_observed"] = {
        "description": "Checked by hand against the committed v1-addaddr-v4v6.pcap: join HMACs follow RFC 8684 "
                       "(SYN/ACK leftmost 64 bits, ACK leftmost 160 bits); ADD_ADDR HMAC = rightmost 64 bits "
                       "of HMAC-SHA256(KeyB||KeyA, id||addr||port16) with port16 = 0000 when no port is sent.",
        "key_client": "%016x" % 7325082169522944168, "key_server": "%016x" % 12250961853515467455,
        "add_addr": [
            {"frame": 4, "addr_id": 2, "ip": "10.0.2.2", "port": None,
             "truncated_hmac": "%016x" % 8998481182668945266},
            {"frame": 10, "addr_id": 3, "ip": "fd00:2::2", "port": None,
             "truncated_hmac": "%016x" % 17062208160162640628},
        ],
        "join": {"tcp_stream": 1, "r_client": "%08x" % 3631822772, "r_server": "%08x" % 3380990360,
                 "synack_truncated_hmac": "%016x" % 14737162653062475924,
                 "ack_hmac160": "dfe7ba3741eee8a5b06c04a19a502ba25bd74bd2"},
    }
    out["v0_dss_checksum"] = dict(extra["dss"], description=(
        "RFC 6824 3.3: one's complement of the one's complement sum over pseudo-header "
        "(DSN 64 | subflow seq 32 | data-level length 16 | zero 16) and payload; frame 4 of v0-handshake.pcap"))
    path = os.path.join(OUT, "hmac-vectors.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=2, sort_keys=False)
        f.write("\n")
    print("wrote", path)


def v1_split_mapping():
    """RFC 8684 v1 with DSS checksums: one mapping carried by two segments
    (each repeats the DSS, as TSO does on the wire), then a mapping whose
    second segment is missing when the capture ends."""
    frames = []
    ka = key_material(KEY_A, hashlib.sha256)
    kb = key_material(KEY_B, hashlib.sha256)
    A = struct.pack("!Q", KEY_A)
    B = struct.pack("!Q", KEY_B)
    cp, sp = 43000, 443
    isn_c, isn_s = 2000, 6000
    flags = 0x81  # A (checksum required) | H (HMAC-SHA256)
    frames.append(tcp_segment(CLI, SRV, cp, sp, isn_c, 0, "S",
                              opt_mss() + opt_ts(10, 0) + NOP + NOP + mp(0, 1, bytes([flags]))))
    frames.append(tcp_segment(SRV, CLI, sp, cp, isn_s, isn_c + 1, "SA",
                              opt_mss() + opt_ts(20, 10) + NOP + NOP + mp(0, 1, bytes([flags]) + B)))
    frames.append(tcp_segment(CLI, SRV, cp, sp, isn_c + 1, isn_s + 1, "A",
                              NOP + NOP + opt_ts(11, 20) + mp(0, 1, bytes([flags]) + A + B)))
    dsn = (ka["idsn"] + 1) & 0xFFFFFFFFFFFFFFFF
    data_ack = (kb["idsn"] + 1) & 0xFFFFFFFF
    payload = bytes((i * 7 + 3) & 0xFF for i in range(400))
    ts = 12
    for k in range(2):  # mappings of 200 bytes: SSN 1 and 201
        m_dsn = (dsn + 200 * k) & 0xFFFFFFFFFFFFFFFF
        ssn = 1 + 200 * k
        part = payload[200 * k:200 * (k + 1)]
        dsum = dss_checksum(m_dsn, ssn, 200, part)
        assert ones_sum(struct.pack("!QIHH", m_dsn, ssn, 200, dsum) + part) == 0xFFFF
        dss_body = bytes([0x01 | 0x04 | 0x08]) + struct.pack("!IQIHH", data_ack, m_dsn, ssn, 200, dsum)
        halves = (0, 1) if k == 0 else (0,)  # the last mapping's tail is not captured
        for h in halves:
            frames.append(tcp_segment(CLI, SRV, cp, sp, isn_c + ssn + 100 * h, isn_s + 1, "PA",
                                      NOP + NOP + opt_ts(ts, 20) + mp(2, 0, dss_body),
                                      part[100 * h:100 * (h + 1)]))
            ts += 1
    write_pcap(os.path.join(OUT, "v1-split-mapping.pcap"), frames)


def v1_join_paths():
    """Two RFC 8684 v1 connections and where their joins go (§3.2's
    n-subflow path manager): connection 1 (client port 43100) joins once
    between the initial subflow's two addresses (other port) and once to
    the server's second address 203.0.113.2; connection 2 (keys A2/B2,
    port 43200) joins only between its initial addresses. Each join:
    SYN, SYN/ACK, third ACK (HMAC-SHA256), the server's ACK. Connection
    1's first join then sends MP_PRIO B=1, then B=0. Hand count: same
    address (some join) 2 connections, (all joins) 1; backup subflows 1
    in 1 connection, MP_PRIO 2 options in 1 connection."""
    frames = []
    key_a2, key_b2 = 0x0F1E2D3C4B5A6978, 0x8877665544332211
    conns = [(KEY_A, KEY_B, 43100, [(43101, SRV), (43102, SRV2)]),
             (key_a2, key_b2, 43200, [(43201, SRV)])]
    flags = 0x01  # H (HMAC-SHA256), no checksum
    sp = 443
    ts = 10
    for n, (key_a, key_b, cp, joins) in enumerate(conns):
        kb = key_material(key_b, hashlib.sha256)
        A, B = struct.pack("!Q", key_a), struct.pack("!Q", key_b)
        isn_c, isn_s = 3000 + 1000 * n, 8000 + 1000 * n
        frames.append(tcp_segment(CLI, SRV, cp, sp, isn_c, 0, "S",
                                  opt_mss() + opt_ts(ts, 0) + NOP + NOP + mp(0, 1, bytes([flags]))))
        frames.append(tcp_segment(SRV, CLI, sp, cp, isn_s, isn_c + 1, "SA",
                                  opt_mss() + opt_ts(ts + 1, ts) + NOP + NOP + mp(0, 1, bytes([flags]) + B)))
        frames.append(tcp_segment(CLI, SRV, cp, sp, isn_c + 1, isn_s + 1, "A",
                                  NOP + NOP + opt_ts(ts + 2, ts + 1) + mp(0, 1, bytes([flags]) + A + B)))
        ts += 3
        mac_a, mac_b = join_hmacs(key_a, key_b, R_A, R_B, hashlib.sha256)
        for k, (jp, dst) in enumerate(joins):
            ji_c, ji_s = 20000 + 100 * k, 30000 + 100 * k
            syn = mp(1, 0, bytes([0]) + struct.pack("!II", kb["token"], R_A))
            synack = mp(1, 0, bytes([0]) + mac_b[:8] + struct.pack("!I", R_B))
            ack = mp(1, 0, b"\0" + mac_a[:20])
            assert (len(syn), len(synack), len(ack)) == (12, 16, 24)
            frames.append(tcp_segment(CLI, dst, jp, sp, ji_c, 0, "S",
                                      opt_mss() + opt_ts(ts, 0) + NOP + NOP + syn))
            frames.append(tcp_segment(dst, CLI, sp, jp, ji_s, ji_c + 1, "SA",
                                      opt_mss() + opt_ts(ts + 1, ts) + NOP + NOP + synack))
            frames.append(tcp_segment(CLI, dst, jp, sp, ji_c + 1, ji_s + 1, "A",
                                      NOP + NOP + opt_ts(ts + 2, ts + 1) + ack))
            frames.append(tcp_segment(dst, CLI, sp, jp, ji_s + 1, ji_c + 1, "A",
                                      NOP + NOP + opt_ts(ts + 3, ts + 2)))
            ts += 4
            if (n, k) == (0, 0):
                # MP_PRIO (v1, len 3): backup, then back to regular.
                for b in (1, 0):
                    frames.append(tcp_segment(CLI, dst, jp, sp, ji_c + 1, ji_s + 1, "A",
                                              NOP + NOP + opt_ts(ts, ts - 1) + NOP + mp(5, b, b"")))
                    ts += 1
    write_pcap(os.path.join(OUT, "v1-join-paths.pcap"), frames)


def main():
    os.makedirs(OUT, exist_ok=True)
    extra = v0_handshake()
    v1_mirrored()
    malformed()
    v1_split_mapping()
    v1_join_paths()
    vectors(extra)
    return 0


if __name__ == "__main__":
    sys.exit(main())
