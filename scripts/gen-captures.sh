#!/bin/bash
# Generate Linux-kernel MPTCP test captures into fixtures/linux/.
#
# Needs root. Idempotent: every scenario builds fresh network namespaces and
# removes them again (trap on EXIT). Traffic only flows between the two
# namespaces created here (veth pairs); addresses are private/ULA ranges that
# exist only inside those namespaces.
#
# Topology (two namespaces, two direct veth paths):
#
#   mpd-cli                                mpd-srv
#   ca0 10.0.1.1/24 fd00:1::1/64  <---->  sa0 10.0.1.2/24 fd00:1::2/64   path A
#   ca1 10.0.2.1/24 fd00:2::1/64  <---->  sa1 10.0.2.2/24 fd00:2::2/64   path B
#
# Policy routing (+ static neighbours) make a subflow sourced from a path-B
# address towards the server's path-A address leave on path B, so every
# subflow is symmetric and visible on exactly one veth.  The two veth
# captures (taken in mpd-cli) are merged with mergecap into one pcap
# (Ethernet link type).
#
# Usage: scripts/gen-captures.sh [scenario...]   (default: all)
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
OUT=${OUT:-$ROOT/fixtures/linux}
PEER="python3 $HERE/mptcp_peer.py"
NSC=mpd-cli
NSS=mpd-srv
PORT=5000
TMP=$(mktemp -d /tmp/mpd-gen.XXXXXX)
TCPDUMP_PIDS=()
BG_PIDS=()

[ "$(id -u)" = 0 ] || { echo "must run as root" >&2; exit 1; }
for t in ip tcpdump tshark mergecap nft python3; do
    command -v $t >/dev/null || { echo "missing $t" >&2; exit 1; }
done
HAVE_ETHTOOL=1; command -v ethtool >/dev/null || HAVE_ETHTOOL=0

cleanup() {
    set +e
    for p in "${BG_PIDS[@]}" "${TCPDUMP_PIDS[@]}"; do kill "$p" 2>/dev/null; done
    for p in "${BG_PIDS[@]}" "${TCPDUMP_PIDS[@]}"; do wait "$p" 2>/dev/null; done
    TCPDUMP_PIDS=(); BG_PIDS=()
    ip netns del $NSC 2>/dev/null
    ip netns del $NSS 2>/dev/null
}
trap 'cleanup; rm -rf "$TMP"' EXIT

C() { ip netns exec $NSC "$@"; }
S() { ip netns exec $NSS "$@"; }

mac() { ip netns exec "$1" cat /sys/class/net/"$2"/address; }

# setup_ns <offloads:on|off> <csum:0|1>
setup_ns() {
    local offl=$1 csum=$2
    cleanup
    ip netns add $NSC
    ip netns add $NSS
    for ns in $NSC $NSS; do
        ip -n $ns link set lo up
        ip netns exec $ns sysctl -q -w net.mptcp.enabled=1
        ip netns exec $ns sysctl -q -w net.mptcp.checksum_enabled=$csum
        ip netns exec $ns sysctl -q -w net.ipv4.conf.all.rp_filter=0
        ip netns exec $ns sysctl -q -w net.ipv4.conf.default.rp_filter=0
        ip netns exec $ns sysctl -q -w net.ipv6.conf.all.accept_dad=0
        ip netns exec $ns sysctl -q -w net.ipv6.conf.default.accept_dad=0
        # keep the capture free of router solicitations / MLD noise as far as possible
        ip netns exec $ns sysctl -q -w net.ipv6.conf.default.router_solicitations=0
    done
    ip link add ca0 netns $NSC type veth peer name sa0 netns $NSS
    ip link add ca1 netns $NSC type veth peer name sa1 netns $NSS
    local i
    for i in 0 1; do
        local n=$((i + 1))
        C ip addr add 10.0.$n.1/24 dev ca$i
        C ip addr add fd00:$n::1/64 dev ca$i nodad
        S ip addr add 10.0.$n.2/24 dev sa$i
        S ip addr add fd00:$n::2/64 dev sa$i nodad
        if [ "$offl" = off ] && [ $HAVE_ETHTOOL = 1 ]; then
            # tx off => full TCP checksums in the capture (no CHECKSUM_PARTIAL)
            C ethtool -K ca$i tx off tso off gso off gro off >/dev/null 2>&1 || true
            S ethtool -K sa$i tx off tso off gso off gro off >/dev/null 2>&1 || true
        fi
        C ip link set ca$i up
        S ip link set sa$i up
    done
    # static neighbours: every peer address reachable on every path
    local sa0m sa1m ca0m ca1m
    sa0m=$(mac $NSS sa0); sa1m=$(mac $NSS sa1); ca0m=$(mac $NSC ca0); ca1m=$(mac $NSC ca1)
    for a in 10.0.1.2 10.0.2.2 fd00:1::2 fd00:2::2; do
        C ip neigh replace $a lladdr $sa0m dev ca0 nud permanent
        C ip neigh replace $a lladdr $sa1m dev ca1 nud permanent
    done
    for a in 10.0.1.1 10.0.2.1 fd00:1::1 fd00:2::1; do
        S ip neigh replace $a lladdr $ca0m dev sa0 nud permanent
        S ip neigh replace $a lladdr $ca1m dev sa1 nud permanent
    done
    # source-based routing: traffic from path-X address leaves on path X
    for ns in $NSC $NSS; do
        local d0 d1 self
        if [ $ns = $NSC ]; then d0=ca0; d1=ca1; self=1; else d0=sa0; d1=sa1; self=2; fi
        ip -n $ns rule add from 10.0.1.$self table 101
        ip -n $ns rule add from 10.0.2.$self table 102
        ip -n $ns -6 rule add from fd00:1::$self table 101
        ip -n $ns -6 rule add from fd00:2::$self table 102
        ip -n $ns route add 10.0.0.0/16 dev $d0 table 101
        ip -n $ns route add 10.0.0.0/16 dev $d1 table 102
        ip -n $ns -6 route add fd00::/16 dev $d0 table 101
        ip -n $ns -6 route add fd00::/16 dev $d1 table 102
    done
    C ip mptcp endpoint flush
    S ip mptcp endpoint flush
}

start_capture() {
    local name=$1 i
    TCPDUMP_PIDS=()
    for i in 0 1; do
        C tcpdump -i ca$i -s 0 -U --immediate-mode -n -w "$TMP/$name-ca$i.pcap" 2>"$TMP/$name-ca$i.log" &
        TCPDUMP_PIDS+=($!)
    done
    for i in 0 1; do
        local tries=0
        until grep -q "listening on" "$TMP/$name-ca$i.log" 2>/dev/null; do
            sleep 0.1; tries=$((tries + 1)); [ $tries -gt 50 ] && break
        done
    done
    sleep 0.3
}

stop_capture() {
    local name=$1
    sleep 1.5
    for p in "${TCPDUMP_PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
    for p in "${TCPDUMP_PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
    TCPDUMP_PIDS=()
    mkdir -p "$OUT"
    # keep only TCP (drops IPv6 ND/MLD noise); -F pcap: mergecap defaults to pcapng
    mergecap -F pcap -w "$TMP/$name-merged.pcap" "$TMP/$name-ca0.pcap" "$TMP/$name-ca1.pcap"
    tshark -r "$TMP/$name-merged.pcap" -Y tcp -F pcap -w "$OUT/$name.pcap" 2>&1 | grep -v "dangerous" || true
}

start_server() {  # args passed to mptcp_peer.py server
    rm -f "$TMP/ready"
    S $PEER server --port $PORT --ready "$TMP/ready" "$@" 2>"$TMP/server.log" &
    SERVER_PID=$!
    BG_PIDS+=($SERVER_PID)
    local tries=0
    until [ -e "$TMP/ready" ]; do sleep 0.05; tries=$((tries + 1)); [ $tries -gt 100 ] && break; done
}

wait_server() {
    if [ -n "${DEBUG_NSTAT:-}" ]; then C nstat -az | grep -i -E "mptcp|TCPAbort|Reset|OutRsts" | awk "\$2>0" | sed "s/^/  cli nstat: /"; S nstat -az | grep -i mptcp | awk "\$2>0" | sed "s/^/  srv nstat: /"; fi
    wait "$SERVER_PID" || echo "  (server exit status $?)"
    sed 's/^/  /' "$TMP/server.log"
}

run_client() {
    C $PEER client --port $PORT "$@" 2>&1 | sed 's/^/  /'
}

summary() {
    local f=$OUT/$1.pcap
    echo "== $1.pcap: $(stat -c %s "$f") bytes, $(tshark -r "$f" 2>/dev/null | wc -l) frames," \
        "link type $(tshark -r "$f" -T fields -e frame.protocols -c 1 2>/dev/null | cut -d: -f1)"
    echo "   MPTCP subtype counts (tcp.options.mptcp.subtype):"
    tshark -r "$f" -Y mptcp -T fields -e tcp.options.mptcp.subtype 2>/dev/null |
        tr ',' '\n' | grep -v '^$' | sort -n | uniq -c |
        awk 'BEGIN{split("MP_CAPABLE MP_JOIN DSS ADD_ADDR REMOVE_ADDR MP_PRIO MP_FAIL MP_FASTCLOSE MP_TCPRST",n," ")}
             {printf "     %-6s subtype %-2s %s\n", $1, $2, n[$2+1]}'
    echo "   TCP streams (subflows): $(tshark -r "$f" -T fields -e tcp.stream 2>/dev/null | sort -u | wc -l)"
}

# expect <name> <subtype>... : fail loudly if a sub-option is missing
expect() {
    local name=$1; shift
    local f=$OUT/$name.pcap st ok=1
    for st in "$@"; do
        if [ "$(tshark -r "$f" -Y "tcp.options.mptcp.subtype == $st" 2>/dev/null | wc -l)" = 0 ]; then
            echo "   !! expected MPTCP subtype $st in $name.pcap: NOT FOUND"; ok=0
        fi
    done
    [ $ok = 1 ] && echo "   ok: subtypes $* present"
    return 0
}

# ---------------------------------------------------------------- scenarios

scn_csum_on() {
    local n=v1-csum-on
    echo "### $n"
    setup_ns off 1
    C ip mptcp limits set subflows 2 add_addr_accepted 2
    S ip mptcp limits set subflows 2 add_addr_accepted 2
    C ip mptcp endpoint add 10.0.2.1 id 2 subflow
    start_capture $n
    start_server --recv 30000 --send 30000
    run_client --connect 10.0.1.2 --send 30000 --chunk 2000 --interval 0.05
    wait_server
    stop_capture $n
    summary $n; expect $n 0 1 2
}

scn_csum_off() {
    # offloads LEFT ON: veth does GSO/TSO, so the capture has >MSS "super
    # segments" (one DSS mapping covering several MSS) and CHECKSUM_PARTIAL
    # TCP checksums (the TCP checksum field is NOT valid in this file).
    local n=v1-csum-off-gso
    echo "### $n"
    setup_ns on 0
    C ip mptcp limits set subflows 2 add_addr_accepted 2
    S ip mptcp limits set subflows 2 add_addr_accepted 2
    C ip mptcp endpoint add 10.0.2.1 id 2 subflow
    start_capture $n
    start_server --recv 60000 --send 60000
    run_client --connect 10.0.1.2 --send 60000 --chunk 20000 --interval 0.1
    wait_server
    stop_capture $n
    summary $n; expect $n 0 1 2
}

scn_csum_off_nogso() {
    local n=v1-csum-off
    echo "### $n"
    setup_ns off 0
    C ip mptcp limits set subflows 2 add_addr_accepted 2
    S ip mptcp limits set subflows 2 add_addr_accepted 2
    C ip mptcp endpoint add 10.0.2.1 id 2 subflow
    start_capture $n
    start_server --recv 30000 --send 30000
    run_client --connect 10.0.1.2 --send 30000 --chunk 2000 --interval 0.05
    wait_server
    stop_capture $n
    summary $n; expect $n 0 1 2
}

scn_addaddr() {
    local n=v1-addaddr-v4v6
    echo "### $n"
    setup_ns off 0
    C ip mptcp limits set subflows 4 add_addr_accepted 4
    S ip mptcp limits set subflows 4 add_addr_accepted 4
    S ip mptcp endpoint add 10.0.2.2 id 2 signal
    S ip mptcp endpoint add fd00:2::2 id 3 signal
    start_capture $n
    start_server --recv 40000 --send 20000
    # AF_INET6 client socket on a v4-mapped address so that the msk can also
    # join the signalled IPv6 address
    ( C $PEER client --port $PORT --connect ::ffff:10.0.1.2 --send 40000 --chunk 1000 \
          --interval 0.08 2>&1 | sed 's/^/  /' ) &
    local cpid=$!
    sleep 1.2
    echo "  server: endpoint id 2 -> backup (MP_PRIO)"
    S ip mptcp endpoint change id 2 backup || echo "  endpoint change failed"
    sleep 0.8
    echo "  server: delete endpoint id 3 (REMOVE_ADDR)"
    S ip mptcp endpoint delete id 3 || echo "  endpoint delete failed"
    wait $cpid || true
    wait_server
    stop_capture $n
    summary $n; expect $n 0 1 2 3 4 5
}

scn_fastclose() {
    local n=v1-fastclose
    echo "### $n"
    setup_ns off 0
    C ip mptcp limits set subflows 2 add_addr_accepted 2
    S ip mptcp limits set subflows 2 add_addr_accepted 2
    C ip mptcp endpoint add 10.0.2.1 id 2 subflow
    start_capture $n
    start_server --fastclose --fastclose-after 3000 --linger-wait 0.5
    run_client --connect 10.0.1.2 --send 20000 --chunk 2000 --interval 0.05
    wait_server
    stop_capture $n
    summary $n; expect $n 0 7
}

scn_mpfail() {
    local n=v1-mpfail
    echo "### $n"
    setup_ns off 1
    C ip mptcp limits set subflows 0 add_addr_accepted 0
    S ip mptcp limits set subflows 0 add_addr_accepted 0
    # The kernel only sends MP_FAIL if a valid DSS checksum was seen on the
    # subflow before (subflow->valid_csum_seen); corrupting the very first
    # mapping gives a silent fallback (MPTcpExtDssFallback) instead.  So the
    # server sends 10000 clean bytes, pauses, then a second burst whose first
    # byte is the marker 0x7e; nft flips that byte to 0x58 ('X').  @ih = first byte after the TCP header
    # (options included).  nft 1.0.6 emits this write with csum_flags
    # L4CSUM_PSEUDOHDR, so the kernel fixes the TCP checksum; a raw @th
    # write would get csum_type 0 (checksum NOT updated).
    # Quirks: at postrouting the skb is still a GSO super-packet (software
    # GSO happens later), so "quota until N bytes" is exceeded by the first
    # skb and never matches; "limit ... burst" is used instead.
    S nft -f - <<'EOF'
table inet mangle {
    chain post {
        type filter hook postrouting priority 0; policy accept;
        tcp sport 5000 @ih,0,8 0x7e limit rate 1/minute burst 1 packets @ih,0,8 set 0x58 counter
    }
}
EOF
    start_capture $n
    start_server --recv 3000 --send 10000 --send2 10000 --gap 0.3 --timeout 5
    run_client --connect 10.0.1.2 --send 3000 --chunk 1000 --interval 0.05 --timeout 5
    wait_server
    S nft list ruleset | grep counter | sed 's/^/  nft: /'
    stop_capture $n
    summary $n; expect $n 0 2 6
}

scn_fallback_fin() {
    # Checksums off, one subflow; nft strips the MPTCP option (reset tcp
    # option mptcp: NOPs) from the server's data segments (IPv4 length over
    # 200 bytes), so the client receives data without a DSS and falls back
    # to TCP (RFC 8684 §3.7). The connection then closes with TCP FINs,
    # without DATA_FIN both ways: a TCP-level close (termination
    # `fin_only`).
    local n=v1-fallback-fin
    echo "### $n"
    setup_ns off 0
    C ip mptcp limits set subflows 0 add_addr_accepted 0
    S ip mptcp limits set subflows 0 add_addr_accepted 0
    S nft -f - <<'EOF'
table inet strip {
    chain post {
        type filter hook postrouting priority 0; policy accept;
        tcp sport 5000 tcp flags & syn == 0 ip length > 200 reset tcp option mptcp counter
    }
}
EOF
    start_capture $n
    start_server --recv 3000 --send 3000 --timeout 5
    run_client --connect 10.0.1.2 --send 3000 --chunk 1000 --interval 0.05 --timeout 5
    wait_server
    S nft list ruleset | grep counter | sed 's/^/  nft: /'
    stop_capture $n
    summary $n; expect $n 0 2
}

scn_ipv6() {
    local n=v1-ipv6
    echo "### $n"
    setup_ns off 0
    C ip mptcp limits set subflows 2 add_addr_accepted 2
    S ip mptcp limits set subflows 2 add_addr_accepted 2
    C ip mptcp endpoint add fd00:2::1 id 2 subflow
    start_capture $n
    start_server --recv 20000 --send 20000
    run_client --connect fd00:1::2 --send 20000 --chunk 2000 --interval 0.05
    wait_server
    stop_capture $n
    summary $n; expect $n 0 1 2
}

scn_stripped() {
    local n=v1-stripped
    echo "### $n"
    setup_ns off 0
    C ip mptcp limits set subflows 2 add_addr_accepted 2
    S ip mptcp limits set subflows 2 add_addr_accepted 2
    # Strip MP_CAPABLE from the server's SYN/ACK on egress -> both ends fall
    # back to plain TCP.  nft 1.0.6 syntax: "reset tcp option mptcp"
    # (replaces the option bytes by NOPs and fixes the TCP checksum).
    S nft -f - <<'EOF'
table inet strip {
    chain post {
        type filter hook postrouting priority 0; policy accept;
        tcp sport 5000 tcp flags & (syn|ack) == syn|ack reset tcp option mptcp counter
    }
}
EOF
    start_capture $n
    start_server --recv 5000 --send 5000
    run_client --connect 10.0.1.2 --send 5000 --chunk 1000 --interval 0.02
    wait_server
    S nft list ruleset | grep counter | sed 's/^/  nft: /'
    stop_capture $n
    summary $n; expect $n 0
}

scn_lossy() {
    # Checksums on, random loss of data segments both ways: nft drops 10% of
    # the IPv4 packets over 200 bytes at each receiver's prerouting hook.
    # The capture tap (AF_PACKET on the client veths) sees a packet before
    # the client's prerouting, and the server's drops happen after the wire,
    # so the capture has every dropped segment AND its retransmission
    # (duplicates, partial overlaps, SACK recovery). Drops at a sender's own
    # postrouting are reported back to its TCP (local drop, immediate
    # retry) and never make a hole, so they are not used; holes in the
    # capture (capture loss, reordering) are tested by deleting/swapping
    # frames in examples/cli/tests/analysis.rs.
    local n=v1-lossy
    echo "### $n"
    setup_ns off 1
    C ip mptcp limits set subflows 2 add_addr_accepted 2
    S ip mptcp limits set subflows 2 add_addr_accepted 2
    C ip mptcp endpoint add 10.0.2.1 id 2 subflow
    local ns
    for ns in $NSC $NSS; do
        ip netns exec $ns nft -f - <<'EOF2'
table inet lossy {
    chain pre {
        type filter hook prerouting priority 0; policy accept;
        tcp flags & syn == 0 ip length > 200 numgen random mod 100 < 10 counter drop
    }
}
EOF2
    done
    start_capture $n
    start_server --recv 30000 --send 60000 --timeout 20
    run_client --connect 10.0.1.2 --send 30000 --chunk 2000 --interval 0.02 --timeout 20
    wait_server
    C nft list ruleset | grep counter | sed 's/^/  nft (client): /'
    S nft list ruleset | grep counter | sed 's/^/  nft (server): /'
    stop_capture $n
    summary $n; expect $n 0 1 2
}

scn_join_refused() {
    # The client's path manager opens a second subflow, but the server's
    # limit is 0 subflows: the server answers the join's third ACK with a
    # RST (MP_TCPRST), so the join is attempted and never established.
    local n=v1-join-refused
    echo "### $n"
    setup_ns off 1
    C ip mptcp limits set subflows 2 add_addr_accepted 2
    S ip mptcp limits set subflows 0 add_addr_accepted 0
    C ip mptcp endpoint add 10.0.2.1 id 2 subflow
    start_capture $n
    start_server --recv 20000 --send 20000
    run_client --connect 10.0.1.2 --send 20000 --chunk 2000 --interval 0.05
    wait_server
    stop_capture $n
    summary $n; expect $n 0 1 2
}

scn_mixed() {
    # MPTCP beside plain TCP, at the same time, as on a real server: an MPTCP
    # connection to port 5000 (IPv4, a second subflow from the client's
    # path-B address), a plain TCP client to an MPTCP listener on port 5001
    # (a SYN without MP_CAPABLE: plain TCP on an MPTCP port), and a plain
    # TCP connection over IPv6 to a plain listener on port 8080.
    local n=v1-mixed
    echo "### $n"
    setup_ns off 1
    C ip mptcp limits set subflows 2 add_addr_accepted 2
    S ip mptcp limits set subflows 2 add_addr_accepted 2
    C ip mptcp endpoint add 10.0.2.1 id 2 subflow
    start_capture $n
    local p
    for p in "5001 --recv 8000 --send 4000" "8080 --plain --recv 12000 --send 24000"; do
        rm -f "$TMP/ready-${p%% *}"
        # shellcheck disable=SC2086
        S $PEER server --port ${p%% *} --ready "$TMP/ready-${p%% *}" ${p#* } \
            2>"$TMP/server-${p%% *}.log" &
        BG_PIDS+=($!)
    done
    start_server --recv 30000 --send 30000
    local tries=0
    until [ -e "$TMP/ready-5001" ] && [ -e "$TMP/ready-8080" ]; do
        sleep 0.05; tries=$((tries + 1))
        [ $tries -gt 100 ] && { echo "  servers on 5001/8080 not ready" >&2; return 1; }
    done
    ( C $PEER client --plain --port 5001 --connect 10.0.1.2 --send 8000 --chunk 1000 \
          --interval 0.1 2>&1 | sed 's/^/  plain->5001: /' ) &
    local c1=$!
    ( C $PEER client --plain --port 8080 --connect fd00:2::2 --send 12000 --chunk 1500 \
          --interval 0.07 2>&1 | sed 's/^/  plain6->8080: /' ) &
    local c2=$!
    run_client --connect 10.0.1.2 --send 30000 --chunk 2000 --interval 0.05
    wait $c1 $c2 || true
    wait_server
    sed 's/^/  5001 /' "$TMP/server-5001.log"; sed 's/^/  8080 /' "$TMP/server-8080.log"
    stop_capture $n
    summary $n; expect $n 0 1 2
}

ALL="csum_on csum_off csum_off_nogso addaddr fastclose mpfail ipv6 stripped lossy mixed join_refused fallback_fin"
for s in ${@:-$ALL}; do
    scn_$s
done
cleanup
echo
echo "total fixtures/linux size: $(du -sh "$OUT" | cut -f1)"
