#!/usr/bin/env python3
"""Tiny MPTCP client/server used by gen-captures.sh to produce test captures.

server: accept ONE connection, read up to --recv bytes, send --send bytes,
        then wait for the peer's FIN and close.
client: connect, send --send bytes in --chunk sized pieces with --interval
        seconds between them (so the path manager has time to add subflows /
        signal addresses), half-close, read until EOF, close.

Payload is a deterministic pattern (bytes 0x41.. 'A'..'Z' repeating) so
captures are reproducible in content and nft rules can match on it.

Both ends take --plain: a plain TCP socket (IPPROTO_TCP), for captures
that mix MPTCP with ordinary TCP.

Modes for the server:
  --fastclose   read only part of the data, then close with SO_LINGER{1,0}
                while unread data is still queued -> kernel sends MP_FASTCLOSE.
"""
import argparse
import socket
import struct
import sys
import time

IPPROTO_MPTCP = getattr(socket, "IPPROTO_MPTCP", 262)


def pattern(n: int) -> bytes:
    base = bytes(range(0x41, 0x41 + 26))
    return (base * (n // 26 + 1))[:n]


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def recv_exact(s, n):
    got = 0
    while got < n:
        b = s.recv(min(65536, n - got))
        if not b:
            break
        got += len(b)
    return got


def server(args):
    fam = socket.AF_INET6 if ":" in args.bind else socket.AF_INET
    ls = socket.socket(fam, socket.SOCK_STREAM, socket.IPPROTO_TCP if args.plain else IPPROTO_MPTCP)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if fam == socket.AF_INET6:
        ls.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    ls.bind((args.bind, args.port))
    ls.listen(1)
    if args.ready:
        open(args.ready, "w").write("ready\n")
    log("server: listening on", args.bind, args.port)
    ls.settimeout(args.timeout)
    s, peer = ls.accept()
    s.settimeout(args.timeout)
    log("server: accepted", peer)
    if args.fastclose:
        # read a little, leave the rest unread, then abortive close
        got = recv_exact(s, args.fastclose_after)
        log("server: read", got, "bytes, now closing with unread data + SO_LINGER 0")
        time.sleep(args.linger_wait)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        s.close()
        ls.close()
        return 0
    got = recv_exact(s, args.recv)
    log("server: received", got, "bytes")
    if args.send:
        s.sendall(pattern(args.send))
        log("server: sent", args.send, "bytes")
    if args.send2:
        # second burst, starting with a marker byte 0x7e ('~') so that
        # middlebox rules (nft @ih,0,8 0x7e) can target it
        time.sleep(args.gap)
        s.sendall(b"~" + pattern(args.send2 - 1))
        log("server: sent", args.send2, "more bytes (marker 0x7e)")
    # wait for the client's FIN
    while True:
        try:
            b = s.recv(65536)
        except (ConnectionResetError, socket.timeout) as e:
            log("server: recv:", e)
            break
        if not b:
            break
    time.sleep(args.close_delay)
    s.close()
    ls.close()
    return 0


def client(args):
    fam = socket.AF_INET6 if ":" in args.connect else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM, socket.IPPROTO_TCP if args.plain else IPPROTO_MPTCP)
    s.settimeout(args.timeout)
    if args.bind:
        s.bind((args.bind, 0))
    s.connect((args.connect, args.port))
    log("client: connected", s.getsockname(), "->", s.getpeername())
    data = pattern(args.send)
    off = 0
    try:
        while off < len(data):
            chunk = data[off:off + args.chunk]
            s.sendall(chunk)
            off += len(chunk)
            if args.interval and off < len(data):
                time.sleep(args.interval)
        log("client: sent", off, "bytes")
        time.sleep(args.before_shutdown)
        s.shutdown(socket.SHUT_WR)
        got = 0
        while True:
            b = s.recv(65536)
            if not b:
                break
            got += len(b)
        log("client: received", got, "bytes")
    except (ConnectionResetError, BrokenPipeError, socket.timeout, OSError) as e:
        log("client: connection ended:", repr(e))
    s.close()
    return 0


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="mode", required=True)
    ps = sub.add_parser("server")
    ps.add_argument("--bind", default="::")
    ps.add_argument("--port", type=int, default=5000)
    ps.add_argument("--recv", type=int, default=0)
    ps.add_argument("--send", type=int, default=0)
    ps.add_argument("--send2", type=int, default=0)
    ps.add_argument("--gap", type=float, default=0.3)
    ps.add_argument("--ready", default=None, help="file created once listening")
    ps.add_argument("--timeout", type=float, default=30)
    ps.add_argument("--close-delay", type=float, default=0.2)
    ps.add_argument("--fastclose", action="store_true")
    ps.add_argument("--fastclose-after", type=int, default=1000)
    ps.add_argument("--linger-wait", type=float, default=0.5)
    ps.add_argument("--plain", action="store_true", help="plain TCP socket, no MPTCP")
    pc = sub.add_parser("client")
    pc.add_argument("--connect", required=True)
    pc.add_argument("--bind", default=None)
    pc.add_argument("--port", type=int, default=5000)
    pc.add_argument("--send", type=int, default=0)
    pc.add_argument("--chunk", type=int, default=4096)
    pc.add_argument("--interval", type=float, default=0.0)
    pc.add_argument("--before-shutdown", type=float, default=0.0)
    pc.add_argument("--timeout", type=float, default=30)
    pc.add_argument("--plain", action="store_true", help="plain TCP socket, no MPTCP")
    a = p.parse_args()
    return server(a) if a.mode == "server" else client(a)


if __name__ == "__main__":
    sys.exit(main())
