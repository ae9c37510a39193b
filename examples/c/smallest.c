/* The smallest working use of the mptcp-dissect C ABI (the README's example):
 * memory from the caller, init in place, one call per frame, read events.
 *   cc -std=c11 -D_DEFAULT_SOURCE smallest.c $(pkg-config --cflags --libs mptcp-dissect) -lpcap */
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/random.h>

#include "mptcp_dissect.h"

int main(int argc, char **argv)
{
    char err[PCAP_ERRBUF_SIZE];
    pcap_t *p = argc == 2 ? pcap_open_offline(argv[1], err) : NULL;
    if (!p)
        return 2;

    size_t size, align;
    if (mpd_dissector_size(1024, &size, &align) != MPD_OK)
        return 1;
    void *mem = aligned_alloc(align, (size + align - 1) / align * align);
    uint8_t seed[16]; /* secret: keys the flow-table hash */
    if (getrandom(seed, sizeof seed, 0) != (ssize_t)sizeof seed)
        return 1;
    mpd_dissector *d;
    mpd_status s = mpd_dissector_init(mem, size, 1024, seed, &d);
    if (s != MPD_OK) {
        fprintf(stderr, "init: %s\n", mpd_status_str(s));
        return 1;
    }

    struct pcap_pkthdr *h;
    const u_char *frame;
    mpd_result r;
    while (pcap_next_ex(p, &h, &frame) == 1) {
        uint64_t now = (uint64_t)h->ts.tv_sec * 1000000000u + (uint64_t)h->ts.tv_usec * 1000u;
        s = mpd_dissect(d, frame, h->caplen, (uint32_t)pcap_datalink(p), now, &r);
        if (s != MPD_OK) {
            fprintf(stderr, "dissect: %s\n", mpd_status_str(s));
            return 1;
        }
        for (uint32_t i = 0; i < r.n_events; i++) {
            const mpd_event *e = &r.events[i];
            if (e->kind == MPD_EVENT_NEW_CONNECTION)
                printf("connection %u: server token %08x\n", e->conn_serial, e->token);
            else if (e->kind == MPD_EVENT_SUBFLOW_JOINED)
                printf("connection %u: subflow joined (hmac %u)\n", e->conn_serial, e->hmac);
        }
    }
    mpd_stats st;
    mpd_stats_get(d, &st);
    printf("%llu packets, %llu connections, %llu subflows\n", (unsigned long long)st.packets,
           (unsigned long long)st.connections, (unsigned long long)st.subflows);
    free(mem); /* the memory is ours: no mpd_ free function */
    pcap_close(p);
    return 0;
}
