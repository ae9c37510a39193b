/* C tests of every status-code path of the mptcp-dissect C ABI.
 * Built against the `testing` feature library (MPD_TESTING: mpd_test_panic)
 * so that MPD_ERR_PANIC and MPD_ERR_POISONED are reachable. */
#include <stdalign.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "mptcp_dissect.h"

static int failures;
#define EXPECT(expr, want)                                                                   \
    do {                                                                                     \
        mpd_status got_ = (expr);                                                            \
        if (got_ != (want)) {                                                                \
            fprintf(stderr, "%s:%d: %s = %s, want %s\n", __FILE__, __LINE__, #expr,         \
                    mpd_status_str(got_), mpd_status_str(want));                             \
            failures++;                                                                      \
        }                                                                                    \
    } while (0)
#define TRUE(cond)                                                                           \
    do {                                                                                     \
        if (!(cond)) {                                                                       \
            fprintf(stderr, "%s:%d: %s is false\n", __FILE__, __LINE__, #cond);              \
            failures++;                                                                      \
        }                                                                                    \
    } while (0)

static const uint8_t seed[16] = "0123456789abcdef";

/* An Ethernet + IPv4 + TCP SYN carrying MP_CAPABLE v1 (4-byte form). */
static const uint8_t syn[] = {
    0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 6, 0x08, 0x00,                          /* eth */
    0x45, 0, 0, 44, 0, 1, 0x40, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,   /* ipv4 */
    0x9c, 0x40, 0x00, 0x50, 0, 0, 0, 1, 0, 0, 0, 0, 0x60, 0x02, 0xff, 0xff, /* tcp */
    0, 0, 0, 0, 30, 4, 0x01, 0x81                                           /* MP_CAPABLE */
};

int main(void)
{
    /* Status strings: every code has its own name; others are unknown. */
    const char *names[] = {"MPD_OK", "MPD_ERR_NULL", "MPD_ERR_MISALIGNED", "MPD_ERR_TOO_SMALL",
                           "MPD_ERR_BAD_CAPACITY", "MPD_ERR_BAD_LINKTYPE", "MPD_ERR_NOT_FOUND",
                           "MPD_ERR_PANIC", "MPD_ERR_BAD_HANDLE", "MPD_ERR_POISONED",
                           "MPD_ERR_BAD_LENGTH", "MPD_ERR_BAD_OPTIONS", "MPD_ERR_BAD_RX_CSUM",
                           "MPD_ERR_OVERLAP"};
    const int codes[] = {MPD_OK, MPD_ERR_NULL, MPD_ERR_MISALIGNED, MPD_ERR_TOO_SMALL,
                         MPD_ERR_BAD_CAPACITY, MPD_ERR_BAD_LINKTYPE, MPD_ERR_NOT_FOUND,
                         MPD_ERR_PANIC, MPD_ERR_BAD_HANDLE, MPD_ERR_POISONED, MPD_ERR_BAD_LENGTH,
                         MPD_ERR_BAD_OPTIONS, MPD_ERR_BAD_RX_CSUM, MPD_ERR_OVERLAP};
    for (int i = 0; i < 14; i++) {
        TRUE(codes[i] == i); /* pinned numbers */
        TRUE(strcmp(mpd_status_str(codes[i]), names[i]) == 0);
    }
    TRUE(strcmp(mpd_status_str(14), "MPD_ERR_UNKNOWN") == 0);
    /* NIC receive checksum states for mpd_dissect_rx (pinned). */
    TRUE(MPD_RX_CSUM_UNKNOWN == 0 && MPD_RX_CSUM_GOOD == 1 && MPD_RX_CSUM_BAD == 2 &&
         MPD_RX_CSUM_INTACT == 3);
    TRUE(mpd_dissect_rx(NULL, NULL, 0, 1, 0, MPD_RX_CSUM_GOOD, NULL) == MPD_ERR_NULL);
    /* Middlebox-analysis numbers and names (pinned, never reused). */
    TRUE(MPD_ABI_VERSION == 4 && mpd_abi_version() == MPD_ABI_VERSION);
    TRUE(MPD_EVENT_MAPPING == 18 && MPD_EVENT_TCP_CHECKSUM_BAD == 19 && MPD_EVENT_MIRRORED == 20 &&
         MPD_EVENT_STRIPPED == 21 && MPD_EVENT_MP_FAIL_MATCHED == 22);
    TRUE(MPD_DSS_VALID == 1 && MPD_DSS_INVALID == 2 && MPD_DSS_UNVERIFIABLE == 3);
    TRUE(MPD_VERDICT_UNKNOWN == 0 && MPD_VERDICT_MPTCP == 1 && MPD_VERDICT_MIRRORED == 2 &&
         MPD_VERDICT_STRIPPED == 3 && MPD_VERDICT_FALLBACK_AFTER_FAIL == 4 &&
         MPD_VERDICT_PLAIN_TCP == 5);
    TRUE(strcmp(mpd_verdict_str(MPD_VERDICT_FALLBACK_AFTER_FAIL), "fallback_after_fail") == 0);
    TRUE(strcmp(mpd_dss_reason_str(MPD_DSS_REASON_GAP), "gap") == 0);
    TRUE(strcmp(mpd_mirror_evidence_str(MPD_MIRROR_OPTIONS_ECHO), "options_echo") == 0);
    TRUE(strcmp(mpd_strip_evidence_str(MPD_STRIP_SYNACK), "synack_without_mp_capable") == 0);
    TRUE(MPD_MP_FAIL_FLAGGED == 1 && MPD_MP_FAIL_NOT_FLAGGED == 2 && MPD_MP_FAIL_ECHO == 3);
    TRUE(strcmp(mpd_status_str(-7), "MPD_ERR_UNKNOWN") == 0);
    TRUE(strcmp(mpd_addr_class_str(16), "global") == 0);
    TRUE(strcmp(mpd_addr_class_str(0), "unknown") == 0);
    /* The C compiler's layout is the library's: the former implicit
       padding before client_key is the explicit _pad0, no offset moved. */
    TRUE(offsetof(mpd_conn_summary, _pad0) == 60 && offsetof(mpd_conn_summary, client_key) == 64 &&
         sizeof(mpd_conn_summary) == 192 && sizeof(mpd_removed) == 344);

    /* mpd_dissector_size */
    size_t size, align;
    EXPECT(mpd_dissector_size(0, &size, &align), MPD_ERR_BAD_CAPACITY);
    EXPECT(mpd_dissector_size(3, &size, &align), MPD_ERR_BAD_CAPACITY);
    EXPECT(mpd_dissector_size(UINT32_C(1) << 31, &size, &align), MPD_ERR_BAD_CAPACITY);
    EXPECT(mpd_dissector_size(64, NULL, &align), MPD_ERR_NULL);
    EXPECT(mpd_dissector_size(64, &size, NULL), MPD_ERR_NULL);
    EXPECT(mpd_dissector_size(64, &size, &align), MPD_OK);
    TRUE(align > 0 && (align & (align - 1)) == 0 && size % align == 0);

    /* mpd_dissector_init */
    unsigned char *raw = aligned_alloc(align, size + align);
    mpd_dissector *d = NULL;
    EXPECT(mpd_dissector_init(NULL, size, 64, seed, &d), MPD_ERR_NULL);
    EXPECT(mpd_dissector_init(raw, size, 64, NULL, &d), MPD_ERR_NULL);
    EXPECT(mpd_dissector_init(raw, size, 64, seed, NULL), MPD_ERR_NULL);
    EXPECT(mpd_dissector_init(raw + 1, size, 64, seed, &d), MPD_ERR_MISALIGNED);
    EXPECT(mpd_dissector_init(raw, size - 1, 64, seed, &d), MPD_ERR_TOO_SMALL);
    EXPECT(mpd_dissector_init(raw, size, 48, seed, &d), MPD_ERR_BAD_CAPACITY);
    TRUE(d == NULL);
    mpd_options bad = {.verify_tcp_checksum = 2};
    EXPECT(mpd_dissector_init_ex(raw, size, 64, seed, &bad, &d), MPD_ERR_BAD_OPTIONS);
    bad = (mpd_options){._reserved = {1}};
    EXPECT(mpd_dissector_init_ex(raw, size, 64, seed, &bad, &d), MPD_ERR_BAD_OPTIONS);
    bad = (mpd_options){.burst_pipeline_from = 31};
    EXPECT(mpd_dissector_init_ex(raw, size, 64, seed, &bad, &d), MPD_ERR_BAD_OPTIONS);
    bad = (mpd_options){.evict_hints_from = MPD_FROM_ALWAYS - 1};
    EXPECT(mpd_dissector_init_ex(raw, size, 64, seed, &bad, &d), MPD_ERR_BAD_OPTIONS);
    EXPECT(mpd_dissector_init_ex(raw, size, 64, seed, NULL, NULL), MPD_ERR_NULL);
    TRUE(d == NULL);
    const mpd_options opts = {.verify_tcp_checksum = 1, .dss_all_events = 1};
    EXPECT(mpd_dissector_init_ex(raw, size, 64, seed, &opts, &d), MPD_OK);
    TRUE((void *)d == (void *)raw);
    d = NULL;
    EXPECT(mpd_dissector_init(raw, size, 64, seed, &d), MPD_OK);
    TRUE((void *)d == (void *)raw);

    /* A block of another build is refused: the magic every build wrote
       before ABI 4 ("mpdissc2", the block's first 8 bytes). */
    {
        unsigned char own[8];
        mpd_stats st0;
        memcpy(own, raw, 8);
        TRUE(memcmp(own, "mpd", 3) == 0 && own[3] == MPD_ABI_VERSION);
        memcpy(raw, "mpdissc2", 8);
        EXPECT(mpd_stats_get(d, &st0), MPD_ERR_BAD_HANDLE);
        memcpy(raw, own, 8);
        EXPECT(mpd_stats_get(d, &st0), MPD_OK);
    }

    /* mpd_dissect */
    mpd_result r;
    EXPECT(mpd_dissect(NULL, syn, sizeof syn, 1, 0, &r), MPD_ERR_NULL);
    EXPECT(mpd_dissect((mpd_dissector *)(raw + 1), syn, sizeof syn, 1, 0, &r), MPD_ERR_MISALIGNED);
    /* Zeroed memory as large as a real block: the handle checks read its
       header, which is not at the start (a 4 KiB buffer was read past). */
    unsigned char *junk = aligned_alloc(64, (size + 63) / 64 * 64);
    TRUE(junk != NULL);
    memset(junk, 0, size);
    EXPECT(mpd_dissect((mpd_dissector *)junk, syn, sizeof syn, 1, 0, &r), MPD_ERR_BAD_HANDLE);
    /* A pointer that is not a handle is read for its first 16 bytes only:
       16 zero bytes at the end of a page, before 64 KiB of PROT_NONE (the
       magic was once 5120 bytes in: a segmentation fault). */
    {
        size_t page = (size_t)sysconf(_SC_PAGESIZE), guard = 64 << 10;
        unsigned char *map = mmap(NULL, page + guard, PROT_READ | PROT_WRITE,
                                  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        TRUE(map != MAP_FAILED && mprotect(map + page, guard, PROT_NONE) == 0);
        mpd_dissector *edge = (mpd_dissector *)(map + page - 16);
        mpd_stats est;
        mpd_conn_summary ec;
        EXPECT(mpd_dissect(edge, syn, sizeof syn, 1, 0, &r), MPD_ERR_BAD_HANDLE);
        EXPECT(mpd_stats_get(edge, &est), MPD_ERR_BAD_HANDLE);
        EXPECT(mpd_conn_get(edge, 1, &ec), MPD_ERR_BAD_HANDLE);
        EXPECT(mpd_reset(edge, seed), MPD_ERR_BAD_HANDLE);
        TRUE(munmap(map, page + guard) == 0);
    }
    EXPECT(mpd_dissect(d, NULL, sizeof syn, 1, 0, &r), MPD_ERR_NULL);
    EXPECT(mpd_dissect(d, syn, sizeof syn, 1, 0, NULL), MPD_ERR_NULL);
    EXPECT(mpd_dissect(d, syn, sizeof syn, 4242, 0, &r), MPD_ERR_BAD_LINKTYPE);
    EXPECT(mpd_dissect(d, syn, SIZE_MAX, 1, 0, &r), MPD_ERR_BAD_LENGTH);
    /* The frame dissected in place, and a result inside the handle. */
    mpd_result in_place;
    memcpy(&in_place, syn, sizeof syn);
    EXPECT(mpd_dissect(d, (const unsigned char *)&in_place, sizeof syn, 1, 0, &in_place),
           MPD_ERR_OVERLAP);
    EXPECT(mpd_dissect(d, syn, sizeof syn, 1, 0, (mpd_result *)raw), MPD_ERR_OVERLAP);
    EXPECT(mpd_dissect(d, NULL, 0, 1, 0, &r), MPD_OK);
    TRUE(r.kind == MPD_KIND_MALFORMED);
    EXPECT(mpd_dissect(d, syn, 20, 1, 0, &r), MPD_OK);
    TRUE(r.kind == MPD_KIND_MALFORMED);
    EXPECT(mpd_dissect(d, syn, sizeof syn, 1, 1000, &r), MPD_OK);
    TRUE(r.kind == MPD_KIND_MPTCP && r.subflow_id != 0 && r.conn_id == 0);
    TRUE(r.src_port == 40000 && r.dst_port == 80 && r.tcp_flags == 0x002);
    TRUE(r.src.family == 4 && r.src.port == 40000 && r.src.addr[0] == 10 && r.src.addr[3] == 1);
    TRUE(r.dst.family == 4 && r.dst.port == 80 && r.dst.addr[3] == 2);

    /* mpd_dissect_burst: arguments checked first; a burst of the same SYN
     * (on a fresh handle) gives what mpd_dissect gave */
    mpd_frame fr[2] = {{syn, sizeof syn, 1000}, {NULL, 4, 0}};
    mpd_result rs[2];
    EXPECT(mpd_dissect_burst(NULL, fr, 1, 1, rs), MPD_ERR_NULL);
    EXPECT(mpd_dissect_burst(d, NULL, 1, 1, rs), MPD_ERR_NULL);
    EXPECT(mpd_dissect_burst(d, fr, 1, 1, NULL), MPD_ERR_NULL);
    EXPECT(mpd_dissect_burst(d, fr, 2, 1, rs), MPD_ERR_NULL);
    EXPECT(mpd_dissect_burst(d, fr, 1, 4242, rs), MPD_ERR_BAD_LINKTYPE);
    EXPECT(mpd_dissect_burst(d, NULL, 0, 1, NULL), MPD_OK);
    {
        alignas(64) static unsigned char raw2[1 << 20];
        mpd_dissector *d2 = NULL;
        EXPECT(mpd_dissector_init(raw2, sizeof raw2, 64, seed, &d2), MPD_OK);
        EXPECT(mpd_dissect_burst(d2, fr, 1, 1, rs), MPD_OK);
        TRUE(rs[0].kind == MPD_KIND_MPTCP && rs[0].subflow_id == r.subflow_id);
        TRUE(rs[0].src_port == 40000 && rs[0].dst_port == 80 && rs[0].n_events == r.n_events);
    }
    /* mpd_dissect_burst_part: `done` checked before any frame is
     * dissected and written only with MPD_OK; the same SYN on another
     * fresh handle gives the same result */
    {
        alignas(64) static unsigned char raw3[1 << 20];
        mpd_dissector *d3 = NULL;
        size_t done = 7;
        EXPECT(mpd_dissector_init(raw3, sizeof raw3, 64, seed, &d3), MPD_OK);
        EXPECT(mpd_dissect_burst_part(d3, fr, 1, 1, NULL, rs, NULL), MPD_ERR_NULL);
        EXPECT(mpd_dissect_burst_part(d3, fr, 2, 1, NULL, rs, &done), MPD_ERR_NULL);
        TRUE(done == 7);
        EXPECT(mpd_dissect_burst_part(d3, fr, 1, 1, NULL, rs, &done), MPD_OK);
        TRUE(done == 1 && rs[0].kind == MPD_KIND_MPTCP && rs[0].subflow_id == r.subflow_id);
        EXPECT(mpd_dissect_burst_part(d3, NULL, 0, 1, NULL, NULL, &done), MPD_OK);
        TRUE(done == 0);
    }

    /* lookups */
    mpd_subflow_summary s;
    EXPECT(mpd_subflow_get(d, r.subflow_id, &s), MPD_OK);
    TRUE(s.src.family == 4 && s.src.port == 40000 && s.state == 1 && s.syn_ts == 1000);
    TRUE(s.verdict == MPD_VERDICT_MPTCP && s.mirror_evidence == 0 && s.dss_valid == 0);
    EXPECT(mpd_subflow_get(d, r.subflow_id + 1, &s), MPD_ERR_NOT_FOUND);
    EXPECT(mpd_subflow_get(d, 0, &s), MPD_ERR_NOT_FOUND);
    EXPECT(mpd_subflow_get(d, r.subflow_id, NULL), MPD_ERR_NULL);
    EXPECT(mpd_subflow_get(NULL, r.subflow_id, &s), MPD_ERR_NULL);
    mpd_conn_summary c;
    EXPECT(mpd_conn_get(d, 0, &c), MPD_ERR_NOT_FOUND);
    EXPECT(mpd_conn_get(d, 1, &c), MPD_ERR_NOT_FOUND);
    EXPECT(mpd_conn_get(d, 1, NULL), MPD_ERR_NULL);
    EXPECT(mpd_conn_get((mpd_dissector *)junk, 1, &c), MPD_ERR_BAD_HANDLE);
    uint32_t cur = 0;
    EXPECT(mpd_conn_next(d, &cur, &c), MPD_ERR_NOT_FOUND);
    EXPECT(mpd_conn_next(d, NULL, &c), MPD_ERR_NULL);
    EXPECT(mpd_subflow_next(d, &cur, &s), MPD_OK);
    EXPECT(mpd_subflow_next(d, &cur, &s), MPD_ERR_NOT_FOUND);
    mpd_removed g;
    EXPECT(mpd_removed_get(d, 0, &g), MPD_ERR_NOT_FOUND);
    EXPECT(mpd_removed_get(d, 0, NULL), MPD_ERR_NULL);
    mpd_stats st;
    EXPECT(mpd_stats_get(d, &st), MPD_OK);
    TRUE(st.packets == 3 && st.mptcp == 1 && st.subflows == 1 && st.malformed == 2);
    EXPECT(mpd_stats_get(d, NULL), MPD_ERR_NULL);
    EXPECT(mpd_stats_get(NULL, &st), MPD_ERR_NULL);
    /* An out pointer inside the handle's block (raw) is refused before
       anything is written: the live subflow and the counters read back the
       same, and the cursor is not advanced. */
    {
        mpd_subflow_summary s0 = s, s1;
        mpd_stats st1;
        uint32_t c0 = 0;
        size_t done = 7;
        EXPECT(mpd_removed_get(d, 0, (mpd_removed *)raw), MPD_ERR_OVERLAP);
        EXPECT(mpd_conn_get(d, 1, (mpd_conn_summary *)raw), MPD_ERR_OVERLAP);
        EXPECT(mpd_subflow_get(d, r.subflow_id, (mpd_subflow_summary *)(raw + size - 8)),
               MPD_ERR_OVERLAP);
        EXPECT(mpd_conn_next(d, &c0, (mpd_conn_summary *)(raw + size / 128 * 64)),
               MPD_ERR_OVERLAP);
        EXPECT(mpd_subflow_next(d, &c0, (mpd_subflow_summary *)raw), MPD_ERR_OVERLAP);
        EXPECT(mpd_subflow_next(d, (uint32_t *)(raw + 64), &s1), MPD_ERR_OVERLAP);
        EXPECT(mpd_subflow_next(d, (uint32_t *)&s1.rtt_us, &s1), MPD_ERR_OVERLAP);
        EXPECT(mpd_stats_get(d, (mpd_stats *)(raw + 128)), MPD_ERR_OVERLAP);
        EXPECT(mpd_dissect_burst_part(d, fr, 1, 1, NULL, rs, (size_t *)(raw + 64)),
               MPD_ERR_OVERLAP);
        EXPECT(mpd_dissect_burst_part(d, fr, 1, 1, NULL, rs, (size_t *)&rs[0].conn_id),
               MPD_ERR_OVERLAP);
        EXPECT(mpd_dissector_init(raw, size, 64, seed, (mpd_dissector **)(raw + 8)),
               MPD_ERR_OVERLAP);
        TRUE(c0 == 0 && done == 7);
        EXPECT(mpd_subflow_get(d, r.subflow_id, &s1), MPD_OK);
        TRUE(memcmp(&s0, &s1, sizeof s1) == 0);
        EXPECT(mpd_stats_get(d, &st1), MPD_OK);
        TRUE(memcmp(&st, &st1, sizeof st1) == 0 && st1.packets == 3);
    }

    /* peek */
    mpd_peek_info pi, pi2;
    EXPECT(mpd_peek(syn, sizeof syn, 1, seed, NULL), MPD_ERR_NULL);
    EXPECT(mpd_peek(syn, sizeof syn, 1, NULL, &pi), MPD_ERR_NULL);
    EXPECT(mpd_peek(NULL, 5, 1, seed, &pi), MPD_ERR_NULL);
    EXPECT(mpd_peek(syn, sizeof syn, 0xdead, seed, &pi), MPD_ERR_BAD_LINKTYPE);
    EXPECT(mpd_peek(syn, SIZE_MAX, 1, seed, &pi), MPD_ERR_BAD_LENGTH);
    EXPECT(mpd_peek(syn, sizeof syn, 1, seed, &pi), MPD_OK);
    TRUE(pi.is_tcp == 1 && pi.is_join_syn == 0 && pi.has_capable == 1 && pi.flow_hash != 0);
    /* the reply direction hashes alike */
    uint8_t rev[sizeof syn];
    memcpy(rev, syn, sizeof syn);
    memcpy(rev + 26, syn + 30, 4);
    memcpy(rev + 30, syn + 26, 4);
    memcpy(rev + 34, syn + 36, 2);
    memcpy(rev + 36, syn + 34, 2);
    EXPECT(mpd_peek(rev, sizeof rev, 1, seed, &pi2), MPD_OK);
    TRUE(pi2.flow_hash == pi.flow_hash);

    /* panic -> MPD_ERR_PANIC, then poisoned until reset */
    EXPECT(mpd_test_panic(d), MPD_ERR_PANIC);
    EXPECT(mpd_dissect(d, syn, sizeof syn, 1, 2000, &r), MPD_ERR_POISONED);
    EXPECT(mpd_stats_get(d, &st), MPD_ERR_POISONED);
    EXPECT(mpd_reset(d, NULL), MPD_ERR_NULL);
    EXPECT(mpd_reset(NULL, seed), MPD_ERR_NULL);
    EXPECT(mpd_reset((mpd_dissector *)junk, seed), MPD_ERR_BAD_HANDLE);
    EXPECT(mpd_reset(d, seed), MPD_OK);
    EXPECT(mpd_stats_get(d, &st), MPD_OK);
    TRUE(st.packets == 0 && st.subflows == 0);
    EXPECT(mpd_subflow_get(d, s.id, &s), MPD_ERR_NOT_FOUND); /* stale after reset */
    EXPECT(mpd_dissect(d, syn, sizeof syn, 1, 3000, &r), MPD_OK);
    TRUE(r.kind == MPD_KIND_MPTCP);

    free(junk);
    free(raw);
    if (failures) {
        fprintf(stderr, "test_status: %d failure(s)\n", failures);
        return 1;
    }
    printf("test_status: all status-code paths OK\n");
    return 0;
}
