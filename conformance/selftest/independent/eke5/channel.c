/* Frames (SPEC §1), records (§5.5), control payloads and names (§3.5). */
#include "eke5.h"

#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <openssl/crypto.h>

static const char *const ERR_NAMES[] = {
    "", "bad_frame", "frame_too_large", "unexpected_frame", "auth_failed", "forbidden",
    "not_found", "too_large", "integrity_failed", "busy", "timeout", "internal", "exists",
    "unsupported", "throttled"};

const char *err_name(int code)
{
    if (FAULTY(F_I26_ERR_NAMES_SHIFTED)) /* the table without its "" placeholder */
        return (code >= 0 && code <= 13) ? ERR_NAMES[code + 1] : "internal";
    return (code >= 1 && code <= 14) ? ERR_NAMES[code] : "internal";
}

int err_fatal(int code)
{
    switch (code) {
    case E_FORBIDDEN:
    case E_NOT_FOUND:
    case E_TOO_LARGE:
    case E_EXISTS:
    case E_UNSUPPORTED:
        return 0;
    default:
        return 1;
    }
}

double now_mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int type_is_valid(const uint8_t t[4])
{
    for (int i = 0; i < 4; i++) {
        uint8_t c = t[i];
        if (FAULTY(F_TYPE_ISALNUM)) {
            if (!(isalnum(c) || c == '_'))
                return 0;
            continue;
        }
        if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'))
            return 0;
    }
    return 1;
}

/* Read exactly n bytes. started: bytes of this frame already read (EOF then truncates).
 * The wait for each read is bounded by the handshake deadline or the idle timeout. */
static int read_exact(struct chan *ch, uint8_t *buf, size_t n, int started)
{
    size_t got = 0;
    while (got < n) {
        int wait_ms = ch->idle_ms;
        if (FAULTY(F_I14_IDLE_MICROSECONDS) && ch->sealed && ch->idle_ms < 2000000)
            wait_ms = ch->idle_ms * 1000; /* "poll() takes microseconds" */
        if (ch->deadline > 0 && FAULTY(F_DEADLINE_PER_READ)) {
            wait_ms = ch->hs_ms;
        } else if (ch->deadline > 0) {
            double left = ch->deadline - now_mono();
            if (left <= 0)
                return RX_TIMEOUT;
            int lms = (int)(left * 1000.0) + 1;
            if (lms < wait_ms)
                wait_ms = lms;
        }
        struct pollfd pfd = {.fd = ch->fd, .events = POLLIN};
        int pr = poll(&pfd, 1, wait_ms);
        if (pr < 0) {
            if (errno == EINTR)
                continue;
            return RX_IOERR;
        }
        if (pr == 0)
            return RX_TIMEOUT;
        ssize_t r = recv(ch->fd, buf + got, n - got, 0);
        if (r < 0) {
            if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)
                continue;
            return RX_IOERR;
        }
        if (r == 0)
            return (got == 0 && !started) ? RX_EOF : RX_TRUNCATED;
        got += (size_t)r;
    }
    return RX_OK;
}

/* The planted faults F_I7_HDR_SINGLE_RECV / F_I7_RECORD_SINGLE_RECV: one recv() taken for
 * the whole part (no loop): fewer bytes than asked is a truncated frame. */
static int read_once(struct chan *ch, uint8_t *buf, size_t n)
{
    for (;;) {
        int wait_ms = ch->idle_ms;
        if (ch->deadline > 0) {
            double left = ch->deadline - now_mono();
            if (left <= 0)
                return RX_TIMEOUT;
            int lms = (int)(left * 1000.0) + 1;
            if (lms < wait_ms)
                wait_ms = lms;
        }
        struct pollfd pfd = {.fd = ch->fd, .events = POLLIN};
        int pr = poll(&pfd, 1, wait_ms);
        if (pr < 0) {
            if (errno == EINTR)
                continue;
            return RX_IOERR;
        }
        if (pr == 0)
            return RX_TIMEOUT;
        ssize_t r = recv(ch->fd, buf, n, 0);
        if (r < 0) {
            if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)
                continue;
            return RX_IOERR;
        }
        if (r == 0)
            return RX_EOF;
        return (size_t)r == n ? RX_OK : RX_TRUNCATED;
    }
}

/* Write all n bytes; a partial send() is never taken for a complete one. With
 * timeout_ms > 0, a wait for room that sees no progress for timeout_ms gives up (LIM-10):
 * the first poll() that times out ends it, even if the kernel would then take a few
 * more bytes (POLLOUT waits for a third of the buffer; send() fills any crack). */
int write_all(int fd, const uint8_t *buf, size_t n, int timeout_ms)
{
    size_t done = 0;
    double deadline = timeout_ms > 0 ? now_mono() + timeout_ms / 1000.0 : 0;
    while (done < n) {
        int flags = MSG_NOSIGNAL | (timeout_ms > 0 ? MSG_DONTWAIT : 0);
        ssize_t w = FAULTY(F_SIGPIPE) ? write(fd, buf + done, n - done)
                                      : send(fd, buf + done, n - done, flags);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            if ((errno == EAGAIN || errno == EWOULDBLOCK) && timeout_ms > 0) {
                double left = deadline - now_mono();
                if (left <= 0 && !FAULTY(F_I18_WRITE_WAITS_FOREVER))
                    return -1;
                struct pollfd pfd = {.fd = fd, .events = POLLOUT};
                int pr = poll(&pfd, 1, FAULTY(F_I18_WRITE_WAITS_FOREVER) ? -1 : (int)(left * 1000.0) + 1);
                if (pr == 0 || (pr < 0 && errno != EINTR))
                    return -1;
                continue;
            }
            return -1;
        }
        done += (size_t)w;
        if (timeout_ms > 0)
            deadline = now_mono() + timeout_ms / 1000.0; /* progress: the wait starts anew */
    }
    return 0;
}

void frame_free(struct frame *f)
{
    free(f->payload);
    f->payload = NULL;
}

static uint32_t be32(const uint8_t *b)
{
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static void put_be32(uint8_t *b, uint32_t v)
{
    b[0] = (uint8_t)(v >> 24);
    b[1] = (uint8_t)(v >> 16);
    b[2] = (uint8_t)(v >> 8);
    b[3] = (uint8_t)v;
}

static void record_nonce(const uint8_t iv[12], uint64_t seq, uint8_t nonce[12])
{
    memcpy(nonce, iv, 12);
    for (int i = 0; i < 8; i++)
        nonce[4 + i] ^= (uint8_t)(seq >> (56 - 8 * i));
}

static int is_control(const char *t)
{
    return memcmp(t, "DATA", 4) != 0 && memcmp(t, "RECD", 4) != 0;
}

/* Check an inner frame's declared length against §1's limits for its type. */
static int length_code(const char *type, uint32_t len, uint32_t frame_limit)
{
    if (len > frame_limit)
        return E_FRAME_TOO_LARGE;
    if (is_control(type) && (FAULTY(F_CONTROL_OFF_BY_ONE) ? len >= CONTROL_LIMIT : len > CONTROL_LIMIT))
        return E_FRAME_TOO_LARGE;
    if (memcmp(type, "DATA", 4) == 0 && ((len == 0 && !FAULTY(F_R2_EMPTY_DATA_OK)) || len > DATA_LIMIT))
        return E_BAD_FRAME;
    return 0;
}

int chan_recv(struct chan *ch, struct frame *f, int *err_code)
{
    uint8_t hdr[8];
    memset(f, 0, sizeof *f);
    *err_code = 0;
    int st = FAULTY(F_I7_HDR_SINGLE_RECV) ? read_once(ch, hdr, 8) : read_exact(ch, hdr, 8, 0);
    if (st != RX_OK)
        return st;
    uint32_t len = be32(hdr + 4);
    if (FAULTY(F_LENGTH_SIGNED) && (int32_t)len < 0) {
        /* the planted int32_t: a "negative" length passes `len > limit`; the program
         * then waits for a payload that never comes (emulated without the allocation) */
        uint8_t sink[4096];
        for (;;) {
            int s2 = read_exact(ch, sink, sizeof sink, 1);
            if (s2 != RX_OK)
                return s2;
        }
    }
    /* F_I7_PLAINTEXT_FALLBACK: after EKE4 a frame that is not a record is read as a
     * plaintext frame instead of closing */
    if (!ch->sealed || (FAULTY(F_I7_PLAINTEXT_FALLBACK) && memcmp(hdr, "RECD", 4) != 0)) {
        if (!type_is_valid(hdr)) {
            *err_code = E_BAD_FRAME;
            return RX_PROTO;
        }
        memcpy(f->type, hdr, 4);
        f->type[4] = '\0';
        f->len = len;
        if (FAULTY(F_I18_FRAME_LIMIT_AFTER_PAYLOAD) && len > ch->frame_limit) {
            uint8_t sink[4096]; /* the whole frame first, then judged */
            for (uint32_t left = len; left > 0;) {
                uint32_t n = left < sizeof sink ? left : (uint32_t)sizeof sink;
                st = read_exact(ch, sink, n, 1);
                if (st != RX_OK)
                    return st;
                left -= n;
            }
        }
        int lc = length_code(f->type, len, ch->frame_limit);
        if (lc != 0) {
            *err_code = lc;
            return RX_PROTO;
        }
        f->payload = malloc((size_t)len + 1);
        if (f->payload == NULL) {
            *err_code = E_INTERNAL;
            return RX_PROTO;
        }
        if (FAULTY(F_B27_PAYLOAD_WAITALL) || FAULTY(F_B27_CLIENT_PAYLOAD_WAITALL)) {
            /* one recv(MSG_WAITALL) "waits for the whole payload"; at EOF it returns
             * what came, taken as the payload */
            uint32_t r = 0; /* (emulated byte by byte, under the same deadlines) */
            while (r < len && (st = read_exact(ch, f->payload + r, 1, 1)) == RX_OK)
                r++;
            if (r < len && (st != RX_TRUNCATED || r == 0)) {
                frame_free(f);
                return st;
            }
            f->len = r;
            f->payload[r] = 0;
            return RX_OK;
        }
        st = read_exact(ch, f->payload, len, 1);
        if (st != RX_OK) {
            frame_free(f);
            return st;
        }
        f->payload[len] = 0;
        return RX_OK;
    }
    /* record phase */
    if (memcmp(hdr, "RECD", 4) != 0)
        return RX_CLOSE; /* EKE-REC-5: plaintext after EKE4 */
    if (len > ch->frame_limit && !FAULTY(F_R2_RECORD_LIMIT_LATE)) {
        *err_code = E_FRAME_TOO_LARGE;
        return RX_PROTO;
    }
    if (len > ch->frame_limit) { /* the fault: read (and drop) the record first */
        uint8_t sink[4096];
        for (uint32_t left = len; left > 0;) {
            uint32_t n = left < sizeof sink ? left : (uint32_t)sizeof sink;
            st = read_exact(ch, sink, n, 1);
            if (st != RX_OK)
                return st;
            left -= n;
        }
        *err_code = E_FRAME_TOO_LARGE;
        return RX_PROTO;
    }
    uint8_t *ct = malloc(len > 0 ? len : 1);
    if (ct == NULL) {
        *err_code = E_INTERNAL;
        return RX_PROTO;
    }
    st = FAULTY(F_I7_RECORD_SINGLE_RECV) ? read_once(ch, ct, len) : read_exact(ch, ct, len, 1);
    if (st != RX_OK) {
        free(ct);
        if (FAULTY(F_I7_RECORD_SINGLE_RECV) && st == RX_TRUNCATED)
            return RX_CLOSE; /* a short record does not authenticate */
        return st;
    }
    if (len < TAG_BYTES + 8) {
        free(ct);
        return RX_CLOSE;
    }
    size_t ptlen = len - TAG_BYTES;
    uint64_t blocks = (ptlen + 15) / 16 + 1;
    if (ch->rx_done || ch->blocks_rx + blocks > (1ull << 34)) {
        free(ct);
        return RX_CLOSE;
    }
    uint8_t nonce[12];
    record_nonce(ch->iv_rx, ch->seq_rx, nonce);
    uint8_t *pt = malloc(ptlen + 1);
    if (pt == NULL) {
        free(ct);
        *err_code = E_INTERNAL;
        return RX_PROTO;
    }
    if (gcm_open(ch->key_rx, nonce, ct, len, hdr, 8, pt) != 0) {
        uint8_t other[12];
        record_nonce(ch->iv_tx, ch->seq_rx, other); /* F_I18_RECORD_OWN_KEY: "swapped keys" */
        if (!FAULTY(F_I18_RECORD_OWN_KEY) || gcm_open(ch->key_tx, other, ct, len, hdr, 8, pt) != 0) {
            free(ct);
            free(pt);
            return RX_CLOSE; /* EKE-REC-4 */
        }
    }
    free(ct);
    if (ch->seq_rx == UINT64_MAX)
        ch->rx_done = 1; /* the last sequence number: the next record closes */
    else
        ch->seq_rx++;
    ch->blocks_rx += blocks;
    uint32_t ilen = be32(pt + 4);
    if ((FAULTY(F_R2_RECORD_TRAILING_BYTES) ? (size_t)ilen > ptlen - 8 : (size_t)ilen != ptlen - 8) ||
        !type_is_valid(pt)) {
        free(pt);
        *err_code = E_BAD_FRAME; /* EKE-REC-1: not exactly one frame */
        return RX_PROTO;
    }
    memcpy(f->type, pt, 4);
    f->type[4] = '\0';
    f->len = ilen;
    int lc = length_code(f->type, ilen, ch->frame_limit);
    if (lc != 0) {
        free(pt);
        *err_code = lc;
        return RX_PROTO;
    }
    memmove(pt, pt + 8, ilen);
    pt[ilen] = 0;
    f->payload = pt;
    return RX_OK;
}

int chan_send(struct chan *ch, const char type[4], const uint8_t *payload, size_t len)
{
    if (len > ch->frame_limit)
        return -1;
    size_t inner_len = 8 + len;
    if (!ch->sealed) {
        uint8_t *buf = malloc(inner_len);
        if (buf == NULL)
            return -1;
        memcpy(buf, type, 4);
        put_be32(buf + 4, (uint32_t)len);
        if (len > 0)
            memcpy(buf + 8, payload, len);
        int r = write_all(ch->fd, buf, inner_len, ch->idle_ms);
        free(buf);
        return r;
    }
    uint64_t blocks = (inner_len + 15) / 16 + 1;
    if (ch->tx_done || ch->blocks_tx + blocks > (1ull << 34))
        return -1; /* EKE-REC-2 / EKE-REC-7: close rather than reuse or overuse */
    size_t clen = inner_len + TAG_BYTES;
    uint8_t *inner = malloc(inner_len);
    uint8_t *rec = malloc(8 + clen);
    if (inner == NULL || rec == NULL) {
        free(inner);
        free(rec);
        return -1;
    }
    memcpy(inner, type, 4);
    put_be32(inner + 4, (uint32_t)len);
    if (len > 0)
        memcpy(inner + 8, payload, len);
    memcpy(rec, "RECD", 4);
    put_be32(rec + 4, (uint32_t)clen);
    uint8_t nonce[12];
    record_nonce(ch->iv_tx, ch->seq_tx, nonce);
    int r = gcm_seal(ch->key_tx, nonce, inner, inner_len, rec, 8, rec + 8);
    OPENSSL_cleanse(inner, inner_len);
    free(inner);
    if (r == 0) {
        if (ch->seq_tx == UINT64_MAX)
            ch->tx_done = 1;
        else
            ch->seq_tx++;
        ch->blocks_tx += blocks;
        r = write_all(ch->fd, rec, 8 + clen, ch->idle_ms);
    }
    free(rec);
    return r;
}

int chan_send_json(struct chan *ch, const char type[4], json_t *obj)
{
    char *s = json_dumps(obj, JSON_COMPACT);
    if (s == NULL)
        return -1;
    int r = chan_send(ch, type, (const uint8_t *)s, strlen(s));
    free(s);
    return r;
}

int chan_send_error(struct chan *ch, int code, const char *message, long long retry_after)
{
    json_t *o = json_pack("{s:I,s:s,s:s}", "code", (json_int_t)code, "name", err_name(code),
                          "message", message);
    if (o == NULL)
        return -1;
    if (retry_after >= 0)
        json_object_set_new(o, "retry_after", json_integer(retry_after));
    int r = chan_send_json(ch, "EROR", o);
    json_decref(o);
    if (r == 0 && FAULTY(F_I26_ERROR_DRAINS_PIPELINE) && !err_fatal(code)) {
        /* "what the client sent after a refused request assumed it would succeed" */
        uint8_t sink[4096];
        while (recv(ch->fd, sink, sizeof sink, MSG_DONTWAIT) > 0)
            ;
    }
    return r;
}

/* FRM-8/9: a UTF-8 JSON object, no duplicate keys. NUL inside strings is allowed by the
 * parser so that a name holding U+0000 is refused `forbidden` (APP-NAME-2), not bad_frame. */
json_t *parse_control(const struct frame *f, int *err_code)
{
    json_error_t jerr;
    size_t flags = FAULTY(F_JSON_DUPLICATES) ? JSON_ALLOW_NUL
                                             : JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL;
    if (FAULTY(F_I7_JSON_TRAILING))
        flags |= JSON_DISABLE_EOF_CHECK;
    if (FAULTY(F_I26_JSON_NUL_DEFAULT))
        flags &= ~(size_t)JSON_ALLOW_NUL; /* Jansson's default flags */
    json_t *v = json_loadb((const char *)f->payload, f->len, flags, &jerr);
    if (v == NULL || !json_is_object(v)) {
        json_decref(v);
        *err_code = E_BAD_FRAME;
        return NULL;
    }
    return v;
}

/* FRM-11: integer in 0 .. 2^63-1; returns 0 ok, -1 missing/wrong type */
int get_uint(json_t *obj, const char *key, uint64_t *out)
{
    json_t *v = json_object_get(obj, key);
    if (FAULTY(F_INT_VALUE_UNCHECKED) && v != NULL) {
        json_int_t iv = json_integer_value(v); /* 0 for anything but an integer */
        if (iv < 0)
            return -1;
        *out = (uint64_t)iv;
        return 0;
    }
    if (FAULTY(F_JSON_NUMBER_REAL) && v != NULL && json_is_number(v)) {
        double d = json_number_value(v);
        if (d < 0)
            return -1;
        *out = (uint64_t)d;
        return 0;
    }
    if (v == NULL || !json_is_integer(v))
        return -1;
    json_int_t i = json_integer_value(v);
    if (i < 0 && !FAULTY(F_NEGATIVE_SIZE))
        return -1;
    *out = (uint64_t)i;
    return 0;
}

const char *get_str(json_t *obj, const char *key, size_t *len)
{
    json_t *v = json_object_get(obj, key);
    if (v == NULL || !json_is_string(v))
        return NULL;
    *len = json_string_length(v);
    return json_string_value(v);
}

int valid_sha256_hex(const char *s, size_t n)
{
    if (n != 64)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (FAULTY(F_HEX_ISXDIGIT)) {
            if (!isxdigit((unsigned char)c))
                return 0;
            continue;
        }
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return 0;
    }
    return 1;
}

/* decode one UTF-8 code point (input is valid UTF-8: the JSON parser checked it) */
static uint32_t next_cp(const unsigned char *s, size_t len, size_t *i)
{
    unsigned char c = s[*i];
    uint32_t cp;
    size_t extra;
    if (c < 0x80) {
        cp = c;
        extra = 0;
    } else if ((c & 0xE0) == 0xC0) {
        cp = c & 0x1F;
        extra = 1;
    } else if ((c & 0xF0) == 0xE0) {
        cp = c & 0x0F;
        extra = 2;
    } else {
        cp = c & 0x07;
        extra = 3;
    }
    (*i)++;
    for (size_t k = 0; k < extra && *i < len; k++, (*i)++)
        cp = (cp << 6) | (s[*i] & 0x3F);
    return cp;
}

/* APP-NAME-1/2/8: 0 acceptable, -1 forbidden */
int check_name(const char *name, size_t len)
{
    const unsigned char *s = (const unsigned char *)name;
    if (len == 0 || len > 4096)
        return -1;
    if (FAULTY(F_C1_BYTEWISE))
        for (size_t k = 0; k < len; k++)
            if (s[k] >= 0x80 && s[k] <= 0x9F)
                return -1;
    if (s[0] == '/')
        return -1;
    if (len >= 2 && ((s[0] >= 'A' && s[0] <= 'Z') ||
                     (!FAULTY(F_I18_DRIVE_UPPER) && s[0] >= 'a' && s[0] <= 'z')) &&
        s[1] == ':')
        return -1;
    size_t i = 0, comp_start = 0, comp_cps = 0;
    int seen_slash = 0;
    while (FAULTY(F_I26_NAME_LOOP_SHORT) ? i < len : i <= len) {
        if (i == len || s[i] == '/') {
            size_t clen = i - comp_start;
            size_t bound_len = FAULTY(F_I14_COMPONENT_CODEPOINTS) ? comp_cps : clen;
            comp_cps = 0;
            int last = i == len;
            if (!last)
                seen_slash = 1;
            if (clen == 0 && FAULTY(F_STRTOK_EMPTY) && comp_start > 0) {
                i++;
                comp_start = i;
                continue; /* strtok collapses separators */
            }
            if (clen == 0 || bound_len > 255 ||
                (FAULTY(F_COMPONENT_OFF_BY_ONE) && clen >= 255))
                return -1;
            int dots_checked = !FAULTY(F_I14_DOTDOT_LAST_ONLY) || last;
            if (dots_checked && clen == 1 && s[comp_start] == '.')
                return -1;
            if (dots_checked && clen == 2 && s[comp_start] == '.' && s[comp_start + 1] == '.')
                return -1;
            i++;
            comp_start = i;
            continue;
        }
        if (FAULTY(F_SIGNED_CHAR) && (signed char)s[i] < 0x20)
            return -1;
        uint32_t cp = next_cp(s, len, &i);
        comp_cps++;
        if (cp < 0x20 || cp == 0x7F || cp == '\\')
            return -1;
        if (FAULTY(F_I14_C1_FIRST_COMPONENT) && seen_slash)
            continue; /* the scan of the first component only */
        if (cp >= 0x80 && cp <= 0x9F)
            return -1;
        if ((cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069))
            return -1;
    }
    return 0;
}

int is_partial_name(const char *base, size_t len)
{
    static const char prefix[] = ".sft-partial-";
    if (FAULTY(F_PARTIAL_SIZEOF)) {
        char tmp[4097];
        size_t n = len < sizeof tmp - 1 ? len : sizeof tmp - 1;
        memcpy(tmp, base, n);
        tmp[n] = '\0';
        return strncmp(tmp, prefix, sizeof prefix) == 0;
    }
    return len >= sizeof prefix - 1 && memcmp(base, prefix, sizeof prefix - 1) == 0;
}
