/*
 * mpd_conns: read a pcap with libpcap, run every frame through the
 * mptcp-dissect C ABI and print one JSON object per MPTCP connection, with
 * the keys and values of `mpdissect conns` (tests/compare.py compares them).
 *
 *   mpd_conns [--capacity N] FILE.pcap
 *
 * Like the CLI it keeps what left the tables during the run (connections
 * and subflows removed by eviction or expiry, via mpd_removed_get) and the
 * ADD_ADDR advertisements (from events), then adds what is still live.
 * The middlebox analysis (verdict, evidence, DSS verdicts, MP_FAIL
 * correlation, TCP checksum errors) is accumulated from events exactly as
 * the CLI does (so it survives eviction), with the CLI's options: TCP
 * checksums verified, every mapping verdict reported. Handshakes that
 * never became a connection (mirrored, stripped, plain TCP) are printed
 * after the connections as objects with "id": null, ordered by the CLI's
 * key ("plain CLIENT SERVER" / "subflow BITS", compared as strings).
 * Plain C11; the dissector's memory is one aligned_alloc'd block.
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mptcp_dissect.h"

struct addr_adv {
    uint8_t id;
    mpd_endpoint ep;
    uint8_t has_port, class_, hmac;
};

struct mp_fail {
    uint64_t dsn;
    uint32_t match; /* MPD_MP_FAIL_*, 0: no MP_FAIL_MATCHED event */
};

/* Middlebox analysis of a connection or handshake, from events. */
struct analysis {
    uint64_t valid, invalid, unverifiable, not_negotiated;
    uint64_t reasons[8]; /* by MPD_DSS_REASON_* */
    uint64_t incomplete; /* mappings open when their subflow left (dss_pending) */
    uint64_t *invalid_dsns;
    size_t n_invalid, cap_invalid;
    uint64_t invalid_tcp_verified;
    struct mp_fail *fails;
    size_t n_fails, cap_fails;
    uint64_t tcp_checksum_errors, key_mismatch;
    uint8_t mirror, strip, infinite;
};

struct record {
    int used, has_conn;
    mpd_conn_summary conn;
    mpd_subflow_summary *subs;
    size_t n_subs, cap_subs;
    struct addr_adv *adds;
    size_t n_adds, cap_adds;
    struct analysis an;
};

/* A handshake without a connection (the CLI's `Handshake`). */
struct handshake {
    char key[160];
    mpd_endpoint client, server;
    int offered;
    struct analysis an;
};
static struct handshake *hss;
static size_t n_hss, cap_hss;
/* TCP checksum errors of subflows without a connection yet, by subflow id. */
static struct {
    uint64_t sub;
    uint64_t n;
} *pending;
static size_t n_pending, cap_pending;

static struct record *recs;
static size_t n_recs;
/* connection id -> serial, from NEW_CONNECTION events */
static struct {
    uint64_t id;
    uint32_t serial;
} *serial_of;
static size_t n_serial, cap_serial;

/* TCP-timestamp RTT statistics per subflow id, as last read after one of
 * its packets (a removed subflow's summary has none, so they are kept here,
 * as `mpdissect conns` keeps them). */
static struct ts_entry {
    uint64_t sub;
    uint32_t min_us[2], avg_us[2], samples[2];
} *ts_cache;
static size_t n_ts, cap_ts;

static void *grow(void *p, size_t *cap, size_t need, size_t elem);

static struct ts_entry *ts_find(uint64_t sub)
{
    for (size_t i = 0; i < n_ts; i++)
        if (ts_cache[i].sub == sub)
            return &ts_cache[i];
    return NULL;
}

static void ts_note(const mpd_subflow_summary *s)
{
    struct ts_entry *e = ts_find(s->id);
    if (!e) {
        if (!s->ts_rtt_samples[0] && !s->ts_rtt_samples[1])
            return;
        ts_cache = grow(ts_cache, &cap_ts, n_ts + 1, sizeof *ts_cache);
        e = &ts_cache[n_ts++];
        e->sub = s->id;
    }
    memcpy(e->min_us, s->ts_rtt_min_us, sizeof e->min_us);
    memcpy(e->avg_us, s->ts_rtt_avg_us, sizeof e->avg_us);
    memcpy(e->samples, s->ts_rtt_samples, sizeof e->samples);
}

static void *grow(void *p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return p;
    size_t n = *cap ? *cap * 2 : 16;
    while (n < need)
        n *= 2;
    void *q = realloc(p, n * elem);
    if (!q) {
        fprintf(stderr, "out of memory\n");
        exit(2);
    }
    memset((char *)q + *cap * elem, 0, (n - *cap) * elem);
    *cap = n;
    return q;
}

static struct record *rec(uint32_t serial)
{
    static size_t cap_recs;
    recs = grow(recs, &cap_recs, (size_t)serial + 1, sizeof *recs);
    if (serial >= n_recs)
        n_recs = (size_t)serial + 1;
    recs[serial].used = 1;
    return &recs[serial];
}

static int lookup_serial(uint64_t conn_id, uint32_t *serial)
{
    for (size_t i = n_serial; i-- > 0;)
        if (serial_of[i].id == conn_id) {
            *serial = serial_of[i].serial;
            return 1;
        }
    return 0;
}

static void put_subflow(const mpd_subflow_summary *s)
{
    uint32_t serial;
    if (!s->conn_id || !lookup_serial(s->conn_id, &serial))
        return;
    struct record *r = rec(serial);
    /* Mappings still open when the subflow left the table or the trace
     * ended: unverifiable, reason "incomplete" (as the CLI). */
    r->an.unverifiable += s->dss_pending;
    r->an.incomplete += s->dss_pending;
    for (size_t i = 0; i < r->n_subs; i++)
        if (r->subs[i].id == s->id) {
            r->an.unverifiable -= r->subs[i].dss_pending;
            r->an.incomplete -= r->subs[i].dss_pending;
            r->subs[i] = *s;
            return;
        }
    r->subs = grow(r->subs, &r->cap_subs, r->n_subs + 1, sizeof *r->subs);
    r->subs[r->n_subs++] = *s;
}

static void an_mapping(struct analysis *a, const mpd_event *e)
{
    switch (e->reason) {
    case MPD_DSS_VALID:
        a->valid++;
        break;
    case MPD_DSS_INVALID:
        a->invalid++;
        a->invalid_dsns = grow(a->invalid_dsns, &a->cap_invalid, a->n_invalid + 1,
                               sizeof *a->invalid_dsns);
        a->invalid_dsns[a->n_invalid++] = e->value;
        a->invalid_tcp_verified += e->tcp_verified;
        break;
    default:
        if (e->dss_reason == MPD_DSS_REASON_NOT_NEGOTIATED) {
            a->not_negotiated++;
        } else {
            a->unverifiable++;
            if (e->dss_reason == MPD_DSS_REASON_INFINITE_MAPPING)
                a->infinite = 1;
            if (e->dss_reason < sizeof a->reasons / sizeof a->reasons[0])
                a->reasons[e->dss_reason]++;
        }
    }
}

static void an_free(struct analysis *a)
{
    free(a->invalid_dsns);
    free(a->fails);
}

/* The CLI's MiddleboxVerdict::from_evidence. */
static uint8_t an_verdict(const struct analysis *a, int failed)
{
    if (a->mirror)
        return MPD_VERDICT_MIRRORED;
    if (a->strip)
        return MPD_VERDICT_STRIPPED;
    if (failed || a->infinite)
        return MPD_VERDICT_FALLBACK_AFTER_FAIL;
    return MPD_VERDICT_MPTCP;
}

static void print_ip(const mpd_endpoint *e)
{
    char buf[INET6_ADDRSTRLEN];
    inet_ntop(e->family == 4 ? AF_INET : AF_INET6, e->addr, buf, sizeof buf);
    fputs(buf, stdout);
}

static void print_sock(const mpd_endpoint *e)
{
    putchar('"');
    if (e->family == 6)
        putchar('[');
    print_ip(e);
    if (e->family == 6)
        putchar(']');
    printf(":%u\"", e->port);
}

/* Rust's SocketAddr Display, into buf. */
static void sock_str(char *buf, size_t n, const mpd_endpoint *e)
{
    char ip[INET6_ADDRSTRLEN];
    inet_ntop(e->family == 6 ? AF_INET6 : AF_INET, e->addr, ip, sizeof ip);
    snprintf(buf, n, e->family == 6 ? "[%s]:%u" : "%s:%u", ip, e->port);
}

static struct handshake *hs_entry(const char *key, const mpd_endpoint *c, const mpd_endpoint *s,
                                  int offered)
{
    for (size_t i = 0; i < n_hss; i++)
        if (strcmp(hss[i].key, key) == 0)
            return &hss[i];
    hss = grow(hss, &cap_hss, n_hss + 1, sizeof *hss);
    struct handshake *h = &hss[n_hss++];
    snprintf(h->key, sizeof h->key, "%s", key);
    h->client = *c;
    h->server = *s;
    h->offered = offered;
    return h;
}

static struct handshake *hs_subflow(uint64_t subflow_id, int has_ends, const mpd_endpoint *c,
                                    const mpd_endpoint *s)
{
    static const mpd_endpoint zero = {.family = 4};
    char key[64];
    snprintf(key, sizeof key, "subflow %" PRIu64, subflow_id - 1);
    return hs_entry(key, has_ends ? c : &zero, has_ends ? s : &zero, 1);
}

static uint64_t *pending_of(uint64_t sub)
{
    for (size_t i = 0; i < n_pending; i++)
        if (pending[i].sub == sub)
            return &pending[i].n;
    pending = grow(pending, &cap_pending, n_pending + 1, sizeof *pending);
    pending[n_pending].sub = sub;
    return &pending[n_pending++].n;
}

static void print_bits(uint8_t bits, const char *(*name)(uint8_t))
{
    putchar('[');
    for (int b = 1, first = 1; b < 256; b <<= 1)
        if (bits & b) {
            printf("%s\"%s\"", first ? "" : ",", name((uint8_t)b));
            first = 0;
        }
    putchar(']');
}

static const char *hmac_str(uint8_t h)
{
    switch (h) {
    case MPD_HMAC_VALID: return "\"valid\"";
    case MPD_HMAC_INVALID: return "\"invalid\"";
    case MPD_HMAC_UNVERIFIABLE: return "\"unverifiable\"";
    default: return "null";
    }
}

static const char *end_str(uint8_t e)
{
    switch (e) {
    case MPD_CONN_OPEN: return "open";
    case MPD_CONN_DATA_FIN: return "data_fin";
    case MPD_CONN_FASTCLOSE: return "fastclose";
    case MPD_CONN_RST: return "rst";
    case MPD_CONN_FIN_ONLY: return "fin_only";
    default: return "evicted";
    }
}

static int cmp_sub(const void *a, const void *b)
{
    uint64_t x = ((const mpd_subflow_summary *)a)->id, y = ((const mpd_subflow_summary *)b)->id;
    return x < y ? -1 : x > y;
}

static void opt_u64(const char *key, int has, uint64_t v)
{
    if (has)
        printf("\"%s\":%" PRIu64 ",", key, v);
    else
        printf("\"%s\":null,", key);
}

static void print_record(uint32_t serial, struct record *r)
{
    const mpd_conn_summary *c = &r->conn;
    printf("{\"id\":%" PRIu32 ",\"version\":%u,\"client\":", serial, c->version);
    print_sock(&c->client);
    printf(",\"server\":");
    print_sock(&c->server);
    putchar(',');
    opt_u64("client_key", c->has_client_key, c->client_key);
    printf("\"server_key\":%" PRIu64 ",", c->server_key);
    opt_u64("client_token", c->has_client_key, c->client_token);
    printf("\"server_token\":%" PRIu32 ",", c->server_token);
    opt_u64("client_idsn", c->has_client_key, c->client_idsn);
    printf("\"server_idsn\":%" PRIu64 ",\"checksum\":%s,\"subflows\":[", c->server_idsn,
           c->checksum ? "true" : "false");
    if (r->n_subs)
        qsort(r->subs, r->n_subs, sizeof *r->subs, cmp_sub);
    for (size_t i = 0; i < r->n_subs; i++) {
        const mpd_subflow_summary *s = &r->subs[i];
        printf("%s{\"src\":\"", i ? "," : "");
        print_ip(&s->src);
        printf("\",\"dst\":\"");
        print_ip(&s->dst);
        printf("\",\"sport\":%u,\"dport\":%u,\"join\":%s,\"backup\":%s,\"addr_id\":%u,"
               "\"syn_ts\":%.17g,\"established\":%s,\"bytes_c2s\":%" PRIu64
               ",\"bytes_s2c\":%" PRIu64 ",",
               s->src.port, s->dst.port, s->kind == MPD_SUBFLOW_JOIN ? "true" : "false",
               s->backup ? "true" : "false", s->addr_id, (double)s->syn_ts / 1e9,
               s->established ? "true" : "false", s->bytes_c2s, s->bytes_s2c);
        if (s->has_rtt)
            printf("\"rtt_ms\":%.17g,", (double)s->rtt_us / 1000.0);
        else
            printf("\"rtt_ms\":null,");
        const struct ts_entry *t = ts_find(s->id);
        static const char *const dir[2] = {"c2s", "s2c"};
        for (int k = 0; k < 2; k++) {
            if (t && t->samples[k])
                printf("\"ts_rtt_min_ms_%s\":%.17g,\"ts_rtt_avg_ms_%s\":%.17g,"
                       "\"ts_rtt_samples_%s\":%" PRIu32 ",",
                       dir[k], (double)t->min_us[k] / 1000.0, dir[k],
                       (double)t->avg_us[k] / 1000.0, dir[k], t->samples[k]);
            else
                printf("\"ts_rtt_min_ms_%s\":null,\"ts_rtt_avg_ms_%s\":null,"
                       "\"ts_rtt_samples_%s\":null,",
                       dir[k], dir[k], dir[k]);
        }
        printf("\"hmac\":%s,\"end\":\"%s\"}", hmac_str(s->hmac),
               s->end == MPD_SUBFLOW_FIN ? "fin" : s->end == MPD_SUBFLOW_RST ? "rst" : "open");
    }
    printf("],\"add_addr\":[");
    for (size_t i = 0; i < r->n_adds; i++) {
        const struct addr_adv *a = &r->adds[i];
        printf("%s{\"id\":%u,\"ip\":\"", i ? "," : "", a->id);
        print_ip(&a->ep);
        printf("\",");
        if (a->has_port)
            printf("\"port\":%u,", a->ep.port);
        else
            printf("\"port\":null,");
        printf("\"class\":\"%s\",\"hmac\":%s}", mpd_addr_class_str(a->class_), hmac_str(a->hmac));
    }
    printf("],\"remove_addr\":%u,\"mp_prio\":%u,\"mp_fail\":%u,\"fastclose\":%s,",
           c->remove_addr, c->mp_prio, c->mp_fail, c->fastclose ? "true" : "false");
    opt_u64("data_fin_c2s", c->has_data_fin_c2s, c->data_fin_c2s);
    opt_u64("data_fin_s2c", c->has_data_fin_s2c, c->data_fin_s2c);
    printf("\"reinjected_c2s\":%" PRIu64 ",\"reinjected_s2c\":%" PRIu64 ",\"end\":\"%s\",",
           c->reinjected_c2s, c->reinjected_s2c, end_str(c->end));
    const struct analysis *a = &r->an;
    printf("\"verdict\":\"%s\",\"mirror_evidence\":", mpd_verdict_str(an_verdict(a, c->mp_fail > 0)));
    print_bits(a->mirror, mpd_mirror_evidence_str);
    printf(",\"strip_evidence\":");
    print_bits(a->strip, mpd_strip_evidence_str);
    printf(",\"dss\":{\"valid\":%" PRIu64 ",\"invalid\":%" PRIu64 ",\"unverifiable\":%" PRIu64
           ",\"not_negotiated\":%" PRIu64 "},\"dss_unverifiable_reasons\":{",
           a->valid, a->invalid, a->unverifiable, a->not_negotiated);
    /* The CLI's BTreeMap: reason names in byte order ("incomplete", the
     * CLI's own, is INCOMPLETE here). */
    enum { INCOMPLETE = 0xff };
    static const uint8_t by_name[] = {MPD_DSS_REASON_GAP, INCOMPLETE,
                                      MPD_DSS_REASON_INFINITE_MAPPING,
                                      MPD_DSS_REASON_MISSING_CHECKSUM,
                                      MPD_DSS_REASON_NOT_NEGOTIATED,
                                      MPD_DSS_REASON_OVERLAPPING_MAPPING, MPD_DSS_REASON_TRUNCATED,
                                      MPD_DSS_REASON_UNKNOWN_DSN};
    for (size_t i = 0, first = 1; i < sizeof by_name; i++) {
        uint64_t n = by_name[i] == INCOMPLETE ? a->incomplete : a->reasons[by_name[i]];
        if (n) {
            printf("%s\"%s\":%" PRIu64, first ? "" : ",",
                   by_name[i] == INCOMPLETE ? "incomplete" : mpd_dss_reason_str(by_name[i]), n);
            first = 0;
        }
    }
    printf("},\"invalid_dsns\":[");
    for (size_t i = 0; i < a->n_invalid; i++)
        printf("%s%" PRIu64, i ? "," : "", a->invalid_dsns[i]);
    printf("],\"invalid_tcp_verified\":%" PRIu64 ",\"mp_fail_dsns\":[", a->invalid_tcp_verified);
    for (size_t i = 0; i < a->n_fails; i++)
        printf("%s%" PRIu64, i ? "," : "", a->fails[i].dsn);
    printf("],\"mp_fail_match\":[");
    for (size_t i = 0; i < a->n_fails; i++) {
        uint32_t m = a->fails[i].match;
        printf("%s\"%s\"", i ? "," : "",
               m == MPD_MP_FAIL_FLAGGED       ? "flagged"
               : m == MPD_MP_FAIL_NOT_FLAGGED ? "not_flagged"
               : m == MPD_MP_FAIL_ECHO        ? "echo"
                                              : "unknown");
    }
    printf("],\"tcp_checksum_errors\":%" PRIu64 ",\"key_mismatch\":%" PRIu64 "}\n",
           a->tcp_checksum_errors, a->key_mismatch);
}

static void print_handshake(const struct handshake *h)
{
    printf("{\"id\":null,\"client\":");
    print_sock(&h->client);
    printf(",\"server\":");
    print_sock(&h->server);
    printf(",\"verdict\":\"%s\",\"mirror_evidence\":",
           mpd_verdict_str(h->offered ? an_verdict(&h->an, 0) : MPD_VERDICT_PLAIN_TCP));
    print_bits(h->an.mirror, mpd_mirror_evidence_str);
    printf(",\"strip_evidence\":");
    print_bits(h->an.strip, mpd_strip_evidence_str);
    printf(",\"tcp_checksum_errors\":%" PRIu64 "}\n", h->an.tcp_checksum_errors);
}

static int cmp_hs(const void *a, const void *b)
{
    return strcmp(((const struct handshake *)a)->key, ((const struct handshake *)b)->key);
}

static void check(mpd_status s, const char *what)
{
    if (s != MPD_OK) {
        fprintf(stderr, "%s: %s\n", what, mpd_status_str(s));
        exit(1);
    }
}

int main(int argc, char **argv)
{
    uint32_t capacity = 4096; /* mpdissect conns' default */
    int argi = 1;
    if (argc == 4 && strcmp(argv[1], "--capacity") == 0) {
        unsigned long c = strtoul(argv[2], NULL, 10);
        capacity = 1;
        while (capacity < c && capacity < MPD_MAX_CAPACITY)
            capacity <<= 1;
        argi = 3;
    }
    if (argc != argi + 1) {
        fprintf(stderr, "usage: %s [--capacity N] FILE.pcap\n", argv[0]);
        return 2;
    }
    char err[PCAP_ERRBUF_SIZE];
    pcap_t *p = pcap_open_offline(argv[argi], err);
    if (!p) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    uint32_t linktype = (uint32_t)pcap_datalink(p);

    /* Ask the size, provide aligned memory, init in place; no free function. */
    size_t size, align;
    check(mpd_dissector_size(capacity, &size, &align), "mpd_dissector_size");
    void *mem = aligned_alloc(align, (size + align - 1) / align * align);
    if (!mem)
        return 2;
    /* A secret seed for the tables' hash (results do not depend on it): a
     * seed known in advance lets crafted traffic crowd one region of the
     * index, which every lookup homed there then walks. */
    uint8_t seed[16];
    FILE *rnd = fopen("/dev/urandom", "rb");
    if (!rnd || fread(seed, 1, sizeof seed, rnd) != sizeof seed) {
        fprintf(stderr, "mpd_conns: cannot read /dev/urandom\n");
        return 1;
    }
    fclose(rnd);
    /* The CLI's options: TCP checksums verified, every mapping reported. */
    const mpd_options opts = {.verify_tcp_checksum = 1, .dss_all_events = 1};
    mpd_dissector *d;
    check(mpd_dissector_init_ex(mem, size, capacity, seed, &opts, &d), "mpd_dissector_init_ex");

    struct pcap_pkthdr *hdr;
    const u_char *data;
    int rc;
    mpd_result res;
    while ((rc = pcap_next_ex(p, &hdr, &data)) == 1) {
        /* The CLI's clock: seconds as a double, times 1e9, truncated. */
        double ts = (double)hdr->ts.tv_sec + (double)hdr->ts.tv_usec / 1e6;
        uint64_t now = (uint64_t)(ts * 1e9);
        mpd_status s = mpd_dissect(d, data, hdr->caplen, linktype, now, &res);
        if (s == MPD_ERR_BAD_LINKTYPE)
            continue; /* as the CLI: frames of unsupported links are skipped */
        check(s, "mpd_dissect");
        if (res.subflow_id) {
            mpd_subflow_summary ss;
            if (mpd_subflow_get(d, res.subflow_id, &ss) == MPD_OK)
                ts_note(&ss);
        }
        /* Endpoints of this segment's subflow as (client, server). */
        int has_ends = res.kind == MPD_KIND_TCP || res.kind == MPD_KIND_MPTCP;
        const mpd_endpoint *cli = res.role == MPD_ROLE_S2C ? &res.dst : &res.src;
        const mpd_endpoint *srv = res.role == MPD_ROLE_S2C ? &res.src : &res.dst;
        /* A TCP SYN that offered no MPTCP: plain TCP. */
        if (res.kind == MPD_KIND_TCP && !res.subflow_id && (res.tcp_flags & 0x12) == 0x02) {
            char key[160], a[64], b[64];
            sock_str(a, sizeof a, cli);
            sock_str(b, sizeof b, srv);
            snprintf(key, sizeof key, "plain %s %s", a, b);
            hs_entry(key, cli, srv, 0);
        }
        if (res.conn_id && res.subflow_id && n_pending) {
            for (size_t j = 0; j < n_pending; j++)
                if (pending[j].sub == res.subflow_id) {
                    rec(res.conn_serial)->an.tcp_checksum_errors += pending[j].n;
                    pending[j].n = 0;
                }
        }
        for (uint32_t i = 0; i < res.n_events; i++) {
            const mpd_event *e = &res.events[i];
            struct analysis *an;
            switch (e->kind) {
            case MPD_EVENT_MAPPING:
                an_mapping(&rec(e->conn_serial)->an, e);
                break;
            case MPD_EVENT_TCP_CHECKSUM_BAD:
                if (res.conn_id)
                    rec(res.conn_serial)->an.tcp_checksum_errors++;
                else
                    ++*pending_of(e->subflow_id);
                break;
            case MPD_EVENT_MP_FAIL:
                an = &rec(e->conn_serial)->an;
                an->fails = grow(an->fails, &an->cap_fails, an->n_fails + 1, sizeof *an->fails);
                an->fails[an->n_fails++] = (struct mp_fail){e->value, 0};
                break;
            case MPD_EVENT_MP_FAIL_MATCHED:
                an = &rec(e->conn_serial)->an;
                for (size_t j = an->n_fails; j-- > 0;)
                    if (an->fails[j].dsn == e->value) {
                        an->fails[j].match = e->reason;
                        break;
                    }
                break;
            case MPD_EVENT_KEY_MISMATCH:
                rec(e->conn_serial)->an.key_mismatch++;
                break;
            case MPD_EVENT_MIRRORED:
            case MPD_EVENT_STRIPPED:
                an = e->conn_id ? &rec(e->conn_serial)->an
                                : &hs_subflow(e->subflow_id, has_ends, cli, srv)->an;
                if (e->kind == MPD_EVENT_MIRRORED)
                    an->mirror |= e->evidence;
                else
                    an->strip |= e->evidence;
                break;
            default:
                break;
            }
            if (e->kind == MPD_EVENT_NEW_CONNECTION) {
                serial_of = grow(serial_of, &cap_serial, n_serial + 1, sizeof *serial_of);
                serial_of[n_serial].id = e->conn_id;
                serial_of[n_serial++].serial = e->conn_serial;
                rec(e->conn_serial);
            } else if (e->kind == MPD_EVENT_ADDR_ADVERTISED && !e->echo) {
                struct record *r = rec(e->conn_serial);
                r->adds = grow(r->adds, &r->cap_adds, r->n_adds + 1, sizeof *r->adds);
                r->adds[r->n_adds++] = (struct addr_adv){e->addr_id, e->addr, e->has_port,
                                                         e->addr_class, e->hmac};
            }
        }
        for (uint32_t i = 0; i < res.n_removed; i++) {
            mpd_removed g;
            check(mpd_removed_get(d, i, &g), "mpd_removed_get");
            if (g.table == MPD_TABLE_CONNECTION) {
                struct record *r = rec(g.conn.serial);
                r->conn = g.conn;
                r->has_conn = 1;
            } else {
                put_subflow(&g.subflow);
            }
        }
    }
    if (rc == -1) {
        fprintf(stderr, "%s: %s\n", argv[argi], pcap_geterr(p));
        return 1;
    }
    uint32_t cur = 0;
    mpd_conn_summary c;
    while (mpd_conn_next(d, &cur, &c) == MPD_OK) {
        struct record *r = rec(c.serial);
        r->conn = c;
        r->has_conn = 1;
    }
    cur = 0;
    mpd_subflow_summary s;
    while (mpd_subflow_next(d, &cur, &s) == MPD_OK)
        put_subflow(&s);
    /* Checksum errors of subflows that never got a connection. */
    for (size_t i = 0; i < n_pending; i++) {
        if (!pending[i].n)
            continue;
        char key[64];
        snprintf(key, sizeof key, "subflow %" PRIu64, pending[i].sub - 1);
        for (size_t j = 0; j < n_hss; j++)
            if (strcmp(hss[j].key, key) == 0)
                hss[j].an.tcp_checksum_errors += pending[i].n;
    }
    for (size_t i = 0; i < n_recs; i++) {
        if (recs[i].used && recs[i].has_conn)
            print_record((uint32_t)i, &recs[i]);
        free(recs[i].subs);
        free(recs[i].adds);
        an_free(&recs[i].an);
    }
    if (n_hss) /* qsort wants a non-null base */
        qsort(hss, n_hss, sizeof *hss, cmp_hs);
    for (size_t i = 0; i < n_hss; i++) {
        print_handshake(&hss[i]);
        an_free(&hss[i].an);
    }
    free(hss);
    free(pending);
    free(recs);
    free(ts_cache);
    free(serial_of);
    free(mem);
    pcap_close(p);
    return 0;
}
