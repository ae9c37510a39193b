#!/usr/bin/env python3
"""Writes seed programs for the `stateful` fuzz target into
fuzz/corpus/stateful/. The byte layout is the one
core/src/fuzzing/stateful.rs reads: op, flow, version bit, seq, ack,
timestamps flag (+ TSval, TSecr), two address ids, the op's own fields, a
time step (u16, µs); op 13 is a time jump (u32 ms) and sends nothing."""
import os, struct

def op(code, flow, v1=True, seq=0, ack=0, ts=None, ids=(1, 2), extra=b"", dt=100, to_client=False):
    b = bytes([code | (0x80 if to_client else 0), flow, 1 if v1 else 0])
    b += struct.pack(">II", seq, ack)
    b += bytes([1]) + struct.pack(">II", *ts) if ts else bytes([0])
    b += bytes(ids) + extra
    return b + struct.pack(">H", dt)

def u8(x): return bytes([x])
def u16(x): return struct.pack(">H", x)
def u32(x): return struct.pack(">I", x)
def u64(x): return struct.pack(">Q", x)

def handshake(f, v1=True):
    return (op(0, f, v1, seq=100) + op(1, f, v1, seq=500, ack=101, to_client=True)
            + op(2, f, v1, seq=101, ack=501, extra=u8(0)))

def data(f, seq, dsn, ssn, n, fin=0, to_client=False):
    return op(3, f, seq=seq, ack=501, to_client=to_client,
              extra=u16(n) + u16(n) + u8(fin) + u8(1) + u32(1) + u8(1) + u64(dsn) + u32(ssn) + u8(0))

def join(f):
    j = f | 4
    return (op(4, j, seq=7, extra=u32(0x1234) + u8(1) + u8(0))
            + op(5, j, seq=9, ack=8, to_client=True, extra=u32(0x5678) + u8(1))
            + op(6, j, seq=8, ack=10, extra=u8(0)))

progs = {
    "v1-handshake-data-join-fin": handshake(0) + data(0, 101, 1, 1, 500)
        + join(0) + op(7, 0, to_client=True, extra=u32(0x0a000202) + u8(0) + u8(1))
        + op(9, 4, extra=u8(1)) + op(8, 0) + data(0, 601, 501, 501, 1, fin=1)
        + op(12, 0, extra=u8(1)) + op(12, 0, to_client=True, extra=u8(1)),
    "v0-handshake-join-fastclose": handshake(1, v1=False) + join(1)
        + op(11, 1, extra=u64(12345)) + op(10, 1, to_client=True),
    "churn-evictions-expiry": b"".join(handshake(f) for f in range(4))
        + b"".join(op(0, f, seq=f) for f in range(8))
        + op(13, 0, extra=b"") [:-2] + u32(60_000) + handshake(2),
    "infinite-mapping-and-garbage": handshake(3) + op(14, 3, extra=u16(0) + u8(0) + u8(0) + u8(0) + u32(1) + u32(1) + u8(0))
        + bytes([15, 0, 0]) + u32(0) + u32(0) + bytes([0, 0, 0]) + u16(5) + bytes([20]) + bytes(range(20)),
}
out = os.path.join(os.path.dirname(__file__), "corpus", "stateful")
os.makedirs(out, exist_ok=True)
for name, prog in progs.items():
    with open(os.path.join(out, name), "wb") as fh:
        fh.write(prog)
    print(name, len(prog))
