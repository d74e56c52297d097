/*
 * pcap_loop: the bare libpcap floor for bench/run.sh. Opens a capture with pcap_open_offline and calls
 * pcap_next_ex until the end, counting packets and captured bytes; nothing else.
 *
 *   pcap_loop FILE   ->   "packets N bytes B" on stdout
 */
#include <pcap/pcap.h>
#include <stdio.h>

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: pcap_loop FILE\n");
        return 64;
    }
    char err[PCAP_ERRBUF_SIZE];
    pcap_t *p = pcap_open_offline(argv[1], err);
    if (!p) {
        fprintf(stderr, "pcap_loop: %s\n", err);
        return 1;
    }
    struct pcap_pkthdr *h;
    const u_char *data;
    unsigned long long packets = 0, bytes = 0;
    int rc;
    while ((rc = pcap_next_ex(p, &h, &data)) == 1) {
        packets++;
        bytes += h->caplen;
    }
    if (rc == PCAP_ERROR) fprintf(stderr, "pcap_loop: %s\n", pcap_geterr(p));
    printf("packets %llu bytes %llu\n", packets, bytes);
    pcap_close(p);
    return rc == PCAP_ERROR ? 1 : 0;
}
