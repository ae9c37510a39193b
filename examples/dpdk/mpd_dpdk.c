/*
 * mpd_dpdk: MPTCP dissection on N DPDK worker lcores.
 *
 *   mpd_dpdk [EAL args] -- [--capacity N] [--linktype L] [--idle-ms MS]
 *
 * Lcores: the main lcore receives from port 0 and dispatches; every other
 * lcore is a worker owning one mptcp-dissect dissector in its own memory
 * (rte_zmalloc_socket on its socket). See README.md for the design:
 * frames are steered by a keyed SYMMETRIC flow hash (both directions of a
 * subflow to one worker), and MP_JOIN SYNs are steered by TOKEN to the
 * worker that owns the connection (a shared, lock-free token directory the
 * workers publish into), after which the dispatcher pins the join's flow to
 * that worker. So every subflow of a connection is dissected by the same
 * worker, in capture order, and per-connection results equal a single
 * dissector's (`mpdissect conns`).
 *
 * At the end it prints one JSON line of totals (the same totals
 * check.sh computes from `mpdissect conns`) and one of steering costs.
 * Like the CLI, the dissectors verify TCP checksums and report every DSS
 * mapping verdict; each worker keeps the mirroring/stripping evidence and
 * infinite-mapping flag of its connections (from events, next to its set
 * of connection ids) to count the connections' middlebox verdicts, and
 * sums the mapping verdicts. Handshakes that never became a connection
 * are not counted (check.sh's totals leave out `"id": null` objects).
 */
#include <inttypes.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>
#include <rte_ring.h>

#include "mptcp_dissect.h"

#define MAX_WORKERS 64
#define BURST 32
#define RING_SIZE 4096
#define DIR_SIZE (1u << 16)  /* token directory entries (power of two) */
#define DIR_PROBES 64        /* entries a publish / lookup / removal looks at */
#define PIN_SIZE (1u << 16)  /* dispatcher's flow -> worker pins (power of two) */
#define PIN_PROBES 64        /* entries a pin lookup / addition / removal looks at */
#define UNPIN_RING 4096      /* per worker: removed subflows' hashes, to the dispatcher */
#define SEEN_SIZE (1u << 20) /* per-worker set of connection ids */
#define SEEN_PROBES 64       /* entries a `seen` insertion / lookup looks at */

/* Keys the flow hash (the dispatcher's and the dissectors' tables): random
 * for every run, so that traffic cannot be crafted to collide. It decides
 * which flows share a worker, so with more than one worker results can
 * depend on it once a worker's tables fill (evictions); otherwise they do
 * not. The self-tests run with it zero. */
static uint8_t seed[16];

/* ---- token directory: token -> owning worker, shared, lock-free ---------- */
/* Entry: token << 32 | (worker + 1); 0 = empty; DIR_TOMB = removed. Workers
 * insert with CAS (linear probing, at most DIR_PROBES entries from the
 * token's home: bounded cost whatever the load) and remove their own
 * entries when their connection leaves its table (a tombstone, reused by
 * later insertions), so the directory holds the live connections' tokens,
 * not every token ever seen. The dispatcher reads with acquire loads. A
 * token that finds no free entry in its window is not published (counted:
 * the join is then steered by its flow hash and that worker's dissector
 * reports an unknown token). */
static _Atomic uint64_t *directory;
#define DIR_TOMB UINT64_MAX /* low half (worker + 1) never this for a live entry */
static _Atomic uint64_t dir_full;

static inline uint32_t mix32(uint32_t x)
{
    x ^= x >> 16;
    x *= 0x7feb352dU;
    x ^= x >> 15;
    x *= 0x846ca68bU;
    x ^= x >> 16;
    return x;
}

static void dir_publish(uint32_t token, unsigned worker)
{
    uint64_t want = ((uint64_t)token << 32) | (worker + 1);
    for (;;) {
        /* The token's entry if it has one (up to the first empty entry),
         * else the first free (empty or removed) entry of the window. */
        _Atomic uint64_t *free_at = NULL;
        uint64_t free_was = 0;
        bool changed = false;
        for (uint32_t i = 0, at = mix32(token); i < DIR_PROBES; i++, at++) {
            _Atomic uint64_t *e = &directory[at & (DIR_SIZE - 1)];
            uint64_t cur = atomic_load_explicit(e, memory_order_acquire);
            if (cur != 0 && cur != DIR_TOMB && (cur >> 32) == token) {
                /* Re-published (token reused): latest owner wins. A CAS
                 * from what was read, not a store: the owner may have
                 * removed the entry meanwhile and a third worker reused
                 * it for another token, which a store would overwrite. */
                if (atomic_compare_exchange_strong_explicit(e, &cur, want, memory_order_release,
                                                            memory_order_acquire))
                    return;
                changed = true;
                break;
            }
            if ((cur == 0 || cur == DIR_TOMB) && !free_at) {
                free_at = e;
                free_was = cur;
            }
            if (cur == 0)
                break;
        }
        if (changed)
            continue; /* the entry changed under us: look again */
        if (!free_at) {
            atomic_fetch_add_explicit(&dir_full, 1, memory_order_relaxed);
            return;
        }
        if (atomic_compare_exchange_strong_explicit(free_at, &free_was, want,
                                                    memory_order_release, memory_order_acquire))
            return;
        /* Another worker took that entry first: look again. */
    }
}

/* Removes `worker`'s entry for `token`, if it is still that worker's. */
static void dir_remove(uint32_t token, unsigned worker)
{
    uint64_t mine = ((uint64_t)token << 32) | (worker + 1);
    for (uint32_t i = 0, at = mix32(token); i < DIR_PROBES; i++, at++) {
        _Atomic uint64_t *e = &directory[at & (DIR_SIZE - 1)];
        uint64_t cur = atomic_load_explicit(e, memory_order_acquire);
        if (cur == 0)
            return;
        if (cur == mine) {
            atomic_compare_exchange_strong_explicit(e, &cur, DIR_TOMB, memory_order_release,
                                                    memory_order_relaxed);
            return;
        }
    }
}

static int dir_lookup(uint32_t token)
{
    for (uint32_t i = 0, at = mix32(token); i < DIR_PROBES; i++, at++) {
        uint64_t cur = atomic_load_explicit(&directory[at & (DIR_SIZE - 1)], memory_order_acquire);
        if (cur == 0)
            return -1;
        if (cur != DIR_TOMB && (cur >> 32) == token)
            return (int)(uint32_t)cur - 1;
    }
    return -1;
}

/* `--dir-selftest`: the directory alone, one thread. A sliding window of
 * 20 000 live tokens (about a third of the entries) over 2 000 000
 * publications, each token removed 20 000 publications later: every live
 * token must resolve to its worker, every removed one to nothing, and no
 * publication may fail; then 200 000 publications with no removal fill the
 * windows: the cost stays bounded (at most DIR_PROBES entries a call) and
 * the overflow is counted, not looped over. Prints one JSON line; exit
 * status 0 when every check holds. */
static int dir_selftest(void)
{
    static _Atomic uint64_t mem[DIR_SIZE];
    directory = mem;
    const uint32_t live = 20000, total = 2000000;
    uint64_t wrong = 0;
    uint64_t t0 = rte_rdtsc();
    for (uint32_t r = 0; r < total; r++) {
        uint32_t tok = mix32(r * 2654435761u + 1);
        dir_publish(tok, r % 4);
        if (r >= live) {
            uint32_t old = r - live;
            uint32_t otok = mix32(old * 2654435761u + 1);
            dir_remove(otok, old % 4);
            wrong += dir_lookup(otok) != -1;
        }
        wrong += dir_lookup(tok) != (int)(r % 4);
    }
    uint64_t full_sliding = atomic_load(&dir_full);
    uint32_t used = 0, tombs = 0;
    for (uint32_t i = 0; i < DIR_SIZE; i++) {
        uint64_t v = atomic_load(&mem[i]);
        used += v != 0 && v != DIR_TOMB;
        tombs += v == DIR_TOMB;
    }
    uint64_t t1 = rte_rdtsc();
    for (uint32_t r = 0; r < 200000; r++)
        dir_publish(mix32(r * 40503u + 7) | 1u, 0);
    uint64_t t2 = rte_rdtsc();
    uint64_t overflow = atomic_load(&dir_full) - full_sliding;
    printf("{\"publications\":%u,\"wrong_lookups\":%" PRIu64 ",\"failed\":%" PRIu64
           ",\"live_entries\":%u,\"tombstones\":%u,\"fill_overflow\":%" PRIu64
           ",\"cycles_per_publication_sliding\":%.0f,\"cycles_per_publication_fill\":%.0f}\n",
           total, wrong, full_sliding, used, tombs, overflow, (double)(t1 - t0) / total,
           (double)(t2 - t1) / 200000);
    return wrong == 0 && full_sliding == 0 && used == live && overflow > 0 ? 0 : 1;
}

/* ---- pins: join flow -> owning worker, dispatcher-private ---------------- */
/* The dispatcher pins each MP_JOIN subflow's flow hash to the worker that
 * owns its connection; every later frame of that flow follows the pin. A
 * pin lives as long as the owner's dissector keeps the subflow: when the
 * owner reads the subflow back from mpd_removed_get (idle, closed-and-idle
 * or evicted) it sends the subflow's flow hash to the dispatcher on its
 * `unpin` ring, and the dispatcher removes the pin. So the live pins are at
 * most the join subflows in the workers' tables, whatever the join rate.
 *
 * Why a ring and not a shared table with CAS like the directory: the
 * dispatcher runs up to a ring of frames ahead of the worker, so it may
 * already have re-pinned the same flow hash for a NEWER join SYN (a
 * 5-tuple reused) when the worker reports the old subflow gone; removing
 * that pin would mis-steer the new subflow. A pin therefore records `seq`,
 * the index of its join SYN in the owner's frame stream (what the
 * dispatcher had enqueued to it before), and a removal carries the index
 * of the frame whose dissection removed the subflow: the pin goes only if
 * its SYN was dissected before that frame, by the same worker. Hash, worker
 * and seq do not fit one 64-bit CAS; with a single writer they need none.
 *
 * Entry: hash = flow hash | 1 (odd), 0 = empty, PIN_TOMB (even) = removed;
 * sw = seq << 8 | worker. Every operation looks at most PIN_PROBES entries
 * from the hash's home (linear probing), so a crowded table costs a bounded
 * scan, and a join that finds no free entry is counted (pin_full) and
 * steered by its flow hash. */
struct pin {
    uint64_t hash;
    uint64_t sw;
};
#define PIN_TOMB 2
/* A removal request on a worker's unpin ring. */
struct unpin {
    uint64_t hash; /* the removed subflow's flow hash | 1 */
    uint64_t seq;  /* index of the frame (in that worker's stream) that removed it */
};
static struct pin *pins;
static struct {
    uint64_t frames, join_syns, dir_hits, dir_misses, barrier_waits, barrier_cycles,
        peek_cycles, steer_cycles, pinned_frames, pin_full, pins_live, unpinned, unpin_kept;
} ds;

static inline uint32_t pin_home(uint64_t hash)
{
    return (uint32_t)(hash >> 1); /* bit 0 is always set */
}

static int pin_find(uint64_t hash)
{
    for (uint32_t i = 0, at = pin_home(hash); i < PIN_PROBES; i++, at++) {
        const struct pin *p = &pins[at & (PIN_SIZE - 1)];
        if (p->hash == 0)
            return -1;
        if (p->hash == hash)
            return (int)(p->sw & 0xff);
    }
    return -1;
}

/* Pins `hash` to `worker` for the join SYN that is frame `seq` of that
 * worker's stream (an existing pin of the same hash is re-pinned). */
static void pin_add(uint64_t hash, unsigned worker, uint64_t seq)
{
    struct pin *free_at = NULL;
    for (uint32_t i = 0, at = pin_home(hash); i < PIN_PROBES; i++, at++) {
        struct pin *p = &pins[at & (PIN_SIZE - 1)];
        if (p->hash == hash) {
            p->sw = seq << 8 | worker;
            return;
        }
        if ((p->hash == 0 || p->hash == PIN_TOMB) && !free_at)
            free_at = p;
        if (p->hash == 0)
            break; /* the hash is not further on: no entry is past an empty one */
    }
    if (!free_at) {
        ds.pin_full++;
        return;
    }
    free_at->hash = hash;
    free_at->sw = seq << 8 | worker;
    ds.pins_live++;
}

/* `worker` removed the subflow of flow `hash` while dissecting its frame
 * `seq`: its pin goes unless a later join SYN (not yet dissected there, or
 * sent to another worker) re-pinned the hash. */
static void pin_release(uint64_t hash, unsigned worker, uint64_t seq)
{
    for (uint32_t i = 0, at = pin_home(hash); i < PIN_PROBES; i++, at++) {
        struct pin *p = &pins[at & (PIN_SIZE - 1)];
        if (p->hash == 0)
            return;
        if (p->hash != hash)
            continue;
        if ((p->sw & 0xff) != worker || (p->sw >> 8) >= seq) {
            ds.unpin_kept++;
            return;
        }
        p->hash = PIN_TOMB;
        ds.pins_live--;
        ds.unpinned++;
        /* An entry followed by an empty one is on no other entry's probe
         * path (insertion stops at the first empty entry), so it and the
         * tombstones right before it can be empty again: fewer tombstones
         * for lookups to step over. */
        uint32_t j = at & (PIN_SIZE - 1);
        for (uint32_t k = 0; k < PIN_PROBES && pins[(j + 1) & (PIN_SIZE - 1)].hash == 0 &&
                             pins[j].hash == PIN_TOMB;
             k++, j = (j - 1) & (PIN_SIZE - 1))
            pins[j].hash = 0;
        return;
    }
}

/* The dispatcher's flow hash (| 1) of a subflow, from its endpoints.
 * mpd_peek hashes only the addresses and ports, direction-free, so a bare
 * Ethernet + IP + TCP header built from them gives the hash the dispatcher
 * got from the subflow's own frames (same seed): the C ABI needs no new
 * field. 0 for an endpoint pair that is not IPv4 or IPv6 both. */
static uint64_t flow_hash_of(const mpd_endpoint *a, const mpd_endpoint *b)
{
    uint8_t f[14 + 40 + 20] = {0};
    uint8_t *ip = f + 14, *tcp;
    if (a->family == 4 && b->family == 4) {
        f[12] = 0x08;
        ip[0] = 0x45;
        ip[3] = 40; /* total length */
        ip[8] = 64;
        ip[9] = 6;
        memcpy(ip + 12, a->addr, 4);
        memcpy(ip + 16, b->addr, 4);
        uint32_t sum = 0;
        for (unsigned i = 0; i < 20; i += 2)
            sum += (uint32_t)ip[i] << 8 | ip[i + 1];
        sum = (sum & 0xffff) + (sum >> 16);
        sum = ~((sum & 0xffff) + (sum >> 16)) & 0xffff;
        ip[10] = (uint8_t)(sum >> 8);
        ip[11] = (uint8_t)sum;
        tcp = ip + 20;
    } else if (a->family == 6 && b->family == 6) {
        f[12] = 0x86;
        f[13] = 0xdd;
        ip[0] = 0x60;
        ip[5] = 20; /* payload length */
        ip[6] = 6;
        ip[7] = 64;
        memcpy(ip + 8, a->addr, 16);
        memcpy(ip + 24, b->addr, 16);
        tcp = ip + 40;
    } else {
        return 0;
    }
    tcp[0] = (uint8_t)(a->port >> 8);
    tcp[1] = (uint8_t)a->port;
    tcp[2] = (uint8_t)(b->port >> 8);
    tcp[3] = (uint8_t)b->port;
    tcp[12] = 5 << 4; /* data offset */
    tcp[13] = 0x10;   /* ACK */
    mpd_peek_info pi;
    if (mpd_peek(f, (size_t)(tcp + 20 - f), 1, seed, &pi) != MPD_OK || !pi.is_tcp)
        return 0;
    return pi.flow_hash | 1;
}

static inline uint64_t mix64(uint64_t x)
{
    x ^= x >> 31;
    x *= 0x7fb5d329728ea185ULL;
    x ^= x >> 27;
    x *= 0x81dadef4bc2dd44dULL;
    x ^= x >> 33;
    return x;
}

/* A TCP SYN with MP_JOIN on Ethernet between two endpoints (the
 * self-test's "real" frame for flow_hash_of to agree with). */
static size_t join_syn_frame(uint8_t *f, const mpd_endpoint *src, const mpd_endpoint *dst,
                             uint32_t token)
{
    static const uint8_t opt_join[12] = {30, 12, 0x10, 0};
    uint8_t *ip = f + 14, *tcp;
    memset(f, 0, 14 + 40 + 32);
    if (src->family == 4) {
        f[12] = 0x08;
        ip[0] = 0x45;
        ip[3] = 52;
        ip[8] = 64;
        ip[9] = 6;
        memcpy(ip + 12, src->addr, 4);
        memcpy(ip + 16, dst->addr, 4);
        tcp = ip + 20;
    } else {
        f[12] = 0x86;
        f[13] = 0xdd;
        ip[0] = 0x60;
        ip[5] = 32;
        ip[6] = 6;
        ip[7] = 64;
        memcpy(ip + 8, src->addr, 16);
        memcpy(ip + 24, dst->addr, 16);
        tcp = ip + 40;
    }
    tcp[0] = (uint8_t)(src->port >> 8);
    tcp[1] = (uint8_t)src->port;
    tcp[2] = (uint8_t)(dst->port >> 8);
    tcp[3] = (uint8_t)dst->port;
    tcp[12] = 8 << 4;
    tcp[13] = 0x02; /* SYN */
    memcpy(tcp + 20, opt_join, sizeof opt_join);
    tcp[24] = (uint8_t)(token >> 24);
    tcp[25] = (uint8_t)(token >> 16);
    tcp[26] = (uint8_t)(token >> 8);
    tcp[27] = (uint8_t)token;
    return (size_t)(tcp + 32 - f);
}

/* `--pin-selftest`: the pin table alone, one thread (the dispatcher's and
 * the workers' sides called in turn).
 * 1. flow_hash_of (the workers' side) equals mpd_peek's hash of a join SYN
 *    between the same endpoints, either orientation, IPv4 and IPv6.
 * 2. 4 000 000 joins, each pinned to worker r % 4 and released by that
 *    worker 20 000 joins later (a live set of 20 000, about a third of the
 *    entries): every live pin must resolve to its worker, every released
 *    one to nothing, no addition may fail, and exactly 20 000 pins are
 *    left. Every eighth join also gets the removals that must NOT take its
 *    pin: one from another worker, one reported at its own SYN's index
 *    (the subflow a re-pinning SYN replaces, dissected before it).
 * 3. 200 000 joins with no release fill the windows: the overflow is
 *    counted (pin_full), and lookups of absent flows in the crowded table
 *    still look at most PIN_PROBES entries.
 * Prints one JSON line; exit status 0 when every check holds. */
static int pin_selftest(void)
{
    static struct pin mem[PIN_SIZE];
    pins = mem;
    uint64_t hash_mismatch = 0;
    for (uint32_t r = 0; r < 100000; r++) {
        mpd_endpoint a = {.family = r & 1 ? 6 : 4, .port = (uint16_t)mix32(r)};
        mpd_endpoint b = {.family = a.family, .port = (uint16_t)mix32(~r)};
        for (unsigned i = 0; i < 16; i += 4) {
            uint32_t x = mix32(r * 16 + i), y = mix32(r * 16 + i + 1);
            memcpy(a.addr + i, &x, 4);
            memcpy(b.addr + i, &y, 4);
        }
        if (a.family == 4) {
            memset(a.addr + 4, 0, 12);
            memset(b.addr + 4, 0, 12);
        }
        uint8_t f[128];
        mpd_peek_info pi;
        size_t n = join_syn_frame(f, &a, &b, mix32(r));
        if (mpd_peek(f, n, 1, seed, &pi) != MPD_OK || !pi.is_tcp || !pi.is_join_syn) {
            hash_mismatch++;
            continue;
        }
        hash_mismatch += flow_hash_of(&a, &b) != (pi.flow_hash | 1);
        hash_mismatch += flow_hash_of(&b, &a) != (pi.flow_hash | 1);
    }

    const uint32_t live = 20000, total = 4000000;
    uint64_t wrong = 0;
    uint64_t t0 = rte_rdtsc();
    for (uint32_t r = 0; r < total; r++) {
        /* Join r is frame 2r of its worker's stream: removals reported at
         * frame 2r + 1 and later are of a subflow its SYN created. */
        uint64_t h = mix64(r) | 1;
        unsigned w = r % 4;
        pin_add(h, w, 2 * (uint64_t)r);
        if (r % 8 == 0) {
            pin_release(h, (w + 1) % 4, 2 * (uint64_t)r + 1); /* not its owner */
            pin_release(h, w, 2 * (uint64_t)r);               /* before its SYN */
        }
        if (r >= live) {
            uint32_t old = r - live;
            uint64_t oh = mix64(old) | 1;
            pin_release(oh, old % 4, 2 * (uint64_t)r + 1);
            wrong += pin_find(oh) != -1;
        }
        wrong += pin_find(h) != (int)w;
    }
    uint64_t t1 = rte_rdtsc();
    uint64_t full_sliding = ds.pin_full, kept = ds.unpin_kept;
    uint32_t used = 0, tombs = 0;
    for (uint32_t i = 0; i < PIN_SIZE; i++) {
        used += mem[i].hash != 0 && mem[i].hash != PIN_TOMB;
        tombs += mem[i].hash == PIN_TOMB;
    }
    uint64_t live_counted = ds.pins_live;
    for (uint32_t r = 0; r < 200000; r++)
        pin_add(mix64(r + (1ULL << 40)) | 1, 0, r);
    uint64_t t2 = rte_rdtsc();
    uint64_t overflow = ds.pin_full - full_sliding;
    uint64_t found = 0;
    for (uint32_t r = 0; r < 1000000; r++)
        found += pin_find(mix64(r + (1ULL << 41)) | 1) != -1;
    uint64_t t3 = rte_rdtsc();
    printf("{\"hash_checks\":200000,\"hash_mismatch\":%" PRIu64 ",\"joins\":%u,\"wrong_lookups\":%" PRIu64
           ",\"failed\":%" PRIu64 ",\"kept_removals\":%" PRIu64 ",\"live_entries\":%u"
           ",\"live_counted\":%" PRIu64 ",\"tombstones\":%u,\"fill_overflow\":%" PRIu64
           ",\"cycles_per_join_sliding\":%.0f,\"cycles_per_add_fill\":%.0f"
           ",\"cycles_per_miss_full\":%.0f}\n",
           hash_mismatch, total, wrong, full_sliding, kept, used, live_counted, tombs, overflow,
           (double)(t1 - t0) / total, (double)(t2 - t1) / 200000, (double)(t3 - t2) / 1000000);
    return hash_mismatch == 0 && wrong == 0 && full_sliding == 0 && used == live &&
                   live_counted == live && kept == 2 * (total / 8) && overflow > 0 && found == 0
               ? 0
               : 1;
}

/* ---- workers ------------------------------------------------------------- */
struct totals {
    uint64_t packets, connections, subflows, joins, hmac_valid, hmac_invalid,
        hmac_unverifiable, add_addr, fastclose, mp_fail, checksum, remove_addr, mp_prio,
        reinjected;
    uint64_t verdict[6];   /* by MPD_VERDICT_* */
    uint64_t dss[4];       /* valid, invalid, unverifiable, not negotiated */
};

/* Per-connection analysis flags (next to the connection id in `seen`). */
#define AN_STRIP_SHIFT 4
#define AN_INFINITE 0x100

struct worker {
    unsigned idx, lcore;
    struct rte_ring *ring;
    struct rte_ring *unpin; /* struct unpin, to the dispatcher (removed subflows) */
    mpd_dissector *d;
    uint64_t *seen;         /* set of connection ids created here */
    uint16_t *an;           /* per `seen` entry: mirror | strip << 4 | AN_INFINITE */
    uint64_t *client_pub;   /* conn slot -> conn id whose client token is published */
    uint32_t capacity;
    _Atomic uint64_t done;  /* frames processed (for the dispatcher's barrier) */
    struct totals t;
    uint64_t dissect_cycles, publish_cycles, publishes, unpin_lost, seen_full;
    uint8_t linear[65536 + 64];
} __rte_cache_aligned;

static struct worker *workers[MAX_WORKERS];
static unsigned n_workers;
static uint32_t linktype = 1;
static int ts_offset = -1;
static uint64_t ts_flag;
/* Nanoseconds per unit of the port's RX timestamp (net_pcap: the capture's
 * microseconds; other drivers' units vary, taken as nanoseconds). */
static uint64_t ts_scale = 1;
static _Atomic bool stop; /* set by the dispatcher at the end of input */

/* `seen`: the ids of the connections created on this worker. An id stays
 * after its connection is removed: the connection and subflow tables
 * expire apart, so a subflow can outlive its connection and must still be
 * counted. So the set only grows; every operation looks at SEEN_PROBES
 * entries at most (before the nineteenth session a lookup of an absent id
 * could scan all SEEN_SIZE entries once the set was crowded), and a
 * connection that finds no room is counted in `seen_full` (it then goes
 * uncounted, as before, but no longer silently). Ids are never reused (a
 * removed connection's id stays stale), so an insertion needs no duplicate
 * check. */

static uint32_t seen_home(uint64_t id)
{
    return mix32((uint32_t)id ^ (uint32_t)(id >> 32));
}

/* The entry holding `id`, or -1. */
static int64_t seen_find(const struct worker *w, uint64_t id)
{
    for (uint32_t i = 0, at = seen_home(id); i < SEEN_PROBES; i++, at++) {
        uint64_t e = w->seen[at & (SEEN_SIZE - 1)];
        if (e == 0)
            return -1;
        if (e == id)
            return at & (SEEN_SIZE - 1);
    }
    return -1;
}

static void seen_add(struct worker *w, uint64_t id)
{
    for (uint32_t i = 0, at = seen_home(id); i < SEEN_PROBES; i++, at++) {
        uint64_t *e = &w->seen[at & (SEEN_SIZE - 1)];
        if (*e == 0) {
            *e = id;
            return;
        }
    }
    w->seen_full++; /* not counted then, like a connection never seen */
}

/* The analysis flags of a connection created here (NULL: not seen). */
static uint16_t *seen_an(struct worker *w, uint64_t id)
{
    int64_t at = seen_find(w, id);
    return at >= 0 ? &w->an[at] : NULL;
}

static bool seen_has(const struct worker *w, uint64_t id)
{
    return seen_find(w, id) >= 0;
}

static void count_subflow(struct worker *w, const mpd_subflow_summary *s)
{
    if (!s->conn_id || !seen_has(w, s->conn_id))
        return; /* as `mpdissect conns`: only subflows of a known connection */
    w->t.subflows++;
    w->t.joins += s->kind == MPD_SUBFLOW_JOIN;
    w->t.hmac_valid += s->hmac == MPD_HMAC_VALID;
    w->t.hmac_invalid += s->hmac == MPD_HMAC_INVALID;
    w->t.hmac_unverifiable += s->hmac == MPD_HMAC_UNVERIFIABLE;
}

static void count_conn(struct worker *w, const mpd_conn_summary *c)
{
    w->t.connections++;
    w->t.fastclose += c->fastclose;
    w->t.mp_fail += c->mp_fail;
    w->t.checksum += c->checksum;
    w->t.remove_addr += c->remove_addr;
    w->t.mp_prio += c->mp_prio;
    w->t.reinjected += c->reinjected_c2s + c->reinjected_s2c;
    /* The verdict as `mpdissect conns` derives it from the events (the
     * summary's own verdict is not available for removed entries). */
    const uint16_t *a = seen_an(w, c->id);
    uint16_t f = a ? *a : 0;
    uint8_t v = (f & 0xf)                          ? MPD_VERDICT_MIRRORED
                : (f >> AN_STRIP_SHIFT) & 0xf      ? MPD_VERDICT_STRIPPED
                : (c->mp_fail || (f & AN_INFINITE)) ? MPD_VERDICT_FALLBACK_AFTER_FAIL
                                                   : MPD_VERDICT_MPTCP;
    w->t.verdict[v]++;
}

/* Nanoseconds from `c` TSC cycles at `hz`, without the integer 1e9 / hz
 * (0 for a TSC of 1 GHz or more, which made every time 0 until the
 * nineteenth session). Exact while hz < 18 GHz (c % hz * 1e9 < 2^64). */
static uint64_t tsc_ns(uint64_t c, uint64_t hz)
{
    return c / hz * 1000000000ULL + c % hz * 1000000000ULL / hz;
}

/* `--time-selftest`: tsc_ns against values worked out by hand. */
static int time_selftest(void)
{
    const uint64_t g = 1000000000ULL;
    int ok = tsc_ns(2600000000ULL, 2600000000ULL) == g        /* 1 s at 2.6 GHz */
             && tsc_ns(9100000000ULL, 2600000000ULL) == 3500000000ULL /* 3.5 s */
             && tsc_ns(1, 2600000000ULL) == 0                 /* 0.38 ns */
             && tsc_ns(13, 2600000000ULL) == 5                /* 5 ns */
             && tsc_ns(999999999ULL, 999999999ULL) == g       /* below 1 GHz too */
             && tsc_ns(UINT64_MAX, 4000000000ULL) == UINT64_MAX / 4000000000ULL * g +
                                                          UINT64_MAX % 4000000000ULL / 4;
    printf("{\"tsc_ns\":\"%s\"}\n", ok ? "ok" : "wrong");
    return ok ? 0 : 1;
}

/* Capture time of a frame: the NIC's timestamp if it gives one. */
static uint64_t frame_time(const struct rte_mbuf *m)
{
    if (ts_offset >= 0 && (m->ol_flags & ts_flag))
        return *RTE_MBUF_DYNFIELD(m, ts_offset, rte_mbuf_timestamp_t *) * ts_scale;
    return tsc_ns(rte_get_tsc_cycles(), rte_get_tsc_hz());
}

/* Everything after the dissection of one frame (frame `idx` of this
 * worker's stream): events, the client-token publication, and the removed
 * entries `rm_from .. r->n_removed`. */
static void after(struct worker *w, const mpd_result *r, uint32_t rm_from, uint64_t idx)
{
    uint64_t p0 = rte_rdtsc();
    /* The removed connections' tokens leave the directory first: they
     * left the tables before this frame's own work (the expiry before a
     * frame, an eviction to make room), so a connection this frame
     * creates with one of their tokens must stay published. */
    for (uint32_t i = rm_from; i < r->n_removed; i++) {
        mpd_removed g;
        if (mpd_removed_get(w->d, i, &g) != MPD_OK || g.table != MPD_TABLE_CONNECTION)
            continue;
        dir_remove(g.conn.server_token, w->idx);
        if (g.conn.has_client_key)
            dir_remove(g.conn.client_token, w->idx);
    }
    for (uint32_t i = 0; i < r->n_events; i++) {
        const mpd_event *e = &r->events[i];
        if (e->kind == MPD_EVENT_NEW_CONNECTION) {
            seen_add(w, e->conn_id);
            dir_publish(e->token, w->idx); /* server token: joins towards the server */
            w->publishes++;
        } else if (e->kind == MPD_EVENT_ADDR_ADVERTISED && !e->echo) {
            w->t.add_addr++;
        } else if (e->kind == MPD_EVENT_MAPPING) {
            unsigned k = e->reason == MPD_DSS_VALID     ? 0
                         : e->reason == MPD_DSS_INVALID ? 1
                         : e->dss_reason == MPD_DSS_REASON_NOT_NEGOTIATED ? 3
                                                                           : 2;
            w->t.dss[k]++;
            uint16_t *a = seen_an(w, e->conn_id);
            if (a && e->dss_reason == MPD_DSS_REASON_INFINITE_MAPPING)
                *a |= AN_INFINITE;
        } else if ((e->kind == MPD_EVENT_MIRRORED || e->kind == MPD_EVENT_STRIPPED) && e->conn_id) {
            uint16_t *a = seen_an(w, e->conn_id);
            if (a)
                *a |= e->kind == MPD_EVENT_MIRRORED ? e->evidence
                                                    : (uint16_t)(e->evidence << AN_STRIP_SHIFT);
        }
    }
    /* Client token (joins towards the client): known once the client's key
     * is; checked until published, then one array read per packet. After a
     * burst the summary is the state at the end of the burst: a key learnt
     * later in the burst is published earlier, which is harmless. */
    if (r->conn_id) {
        uint32_t slot = (uint32_t)(r->conn_id - 1) & (w->capacity - 1);
        if (w->client_pub[slot] != r->conn_id) {
            mpd_conn_summary c;
            if (mpd_conn_get(w->d, r->conn_id, &c) == MPD_OK && c.has_client_key) {
                dir_publish(c.client_token, w->idx);
                w->publishes++;
                w->client_pub[slot] = r->conn_id;
            }
        }
    }
    w->publish_cycles += rte_rdtsc() - p0;
    for (uint32_t i = rm_from; i < r->n_removed; i++) {
        mpd_removed g;
        if (mpd_removed_get(w->d, i, &g) != MPD_OK)
            continue;
        if (g.table == MPD_TABLE_CONNECTION) {
            count_conn(w, &g.conn); /* (its tokens left the directory above) */
        } else {
            count_subflow(w, &g.subflow);
            /* A subflow removed because this frame's SYN reused its ports
             * (MPD_CAUSE_REUSED) hands its pin to the subflow that SYN
             * started here: the rest of the new handshake must come here
             * too. Any other removed subflow's pin (if the dispatcher pinned
             * it here) goes with it. Every removed subflow is sent, not only
             * joins: only MPTCP subflows are tracked, so this is one request
             * per subflow lifetime, and a join's 5-tuple may be reused by a
             * subflow of another kind. A full ring loses the request
             * (counted; the pin then stays, see the README's Limits):
             * waiting here could deadlock with a dispatcher waiting on our
             * frame ring. */
            if (g.cause == MPD_CAUSE_REUSED && r->subflow_id != 0)
                continue;
            struct unpin u = {flow_hash_of(&g.subflow.src, &g.subflow.dst), idx};
            if (u.hash && rte_ring_sp_enqueue_elem(w->unpin, &u, sizeof u) != 0)
                w->unpin_lost++;
        }
    }
}

/* The NIC's receive verdict on a frame's TCP checksum, as the C ABI takes
 * it: with a verdict the dissector does not verify the checksum itself (a
 * GOOD one also spares its DSS checksum a pass over the payload). net_pcap
 * gives none (UNKNOWN): the dissector's own verification, if configured. */
static uint8_t rx_csum(const struct rte_mbuf *m)
{
    switch (m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK) {
    case RTE_MBUF_F_RX_L4_CKSUM_GOOD:
        return MPD_RX_CSUM_GOOD;
    case RTE_MBUF_F_RX_L4_CKSUM_BAD:
        return MPD_RX_CSUM_BAD;
    case RTE_MBUF_F_RX_L4_CKSUM_NONE:
        return MPD_RX_CSUM_INTACT;
    default:
        return MPD_RX_CSUM_UNKNOWN;
    }
}

/* A chained (jumbo/GSO) frame: linearised and dissected on its own. */
static void handle_chained(struct worker *w, struct rte_mbuf *m)
{
    uint32_t len = rte_pktmbuf_pkt_len(m);
    const uint8_t *frame = rte_pktmbuf_read(m, 0, len < 65536 ? len : 65536, w->linear);
    mpd_result r;
    uint64_t t0 = rte_rdtsc();
    mpd_status s = mpd_dissect_rx(w->d, frame, len < 65536 ? len : 65536, linktype, frame_time(m),
                                  rx_csum(m), &r);
    w->dissect_cycles += rte_rdtsc() - t0;
    uint64_t idx = w->t.packets++;
    if (s != MPD_OK) {
        fprintf(stderr, "worker %u: mpd_dissect_rx: %s\n", w->idx, mpd_status_str(s));
        return;
    }
    after(w, &r, 0, idx);
}

/* A run of single-segment frames, dissected as one burst with their NIC
 * checksum verdicts (the burst prefetches the table memory of frames
 * ahead), in parts: mpd_dissect_burst_part stops while its removal entries
 * can still take a frame's, so every removed entry is read back (a whole
 * mpd_dissect_burst_rx keeps MPD_MAX_REMOVED and drops the rest, which
 * leaked directory tokens and pins under churn). */
static void handle_burst(struct worker *w, struct rte_mbuf **ms, unsigned n)
{
    mpd_frame fr[BURST];
    uint8_t csum[BURST];
    mpd_result rs[BURST];
    for (unsigned i = 0; i < n; i++) {
        uint32_t len = rte_pktmbuf_pkt_len(ms[i]);
        fr[i] = (mpd_frame){rte_pktmbuf_mtod(ms[i], const uint8_t *), len < 65536 ? len : 65536,
                            frame_time(ms[i])};
        csum[i] = rx_csum(ms[i]);
    }
    uint64_t base = w->t.packets;
    w->t.packets += n;
    for (size_t at = 0; at < n;) {
        size_t done = 0;
        uint64_t t0 = rte_rdtsc();
        mpd_status s =
            mpd_dissect_burst_part(w->d, fr + at, n - at, linktype, csum + at, rs + at, &done);
        w->dissect_cycles += rte_rdtsc() - t0;
        if (s != MPD_OK) {
            fprintf(stderr, "worker %u: mpd_dissect_burst_part: %s\n", w->idx,
                    mpd_status_str(s));
            return;
        }
        /* This part's removals, read before the next part replaces them. */
        uint32_t rm_from = 0;
        for (size_t i = at; i < at + done; i++) {
            after(w, &rs[i], rm_from, base + i);
            rm_from = rs[i].n_removed;
        }
        at += done;
    }
}

static int worker_main(void *arg)
{
    struct worker *w = arg;
    struct rte_mbuf *bufs[BURST];
    for (;;) {
        unsigned n = rte_ring_sc_dequeue_burst(w->ring, (void **)bufs, BURST, NULL);
        if (n == 0) {
            if (atomic_load_explicit(&stop, memory_order_acquire) && rte_ring_empty(w->ring))
                break;
            rte_pause();
            continue;
        }
        /* Runs of single-segment frames go through mpd_dissect_burst. */
        unsigned run = 0;
        for (unsigned i = 0; i < n; i++) {
            if (bufs[i]->nb_segs > 1) {
                if (i > run)
                    handle_burst(w, bufs + run, i - run);
                handle_chained(w, bufs[i]);
                run = i + 1;
            }
        }
        if (n > run)
            handle_burst(w, bufs + run, n - run);
        for (unsigned i = 0; i < n; i++)
            rte_pktmbuf_free(bufs[i]);
        atomic_fetch_add_explicit(&w->done, n, memory_order_release);
    }
    /* What is still live. */
    uint32_t cur = 0;
    mpd_conn_summary c;
    while (mpd_conn_next(w->d, &cur, &c) == MPD_OK)
        count_conn(w, &c);
    cur = 0;
    mpd_subflow_summary s;
    while (mpd_subflow_next(w->d, &cur, &s) == MPD_OK)
        count_subflow(w, &s);
    return 0;
}

/* ---- dispatcher ---------------------------------------------------------- */
static uint64_t enqueued[MAX_WORKERS];
/* Per worker: the position (1-based, in its stream) of the last frame
 * carrying MP_CAPABLE enqueued to it. Only such a frame can make a worker
 * publish a token (the key it carries), so once every worker has dissected
 * its frames up to there, the directory holds every token announced before
 * the join SYN at hand, including a token that a newer connection on
 * another worker took over from an older one (the copies of a capture
 * reuse keys: steering by the older owner's entry split the connection). */
static uint64_t capable_at[MAX_WORKERS];

/* Waits until every worker has dissected the MP_CAPABLE frames enqueued
 * to it (and so published their tokens). Usually free: a join SYN comes
 * at least a round trip after its connection's handshake. */
static void drain_unpins(void);

static void wait_capable(void)
{
    uint64_t t0 = rte_rdtsc();
    bool waited = false;
    for (unsigned i = 0; i < n_workers; i++)
        while (atomic_load_explicit(&workers[i]->done, memory_order_acquire) < capable_at[i]) {
            waited = true;
            drain_unpins(); /* the worker may be producing removals meanwhile */
            rte_pause();
        }
    if (waited) {
        ds.barrier_waits++;
        ds.barrier_cycles += rte_rdtsc() - t0;
    }
}

/* Applies the workers' removal requests (at most a burst per worker per
 * call, so the dispatch loop keeps its pace). A worker's burst of frames
 * can report more than that (mpd_dissect_burst_part loses no removal): the
 * UNPIN_RING absorbs the difference, and the dispatcher also drains while
 * it waits on a full frame ring; what still overflows is counted as
 * `unpin_lost`. */
static void drain_unpins(void)
{
    struct unpin u[BURST];
    for (unsigned i = 0; i < n_workers; i++) {
        unsigned n = rte_ring_sc_dequeue_burst_elem(workers[i]->unpin, u, sizeof u[0], BURST, NULL);
        for (unsigned j = 0; j < n; j++)
            pin_release(u[j].hash, i, u[j].seq);
    }
}

/* The worker for frame `m`; `*capable` says whether it carries MP_CAPABLE. */
static unsigned steer(struct rte_mbuf *m, bool *capable)
{
    mpd_peek_info pi;
    uint64_t t0 = rte_rdtsc();
    uint32_t len = rte_pktmbuf_data_len(m); /* headers are in the first segment */
    mpd_status s = mpd_peek(rte_pktmbuf_mtod(m, const uint8_t *), len, linktype, seed, &pi);
    uint64_t t1 = rte_rdtsc();
    ds.peek_cycles += t1 - t0;
    unsigned w = 0;
    *capable = s == MPD_OK && pi.has_capable;
    if (s == MPD_OK && pi.is_tcp) {
        uint64_t h = pi.flow_hash | 1; /* 0 marks an empty pin */
        /* A join first waits for the tokens in flight to be published (the
         * wait also applies removals, so the pin is looked up after it). */
        if (pi.is_join_syn && n_workers > 1)
            wait_capable();
        int p = pin_find(h);
        if (pi.is_join_syn) {
            ds.join_syns++;
            int owner = dir_lookup(pi.join_token);
            if (owner >= 0) {
                ds.dir_hits++;
                /* The SYN is the next frame enqueued to the owner. */
                pin_add(h, (unsigned)owner, enqueued[owner]);
                p = owner;
            } else {
                ds.dir_misses++; /* unknown token: a single dissector says so too */
            }
        }
        if (p >= 0) {
            ds.pinned_frames++;
            w = (unsigned)p;
        } else {
            w = (unsigned)((pi.flow_hash >> 32) % n_workers);
        }
    }
    ds.steer_cycles += rte_rdtsc() - t1;
    return w;
}

static void usage(const char *prog)
{
    fprintf(stderr, "usage: %s [EAL args] -- [--capacity N] [--linktype L] [--idle-ms MS]\n", prog);
    exit(2);
}

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "--dir-selftest") == 0)
        return dir_selftest();
    if (argc == 2 && strcmp(argv[1], "--pin-selftest") == 0)
        return pin_selftest();
    if (argc == 2 && strcmp(argv[1], "--time-selftest") == 0)
        return time_selftest();
    if (getrandom(seed, sizeof seed, 0) != (ssize_t)sizeof seed) {
        fprintf(stderr, "getrandom failed\n");
        return 1;
    }
    int ret = rte_eal_init(argc, argv);
    if (ret < 0)
        rte_exit(EXIT_FAILURE, "rte_eal_init failed\n");
    argc -= ret;
    argv += ret;
    uint32_t capacity = 4096;
    unsigned idle_ms = 300;
    for (int i = 1; i < argc; i++) {
        if (i + 1 < argc && strcmp(argv[i], "--capacity") == 0)
            capacity = (uint32_t)strtoul(argv[++i], NULL, 0);
        else if (i + 1 < argc && strcmp(argv[i], "--linktype") == 0)
            linktype = (uint32_t)strtoul(argv[++i], NULL, 0);
        else if (i + 1 < argc && strcmp(argv[i], "--idle-ms") == 0)
            idle_ms = (unsigned)strtoul(argv[++i], NULL, 0);
        else
            usage(argv[0]);
    }
    if (rte_eth_dev_count_avail() < 1)
        rte_exit(EXIT_FAILURE, "no DPDK port (use e.g. --vdev=net_pcap0,rx_pcap=FILE)\n");

    n_workers = rte_lcore_count() - 1;
    if (n_workers < 1 || n_workers > MAX_WORKERS)
        rte_exit(EXIT_FAILURE, "need 1..%d worker lcores besides the main one (-l 0-N)\n",
                 MAX_WORKERS);

    directory = rte_zmalloc("mpd_dir", DIR_SIZE * sizeof *directory, RTE_CACHE_LINE_SIZE);
    pins = rte_zmalloc("mpd_pins", PIN_SIZE * sizeof *pins, RTE_CACHE_LINE_SIZE);
    if (!directory || !pins)
        rte_exit(EXIT_FAILURE, "out of memory\n");

    size_t size, align;
    mpd_status s = mpd_dissector_size(capacity, &size, &align);
    if (s != MPD_OK)
        rte_exit(EXIT_FAILURE, "mpd_dissector_size: %s\n", mpd_status_str(s));

    unsigned lcore, wi = 0;
    RTE_LCORE_FOREACH_WORKER(lcore) {
        int sock = (int)rte_lcore_to_socket_id(lcore);
        struct worker *w = rte_zmalloc_socket("mpd_worker", sizeof *w, RTE_CACHE_LINE_SIZE, sock);
        void *mem = rte_zmalloc_socket("mpd_dissector", size, align > 64 ? align : 64, sock);
        char name[32];
        snprintf(name, sizeof name, "mpd_ring_%u", wi);
        if (!w || !mem)
            rte_exit(EXIT_FAILURE, "out of memory for worker %u\n", wi);
        w->idx = wi;
        w->lcore = lcore;
        w->capacity = capacity;
        w->ring = rte_ring_create(name, RING_SIZE, sock, RING_F_SP_ENQ | RING_F_SC_DEQ);
        snprintf(name, sizeof name, "mpd_unpin_%u", wi);
        w->unpin = rte_ring_create_elem(name, sizeof(struct unpin), UNPIN_RING, rte_socket_id(),
                                        RING_F_SP_ENQ | RING_F_SC_DEQ);
        w->seen = rte_zmalloc_socket("mpd_seen", SEEN_SIZE * sizeof(uint64_t), 64, sock);
        w->an = rte_zmalloc_socket("mpd_an", SEEN_SIZE * sizeof(uint16_t), 64, sock);
        w->client_pub = rte_zmalloc_socket("mpd_pub", capacity * sizeof(uint64_t), 64, sock);
        if (!w->ring || !w->unpin || !w->seen || !w->an || !w->client_pub)
            rte_exit(EXIT_FAILURE, "out of memory for worker %u\n", wi);
        /* `mpdissect conns`' options: TCP checksums, every mapping verdict. */
        const mpd_options opts = {.verify_tcp_checksum = 1, .dss_all_events = 1};
        s = mpd_dissector_init_ex(mem, size, capacity, seed, &opts, &w->d);
        if (s != MPD_OK)
            rte_exit(EXIT_FAILURE, "mpd_dissector_init: %s\n", mpd_status_str(s));
        workers[wi++] = w;
    }

    uint16_t port = 0;
    /* Room for every mbuf that can be held at once: each worker's full
     * ring, the RX descriptors, a burst in the dispatcher's hands and the
     * per-lcore caches (a smaller pool made net_pcap drop frames when the
     * rings filled: rx_nombuf, checked at the end). */
    unsigned n_mbufs = n_workers * RING_SIZE + 1024 + BURST + (n_workers + 1) * 256 + 1024;
    struct rte_mempool *pool = rte_pktmbuf_pool_create("mpd_pool", n_mbufs, 256, 0,
                                                       RTE_MBUF_DEFAULT_BUF_SIZE, rte_socket_id());
    if (!pool)
        rte_exit(EXIT_FAILURE, "mbuf pool: %s\n", rte_strerror(rte_errno));
    struct rte_eth_dev_info info;
    rte_eth_dev_info_get(port, &info);
    struct rte_eth_conf conf;
    memset(&conf, 0, sizeof conf);
    if (info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_TIMESTAMP)
        conf.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_TIMESTAMP;
    if (info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_SCATTER)
        conf.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_SCATTER;
    if (rte_eth_dev_configure(port, 1, 1, &conf) < 0 ||
        rte_eth_rx_queue_setup(port, 0, 1024, rte_eth_dev_socket_id(port), NULL, pool) < 0 ||
        rte_eth_tx_queue_setup(port, 0, 1024, rte_eth_dev_socket_id(port), NULL) < 0 ||
        rte_eth_dev_start(port) < 0)
        rte_exit(EXIT_FAILURE, "cannot set up port %u\n", port);
    /* The RX timestamp wherever the driver registered it: net_pcap fills it
     * (in microseconds, the capture's) without advertising the offload, and
     * each mbuf's flag says whether it carries one. */
    {
        int flag_bit = rte_mbuf_dynflag_lookup(RTE_MBUF_DYNFLAG_RX_TIMESTAMP_NAME, NULL);
        ts_offset = rte_mbuf_dynfield_lookup(RTE_MBUF_DYNFIELD_TIMESTAMP_NAME, NULL);
        if (flag_bit < 0)
            ts_offset = -1;
        else
            ts_flag = 1ULL << flag_bit;
        if (info.driver_name && strstr(info.driver_name, "pcap"))
            ts_scale = 1000;
    }

    for (unsigned i = 0; i < n_workers; i++)
        rte_eal_remote_launch(worker_main, workers[i], workers[i]->lcore);

    /* Dispatch until the port has been idle for idle_ms (end of the pcap). */
    struct rte_mbuf *bufs[BURST];
    uint64_t hz = rte_get_tsc_hz(), last = rte_get_tsc_cycles();
    while (rte_get_tsc_cycles() - last < hz / 1000 * idle_ms) {
        drain_unpins();
        uint16_t n = rte_eth_rx_burst(port, 0, bufs, BURST);
        if (n == 0) {
            rte_pause();
            continue;
        }
        last = rte_get_tsc_cycles();
        for (uint16_t i = 0; i < n; i++) {
            bool capable;
            unsigned w = steer(bufs[i], &capable);
            ds.frames++;
            /* Never drop (totals must be exact); while the worker's ring is
             * full, keep taking its removal requests, which it may be
             * producing faster than it dissects (an expiry wave). */
            while (rte_ring_sp_enqueue(workers[w]->ring, bufs[i]) != 0) {
                drain_unpins();
                rte_pause();
            }
            enqueued[w]++;
            if (capable)
                capable_at[w] = enqueued[w];
        }
    }
    atomic_store_explicit(&stop, true, memory_order_release);
    rte_eal_mp_wait_lcore();

    /* The last removal requests, then a check of the pins against the
     * workers' live join subflows: each should be pinned to its worker
     * (its hash recomputed from its endpoints, as on removal) unless none
     * of its join SYNs found the token (so pin_unmatched <= dir_misses). */
    uint64_t unpin_lost = 0, pin_unmatched = 0, joins_live = 0, seen_full = 0;
    for (unsigned i = 0; i < n_workers; i++) {
        while (!rte_ring_empty(workers[i]->unpin))
            drain_unpins();
        unpin_lost += workers[i]->unpin_lost;
        seen_full += workers[i]->seen_full;
        uint32_t cur = 0;
        mpd_subflow_summary sf;
        while (mpd_subflow_next(workers[i]->d, &cur, &sf) == MPD_OK) {
            if (sf.kind != MPD_SUBFLOW_JOIN)
                continue;
            joins_live++;
            pin_unmatched += pin_find(flow_hash_of(&sf.src, &sf.dst)) != (int)i;
        }
    }

    struct totals t = {0};
    uint64_t dis = 0, pub = 0, pubs = 0;
    mpd_stats sum = {0};
    for (unsigned i = 0; i < n_workers; i++) {
        struct worker *w = workers[i];
        mpd_stats st = {0};
        if (mpd_stats_get(w->d, &st) != MPD_OK)
            rte_exit(EXIT_FAILURE, "mpd_stats_get failed on worker %u\n", i);
        sum.untracked += st.untracked;
        sum.join_unknown_token += st.join_unknown_token;
        t.packets += w->t.packets;
        t.connections += w->t.connections;
        t.subflows += w->t.subflows;
        t.joins += w->t.joins;
        t.hmac_valid += w->t.hmac_valid;
        t.hmac_invalid += w->t.hmac_invalid;
        t.hmac_unverifiable += w->t.hmac_unverifiable;
        t.add_addr += w->t.add_addr;
        t.fastclose += w->t.fastclose;
        t.mp_fail += w->t.mp_fail;
        t.checksum += w->t.checksum;
        t.remove_addr += w->t.remove_addr;
        t.mp_prio += w->t.mp_prio;
        t.reinjected += w->t.reinjected;
        for (unsigned k = 0; k < 6; k++)
            t.verdict[k] += w->t.verdict[k];
        for (unsigned k = 0; k < 4; k++)
            t.dss[k] += w->t.dss[k];
        dis += w->dissect_cycles;
        pub += w->publish_cycles;
        pubs += w->publishes;
        fprintf(stderr, "worker %u (lcore %u): %" PRIu64 " frames\n", i, w->lcore, w->t.packets);
    }
    printf("{\"connections\":%" PRIu64 ",\"subflows\":%" PRIu64 ",\"joins\":%" PRIu64
           ",\"hmac_valid\":%" PRIu64 ",\"hmac_invalid\":%" PRIu64
           ",\"hmac_unverifiable\":%" PRIu64 ",\"add_addr\":%" PRIu64 ",\"remove_addr\":%" PRIu64
           ",\"mp_prio\":%" PRIu64 ",\"mp_fail\":%" PRIu64 ",\"fastclose\":%" PRIu64
           ",\"checksum\":%" PRIu64 ",\"reinjected\":%" PRIu64 ",\"verdict_mptcp\":%" PRIu64
           ",\"verdict_mirrored\":%" PRIu64 ",\"verdict_stripped\":%" PRIu64
           ",\"verdict_fallback_after_fail\":%" PRIu64 ",\"dss_valid\":%" PRIu64
           ",\"dss_invalid\":%" PRIu64 ",\"dss_unverifiable\":%" PRIu64
           ",\"dss_not_negotiated\":%" PRIu64 "}\n",
           t.connections, t.subflows, t.joins, t.hmac_valid, t.hmac_invalid,
           t.hmac_unverifiable, t.add_addr, t.remove_addr, t.mp_prio, t.mp_fail, t.fastclose,
           t.checksum, t.reinjected, t.verdict[MPD_VERDICT_MPTCP], t.verdict[MPD_VERDICT_MIRRORED],
           t.verdict[MPD_VERDICT_STRIPPED], t.verdict[MPD_VERDICT_FALLBACK_AFTER_FAIL], t.dss[0],
           t.dss[1], t.dss[2], t.dss[3]);
    double f = ds.frames ? (double)ds.frames : 1.0;
    double ns = 1e9 / (double)hz;
    fprintf(stderr,
            "{\"workers\":%u,\"frames\":%" PRIu64 ",\"join_syns\":%" PRIu64
            ",\"dir_hits\":%" PRIu64 ",\"dir_misses\":%" PRIu64 ",\"barriers\":%" PRIu64
            ",\"barrier_ns_total\":%.0f,\"pinned_frames\":%" PRIu64 ",\"pin_full\":%" PRIu64
            ",\"peek_ns_per_frame\":%.1f,\"steer_ns_per_frame\":%.1f"
            ",\"publishes\":%" PRIu64 ",\"publish_ns_per_frame\":%.1f"
            ",\"dissect_ns_per_frame\":%.1f,\"untracked\":%" PRIu64
            ",\"join_unknown_token\":%" PRIu64 ",\"dir_full\":%" PRIu64
            ",\"pins_live\":%" PRIu64 ",\"unpinned\":%" PRIu64 ",\"unpin_kept\":%" PRIu64
            ",\"unpin_lost\":%" PRIu64 ",\"joins_live\":%" PRIu64 ",\"pin_unmatched\":%" PRIu64
            ",\"seen_full\":%" PRIu64 "}\n",
            n_workers, ds.frames, ds.join_syns, ds.dir_hits, ds.dir_misses, ds.barrier_waits,
            (double)ds.barrier_cycles * ns, ds.pinned_frames, ds.pin_full,
            (double)ds.peek_cycles * ns / f, (double)ds.steer_cycles * ns / f, pubs,
            (double)pub * ns / f, (double)dis * ns / f, sum.untracked, sum.join_unknown_token,
            atomic_load(&dir_full), ds.pins_live, ds.unpinned, ds.unpin_kept, unpin_lost, joins_live,
            pin_unmatched, seen_full);
    if (t.packets != ds.frames)
        fprintf(stderr, "frames lost: %" PRIu64 " dispatched, %" PRIu64 " dissected\n", ds.frames,
                t.packets);
    /* Frames the port could not hand over (no mbuf, no descriptor) never
     * reached the dispatcher: lost too. */
    struct rte_eth_stats es;
    int port_lost = rte_eth_stats_get(port, &es) == 0 && (es.rx_nombuf || es.imissed || es.ierrors);
    if (port_lost)
        fprintf(stderr, "frames lost at the port: rx_nombuf %" PRIu64 ", imissed %" PRIu64
                        ", ierrors %" PRIu64 "\n",
                es.rx_nombuf, es.imissed, es.ierrors);
    rte_eth_dev_stop(port);
    rte_eal_cleanup();
    return t.packets == ds.frames && !port_lost ? 0 : 1;
}
