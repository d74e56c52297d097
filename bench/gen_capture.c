/*
 * gen_capture: deterministic synthetic pcap of OpenClaw gateway WebSocket traffic, for bench/run.sh.
 *
 *   gen_capture OUT.pcap SIZE_BYTES MSS [SEED] > truth.txt
 *
 * Writes Linux-lo-like Ethernet (zero MACs) / IPv4 / TCP traffic: CONCURRENT connections open at once,
 * each with SYN / SYN-ACK / ACK, the HTTP upgrade and 101 (a correct key/accept pair), the
 * connect.challenge event, a connect req, hello-ok, then JSON messages both ways (100 B to 16 KiB,
 * log-uniform, client frames masked with a per-frame key), a quarter of the connections with
 * permessage-deflate (messages of 1 KiB or more compressed: RSV1, raw deflate, 00 00 ff ff stripped),
 * TCP segments cut at MSS, about 1% of data segments out of order and 0.5% duplicated, then close 1000
 * both ways and FIN both ways. New connections start until SIZE_BYTES are written; the open ones then
 * close. The same arguments always produce the same bytes.
 *
 * stdout gets the ground truth as `key value` lines: connections, packets, bytes (captured), and
 * frames/messages per direction (messages are data messages; frames include the close frames).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <math.h>

#define CONCURRENT 200
#define SERVER_PORT 42919
#define SNAPLEN 262144

/* The handshake of samples/good-v3.pcap: the device signature verifies for this nonce. */
static const char *CHALLENGE =
    "{\"type\":\"event\",\"event\":\"connect.challenge\",\"payload\":{\"nonce\":\"78cb49ae-e1e8-4e0e-a7de-"
    "fa82db3437d2\",\"ts\":1795632329652}}";
static const char *CONNECT =
    "{\"type\":\"req\",\"id\":\"9ee569cf-f05a-41af-90f5-b951726022ff\",\"method\":\"connect\",\"params\":{"
    "\"minProtocol\":3,\"maxProtocol\":3,\"client\":{\"id\":\"cli\",\"displayName\":\"openclaw cli\",\"version\":"
    "\"2026.3.13\",\"platform\":\"linux\",\"mode\":\"cli\"},\"caps\":[],\"commands\":[],\"permissions\":{},\"role\":"
    "\"operator\",\"scopes\":[\"operator.admin\",\"operator.read\",\"operator.write\"],\"locale\":\"en-US\","
    "\"userAgent\":\"openclaw-cli/2026.3.13 (node 20.20.2)\",\"auth\":{\"token\":\"wssniff-reference-token\"},"
    "\"device\":{\"id\":\"2b3864ab7bffdc905dec77cb62ac7931237899743f1e1f7980038f4becc101af\",\"publicKey\":"
    "\"NAQa5P7QFLzHXs2p0oD_ks7H1CBYg9bYmt7uEiEu2EQ\",\"signature\":\"admElOo2BBnKPR2FC89ZwEVgXsQMeYoAtbkjXA7nUIu"
    "KlcJx_vnz-lUHMagGTh8vbWE53CDgUEz8rvTdN77JBg\",\"signedAt\":1795632329658,\"nonce\":\"78cb49ae-e1e8-4e0e-"
    "a7de-fa82db3437d2\"}}}";
static const char *HELLO_OK =
    "{\"type\":\"res\",\"id\":\"9ee569cf-f05a-41af-90f5-b951726022ff\",\"ok\":true,\"payload\":{\"type\":"
    "\"hello-ok\",\"protocol\":3,\"server\":{\"version\":\"2026.3.13\",\"connId\":\"080152de-27cc-4280-b054-"
    "f4da5fbb4057\"},\"features\":{\"methods\":[\"health\",\"status\",\"system-presence\"],\"events\":["
    "\"connect.challenge\",\"tick\",\"presence\",\"health\",\"shutdown\"]},\"snapshot\":{\"presence\":[],"
    "\"health\":{\"ok\":true},\"stateVersion\":{\"presence\":0,\"health\":0},\"uptimeMs\":644,\"authMode\":"
    "\"token\"},\"auth\":{\"deviceToken\":\"J7MphgjDYHr3debRb84reuViP0L_5c-qkCgrQ112Oe4\",\"role\":\"operator\","
    "\"scopes\":[\"operator.admin\",\"operator.read\",\"operator.write\"]},\"policy\":{\"maxPayload\":26214400,"
    "\"maxBufferedBytes\":52428800,\"tickIntervalMs\":30000}}}";
/* RFC 6455 4.2.2: base64(SHA-1(key + GUID)), precomputed for this key. */
static const char *WS_KEY = "PimpmDEI253gTcH3XYmkFQ==";
static const char *WS_ACCEPT = "kz4cuGm9f3i/U9OKFOMpMRGq9Tk=";

static uint64_t rng_state;
static uint64_t rnd(void) { /* xorshift64* */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 2685821657736338717ULL;
}
static double rnd01(void) { return (double)(rnd() >> 11) / 9007199254740992.0; }

static FILE *out;
static uint64_t ts_usec = 1795632329000000ULL;
static uint64_t packets, bytes_written;
static uint32_t mss;

struct held {
    int used;
    uint32_t seq, len;
    unsigned char *data;
};

struct conn {
    int active, stage, deflate, reorder; /* reorder: only in the chat phase, so the handshake stays in order */
    uint32_t cip, sip;
    uint16_t cport, sport;
    uint32_t cseq, sseq; /* next sequence number each way */
    int messages_left;
    struct held held[2]; /* a segment held back to be sent out of order, per direction (0 client, 1 server) */
};

static uint64_t truth_conns, truth_frames[2], truth_messages[2];

static unsigned char pkt[14 + 20 + 20 + 70000];

static uint16_t ip_checksum(const unsigned char *p, int n) {
    uint32_t s = 0;
    for (int i = 0; i < n; i += 2) s += (uint32_t)(p[i] << 8 | p[i + 1]);
    while (s >> 16) s = (s & 0xffff) + (s >> 16);
    return (uint16_t)~s;
}

static void put16(unsigned char *p, uint32_t v) { p[0] = (unsigned char)(v >> 8); p[1] = (unsigned char)v; }
static void put32(unsigned char *p, uint32_t v) {
    p[0] = (unsigned char)(v >> 24); p[1] = (unsigned char)(v >> 16); p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

/* One packet from `dir` (0 client -> server, 1 server -> client). */
static void emit(struct conn *c, int dir, uint8_t flags, uint32_t seq, uint32_t ack, const unsigned char *data,
                 uint32_t len) {
    unsigned char *e = pkt, *ip = pkt + 14, *tcp = pkt + 34;
    memset(pkt, 0, 54);
    e[12] = 0x08; /* IPv4; MACs stay zero as on lo */
    ip[0] = 0x45;
    put16(ip + 2, 40 + len);
    put16(ip + 4, (uint32_t)(packets & 0xffff));
    ip[6] = 0x40; /* DF */
    ip[8] = 64;
    ip[9] = 6;
    put32(ip + 12, dir ? c->sip : c->cip);
    put32(ip + 16, dir ? c->cip : c->sip);
    put16(ip + 10, ip_checksum(ip, 20));
    put16(tcp, dir ? c->sport : c->cport);
    put16(tcp + 2, dir ? c->cport : c->sport);
    put32(tcp + 4, seq);
    put32(tcp + 8, ack);
    tcp[12] = 5 << 4;
    tcp[13] = flags;
    put16(tcp + 14, 65535);
    if (len) memcpy(pkt + 54, data, len);
    uint32_t caplen = 54 + len;
    ts_usec += 3 + (rnd() & 7);
    uint32_t rec[4] = {(uint32_t)(ts_usec / 1000000), (uint32_t)(ts_usec % 1000000), caplen, caplen};
    fwrite(rec, sizeof rec, 1, out);
    fwrite(pkt, caplen, 1, out);
    packets++;
    bytes_written += 16 + caplen;
}

#define ACKF 0x10
#define PSH 0x08
#define SYN 0x02
#define FIN 0x01

static uint32_t peer_ack(struct conn *c, int dir) { /* what `dir` acknowledges: the other side's contiguous bytes */
    struct held *h = &c->held[!dir];
    return h->used ? h->seq : (dir ? c->cseq : c->sseq);
}

static void flush_held(struct conn *c, int dir) {
    struct held *h = &c->held[dir];
    if (!h->used) return;
    h->used = 0;
    emit(c, dir, ACKF | PSH, h->seq, peer_ack(c, dir), h->data, h->len);
}

/* Send a byte stream from `dir`: segments at MSS, some held back (out of order), some duplicated. */
static void send_stream(struct conn *c, int dir, const unsigned char *data, uint32_t len) {
    uint32_t *seq = dir ? &c->sseq : &c->cseq;
    for (uint32_t off = 0; off < len;) {
        uint32_t n = len - off < mss ? len - off : mss;
        uint32_t s = *seq;
        *seq += n;
        struct held *h = &c->held[dir];
        double r = rnd01();
        if (c->reorder && !h->used && r < 0.01) { /* hold it: it goes out after the next segment */
            h->used = 1;
            h->seq = s;
            h->len = n;
            memcpy(h->data, data + off, n);
        } else {
            emit(c, dir, ACKF | PSH, s, peer_ack(c, dir), data + off, n);
            if (r > 0.995) emit(c, dir, ACKF | PSH, s, peer_ack(c, dir), data + off, n); /* retransmission */
            flush_held(c, dir);
        }
        off += n;
    }
}

static unsigned char *text_pool;
#define POOL 1048576
static void make_pool(void) {
    static const char *words[] = {"the", "gateway", "agent", "session", "token", "stream", "delta", "tool",
                                  "result", "presence", "health", "ok", "model", "reply", "chunk", "node",
                                  "update", "status", "tick", "message", "channel", "user", "assistant", "run"};
    text_pool = malloc(POOL + 64);
    size_t n = 0;
    while (n < POOL) {
        const char *w = words[rnd() % (sizeof words / sizeof *words)];
        size_t l = strlen(w);
        memcpy(text_pool + n, w, l);
        n += l;
        text_pool[n++] = ' ';
    }
}

static z_stream zs;
static unsigned char msgbuf[20000], zbuf[40000], framebuf[50000];

/* One WebSocket frame (FIN set) carrying `payload`, masked for the client, sent on the TCP stream. */
static void send_frame(struct conn *c, int dir, int opcode, int rsv1, const unsigned char *payload, uint32_t len) {
    unsigned char *f = framebuf;
    size_t h = 0;
    f[h++] = (unsigned char)(0x80 | (rsv1 ? 0x40 : 0) | opcode);
    unsigned char maskbit = dir == 0 ? 0x80 : 0;
    if (len < 126) {
        f[h++] = maskbit | (unsigned char)len;
    } else if (len < 65536) {
        f[h++] = maskbit | 126;
        put16(f + h, len);
        h += 2;
    } else {
        f[h++] = maskbit | 127;
        memset(f + h, 0, 4);
        put32(f + h + 4, len);
        h += 8;
    }
    if (dir == 0) {
        uint32_t k = (uint32_t)rnd();
        unsigned char key[4] = {(unsigned char)(k >> 24), (unsigned char)(k >> 16), (unsigned char)(k >> 8),
                                (unsigned char)k};
        memcpy(f + h, key, 4);
        h += 4;
        for (uint32_t i = 0; i < len; i++) f[h + i] = payload[i] ^ key[i & 3];
    } else {
        memcpy(f + h, payload, len);
    }
    send_stream(c, dir, f, (uint32_t)(h + len));
    truth_frames[dir]++;
    if (opcode == 1 || opcode == 2) truth_messages[dir]++;
}

/* A data message; compressed on permessage-deflate connections when 1 KiB or more (as the ws library). */
static void send_message(struct conn *c, int dir, const unsigned char *payload, uint32_t len) {
    if (c->deflate && len >= 1024) {
        deflateReset(&zs);
        zs.next_in = (unsigned char *)payload;
        zs.avail_in = len;
        zs.next_out = zbuf;
        zs.avail_out = sizeof zbuf;
        deflate(&zs, Z_SYNC_FLUSH);
        uint32_t zlen = (uint32_t)(sizeof zbuf - zs.avail_out);
        /* RFC 7692 7.2.1: remove the 4 octets 0x00 0x00 0xff 0xff at the tail */
        if (zlen >= 4 && memcmp(zbuf + zlen - 4, "\x00\x00\xff\xff", 4) == 0) zlen -= 4;
        send_frame(c, dir, 1, 1, zbuf, zlen);
    } else {
        send_frame(c, dir, 1, 0, payload, len);
    }
}

static uint32_t chat_message(int dir, uint64_t seq) {
    /* log-uniform 100 B .. 16 KiB */
    uint32_t target = (uint32_t)(100.0 * exp(rnd01() * log(16384.0 / 100.0)));
    int n = dir == 0 ? snprintf((char *)msgbuf, 200,
                                "{\"type\":\"req\",\"id\":\"r-%llu\",\"method\":\"chat.send\",\"params\":{\"text\":\"",
                                (unsigned long long)seq)
                     : snprintf((char *)msgbuf, 200,
                                "{\"type\":\"event\",\"event\":\"agent\",\"seq\":%llu,\"payload\":{\"delta\":\"",
                                (unsigned long long)seq);
    uint32_t body = target > (uint32_t)n + 4 ? target - (uint32_t)n - 4 : 1;
    memcpy(msgbuf + n, text_pool + rnd() % (POOL - body), body);
    memcpy(msgbuf + n + body, "\"}}", 3);
    return (uint32_t)n + body + 3;
}

static uint64_t conn_counter, msg_counter;

static void open_conn(struct conn *c) {
    uint64_t id = conn_counter++;
    for (int d = 0; d < 2; d++) free(c->held[d].data);
    memset(c, 0, sizeof *c);
    c->active = 1;
    c->cip = 0x7f000001 + (uint32_t)((id / 30000) << 8); /* 127.0.0.1, then 127.0.1.1, ... */
    c->sip = 0x7f000001;
    c->cport = (uint16_t)(32768 + id % 30000);
    c->sport = SERVER_PORT;
    c->cseq = (uint32_t)rnd();
    c->sseq = (uint32_t)rnd();
    c->deflate = (rnd() & 3) == 0;
    c->messages_left = 5 + (int)(rnd() % 150);
    for (int d = 0; d < 2; d++) c->held[d].data = malloc(70000);
    truth_conns++;
}

/* Advance a connection by one step; returns 0 when it has ended. */
static int step(struct conn *c, int closing) {
    char http[1024];
    switch (c->stage++) {
    case 0:
        emit(c, 0, SYN, c->cseq++, 0, NULL, 0);
        emit(c, 1, SYN | ACKF, c->sseq++, c->cseq, NULL, 0);
        emit(c, 0, ACKF, c->cseq, c->sseq, NULL, 0);
        return 1;
    case 1: {
        int n = snprintf(http, sizeof http,
                         "GET / HTTP/1.1\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: %s\r\n"
                         "Connection: Upgrade\r\nUpgrade: websocket\r\n%sHost: 127.0.0.1:%d\r\n\r\n",
                         WS_KEY, c->deflate ? "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n" : "",
                         SERVER_PORT);
        send_stream(c, 0, (unsigned char *)http, (uint32_t)n);
        n = snprintf(http, sizeof http,
                     "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                     "Sec-WebSocket-Accept: %s\r\n%s\r\n",
                     WS_ACCEPT, c->deflate ? "Sec-WebSocket-Extensions: permessage-deflate\r\n" : "");
        send_stream(c, 1, (unsigned char *)http, (uint32_t)n);
        send_message(c, 1, (const unsigned char *)CHALLENGE, (uint32_t)strlen(CHALLENGE));
        return 1;
    }
    case 2:
        send_message(c, 0, (const unsigned char *)CONNECT, (uint32_t)strlen(CONNECT));
        emit(c, 1, ACKF, c->sseq, peer_ack(c, 1), NULL, 0);
        send_message(c, 1, (const unsigned char *)HELLO_OK, (uint32_t)strlen(HELLO_OK));
        return 1;
    default:
        c->reorder = 1;
        if (c->messages_left-- > 0 && !closing) {
            int dir = rnd01() < 0.3 ? 0 : 1;
            uint32_t len = chat_message(dir, msg_counter++);
            send_message(c, dir, msgbuf, len);
            emit(c, !dir, ACKF, dir ? c->cseq : c->sseq, peer_ack(c, !dir), NULL, 0);
            c->stage = 3;
            return 1;
        }
        /* RFC 6455 5.5.1: close 1000 from the client, echoed by the server; the server closes TCP first */
        c->reorder = 0;
        flush_held(c, 0);
        flush_held(c, 1);
        send_frame(c, 0, 8, 0, (const unsigned char *)"\x03\xe8", 2);
        send_frame(c, 1, 8, 0, (const unsigned char *)"\x03\xe8", 2);
        emit(c, 1, FIN | ACKF, c->sseq++, c->cseq, NULL, 0);
        emit(c, 0, FIN | ACKF, c->cseq++, c->sseq, NULL, 0);
        emit(c, 1, ACKF, c->sseq, c->cseq, NULL, 0);
        c->active = 0;
        return 0;
    }
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: gen_capture OUT.pcap SIZE_BYTES MSS [SEED]\n");
        return 64;
    }
    uint64_t target = strtoull(argv[2], NULL, 10);
    mss = (uint32_t)strtoul(argv[3], NULL, 10);
    if (mss < 100 || mss > 65483) {
        fprintf(stderr, "gen_capture: MSS must be 100..65483\n");
        return 64;
    }
    rng_state = argc > 4 ? strtoull(argv[4], NULL, 10) | 1 : 0x9e3779b97f4a7c15ULL;
    out = fopen(argv[1], "wb");
    if (!out) {
        perror(argv[1]);
        return 1;
    }
    setvbuf(out, NULL, _IOFBF, 1 << 22);
    uint32_t gh[6] = {0xa1b2c3d4, 0x00040002, 0, 0, SNAPLEN, 1 /* LINKTYPE_ETHERNET */};
    fwrite(gh, sizeof gh, 1, out);
    bytes_written = 24;
    if (deflateInit2(&zs, 1, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK) return 1;
    make_pool();

    static struct conn conns[CONCURRENT];
    int active = 0;
    for (;;) {
        int closing = bytes_written >= target;
        if (!closing) {
            for (int i = 0; i < CONCURRENT; i++)
                if (!conns[i].active) {
                    open_conn(&conns[i]);
                    active++;
                }
        }
        if (active == 0) break;
        struct conn *c = &conns[rnd() % CONCURRENT];
        if (!c->active) continue;
        if (!step(c, closing)) active--;
    }
    fclose(out);
    printf("connections %llu\npackets %llu\nfile_bytes %llu\n", (unsigned long long)truth_conns,
           (unsigned long long)packets, (unsigned long long)bytes_written);
    printf("client_frames %llu\nserver_frames %llu\nframes %llu\n", (unsigned long long)truth_frames[0],
           (unsigned long long)truth_frames[1], (unsigned long long)(truth_frames[0] + truth_frames[1]));
    printf("client_messages %llu\nserver_messages %llu\nmessages %llu\n", (unsigned long long)truth_messages[0],
           (unsigned long long)truth_messages[1], (unsigned long long)(truth_messages[0] + truth_messages[1]));
    return 0;
}
