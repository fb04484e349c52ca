/* pki5 — a clean-room sft-pki/1 responder and initiator in C11 on OpenSSL's libssl.
 *
 * Written from docs/SPEC.md (sections 0-4.3, 6) and conformance/README.md only.
 *
 *   pki5 serve --listen HOST:PORT --cert C --key K --root R (--crl FILE | --ca-url URL)
 *              --share DIR --inbox DIR [--allow ALIAS]... [--no-put]
 *              [--handshake-timeout S] [--idle-timeout S] [--max-file-size N]
 *              [--max-connections N] [--max-pending-per-address N] [--frame-limit N]
 *              [--crl-refresh S]
 *   pki5 get ALIAS@HOST:PORT NAME -o OUT --cert C --key K --root R (--crl F | --ca-url U)
 *   pki5 put ALIAS@HOST:PORT FILE --as NAME --cert C --key K --root R (--crl F | --ca-url U)
 *
 * Choices where the SPEC leaves one:
 * - Concurrency: one detached pthread per connection, each on a NON-BLOCKING socket driven
 *   by poll() with an absolute deadline. Threads keep the per-connection code a straight
 *   line (read a frame, answer it) like the SPEC's state table; non-blocking I/O under
 *   poll() is what gives the handshake deadline counted from accept (LIM-1/LIM-9: bytes
 *   trickling in do not extend it), the idle deadline (LIM-2) and the send deadline
 *   (LIM-10) — SO_RCVTIMEO would restart on every byte.  Admission (LIM-4/8/9) is one
 *   table under a mutex in the accept loop: a source address holding
 *   max_pending_per_address handshakes is refused with a close; when every slot is taken
 *   the oldest connection still in its handshake is shut down to make room, otherwise the
 *   new one is closed.
 * - TLS: TLS 1.3 only; suites, groups (X25519, P-256, P-384; OpenSSL 3.0 has no ML-KEM)
 *   and signature algorithms pinned; no early data; the store holds the root only and
 *   the CRL with X509_V_FLAG_CRL_CHECK and X509_V_FLAG_X509_STRICT, verify depth 1.
 *   The verify callback adds the checks of PKI-CERT-1/5/6/9 and the CRL freshness of
 *   PKI-CERT-12 at depth 0, so a refused certificate gets a TLS alert in the handshake;
 *   after the handshake SSL_get_verify_result(), the peer certificate, the chain length
 *   and the single CN are checked again (a refusal there: EROR auth_failed, close_notify).
 *   ALPN: the select callback answers SSL_TLSEXT_ERR_ALERT_FATAL (no_application_protocol).
 * - CRL: from a file, or GET {ca-url}/v1/crl over TLS 1.3 with the CA's host name checked
 *   against its subjectAltName only; its signature is checked with the root's key; a
 *   thread refetches it every --crl-refresh seconds (default 300) and keeps the old one
 *   when a fetch fails (freshness then fails closed). No CRL at start: exit 1.
 * - Ending: close_notify by SSL_shutdown(), then shutdown(SHUT_WR), then the socket is
 *   drained for at most 1 s before close() so an unread request cannot turn the close
 *   into a reset that destroys the EROR in flight. We never wait for the peer's
 *   close_notify (ERR-3: close at once).
 * - JSON: Jansson with JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL (a NUL in a name is then
 *   refused as forbidden, not bad_frame); Jansson's own depth limit answers very deep
 *   payloads bad_frame; lone surrogates are Jansson parse errors: bad_frame (FRM-15).
 * - Names: every component opened with openat(O_NOFOLLOW) from the share's descriptor;
 *   every symbolic link is refused (forbidden), inside the share too; a name beyond the
 *   limits of APP-NAME-1 is forbidden; a get of a .sft-partial- name is forbidden.
 * - Get: RSFL {name, size} without sha256, DATA frames of 64 KiB.
 * - Put: stored under the basename in the inbox, temporary `.sft-partial-` + 32 random hex
 *   digits (RAND_bytes), O_CREAT|O_EXCL|O_NOFOLLOW 0600, fsync, linkat() (never replaces),
 *   unlink, fsync of the directory. Temporaries are registered before they are created and
 *   a sigwait() thread removes them on SIGTERM/SIGINT; the inbox is swept at start.
 * - Allow list (--allow): an initiator not on it gets `forbidden` to its first request,
 *   then close_notify and the close.
 * - Initiator: exit 0 on success, 1 on any failure, 2 on usage errors; messages on stderr.
 *   It checks ALPN and the responder's single CN (byte-exact) before its first frame,
 *   writes the get to `.sft-partial-*` beside OUT and links it into place only after DONE
 *   verified; OUT existing is an error (never replaced). It sweeps temporaries in OUT's
 *   directory older than the idle timeout (60 s).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "faults.h"

#define ALPN_ID "sft-pki/1"
#define TLS13_SUITES "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256"
#define TLS_GROUPS "X25519:P-256:P-384"
#define TLS_SIGALGS "ECDSA+SHA256:rsa_pss_rsae_sha256:rsa_pss_rsae_sha384:rsa_pss_rsae_sha512"
#define TLS_CLIENT_SIGALGS TLS_SIGALGS ":RSA+SHA256"
#define CONTROL_MAX 65536u
#define DATA_MAX 1048576u
#define CHUNK 65536u
#define PARTIAL_PREFIX ".sft-partial-"
#define CRL_MAX_LIFETIME (7 * 24 * 3600)

/* ---------------------------------------------------------------- faults */

static bool g_fault[F_COUNT];

#define PKI5_FAULT_NAME(e, name, req, line) name,
static const char *const FAULT_NAMES[F_COUNT] = {PKI5_FAULT_TABLE(PKI5_FAULT_NAME)};
#undef PKI5_FAULT_NAME

static bool fault(enum pki5_fault f) { return g_fault[f]; }

static void load_faults(void)
{
    const char *env = getenv("SFT_INDEPENDENT_FAULTS");
    if (env == NULL || *env == '\0') return;
    char *copy = strdup(env);
    char *save = NULL;
    for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        bool known = false;
        for (int i = 0; i < F_COUNT; i++)
            if (strcmp(tok, FAULT_NAMES[i]) == 0) { g_fault[i] = true; known = true; }
        if (!known) { fprintf(stderr, "pki5: unknown fault %s\n", tok); exit(2); }
    }
    free(copy);
}

/* ---------------------------------------------------------------- misc */

static void logmsg(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "pki5: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
}

static double now_mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void hex_encode(const unsigned char *in, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * n] = '\0';
}

/* ---------------------------------------------------------------- errors (§2) */

enum err_code {
    E_BAD_FRAME = 1, E_FRAME_TOO_LARGE, E_UNEXPECTED, E_AUTH_FAILED, E_FORBIDDEN,
    E_NOT_FOUND, E_TOO_LARGE, E_INTEGRITY, E_BUSY, E_TIMEOUT, E_INTERNAL, E_EXISTS,
    E_UNSUPPORTED, E_THROTTLED
};

static const char *err_name(int code)
{
    static const char *const names[] = {
        "", "bad_frame", "frame_too_large", "unexpected_frame", "auth_failed", "forbidden",
        "not_found", "too_large", "integrity_failed", "busy", "timeout", "internal",
        "exists", "unsupported", "throttled"};
    return (code >= 1 && code <= 14) ? names[code] : "internal";
}

static bool err_fatal(int code)
{
    return !(code == E_FORBIDDEN || code == E_NOT_FOUND || code == E_TOO_LARGE ||
             code == E_EXISTS || code == E_UNSUPPORTED);
}

/* ---------------------------------------------------------------- configuration */

struct config {
    const char *cert, *key, *root, *crl_file, *ca_url;
    const char *listen, *share, *inbox;
    const char *allow[64];
    int n_allow;
    bool no_put;
    double handshake_timeout, idle_timeout, crl_refresh;
    unsigned long long max_file_size;
    unsigned long frame_limit;
    int max_connections, max_pending;
};

static struct config cfg = {
    .handshake_timeout = 10.0, .idle_timeout = 60.0, .crl_refresh = 300.0,
    .max_file_size = 4294967296ULL, .frame_limit = 1048832UL,
    .max_connections = 64, .max_pending = 8,
};

/* ---------------------------------------------------------------- trust: root + CRL */

static X509 *g_root;
static X509_CRL *g_crl;
static int g_is_client_side; /* the initiator judges a server certificate */
static pthread_mutex_t g_crl_lock = PTHREAD_MUTEX_INITIALIZER;

static X509 *load_cert_file(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) return NULL;
    X509 *x = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    return x;
}

/* PKI-CERT-12: a CRL past its nextUpdate, without one, or living more than 7 days. */
static bool crl_is_fresh(X509_CRL *crl)
{
    const ASN1_TIME *last = X509_CRL_get0_lastUpdate(crl);
    const ASN1_TIME *next = X509_CRL_get0_nextUpdate(crl);
    if (last == NULL || next == NULL) return false;
    if (X509_cmp_current_time(next) <= 0) return false;
    int days = 0, secs = 0;
    if (!ASN1_TIME_diff(&days, &secs, last, next)) return false;
    long long span = (long long)days * 86400 + secs;
    return span >= 0 && span <= CRL_MAX_LIFETIME;
}

static bool crl_accept(X509_CRL *crl)
{
    EVP_PKEY *pk = X509_get0_pubkey(g_root);
    if (pk == NULL || X509_CRL_verify(crl, pk) != 1) { logmsg("CRL signature does not verify"); return false; }
    if (X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_subject_name(g_root)) != 0) {
        logmsg("CRL issuer is not the root");
        return false;
    }
    if (!crl_is_fresh(crl)) { logmsg("CRL is not fresh"); return false; }
    pthread_mutex_lock(&g_crl_lock);
    X509_CRL *old = g_crl;
    g_crl = crl;
    pthread_mutex_unlock(&g_crl_lock);
    X509_CRL_free(old);
    return true;
}

/* A minimal HTTPS GET of {ca_url}/v1/crl (TLS 1.3, the root only, SAN host check). */
static X509_CRL *fetch_crl(const char *ca_url)
{
    char host[256], port[16] = "443";
    const char *p = ca_url;
    if (strncmp(p, "https://", 8) != 0) { logmsg("--ca-url must be https://"); return NULL; }
    p += 8;
    const char *end = p + strcspn(p, "/");
    const char *colon = NULL;
    if (*p == '[') {
        const char *rb = memchr(p, ']', (size_t)(end - p));
        if (!rb) return NULL;
        if ((size_t)(rb - p - 1) >= sizeof host) return NULL;
        memcpy(host, p + 1, (size_t)(rb - p - 1));
        host[rb - p - 1] = '\0';
        if (rb + 1 < end && rb[1] == ':') colon = rb + 1;
    } else {
        colon = memchr(p, ':', (size_t)(end - p));
        size_t hl = (size_t)((colon ? colon : end) - p);
        if (hl >= sizeof host) return NULL;
        memcpy(host, p, hl);
        host[hl] = '\0';
    }
    if (colon) {
        size_t pl = (size_t)(end - colon - 1);
        if (pl >= sizeof port) return NULL;
        memcpy(port, colon + 1, pl);
        port[pl] = '\0';
    }
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *ai = NULL;
    if (getaddrinfo(host, port, &hints, &ai) != 0) return NULL;
    int fd = -1;
    for (struct addrinfo *a = ai; a; a = a->ai_next) {
        fd = socket(a->ai_family, a->ai_socktype, 0);
        if (fd < 0) continue;
        struct timeval tv = {.tv_sec = 10};
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
        if (connect(fd, a->ai_addr, a->ai_addrlen) == 0) break;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(ai);
    if (fd < 0) return NULL;

    X509_CRL *crl = NULL;
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    SSL *ssl = NULL;
    BIO *mem = NULL;
    if (!ctx) goto out;
    SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
    SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION);
    SSL_CTX_set_ciphersuites(ctx, TLS13_SUITES);
    SSL_CTX_set1_groups_list(ctx, TLS_GROUPS);
    X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx), g_root);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    ssl = SSL_new(ctx);
    if (!ssl) goto out;
    X509_VERIFY_PARAM *vp = SSL_get0_param(ssl);
    X509_VERIFY_PARAM_set_hostflags(vp, X509_CHECK_FLAG_NEVER_CHECK_SUBJECT);
    struct in6_addr tmp6;
    struct in_addr tmp4;
    if (inet_pton(AF_INET, host, &tmp4) == 1 || inet_pton(AF_INET6, host, &tmp6) == 1) {
        X509_VERIFY_PARAM_set1_ip_asc(vp, host);
    } else {
        X509_VERIFY_PARAM_set1_host(vp, host, 0);
        SSL_set_tlsext_host_name(ssl, host);
    }
    SSL_set_fd(ssl, fd);
    if (SSL_connect(ssl) != 1 || SSL_get_verify_result(ssl) != X509_V_OK) goto out;
    char req[512];
    int rl = snprintf(req, sizeof req,
                      "GET /v1/crl HTTP/1.1\r\nHost: %s:%s\r\nAccept: application/pkix-crl\r\n"
                      "Connection: close\r\n\r\n", host, port);
    if (SSL_write(ssl, req, rl) != rl) goto out;
    mem = BIO_new(BIO_s_mem());
    char buf[8192];
    size_t total = 0;
    for (;;) {
        int n = SSL_read(ssl, buf, sizeof buf);
        if (n <= 0) break;
        total += (size_t)n;
        if (total > 4 * 1024 * 1024) goto out;
        BIO_write(mem, buf, n);
    }
    char *data = NULL;
    long len = BIO_get_mem_data(mem, &data);
    if (len < 12 || strncmp(data, "HTTP/1.1 200", 12) != 0) goto out;
    char *body = memmem(data, (size_t)len, "\r\n\r\n", 4);
    if (!body) goto out;
    body += 4;
    const unsigned char *der = (const unsigned char *)body;
    crl = d2i_X509_CRL(NULL, &der, (long)(data + len - body));
    SSL_shutdown(ssl);
out:
    BIO_free(mem);
    SSL_free(ssl);
    SSL_CTX_free(ctx);
    close(fd);
    return crl;
}

static bool load_crl(void)
{
    X509_CRL *crl = NULL;
    if (cfg.crl_file) {
        FILE *f = fopen(cfg.crl_file, "rb");
        if (!f) return false;
        crl = d2i_X509_CRL_fp(f, NULL);
        if (!crl) {
            rewind(f);
            crl = PEM_read_X509_CRL(f, NULL, NULL, NULL);
        }
        fclose(f);
    } else if (cfg.ca_url) {
        crl = fetch_crl(cfg.ca_url);
    }
    if (!crl) { logmsg("cannot load the CRL"); return false; }
    if (!crl_accept(crl)) { X509_CRL_free(crl); return false; }
    return true;
}

static void *crl_refresher(void *arg)
{
    (void)arg;
    for (;;) {
        struct timespec ts = {.tv_sec = (time_t)cfg.crl_refresh,
                              .tv_nsec = (long)((cfg.crl_refresh - (double)(time_t)cfg.crl_refresh) * 1e9)};
        nanosleep(&ts, NULL);
        if (!load_crl()) logmsg("CRL refresh failed; keeping the CRL held");
    }
    return NULL;
}

/* A store per connection: the root, the CRL held now, CRL checking on. */
static X509_STORE *make_store(void)
{
    X509_STORE *st = X509_STORE_new();
    X509_STORE_add_cert(st, g_root);
    bool skip_crl = g_is_client_side && fault(F_CLIENT_NO_CRL);
    pthread_mutex_lock(&g_crl_lock);
    if (g_crl && !skip_crl) X509_STORE_add_crl(st, g_crl);
    pthread_mutex_unlock(&g_crl_lock);
    unsigned long flags = X509_V_FLAG_X509_STRICT;
    if (!fault(F_CRL_FLAG_UNSET) && !skip_crl) flags |= X509_V_FLAG_CRL_CHECK;
    if (fault(F_R3_NO_CHECK_TIME)) flags |= X509_V_FLAG_NO_CHECK_TIME;
    X509_STORE_set_flags(st, flags);
    /* F_R4_*_EKU_EITHER: "our callback checks the EKU", so OpenSSL's purpose test is off. */
    if (g_is_client_side ? fault(F_R4_CLIENT_EKU_EITHER) : fault(F_R4_SERVER_EKU_EITHER))
        X509_STORE_set_purpose(st, X509_PURPOSE_ANY);
    X509_STORE_set_depth(st, 1);
    return st;
}

/* The single CN of a subject, or false (none, several, or not text). */
static bool single_cn(X509 *x, char *out, size_t outsz)
{
    X509_NAME *nm = X509_get_subject_name(x);
    int idx = X509_NAME_get_index_by_NID(nm, NID_commonName, -1);
    if (idx < 0) return false;
    if (X509_NAME_get_index_by_NID(nm, NID_commonName, idx) >= 0) return false;
    ASN1_STRING *s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(nm, idx));
    unsigned char *utf8 = NULL;
    int n = ASN1_STRING_to_UTF8(&utf8, s);
    if (n < 0) return false;
    bool ok = (size_t)n < outsz && memchr(utf8, 0, (size_t)n) == NULL;
    if (ok) { memcpy(out, utf8, (size_t)n); out[n] = '\0'; }
    OPENSSL_free(utf8);
    return ok;
}

/* Which side judges the peer: a responder wants clientAuth, an initiator serverAuth. */
static int g_want_xku;  /* XKU_SSL_CLIENT or XKU_SSL_SERVER */

/* PKI-CERT-1/5/6/9 on the leaf: the checks OpenSSL's defaults do not make. */
static int leaf_error(X509 *x, bool is_client)
{
    if (X509_get_version(x) != X509_VERSION_3) return X509_V_ERR_INVALID_EXTENSION;
    uint32_t fl = X509_get_extension_flags(x);
    if ((!fault(F_CA_TRUE_ACCEPTED) || is_client) && !(is_client && fault(F_R2_CLIENT_CA_TRUE))) {
        if (!(fl & EXFLAG_BCONS) || (fl & EXFLAG_CA)) return X509_V_ERR_INVALID_CA;
    }
    if ((!(fl & EXFLAG_KUSAGE) && !fault(F_R2_KU_ABSENT_OK)) ||
        ((fl & EXFLAG_KUSAGE) && !(X509_get_key_usage(x) & KU_DIGITAL_SIGNATURE)))
        return X509_V_ERR_KEYUSAGE_NO_DIGITAL_SIGNATURE;
    bool eku_lenient = is_client ? fault(F_CLIENT_EKU_ANY) : fault(F_EKU_ABSENT_ANY);
    uint32_t want_xku = (uint32_t)g_want_xku;
    if (is_client ? fault(F_R4_CLIENT_EKU_EITHER) : fault(F_R4_SERVER_EKU_EITHER))
        want_xku = XKU_SSL_CLIENT | XKU_SSL_SERVER; /* "a TLS purpose" */
    if (fl & EXFLAG_XKUSAGE) {
        if (!(X509_get_extended_key_usage(x) & want_xku)) return X509_V_ERR_INVALID_PURPOSE;
    } else if (!eku_lenient) {
        return X509_V_ERR_INVALID_PURPOSE;
    }
    int mdnid = 0, pknid = 0, secbits = 0;
    uint32_t sflags = 0;
    if (!X509_get_signature_info(x, &mdnid, &pknid, &secbits, &sflags) || mdnid != NID_sha256)
        return X509_V_ERR_CA_MD_TOO_WEAK;
    EVP_PKEY *pk = X509_get0_pubkey(x);
    if (pk == NULL) return X509_V_ERR_UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY;
    int id = EVP_PKEY_get_base_id(pk);
    if (id == EVP_PKEY_RSA) {
        if (EVP_PKEY_get_bits(pk) < 2048) return X509_V_ERR_EE_KEY_TOO_SMALL;
    } else if (id == EVP_PKEY_EC) {
        char curve[64];
        size_t cl = 0;
        if (!EVP_PKEY_get_utf8_string_param(pk, "group", curve, sizeof curve, &cl) ||
            strcmp(curve, "prime256v1") != 0)
            return X509_V_ERR_EE_KEY_TOO_SMALL;
    } else {
        return X509_V_ERR_EE_KEY_TOO_SMALL;
    }
    char cn[128];
    bool cn_lenient = is_client ? fault(F_CLIENT_SET1_HOST) : fault(F_GET_TEXT_BY_NID);
    if (!cn_lenient && !single_cn(x, cn, sizeof cn)) return X509_V_ERR_SUBJECT_NAME_EMPTY;
    return X509_V_OK;
}

static int verify_cb(int preverify_ok, X509_STORE_CTX *xs)
{
    int depth = X509_STORE_CTX_get_error_depth(xs);
    if (preverify_ok && depth == 0) {
        X509 *leaf = X509_STORE_CTX_get_current_cert(xs);
        int e = leaf_error(leaf, g_is_client_side);
        if (e == X509_V_OK) {
            pthread_mutex_lock(&g_crl_lock);
            bool fresh = g_crl && crl_is_fresh(g_crl);
            pthread_mutex_unlock(&g_crl_lock);
            if (!fresh) e = X509_V_ERR_CRL_HAS_EXPIRED;
        }
        if (e != X509_V_OK) {
            X509_STORE_CTX_set_error(xs, e);
            preverify_ok = 0;
        }
    }
    if (!preverify_ok) {
        logmsg("certificate refused at depth %d: %s", depth,
               X509_verify_cert_error_string(X509_STORE_CTX_get_error(xs)));
        if (fault(F_VERIFY_CB_ACCEPTS) && !g_is_client_side) return 1;
    }
    return preverify_ok;
}

/* After the handshake: the result, the certificate, the chain, the single CN. */
static bool peer_identity(SSL *ssl, char *alias, size_t aliassz)
{
    X509 *peer = SSL_get0_peer_certificate(ssl);
    if (peer == NULL) {
        if (fault(F_NO_FAIL_IF_NO_PEER_CERT) && !g_is_client_side) {
            snprintf(alias, aliassz, "%s", "");
            return true;
        }
        return false;
    }
    bool skip_result = g_is_client_side ? fault(F_CLIENT_VERIFY_NONE) : fault(F_VERIFY_CB_ACCEPTS);
    if (!skip_result && SSL_get_verify_result(ssl) != X509_V_OK) return false;
    STACK_OF(X509) *chain = SSL_get0_verified_chain(ssl);
    if (!skip_result && (chain == NULL || sk_X509_num(chain) != 2)) return false;
    if (fault(F_GET_TEXT_BY_NID) && !g_is_client_side)
        return X509_NAME_get_text_by_NID(X509_get_subject_name(peer), NID_commonName, alias, (int)aliassz) > 0;
    if (fault(F_CLIENT_SET1_HOST) && g_is_client_side) return true;
    return single_cn(peer, alias, aliassz);
}

static int ssl_alpn_select(SSL *ssl, const unsigned char **out, unsigned char *outlen,
                           const unsigned char *in, unsigned int inlen, void *arg)
{
    (void)ssl;
    (void)arg;
    static const unsigned char want[] = "\x09" ALPN_ID;
    if (fault(F_R4_ALPN_PEER_LENGTH)) {
        for (unsigned int i = 0; i < inlen; i += 1u + in[i]) {
            unsigned char elen = in[i];
            if (elen == 0 || i + 1u + elen > inlen || elen > 9) continue;
            if (memcmp(in + i + 1, ALPN_ID, elen) == 0) { *out = in + i + 1; *outlen = elen; return SSL_TLSEXT_ERR_OK; }
        }
        return SSL_TLSEXT_ERR_ALERT_FATAL;
    }
    unsigned char *sel = NULL;
    int r = SSL_select_next_proto(&sel, outlen, want, sizeof want - 1, in, inlen);
    if (r == OPENSSL_NPN_NEGOTIATED || (fault(F_ALPN_IGNORE_RESULT) && inlen > 0)) {
        if (r != OPENSSL_NPN_NEGOTIATED) { sel = (unsigned char *)in + 1; *outlen = in[0]; }
        *out = sel;
        return SSL_TLSEXT_ERR_OK;
    }
    return fault(F_ALPN_NOACK) ? SSL_TLSEXT_ERR_NOACK : SSL_TLSEXT_ERR_ALERT_FATAL;
}

static void keylog_cb(const SSL *ssl, const char *line)
{
    (void)ssl;
    FILE *f = fopen(getenv("SSLKEYLOGFILE"), "a");
    if (f) { fprintf(f, "%s\n", line); fclose(f); }
}

static SSL_CTX *make_ctx(bool server)
{
    SSL_CTX *ctx = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
    if (!ctx) return NULL;
    int minv = (server && fault(F_TLS12_ALLOWED)) ? TLS1_2_VERSION : TLS1_3_VERSION;
    SSL_CTX_set_min_proto_version(ctx, minv);
    if (minv == TLS1_3_VERSION) SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION);
    SSL_CTX_set_ciphersuites(ctx, TLS13_SUITES);
    if (minv != TLS1_3_VERSION) SSL_CTX_set_cipher_list(ctx, "ECDHE+AESGCM");
    if ((server && !fault(F_R3_SERVER_DEFAULT_GROUPS)) || (!server && !fault(F_CLIENT_DEFAULT_GROUPS)))
        SSL_CTX_set1_groups_list(ctx, TLS_GROUPS);
    SSL_CTX_set1_sigalgs_list(ctx, server ? TLS_SIGALGS : TLS_CLIENT_SIGALGS);
    if (!server && fault(F_CLIENT_KEYLOG) && getenv("SSLKEYLOGFILE")) SSL_CTX_set_keylog_callback(ctx, keylog_cb);
    SSL_CTX_set_max_early_data(ctx, 0);
    SSL_CTX_set_recv_max_early_data(ctx, 0);
    SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_TICKET);
    SSL_CTX_set_mode(ctx, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    if (SSL_CTX_use_certificate_chain_file(ctx, cfg.cert) != 1 ||
        SSL_CTX_use_PrivateKey_file(ctx, cfg.key, SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(ctx) != 1) {
        logmsg("cannot load certificate/key");
        SSL_CTX_free(ctx);
        return NULL;
    }
    X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx), g_root);
    if (!server && fault(F_CLIENT_SYSTEM_TRUST)) SSL_CTX_set_default_verify_paths(ctx);
    int mode = SSL_VERIFY_PEER;
    if (server && !fault(F_NO_FAIL_IF_NO_PEER_CERT)) mode |= SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
    if (!server && fault(F_CLIENT_VERIFY_NONE)) mode = SSL_VERIFY_NONE;
    SSL_CTX_set_verify(ctx, mode, verify_cb);
    if (server) {
        SSL_CTX_set_alpn_select_cb(ctx, ssl_alpn_select, NULL);
    } else {
        static const unsigned char protos[] = "\x09" ALPN_ID;
        SSL_CTX_set_alpn_protos(ctx, protos, sizeof protos - 1);
    }
    return ctx;
}

/* ---------------------------------------------------------------- TLS over a non-blocking socket */

struct conn {
    int fd;
    SSL *ssl;
    bool dead; /* a fatal TLS/transport error: no SSL_shutdown any more */
};

enum io_result { IO_OK = 0, IO_CLOSED = -1, IO_TIMEOUT = -2, IO_ERROR = -3 };

static int wait_fd(int fd, short ev, double deadline)
{
    for (;;) {
        double left = deadline - now_mono();
        if (left <= 0) return IO_TIMEOUT;
        struct pollfd pfd = {.fd = fd, .events = ev};
        int ms = left > 3600 ? 3600000 : (int)(left * 1000) + 1;
        int r = poll(&pfd, 1, ms);
        if (r > 0) return IO_OK;
        if (r < 0 && errno != EINTR) return IO_ERROR;
    }
}

/* One SSL_read: >0 bytes, IO_CLOSED on close_notify, IO_ERROR on truncation/error,
 * IO_TIMEOUT at the deadline. */
static int tls_read_some(struct conn *c, void *buf, int n, double deadline, bool mid_frame)
{
    for (;;) {
        ERR_clear_error();
        int r = SSL_read(c->ssl, buf, n);
        if (r > 0) return r;
        int e = SSL_get_error(c->ssl, r);
        if (e == SSL_ERROR_ZERO_RETURN) return IO_CLOSED;
        if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
            if (mid_frame && fault(F_WANT_READ_EOF)) { c->dead = true; return IO_ERROR; }
            int w = wait_fd(c->fd, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline);
            if (w != IO_OK) return w;
            continue;
        }
        c->dead = true; /* SSL_ERROR_SYSCALL (bare EOF) or SSL_ERROR_SSL */
        return IO_ERROR;
    }
}

/* Exactly n bytes; the idle deadline restarts whenever bytes arrive. */
static int tls_read_exact(struct conn *c, void *buf, size_t n, double idle, bool frame_start)
{
    size_t got = 0;
    double deadline = idle > 0 ? now_mono() + idle : now_mono() + 1e9;
    while (got < n) {
        int chunk = (n - got) > (size_t)INT_MAX ? INT_MAX : (int)(n - got);
        int r = tls_read_some(c, (char *)buf + got, chunk, deadline, !(frame_start && got == 0));
        if (r == IO_CLOSED && got > 0) return IO_ERROR; /* close_notify inside a frame */
        if (r < 0) return r;
        got += (size_t)r;
        if (idle > 0) deadline = now_mono() + idle;
    }
    return IO_OK;
}

static int tls_write_all(struct conn *c, const void *buf, size_t n, double idle)
{
    size_t off = 0;
    while (off < n) {
        int chunk = (n - off) > 16384 ? 16384 : (int)(n - off);
        double deadline = now_mono() + (fault(F_WRITE_NO_DEADLINE) ? 1e9 : idle);
        for (;;) {
            ERR_clear_error();
            int r = SSL_write(c->ssl, (const char *)buf + off, chunk);
            if (r > 0) { off += (size_t)r; break; }
            int e = SSL_get_error(c->ssl, r);
            if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
                int w = wait_fd(c->fd, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline);
                if (w != IO_OK) { c->dead = true; return w; }
                continue;
            }
            c->dead = true;
            return IO_ERROR;
        }
    }
    return IO_OK;
}

/* close_notify (unless the connection is broken), FIN, a bounded drain, close. */
static void conn_close(struct conn *c, bool notify)
{
    if (c->ssl && notify && !c->dead) {
        double deadline = now_mono() + 1.0;
        for (;;) {
            ERR_clear_error();
            int r = SSL_shutdown(c->ssl);
            if (r == 0 && fault(F_SHUTDOWN_WAITS_PEER)) { deadline = now_mono() + 30.0; continue; }
            if (r >= 0) break; /* our close_notify is out; never wait for the peer's */
            int e = SSL_get_error(c->ssl, r);
            if (e != SSL_ERROR_WANT_WRITE && e != SSL_ERROR_WANT_READ) break;
            if (wait_fd(c->fd, e == SSL_ERROR_WANT_WRITE ? POLLOUT : POLLIN, deadline) != IO_OK) break;
        }
    }
    if (c->fd >= 0) {
        shutdown(c->fd, SHUT_WR);
        double deadline = now_mono() + 1.0;
        char sink[4096];
        while (wait_fd(c->fd, POLLIN, deadline) == IO_OK) {
            ssize_t r = recv(c->fd, sink, sizeof sink, 0);
            if (r <= 0 && !(r < 0 && (errno == EAGAIN || errno == EINTR))) break;
        }
    }
}

/* ---------------------------------------------------------------- frames (§1) */

static bool type_ok(const unsigned char t[4])
{
    for (int i = 0; i < 4; i++) {
        unsigned char ch = t[i];
        if (fault(F_B27_TYPE_ISALNUM)) { /* "letters, digits and _" */
            if (!(isalnum(ch) || ch == '_')) return false;
            continue;
        }
        if (!((ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_')) return false;
    }
    return true;
}

static const char *const KNOWN_TYPES[] = {"RQFL", "RSFL", "PUTF", "DATA", "DONE", "EROR", "BYE_"};

static bool type_known(const unsigned char t[4])
{
    for (size_t i = 0; i < sizeof KNOWN_TYPES / sizeof *KNOWN_TYPES; i++)
        if (memcmp(t, KNOWN_TYPES[i], 4) == 0) return true;
    return false;
}

static int send_frame(struct conn *c, const char *type, const void *payload, size_t len, double idle)
{
    unsigned char hdr[8];
    memcpy(hdr, type, 4);
    hdr[4] = (unsigned char)(len >> 24);
    hdr[5] = (unsigned char)(len >> 16);
    hdr[6] = (unsigned char)(len >> 8);
    hdr[7] = (unsigned char)len;
    if (len + 8 <= 16384) { /* header and payload in one record */
        unsigned char buf[16384];
        memcpy(buf, hdr, 8);
        if (len) memcpy(buf + 8, payload, len);
        return tls_write_all(c, buf, len + 8, idle);
    }
    int r = tls_write_all(c, hdr, 8, idle);
    if (r != IO_OK) return r;
    return tls_write_all(c, payload, len, idle);
}

/* Takes ownership of obj. */
static int send_json(struct conn *c, const char *type, json_t *obj, double idle)
{
    char *s = json_dumps(obj, JSON_COMPACT);
    json_decref(obj);
    if (!s) return IO_ERROR;
    int r = send_frame(c, type, s, strlen(s), idle);
    free(s);
    return r;
}

static int send_error(struct conn *c, int code, const char *message, double idle)
{
    if (fault(F_ERROR_JSON_SNPRINTF)) {
        static _Thread_local char buf[CONTROL_MAX];
        int n = snprintf(buf, sizeof buf, "{\"code\":%d,\"name\":\"%s\",\"message\":\"%s\"}", code,
                         err_name(code), message);
        return send_frame(c, "EROR", buf, n < 0 ? 0 : (size_t)n >= sizeof buf ? sizeof buf - 1 : (size_t)n, idle);
    }
    json_t *o = json_pack("{s:i,s:s,s:s}", "code", code, "name", err_name(code), "message", message);
    return send_json(c, "EROR", o, idle);
}

/* The control payload as a JSON object (FRM-8/9), or NULL. */
static json_t *parse_control(const unsigned char *buf, size_t len)
{
    size_t flags = JSON_ALLOW_NUL;
    if (!fault(F_DUP_KEYS_OK)) flags |= JSON_REJECT_DUPLICATES;
    if (fault(F_R3_JSON_TRAILING)) flags |= JSON_DISABLE_EOF_CHECK;
    json_error_t jerr;
    json_t *v = json_loadb((const char *)buf, len, flags, &jerr);
    if (v && !json_is_object(v)) { json_decref(v); return NULL; }
    return v;
}

/* FRM-11: an integer in 0 .. 2^63-1. */
static bool get_uint(json_t *o, const char *key, unsigned long long *out)
{
    json_t *v = json_object_get(o, key);
    if (v == NULL) return false;
    if (json_is_integer(v)) {
        json_int_t i = json_integer_value(v);
        if (i < 0 && !fault(F_R3_NEGATIVE_SIZE_WRAPS)) return false;
        *out = (unsigned long long)i;
        return true;
    }
    if (fault(F_REAL_AS_INT) && json_is_real(v)) {
        double d = json_number_value(v);
        if (d < 0 || d > 9.2e18) return false;
        *out = (unsigned long long)d;
        return true;
    }
    return false;
}

static bool get_string(json_t *o, const char *key, const char **s, size_t *len)
{
    json_t *v = json_object_get(o, key);
    if (!json_is_string(v)) return false;
    *s = json_string_value(v);
    *len = json_string_length(v);
    return true;
}

/* FRM-12: exactly 64 lowercase hex digits. */
static bool sha_ok(const char *s, size_t len)
{
    if (len != 64) return false;
    for (size_t i = 0; i < 64; i++) {
        if (fault(F_SHA_CASEFOLD) && s[i] >= 'A' && s[i] <= 'F') continue;
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) return false;
    }
    return true;
}

/* ---------------------------------------------------------------- names (§3.5) */

/* 0: acceptable; E_FORBIDDEN otherwise. */
static int check_name(const char *s, size_t len)
{
    if (len == 0 || len > 4096) return E_FORBIDDEN;
    if (s[0] == '/') return E_FORBIDDEN;
    if (len >= 2 && ((s[0] >= 'A' && s[0] <= 'Z') || (s[0] >= 'a' && s[0] <= 'z')) && s[1] == ':' &&
        !fault(F_R2_DRIVE_ALLOWED))
        return E_FORBIDDEN;
    if (fault(F_R4_DRIVE_PRECEDENCE) && len >= 2 &&
        ((s[0] >= 'A' && s[0] <= 'Z') || (s[0] >= 'a' && s[0] <= 'z' && s[1] == ':')))
        return E_FORBIDDEN;
    if (fault(F_NAME_DOTDOT_PREFIX)) {
        if (len >= 3 && memcmp(s, "../", 3) == 0) return E_FORBIDDEN;
    }
    size_t start = 0, chars = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i == len || s[i] == '/') {
            size_t cl = i - start;
            if (fault(F_B27_COMPONENT_CHARS) && cl > 255 && chars <= 255) cl = chars; /* "255 characters" */
            chars = 0;
            if ((cl == 0 && !fault(F_R2_EMPTY_COMPONENT)) || cl > 255) return E_FORBIDDEN;
            if (cl == 1 && s[start] == '.' && !fault(F_R2_DOT_ALLOWED)) return E_FORBIDDEN;
            if (!fault(F_NAME_DOTDOT_PREFIX) && cl == 2 && s[start] == '.' && s[start + 1] == '.')
                return E_FORBIDDEN;
            start = i + 1;
            continue;
        }
        unsigned char ch = (unsigned char)s[i];
        if ((ch & 0xc0) != 0x80) chars++;
        if (ch < 0x20 || ch == 0x7f || (ch == '\\' && !fault(F_R2_BACKSLASH_ALLOWED))) return E_FORBIDDEN;
        if (fault(F_R4_C1_ON_BYTES) && ch >= 0x80 && ch <= 0x9f) return E_FORBIDDEN;
    }
    /* Code points: C1 controls, bidi embeddings/overrides/isolates (APP-NAME-8). */
    for (size_t i = 0; i < len;) {
        unsigned char b = (unsigned char)s[i];
        uint32_t cp;
        size_t n;
        if (b < 0x80) { cp = b; n = 1; }
        else if ((b & 0xe0) == 0xc0) { cp = b & 0x1f; n = 2; }
        else if ((b & 0xf0) == 0xe0) { cp = b & 0x0f; n = 3; }
        else if ((b & 0xf8) == 0xf0) { cp = b & 0x07; n = 4; }
        else return E_FORBIDDEN;
        if (i + n > len) return E_FORBIDDEN;
        for (size_t k = 1; k < n; k++) {
            unsigned char cb = (unsigned char)s[i + k];
            if ((cb & 0xc0) != 0x80) return E_FORBIDDEN;
            cp = (cp << 6) | (cb & 0x3f);
        }
        if (!fault(F_C1_ALLOWED) && cp >= 0x80 && cp <= 0x9f) return E_FORBIDDEN;
        if (!fault(F_R2_BIDI_ALLOWED) && ((cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069))) return E_FORBIDDEN;
        i += n;
    }
    return 0;
}

static const char *last_component(const char *s)
{
    const char *slash = strrchr(s, '/');
    return slash ? slash + 1 : s;
}

/* Open a share file component by component (APP-NAME-4/5). Returns fd, or -code. */
static int open_in_share(int share_fd, const char *name)
{
    char *copy = strdup(name);
    if (!copy) return -E_INTERNAL;
    int dfd = dup(share_fd);
    int result = -E_INTERNAL;
    char *save = NULL;
    char *comp = strtok_r(copy, "/", &save);
    int nofollow = fault(F_SYMLINK_FOLLOWED) ? 0 : O_NOFOLLOW;
    while (comp) {
        char *next = strtok_r(NULL, "/", &save);
        int flags = O_RDONLY | O_CLOEXEC | nofollow | (next ? O_DIRECTORY : O_NONBLOCK);
        int fd = openat(dfd, comp, flags);
        if (fd < 0) {
            int err = errno;
            struct stat st;
            if (err == ELOOP && !fault(F_R3_ELOOP_NOT_FOUND)) result = -E_FORBIDDEN;
            else if (err == ELOOP) result = -E_NOT_FOUND;
            else if ((err == ENOTDIR || err == ENXIO) && !fault(F_R3_ELOOP_NOT_FOUND) &&
                     fstatat(dfd, comp, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
                result = -E_FORBIDDEN;
            else if (err == ENOENT || err == ENOTDIR || err == ENXIO) result = -E_NOT_FOUND;
            else if (err == ENAMETOOLONG || err == EACCES || err == EPERM) result = -E_FORBIDDEN;
            else result = -E_NOT_FOUND;
            close(dfd);
            free(copy);
            return result;
        }
        close(dfd);
        dfd = fd;
        comp = next;
    }
    free(copy);
    struct stat st;
    if (fault(F_R3_DIR_FORBIDDEN) && fstat(dfd, &st) == 0 && S_ISDIR(st.st_mode)) { close(dfd); return -E_FORBIDDEN; }
    if (fstat(dfd, &st) != 0 || !S_ISREG(st.st_mode)) { close(dfd); return -E_NOT_FOUND; }
    int fl = fcntl(dfd, F_GETFL);
    fcntl(dfd, F_SETFL, fl & ~O_NONBLOCK);
    return dfd;
}

/* The fault F_REALPATH_PREFIX: the classic realpath() + string-prefix check. */
static int open_by_realpath(const char *name)
{
    char share_real[PATH_MAX], joined[PATH_MAX * 2], resolved[PATH_MAX];
    if (!realpath(cfg.share, share_real)) return -E_INTERNAL;
    snprintf(joined, sizeof joined, "%s/%s", share_real, name);
    if (!realpath(joined, resolved)) return errno == ENOENT || errno == ENOTDIR ? -E_NOT_FOUND : -E_FORBIDDEN;
    if (strncmp(resolved, share_real, strlen(share_real)) != 0) return -E_FORBIDDEN;
    int fd = open(resolved, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) return -E_NOT_FOUND;
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) { close(fd); return -E_NOT_FOUND; }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    return fd;
}

/* The fault F_LSTAT_THEN_OPEN: check every prefix, then open the whole path (TOCTOU). */
static int open_by_lstat(int share_fd, const char *name)
{
    char prefix[4097];
    size_t len = strlen(name);
    if (len >= sizeof prefix) return -E_FORBIDDEN;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && name[i] != '/') continue;
        memcpy(prefix, name, i);
        prefix[i] = '\0';
        struct stat st;
        if (fstatat(share_fd, prefix, &st, AT_SYMLINK_NOFOLLOW) != 0) return -E_NOT_FOUND;
        if (S_ISLNK(st.st_mode)) return -E_FORBIDDEN;
    }
    int fd = openat(share_fd, name, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) return -E_NOT_FOUND;
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) { close(fd); return -E_NOT_FOUND; }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    return fd;
}

/* ---------------------------------------------------------------- temporaries + signals */

#define MAX_TEMPS 256
static struct { int dirfd; char name[64]; bool used; } g_temps[MAX_TEMPS];
static pthread_mutex_t g_temps_lock = PTHREAD_MUTEX_INITIALIZER;

static int temp_register(int dirfd, char name[64])
{
    unsigned char rnd[16];
    char hex[33];
    if (RAND_bytes(rnd, sizeof rnd) != 1) return -1;
    hex_encode(rnd, sizeof rnd, hex);
    snprintf(name, 64, PARTIAL_PREFIX "%s", hex);
    pthread_mutex_lock(&g_temps_lock);
    for (int i = 0; i < MAX_TEMPS; i++) {
        if (!g_temps[i].used) {
            g_temps[i].used = true;
            g_temps[i].dirfd = dirfd;
            memcpy(g_temps[i].name, name, 64);
            pthread_mutex_unlock(&g_temps_lock);
            return i;
        }
    }
    pthread_mutex_unlock(&g_temps_lock);
    return -1;
}

static void temp_release(int slot, bool remove)
{
    if (slot < 0) return;
    pthread_mutex_lock(&g_temps_lock);
    if (remove) unlinkat(g_temps[slot].dirfd, g_temps[slot].name, 0);
    g_temps[slot].used = false;
    pthread_mutex_unlock(&g_temps_lock);
}

static void *signal_thread(void *arg)
{
    sigset_t *set = arg;
    int sig = 0;
    sigwait(set, &sig);
    pthread_mutex_lock(&g_temps_lock);
    for (int i = 0; i < MAX_TEMPS; i++)
        if (g_temps[i].used) unlinkat(g_temps[i].dirfd, g_temps[i].name, 0);
    _exit(sig == SIGTERM ? 143 : 130);
    return NULL;
}

static void start_signal_thread(void)
{
    static sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    pthread_t t;
    pthread_create(&t, NULL, signal_thread, &set);
    pthread_detach(t);
}

/* ---------------------------------------------------------------- responder */

struct slot {
    bool used, handshaking, evicted;
    int fd;
    double accepted;
    struct sockaddr_storage addr;
};

static struct slot *g_slots;
static int g_nslots, g_active;
static pthread_mutex_t g_slots_lock = PTHREAD_MUTEX_INITIALIZER;
static SSL_CTX *g_server_ctx;
static int g_share_fd = -1, g_inbox_fd = -1;

static bool same_host(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
    if (a->ss_family != b->ss_family) return false;
    if (a->ss_family == AF_INET)
        return ((const struct sockaddr_in *)a)->sin_addr.s_addr == ((const struct sockaddr_in *)b)->sin_addr.s_addr;
    if (a->ss_family == AF_INET6)
        return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr, &((const struct sockaddr_in6 *)b)->sin6_addr, 16) == 0;
    return false;
}

struct session {
    struct conn c;
    int slot;
    char alias[128];
    bool allowed;
    /* put in progress */
    bool receiving;
    int tmp_fd, tmp_slot;
    char final_name[256];
    unsigned long long put_size, received;
    bool put_has_sha;
    char put_sha[65];
    EVP_MD_CTX *md;
};

/* F_R4_STATIC_FINAL_NAME: one buffer for every session ("it is only read at DONE"). */
static char g_final_name_shared[256];

static char *final_name(struct session *s)
{
    return fault(F_R4_STATIC_FINAL_NAME) ? g_final_name_shared : s->final_name;
}

static bool alias_allowed(const char *alias)
{
    if (cfg.n_allow == 0) return true;
    for (int i = 0; i < cfg.n_allow; i++)
        if (fault(F_ALLOW_PREFIX) ? strncmp(alias, cfg.allow[i], strlen(cfg.allow[i])) == 0
                                  : strcmp(alias, cfg.allow[i]) == 0)
            return true;
    return false;
}

/* The put's digest: the session's, or (F_R3_SHARED_PUT_MD) one process-wide context, as a
 * `static EVP_MD_CTX *` set up once "to save an allocation per put". */
static EVP_MD_CTX *g_shared_put_md; /* allocated in cmd_serve when the fault is on */

static EVP_MD_CTX *put_md(struct session *s)
{
    return fault(F_R3_SHARED_PUT_MD) && g_shared_put_md ? g_shared_put_md : s->md;
}

static void put_abort(struct session *s)
{
    if (!s->receiving) return;
    close(s->tmp_fd);
    temp_release(s->tmp_slot, !fault(F_PARTIAL_KEPT));
    s->receiving = false;
    s->tmp_fd = -1;
    s->tmp_slot = -1;
}

/* A fatal answer: EROR, close_notify, close (ERR-3, PKI-TLS-7). Returns false. */
static bool fatal(struct session *s, int code, const char *msg)
{
    put_abort(s);
    if (!s->c.dead) send_error(&s->c, code, msg, cfg.idle_timeout);
    if (code == E_BAD_FRAME && fault(F_FATAL_KEEPS_READING)) {
        char sink[4096];
        double deadline = now_mono() + cfg.idle_timeout;
        while (tls_read_some(&s->c, sink, sizeof sink, deadline, false) > 0) {}
    }
    return false;
}

static bool do_get(struct session *s, json_t *req)
{
    const char *name;
    size_t nlen;
    if (!get_string(req, "name", &name, &nlen)) return fatal(s, E_BAD_FRAME, "RQFL needs a string name");
    if (fault(F_NAME_STRLEN)) nlen = strlen(name);
    if (fault(F_B27_OPEN_BEFORE_ALLOW) && !s->allowed && check_name(name, nlen) == 0) {
        /* "look the file up first, then decide who may have it" */
        int probe = open_in_share(g_share_fd, name);
        if (probe == -E_NOT_FOUND) return send_error(&s->c, E_NOT_FOUND, "no such file", cfg.idle_timeout) == IO_OK;
        if (probe >= 0) close(probe);
    }
    if (!s->allowed && !fault(F_ALLOW_PUT_ONLY)) {
        send_error(&s->c, E_FORBIDDEN, "not authorised", cfg.idle_timeout);
        return false;
    }
    if (check_name(name, nlen) != 0 || strncmp(last_component(name), PARTIAL_PREFIX, strlen(PARTIAL_PREFIX)) == 0)
        return send_error(&s->c, E_FORBIDDEN, "name refused", cfg.idle_timeout) == IO_OK;
    int fd = fault(F_REALPATH_PREFIX) ? open_by_realpath(name)
             : fault(F_LSTAT_THEN_OPEN) ? open_by_lstat(g_share_fd, name)
                                        : open_in_share(g_share_fd, name);
    if (fd < 0) {
        int code = -fd;
        if (err_fatal(code)) return fatal(s, code, "cannot open the file");
        if (code == E_NOT_FOUND && (fault(F_MESSAGE_ECHOES_NAME) || fault(F_ERROR_JSON_SNPRINTF))) {
            static _Thread_local char msg[8192];
            snprintf(msg, sizeof msg, "no such file: %.*s", fault(F_MESSAGE_ECHOES_NAME) ? 4096 : 64, name);
            return send_error(&s->c, code, msg, cfg.idle_timeout) == IO_OK;
        }
        return send_error(&s->c, code, code == E_NOT_FOUND ? "no such file" : "name refused", cfg.idle_timeout) == IO_OK;
    }
    struct stat st;
    fstat(fd, &st);
    unsigned long long size = (unsigned long long)st.st_size;
    if (size > cfg.max_file_size || (fault(F_SIZE_LIMIT_OFF_BY_ONE) && size == cfg.max_file_size)) {
        close(fd);
        return send_error(&s->c, E_TOO_LARGE, "file above the size limit", cfg.idle_timeout) == IO_OK;
    }
    json_t *rs = json_object();
    json_object_set_new(rs, "name", json_stringn(name, nlen));
    json_object_set_new(rs, "size", json_integer((json_int_t)size));
    if (send_json(&s->c, "RSFL", rs, cfg.idle_timeout) != IO_OK) { close(fd); return false; }
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    EVP_DigestInit_ex(md, EVP_sha256(), NULL);
    static _Thread_local unsigned char buf[CHUNK];
    unsigned long long sent = 0;
    bool ok = true;
    while (sent < size) {
        size_t want = size - sent > CHUNK ? CHUNK : (size_t)(size - sent);
        ssize_t r = read(fd, buf, want);
        if (r <= 0) { ok = false; break; }
        EVP_DigestUpdate(md, buf, (size_t)r);
        if (send_frame(&s->c, "DATA", buf, (size_t)r, cfg.idle_timeout) != IO_OK) { close(fd); EVP_MD_CTX_free(md); return false; }
        sent += (unsigned long long)r;
    }
    close(fd);
    unsigned char dig[32];
    char hex[65];
    EVP_DigestFinal_ex(md, dig, NULL);
    EVP_MD_CTX_free(md);
    if (!ok) return fatal(s, E_INTERNAL, "the file changed while it was read");
    hex_encode(dig, 32, hex);
    json_t *done = json_pack("{s:I,s:s}", "size", (json_int_t)size, "sha256", hex);
    return send_json(&s->c, "DONE", done, cfg.idle_timeout) == IO_OK;
}

static bool do_put(struct session *s, json_t *req)
{
    const char *name, *sha = NULL;
    size_t nlen, shalen = 0;
    unsigned long long size;
    if (!get_string(req, "name", &name, &nlen) || !get_uint(req, "size", &size))
        return fatal(s, E_BAD_FRAME, "PUTF needs name and size");
    json_t *shav = json_object_get(req, "sha256");
    if (fault(F_R3_SHA_NULL_ABSENT) && json_is_null(shav)) shav = NULL;
    if (shav) {
        if (!get_string(req, "sha256", &sha, &shalen) || !sha_ok(sha, shalen))
            return fatal(s, E_BAD_FRAME, "PUTF sha256 is not 64 lowercase hex digits");
    }
    if (!s->allowed) {
        int sent = send_error(&s->c, E_FORBIDDEN, "not authorised", cfg.idle_timeout);
        return fault(F_R2_FORBIDDEN_PUT_OPEN) && sent == IO_OK;
    }
    if (cfg.no_put) return send_error(&s->c, E_UNSUPPORTED, "put is disabled", cfg.idle_timeout) == IO_OK;
    if (check_name(name, nlen) != 0)
        return send_error(&s->c, E_FORBIDDEN, "name refused", cfg.idle_timeout) == IO_OK;
    const char *base = last_component(name);
    if (strncmp(fault(F_B27_PARTIAL_PREFIX_WHOLE) ? name : base, PARTIAL_PREFIX, strlen(PARTIAL_PREFIX)) == 0)
        return send_error(&s->c, E_FORBIDDEN, "reserved name", cfg.idle_timeout) == IO_OK;
    char tmpname[64];
    int slot = -1, fd = -1;
    if (fault(F_R4_TEMP_BEFORE_EXISTS)) { /* "reserve the disk space first" */
        slot = temp_register(g_inbox_fd, tmpname);
        if (slot < 0) return fatal(s, E_INTERNAL, "no temporary slot");
        fd = openat(g_inbox_fd, tmpname, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0) { temp_release(slot, false); return fatal(s, E_INTERNAL, "cannot create a temporary file"); }
    }
    if (size > cfg.max_file_size || (fault(F_SIZE_LIMIT_OFF_BY_ONE) && size == cfg.max_file_size)) {
        if (fd >= 0) { close(fd); temp_release(slot, false); }
        return send_error(&s->c, E_TOO_LARGE, "size above the limit", cfg.idle_timeout) == IO_OK;
    }
    struct stat st;
    bool exists = fault(F_R4_EXISTS_ACCESS) ? faccessat(g_inbox_fd, base, F_OK, 0) == 0
                                           : fstatat(g_inbox_fd, base, &st, AT_SYMLINK_NOFOLLOW) == 0;
    if (!fault(F_PUT_OVERWRITES) && exists) {
        if (fd >= 0) { close(fd); temp_release(slot, false); }
        if (fault(F_R3_EXISTS_CLOSES)) return fatal(s, E_EXISTS, "already exists");
        return send_error(&s->c, E_EXISTS, "already exists", cfg.idle_timeout) == IO_OK;
    }
    if (slot < 0) {
        slot = temp_register(g_inbox_fd, tmpname);
        if (slot < 0) return fatal(s, E_INTERNAL, "no temporary slot");
        fd = openat(g_inbox_fd, tmpname, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0) { temp_release(slot, false); return fatal(s, E_INTERNAL, "cannot create a temporary file"); }
    }
    s->receiving = true;
    s->tmp_fd = fd;
    s->tmp_slot = slot;
    snprintf(final_name(s), sizeof s->final_name, "%s", fault(F_R3_PUT_FINAL_WHOLE_NAME) ? name : base);
    s->put_size = size;
    if (!fault(F_R3_RECEIVED_NOT_RESET)) s->received = 0;
    s->put_has_sha = sha != NULL;
    if (sha) memcpy(s->put_sha, sha, 65);
    EVP_DigestInit_ex(put_md(s), EVP_sha256(), NULL);
    json_t *acc = json_object();
    json_object_set_new(acc, "accept", json_true());
    json_object_set_new(acc, "name", json_string(base));
    return send_json(&s->c, "RSFL", acc, cfg.idle_timeout) == IO_OK;
}

/* DATA in RECEIVING: the header is checked before the payload is read (APP-PUT-6). */
static bool do_data(struct session *s, uint32_t len)
{
    if (!fault(F_OVERFLOW_AT_DONE) && s->received + len > s->put_size)
        return fatal(s, E_INTEGRITY, "more data than announced");
    static _Thread_local unsigned char buf[CHUNK];
    uint32_t left = len;
    while (left > 0) {
        size_t n = left > CHUNK ? CHUNK : left;
        if (tls_read_exact(&s->c, buf, n, cfg.idle_timeout, false) != IO_OK) { put_abort(s); return false; }
        EVP_DigestUpdate(put_md(s), buf, n);
        if (write(s->tmp_fd, buf, n) != (ssize_t)n) return fatal(s, E_INTERNAL, "write failed");
        left -= (uint32_t)n;
    }
    s->received += len;
    return true;
}

static bool do_done(struct session *s, json_t *o)
{
    unsigned long long size;
    const char *sha;
    size_t shalen;
    if (!get_uint(o, "size", &size) || !get_string(o, "sha256", &sha, &shalen) || !sha_ok(sha, shalen))
        return fatal(s, E_BAD_FRAME, "DONE needs size and sha256");
    unsigned char dig[32];
    char hex[65];
    EVP_DigestFinal_ex(put_md(s), dig, NULL);
    hex_encode(dig, 32, hex);
    int (*cmp)(const char *, const char *) = fault(F_SHA_CASEFOLD) ? strcasecmp : strcmp;
    const size_t sha_cmp_len = sizeof sha; /* F_R3_SHA_SIZEOF_POINTER: meant sizeof hex - 1 */
    bool sha_differs = fault(F_R3_SHA_SIZEOF_POINTER) ? memcmp(hex, sha, sha_cmp_len) != 0 : cmp(hex, sha) != 0;
    if (s->received != s->put_size || (size != s->put_size && !fault(F_R2_DONE_SIZE_UNCHECKED)) || sha_differs ||
        (s->put_has_sha && cmp(hex, s->put_sha) != 0)) {
        if (fault(F_R2_DONE_MISMATCH_KEEPS_TEMP)) {
            close(s->tmp_fd);
            s->tmp_fd = -1;
            s->receiving = false;
        }
        if (fault(F_R2_DONE_MISMATCH_NONFATAL)) {
            put_abort(s);
            return send_error(&s->c, E_INTEGRITY, "size or sha256 mismatch", cfg.idle_timeout) == IO_OK;
        }
        return fatal(s, E_INTEGRITY, "size or sha256 mismatch");
    }
    if (fsync(s->tmp_fd) != 0) return fatal(s, E_INTERNAL, "fsync failed");
    close(s->tmp_fd);
    s->tmp_fd = -1;
    char tmpname[64];
    memcpy(tmpname, g_temps[s->tmp_slot].name, 64);
    int r;
    if (fault(F_PUT_OVERWRITES) || fault(F_RENAME_AFTER_CHECK)) r = renameat(g_inbox_fd, tmpname, g_inbox_fd, final_name(s));
    else r = linkat(g_inbox_fd, tmpname, g_inbox_fd, final_name(s), 0);
    int err = errno;
    temp_release(s->tmp_slot, true);
    s->tmp_slot = -1;
    s->receiving = false;
    if (r != 0) {
        if (err == EEXIST) return send_error(&s->c, E_EXISTS, "already exists", cfg.idle_timeout) == IO_OK;
        return fatal(s, E_INTERNAL, "cannot store the file");
    }
    fsync(g_inbox_fd);
    json_t *done = json_pack("{s:I,s:s}", "size", (json_int_t)size, "sha256", hex);
    return send_json(&s->c, "DONE", done, cfg.idle_timeout) == IO_OK;
}

/* One frame: false when the connection is to be closed. */
static bool serve_frame(struct session *s)
{
    unsigned char hdr[8];
    double idle = fault(F_NO_IDLE_TIMEOUT) && !s->receiving ? 0 : cfg.idle_timeout;
    int r = tls_read_exact(&s->c, hdr, 8, idle, true);
    if (r == IO_TIMEOUT && fault(F_R2_TIMEOUT_NO_EROR)) { put_abort(s); return false; }
    if (r == IO_TIMEOUT) return fatal(s, E_TIMEOUT, "idle timeout");
    if (r != IO_OK) { put_abort(s); return false; }
    uint32_t len = ((uint32_t)hdr[4] << 24) | ((uint32_t)hdr[5] << 16) | ((uint32_t)hdr[6] << 8) | hdr[7];
    if (!type_ok(hdr)) return fatal(s, E_BAD_FRAME, "bad frame type");
    if (fault(F_SIGNED_LENGTH) && (int32_t)len < 0) {
        /* int32_t len: negative passes every limit and the payload read never ends */
        char sink[4096];
        double deadline = now_mono() + cfg.idle_timeout;
        while (tls_read_some(&s->c, sink, sizeof sink, deadline, true) > 0) deadline = now_mono() + cfg.idle_timeout;
        put_abort(s);
        return false;
    }
    if (len > cfg.frame_limit && fault(F_R3_TOO_LARGE_SILENT)) { put_abort(s); return false; }
    if (len > cfg.frame_limit) return fatal(s, E_FRAME_TOO_LARGE, "frame above the limit");
    if (!type_known(hdr)) return fatal(s, fault(F_R2_UNKNOWN_TYPE_BAD_FRAME) ? E_BAD_FRAME : E_UNEXPECTED, "unknown frame type");
    bool is_data = memcmp(hdr, "DATA", 4) == 0;
    if (!is_data && (len > CONTROL_MAX || (fault(F_CONTROL_MAX_OFF_BY_ONE) && len == CONTROL_MAX)))
        return fatal(s, E_FRAME_TOO_LARGE, "control payload above 65536 bytes");
    if (is_data && ((len == 0 && !fault(F_EMPTY_DATA_OK)) || len > DATA_MAX ||
                    (fault(F_DATA_MAX_OFF_BY_ONE) && len == DATA_MAX)))
        return fatal(s, E_BAD_FRAME, "DATA must carry 1 to 1048576 bytes");
    bool is_eror = memcmp(hdr, "EROR", 4) == 0;
    if (fault(F_R3_BYE_DURING_PUT) && memcmp(hdr, "BYE_", 4) == 0) {
        put_abort(s);
        return false; /* BYE_ ends the connection, whatever the state */
    }
    if (!is_eror) {
        bool allowed = s->receiving ? (is_data || memcmp(hdr, "DONE", 4) == 0 ||
                                       (fault(F_R2_STATE_IDLE_ONLY) && memcmp(hdr, "RSFL", 4) != 0))
                                    : (memcmp(hdr, "RQFL", 4) == 0 || memcmp(hdr, "PUTF", 4) == 0 ||
                                       memcmp(hdr, "BYE_", 4) == 0 || (fault(F_R4_IDLE_ELSE_IS_BYE) && !is_data));
        if (!allowed) return fatal(s, E_UNEXPECTED, "frame not allowed in this state");
    }
    if (is_data) return do_data(s, len);
    static _Thread_local unsigned char payload[CONTROL_MAX];
    if (tls_read_exact(&s->c, payload, len, cfg.idle_timeout, false) != IO_OK) { put_abort(s); return false; }
    if (is_eror && fault(F_B27_MALFORMED_EROR_IGNORED)) { /* "an EROR without a code is noise" */
        json_t *e = parse_control(payload, len);
        unsigned long long ecode;
        bool wellformed = e && get_uint(e, "code", &ecode);
        json_decref(e);
        if (!wellformed) return true;
    }
    if (is_eror) { put_abort(s); return false; } /* any EROR ends the connection */
    json_t *o = parse_control(payload, len);
    if (!o) return fatal(s, E_BAD_FRAME, "malformed control payload");
    bool keep;
    if (memcmp(hdr, "RQFL", 4) == 0) keep = do_get(s, o);
    else if (memcmp(hdr, "PUTF", 4) == 0) keep = do_put(s, o);
    else if (memcmp(hdr, "DONE", 4) == 0) keep = do_done(s, o);
    else { /* BYE_ */
        keep = false;
        if (fault(F_NO_CLOSE_NOTIFY_BYE)) s->c.dead = true;
    }
    json_decref(o);
    return keep;
}

static void slot_free(int idx, bool established)
{
    pthread_mutex_lock(&g_slots_lock);
    if (g_slots[idx].fd >= 0) close(g_slots[idx].fd);
    g_slots[idx].fd = -1;
    g_slots[idx].used = false;
    if (established || !fault(F_SLOT_LEAK)) g_active--;
    pthread_mutex_unlock(&g_slots_lock);
}

static void *connection_thread(void *arg)
{
    int idx = (int)(intptr_t)arg;
    struct session s = {.slot = idx, .tmp_fd = -1, .tmp_slot = -1};
    if (fault(F_R4_ACTIVE_IN_THREAD)) {
        pthread_mutex_lock(&g_slots_lock);
        g_active++;
        pthread_mutex_unlock(&g_slots_lock);
    }
    s.c.fd = g_slots[idx].fd;
    s.md = EVP_MD_CTX_new();
    double hs_deadline = g_slots[idx].accepted + cfg.handshake_timeout;
    s.c.ssl = SSL_new(g_server_ctx);
    X509_STORE *st = make_store();
    SSL_set1_verify_cert_store(s.c.ssl, st);
    X509_STORE_free(st);
    SSL_set_fd(s.c.ssl, s.c.fd);
    bool established = false;
    for (;;) {
        ERR_clear_error();
        int r = SSL_accept(s.c.ssl);
        if (r == 1) { established = true; break; }
        int e = SSL_get_error(s.c.ssl, r);
        if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
            if (fault(F_HS_DEADLINE_PER_READ)) hs_deadline = now_mono() + cfg.handshake_timeout;
            if (wait_fd(s.c.fd, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, hs_deadline) != IO_OK) break;
            continue;
        }
        break;
    }
    pthread_mutex_lock(&g_slots_lock);
    g_slots[idx].handshaking = false;
    pthread_mutex_unlock(&g_slots_lock);
    if (established) {
        const unsigned char *proto = NULL;
        unsigned int plen = 0;
        SSL_get0_alpn_selected(s.c.ssl, &proto, &plen);
        bool alpn_ok = (plen == 9 && memcmp(proto, ALPN_ID, 9) == 0) || fault(F_ALPN_NOACK) ||
                       (fault(F_R4_ALPN_PEER_LENGTH) && plen > 0 && plen <= 9 && memcmp(proto, ALPN_ID, plen) == 0) ||
                       fault(F_ALPN_IGNORE_RESULT);
        if (!alpn_ok || !peer_identity(s.c.ssl, s.alias, sizeof s.alias)) {
            send_error(&s.c, E_AUTH_FAILED, "authentication failed", cfg.idle_timeout);
        } else {
            static int cached_allowed = -1; /* F_R3_ALLOWED_CACHED: "the list never changes" */
            if (fault(F_R3_ALLOWED_CACHED)) {
                if (cached_allowed < 0) cached_allowed = alias_allowed(s.alias);
                s.allowed = cached_allowed != 0;
            } else {
                s.allowed = alias_allowed(s.alias);
            }
            while (serve_frame(&s)) {}
        }
        put_abort(&s);
        conn_close(&s.c, true);
    }
    SSL_free(s.c.ssl);
    EVP_MD_CTX_free(s.md);
    slot_free(idx, established);
    return NULL;
}

static void sweep_inbox(void)
{
    int fd = dup(g_inbox_fd);
    DIR *d = fdopendir(fd);
    if (!d) { close(fd); return; }
    struct dirent *de;
    while ((de = readdir(d)) != NULL)
        if (strncmp(de->d_name, PARTIAL_PREFIX, strlen(PARTIAL_PREFIX)) == 0)
            unlinkat(g_inbox_fd, de->d_name, 0);
    closedir(d);
}

static int listen_on(const char *hostport)
{
    char host[256];
    const char *colon = strrchr(hostport, ':');
    if (!colon) return -1;
    size_t hl = (size_t)(colon - hostport);
    if (hl >= sizeof host) return -1;
    memcpy(host, hostport, hl);
    host[hl] = '\0';
    char *h = host;
    if (h[0] == '[') { h++; h[strlen(h) - 1] = '\0'; }
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE}, *ai = NULL;
    if (getaddrinfo(*h ? h : NULL, colon + 1, &hints, &ai) != 0) return -1;
    int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, 128) != 0) {
        freeaddrinfo(ai);
        close(fd);
        return -1;
    }
    freeaddrinfo(ai);
    return fd;
}

static int cmd_serve(void)
{
    if (!cfg.listen || !cfg.cert || !cfg.key || !cfg.root || !cfg.share || !cfg.inbox ||
        (!cfg.crl_file && !cfg.ca_url)) {
        logmsg("serve needs --listen --cert --key --root --share --inbox and --crl or --ca-url");
        return 2;
    }
    g_want_xku = XKU_SSL_CLIENT;
    g_root = load_cert_file(cfg.root);
    if (!g_root) { logmsg("cannot read the root"); return 1; }
    if (!load_crl()) return 1; /* fail closed: PKI-CERT-7 */
    g_server_ctx = make_ctx(true);
    if (!g_server_ctx) return 1;
    if (fault(F_R3_SHARED_PUT_MD)) g_shared_put_md = EVP_MD_CTX_new();
    g_share_fd = open(cfg.share, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    g_inbox_fd = open(cfg.inbox, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (g_share_fd < 0 || g_inbox_fd < 0) { logmsg("cannot open the share or the inbox"); return 1; }
    sweep_inbox();
    int lfd = listen_on(cfg.listen);
    if (lfd < 0) { logmsg("cannot listen on %s", cfg.listen); return 1; }
    struct sockaddr_storage la;
    socklen_t lal = sizeof la;
    getsockname(lfd, (struct sockaddr *)&la, &lal);
    int port = la.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&la)->sin6_port)
                                        : ntohs(((struct sockaddr_in *)&la)->sin_port);
    start_signal_thread();
    pthread_t crl_t;
    pthread_create(&crl_t, NULL, crl_refresher, NULL);
    pthread_detach(crl_t);
    g_nslots = cfg.max_connections * 2 + 16;
    g_slots = calloc((size_t)g_nslots, sizeof *g_slots);
    for (int i = 0; i < g_nslots; i++) g_slots[i].fd = -1;
    printf("limits: handshake_timeout=%g idle_timeout=%g max_file_size=%llu max_connections=%d "
           "max_pending_per_address=%d frame_limit=%lu crl_refresh=%g\n",
           cfg.handshake_timeout, cfg.idle_timeout, cfg.max_file_size, cfg.max_connections,
           cfg.max_pending, cfg.frame_limit, cfg.crl_refresh);
    char lhost[INET6_ADDRSTRLEN] = "127.0.0.1";
    if (la.ss_family == AF_INET6) {
        inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&la)->sin6_addr, lhost, sizeof lhost);
        printf("listening on [%s]:%d\n", lhost, port);
    } else {
        inet_ntop(AF_INET, &((struct sockaddr_in *)&la)->sin_addr, lhost, sizeof lhost);
        printf("listening on %s:%d\n", lhost, port);
    }
    fflush(stdout);
    for (;;) {
        struct sockaddr_storage pa;
        socklen_t pal = sizeof pa;
        int fd = accept4(lfd, (struct sockaddr *)&pa, &pal, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (fd < 0) {
            if (errno == EMFILE || errno == ENFILE) { struct timespec ts = {0, 50000000}; nanosleep(&ts, NULL); }
            continue;
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        double t = now_mono();
        pthread_mutex_lock(&g_slots_lock);
        int pending_same = 0, oldest = -1, free_idx = -1;
        for (int i = 0; i < g_nslots; i++) {
            struct slot *sl = &g_slots[i];
            if (!sl->used) { if (free_idx < 0) free_idx = i; continue; }
            if (sl->handshaking && !sl->evicted) {
                if (same_host(&sl->addr, &pa)) pending_same++;
                if (oldest < 0 || sl->accepted < g_slots[oldest].accepted) oldest = i;
            }
        }
        bool admit = (pending_same < cfg.max_pending + (fault(F_R2_PENDING_CAP_GT) ? 1 : 0) || fault(F_NO_PENDING_CAP)) && free_idx >= 0;
        if (admit && g_active >= cfg.max_connections) {
            if (oldest >= 0 && !fault(F_NO_EVICTION)) { /* LIM-9: make room from the oldest handshake */
                g_slots[oldest].evicted = true;
                shutdown(g_slots[oldest].fd, SHUT_RDWR);
            } else {
                admit = false; /* LIM-4 */
            }
        }
        if (admit) {
            g_slots[free_idx] = (struct slot){.used = true, .handshaking = true, .fd = fd, .accepted = t, .addr = pa};
            if (!fault(F_R4_ACTIVE_IN_THREAD)) g_active++;
        }
        pthread_mutex_unlock(&g_slots_lock);
        if (!admit) { close(fd); continue; }
        pthread_t th;
        if (pthread_create(&th, NULL, connection_thread, (void *)(intptr_t)free_idx) != 0) {
            slot_free(free_idx, true);
            continue;
        }
        pthread_detach(th);
        while (fault(F_R4_HS_ON_ACCEPT_LOOP)) { /* "one handshake at a time keeps the table simple" */
            pthread_mutex_lock(&g_slots_lock);
            bool pending = g_slots[free_idx].used && g_slots[free_idx].handshaking;
            pthread_mutex_unlock(&g_slots_lock);
            if (!pending) break;
            struct timespec ts = {0, 2000000};
            nanosleep(&ts, NULL);
        }
    }
}

/* ---------------------------------------------------------------- initiator */

struct target { char alias[128], host[256], port[16]; };
static bool g_cn_mismatch;
static bool g_put_mode; /* F_R4_CLIENT_CN_GET_ONLY: cmd_put's copy of the connect code */

static bool parse_target(const char *spec, struct target *t)
{
    const char *at = strchr(spec, '@');
    if (!at || (size_t)(at - spec) >= sizeof t->alias || at == spec) return false;
    memcpy(t->alias, spec, (size_t)(at - spec));
    t->alias[at - spec] = '\0';
    const char *hp = at + 1;
    const char *colon = strrchr(hp, ':');
    if (!colon) return false;
    size_t hl = (size_t)(colon - hp);
    if (hp[0] == '[' && hl >= 2 && hp[hl - 1] == ']') { hp++; hl -= 2; }
    if (hl == 0 || hl >= sizeof t->host || strlen(colon + 1) >= sizeof t->port) return false;
    memcpy(t->host, hp, hl);
    t->host[hl] = '\0';
    strcpy(t->port, colon + 1);
    return true;
}

static bool client_connect(struct conn *c, const struct target *t, SSL_CTX *ctx)
{
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *ai = NULL;
    if (getaddrinfo(t->host, t->port, &hints, &ai) != 0) { logmsg("cannot resolve %s", t->host); return false; }
    double deadline = now_mono() + (fault(F_R4_CLIENT_HS_NO_DEADLINE) ? 1e9 : cfg.handshake_timeout);
    c->fd = -1;
    for (struct addrinfo *a = ai; a && c->fd < 0; a = a->ai_next) {
        int fd = socket(a->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0) continue;
        if (connect(fd, a->ai_addr, a->ai_addrlen) != 0 && errno != EINPROGRESS) { close(fd); continue; }
        if (wait_fd(fd, POLLOUT, deadline) != IO_OK) { close(fd); continue; }
        int soerr = 0;
        socklen_t sl = sizeof soerr;
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl);
        if (soerr != 0) { close(fd); continue; }
        c->fd = fd;
    }
    freeaddrinfo(ai);
    if (c->fd < 0) { logmsg("cannot connect to %s:%s", t->host, t->port); return false; }
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    c->ssl = SSL_new(ctx);
    X509_STORE *st = make_store();
    if (fault(F_CLIENT_SYSTEM_TRUST)) X509_STORE_set_default_paths(st);
    SSL_set1_verify_cert_store(c->ssl, st);
    X509_STORE_free(st);
    SSL_set_fd(c->ssl, c->fd);
    if (fault(F_CLIENT_SET1_HOST)) SSL_set1_host(c->ssl, t->alias);
    for (;;) {
        ERR_clear_error();
        int r = SSL_connect(c->ssl);
        if (r == 1) break;
        int e = SSL_get_error(c->ssl, r);
        if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
            if (wait_fd(c->fd, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline) != IO_OK) {
                logmsg("timed out before the handshake completed");
                c->dead = true;
                return false;
            }
            continue;
        }
        unsigned long ec = ERR_peek_error();
        if (ec) logmsg("TLS handshake failed: %s", ERR_reason_error_string(ec));
        else logmsg("TLS handshake failed (connection closed: server busy?)");
        c->dead = true;
        return false;
    }
    const unsigned char *proto = NULL;
    unsigned int plen = 0;
    SSL_get0_alpn_selected(c->ssl, &proto, &plen);
    if ((plen != 9 || memcmp(proto, ALPN_ID, 9) != 0) && !fault(F_CLIENT_ALPN_UNCHECKED)) {
        logmsg("the responder did not select %s", ALPN_ID);
        return false;
    }
    char cn[128] = "";
    if (!peer_identity(c->ssl, cn, sizeof cn)) {
        if (!(fault(F_CLIENT_VERIFY_NONE) && SSL_get0_peer_certificate(c->ssl))) {
            logmsg("the responder's certificate is refused");
            return false;
        }
        if (!single_cn(SSL_get0_peer_certificate(c->ssl), cn, sizeof cn)) cn[0] = '\0';
    }
    bool match = fault(F_CN_CASEFOLD) ? strcasecmp(cn, t->alias) == 0 : strcmp(cn, t->alias) == 0;
    if (fault(F_R3_CLIENT_CN_PREFIX)) match = strncmp(cn, t->alias, strlen(t->alias)) == 0;
    if (fault(F_CLIENT_SET1_HOST)) match = true; /* SSL_set1_host() checked it in the handshake */
    if (fault(F_R4_CLIENT_CN_GET_ONLY) && g_put_mode) match = true;
    if (!match && fault(F_CLIENT_CN_AFTER_REQUEST)) {
        g_cn_mismatch = true; /* judged once the request is out */
        return true;
    }
    if (!match && !fault(F_CLIENT_NO_CN_CHECK)) {
        logmsg("the responder is not %s (PKI-ID-1)", t->alias);
        return false;
    }
    return true;
}

/* F_B27_CLIENT_CONTROL_LIMIT_ANSWER: set once a get's DATA may come ("the buffer holds 1 MiB now"). */
static bool g_client_in_transfer;

/* Read one frame fully (control payloads only; DATA payloads are returned too, up to 1 MiB). */
struct frame { char type[5]; uint32_t len; unsigned char *payload; };

static int client_read_frame(struct conn *c, struct frame *f, unsigned char *buf)
{
    unsigned char hdr[8];
    int r = tls_read_exact(c, hdr, 8, cfg.idle_timeout, true);
    if (r != IO_OK) return r;
    memcpy(f->type, hdr, 4);
    f->type[4] = '\0';
    f->len = ((uint32_t)hdr[4] << 24) | ((uint32_t)hdr[5] << 16) | ((uint32_t)hdr[6] << 8) | hdr[7];
    f->payload = buf;
    if (!type_ok(hdr)) return -E_BAD_FRAME - 100;
    if (f->len > cfg.frame_limit) return -E_FRAME_TOO_LARGE - 100;
    if (!type_known(hdr)) return -E_UNEXPECTED - 100;
    bool is_data = strcmp(f->type, "DATA") == 0;
    if (!is_data && f->len > CONTROL_MAX && !(fault(F_B27_CLIENT_CONTROL_LIMIT_ANSWER) && g_client_in_transfer))
        return -E_FRAME_TOO_LARGE - 100;
    if (is_data && ((f->len == 0 && !fault(F_R2_CLIENT_EMPTY_DATA)) || f->len > DATA_MAX)) return -E_BAD_FRAME - 100;
    return IO_OK;
}

static int client_fail(struct conn *c, int code, const char *msg)
{
    logmsg("%s", msg);
    if (code && !c->dead) send_error(c, code, msg, cfg.idle_timeout);
    conn_close(c, true);
    return 1;
}

static int report_eror(struct conn *c, const unsigned char *payload, uint32_t len)
{
    json_t *o = parse_control(payload, len);
    unsigned long long code = 0;
    bool parsed = o && get_uint(o, "code", &code);
    const char *ename = o ? json_string_value(json_object_get(o, "name")) : NULL;
    bool soft_name = ename && (strcmp(ename, "exists") == 0 || strcmp(ename, "not_found") == 0 ||
                               strcmp(ename, "forbidden") == 0 || strcmp(ename, "too_large") == 0 ||
                               strcmp(ename, "unsupported") == 0);
    if (parsed)
        logmsg("the responder answered %s (%llu)", err_name((int)code), code);
    else
        logmsg("the responder sent a malformed EROR");
    if (fault(F_B27_CLIENT_BYE_BY_NAME) && soft_name) /* "a refusal: end it politely" */
        send_frame(c, "BYE_", "{}", 2, cfg.idle_timeout);
    json_decref(o);
    if (parsed && fault(F_B27_CLIENT_BYE_AFTER_SOFT)) {
        /* a refusal leaves the connection idle: end it politely. The fatal codes, listed. */
        bool listed_fatal = code == E_BAD_FRAME || code == E_FRAME_TOO_LARGE || code == E_UNEXPECTED ||
                            code == E_AUTH_FAILED || code == E_INTEGRITY || code == E_BUSY ||
                            code == E_TIMEOUT || code == E_INTERNAL || code == E_THROTTLED;
        if (!listed_fatal) send_frame(c, "BYE_", "{}", 2, cfg.idle_timeout);
    }
    conn_close(c, true);
    return 1;
}

static SSL_CTX *client_setup(void)
{
    g_is_client_side = 1;
    g_want_xku = XKU_SSL_SERVER;
    if (!cfg.cert || !cfg.key || !cfg.root || (!cfg.crl_file && !cfg.ca_url)) {
        logmsg("needs --cert --key --root and --crl or --ca-url");
        return NULL;
    }
    g_root = load_cert_file(cfg.root);
    if (!g_root) { logmsg("cannot read the root"); return NULL; }
    if (!load_crl()) return NULL;
    return make_ctx(false);
}

static void sweep_stale(int dirfd)
{
    int fd = dup(dirfd);
    DIR *d = fdopendir(fd);
    if (!d) { close(fd); return; }
    struct dirent *de;
    time_t now = time(NULL);
    while ((de = readdir(d)) != NULL) {
        if (strncmp(de->d_name, PARTIAL_PREFIX, strlen(PARTIAL_PREFIX)) != 0) continue;
        struct stat st;
        if (fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode) &&
            (difftime(now, st.st_mtime) > cfg.idle_timeout || fault(F_CLIENT_SWEEPS_ALL)))
            unlinkat(dirfd, de->d_name, 0);
    }
    closedir(d);
}

/* The fault F_CLIENT_TMPDIR: copy a finished download into the output directory. */
static int copy_into(const char *from, int dirfd, const char *base)
{
    int in = open(from, O_RDONLY | O_CLOEXEC);
    int outfd = openat(dirfd, base, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    int rc = (in < 0 || outfd < 0) ? -1 : 0;
    char b[CHUNK];
    ssize_t n;
    while (rc == 0 && (n = read(in, b, sizeof b)) > 0)
        if (write(outfd, b, (size_t)n) != n) rc = -1;
    if (in >= 0) close(in);
    if (outfd >= 0) close(outfd);
    return rc;
}

static int cmd_get(const char *spec, const char *name, const char *out)
{
    struct target t;
    if (!parse_target(spec, &t) || !out) { logmsg("usage: get ALIAS@HOST:PORT NAME -o OUT"); return 2; }
    char dirbuf[PATH_MAX];
    snprintf(dirbuf, sizeof dirbuf, "%s", out);
    char *slash = strrchr(dirbuf, '/');
    const char *base = out;
    if (slash) { *slash = '\0'; base = slash + 1; if (dirbuf[0] == '\0') strcpy(dirbuf, "/"); }
    else strcpy(dirbuf, ".");
    int dirfd = open(dirbuf, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dirfd < 0) { logmsg("cannot open the output directory"); return 1; }
    if (!fault(F_CLIENT_NO_SIGNAL_CLEANUP)) start_signal_thread();
    sweep_stale(dirfd);
    struct stat st;
    if (!fault(F_CLIENT_RENAME_REPLACES) && fstatat(dirfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0) {
        logmsg("%s exists; not replaced", out);
        return 1;
    }
    SSL_CTX *ctx = client_setup();
    if (!ctx) return 1;
    struct conn c = {.fd = -1};
    if (!client_connect(&c, &t, ctx)) { conn_close(&c, true); return 1; }

    json_t *rq = json_object();
    json_object_set_new(rq, "name", json_string(name));
    if (send_json(&c, "RQFL", rq, cfg.idle_timeout) != IO_OK) return client_fail(&c, 0, "cannot send the request");
    if (g_cn_mismatch) return client_fail(&c, 0, "the responder is not the alias asked for");
    static unsigned char buf[DATA_MAX];
    struct frame f;
    int r = client_read_frame(&c, &f, buf);
    if (r <= -100) return client_fail(&c, -r - 100, "malformed frame from the responder");
    if (r != IO_OK) return client_fail(&c, 0, "the connection ended before the answer");
    if (tls_read_exact(&c, buf, f.len, cfg.idle_timeout, false) != IO_OK)
        return client_fail(&c, 0, "the connection ended inside a frame");
    if (strcmp(f.type, "EROR") == 0) return report_eror(&c, buf, f.len);
    if (strcmp(f.type, "RSFL") != 0) return client_fail(&c, E_UNEXPECTED, "expected RSFL");
    json_t *rs = parse_control(buf, f.len);
    const char *rname, *rsha = NULL;
    size_t rnlen, rshalen = 0;
    unsigned long long size;
    if (!rs || !get_string(rs, "name", &rname, &rnlen) || !get_uint(rs, "size", &size)) {
        json_decref(rs);
        return client_fail(&c, E_BAD_FRAME, "malformed RSFL");
    }
    if (rnlen != strlen(name) || memcmp(rname, name, rnlen) != 0) {
        json_decref(rs);
        return client_fail(&c, E_BAD_FRAME, "RSFL names another file");
    }
    char rsfl_sha[65] = "";
    if (fault(F_R4_CLIENT_RSFL_SHA_TYPE) ? json_is_string(json_object_get(rs, "sha256")) : json_object_get(rs, "sha256") != NULL) {
        if (!get_string(rs, "sha256", &rsha, &rshalen) || !sha_ok(rsha, rshalen)) {
            json_decref(rs);
            return client_fail(&c, E_BAD_FRAME, "malformed RSFL sha256");
        }
        memcpy(rsfl_sha, rsha, 65);
    }
    json_decref(rs);

    char tmpname[64];
    int tslot = temp_register(dirfd, tmpname);
    mode_t tmode = fault(F_CLIENT_TEMP_0644) ? 0644 : 0600;
    if (fault(F_CLIENT_TEMP_0644)) umask(022);
    int fd = tslot < 0 ? -1 : openat(dirfd, tmpname, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, tmode);
    char tmpdir_path[PATH_MAX] = "";
    if (fault(F_CLIENT_TMPDIR) && fd >= 0) {
        close(fd);
        temp_release(tslot, true);
        tslot = -1;
        const char *td = getenv("TMPDIR");
        snprintf(tmpdir_path, sizeof tmpdir_path, "%s/sft-get-XXXXXX", td && *td ? td : "/tmp");
        fd = mkstemp(tmpdir_path);
    }
    if (fd < 0) { temp_release(tslot, false); return client_fail(&c, E_INTERNAL, "cannot create a temporary file"); }
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    EVP_DigestInit_ex(md, EVP_sha256(), NULL);
    unsigned long long got = 0;
    int rc = 1;
    g_client_in_transfer = true;
    for (;;) {
        r = client_read_frame(&c, &f, buf);
        if (r <= -100) { client_fail(&c, -r - 100, "malformed frame from the responder"); break; }
        if (r != IO_OK) {
            if (fault(F_CLIENT_EOF_COMMITS) && got == size) {
                fsync(fd);
                if (linkat(dirfd, tmpname, dirfd, base, 0) == 0) rc = 0;
                conn_close(&c, true);
                break;
            }
            client_fail(&c, 0, "the connection ended before DONE");
            break;
        }
        if (strcmp(f.type, "DATA") == 0) {
            if (got + f.len > size && !fault(F_R2_CLIENT_EXCESS_AT_DONE)) { client_fail(&c, E_INTEGRITY, "more data than announced"); break; }
            if (tls_read_exact(&c, buf, f.len, cfg.idle_timeout, false) != IO_OK) {
                client_fail(&c, 0, "the connection ended inside a frame");
                break;
            }
            if (write(fd, buf, f.len) != (ssize_t)f.len) { client_fail(&c, E_INTERNAL, "write failed"); break; }
            EVP_DigestUpdate(md, buf, f.len);
            got += f.len;
            continue;
        }
        if (tls_read_exact(&c, buf, f.len, cfg.idle_timeout, false) != IO_OK) {
            client_fail(&c, 0, "the connection ended inside a frame");
            break;
        }
        if (strcmp(f.type, "EROR") == 0) { report_eror(&c, buf, f.len); break; }
        if (strcmp(f.type, "DONE") != 0) { client_fail(&c, E_UNEXPECTED, "unexpected frame during the get"); break; }
        json_t *d = parse_control(buf, f.len);
        const char *dsha;
        size_t dshalen;
        unsigned long long dsize;
        if (!d || !get_uint(d, "size", &dsize) || !get_string(d, "sha256", &dsha, &dshalen) || !sha_ok(dsha, dshalen)) {
            json_decref(d);
            client_fail(&c, E_BAD_FRAME, "malformed DONE");
            break;
        }
        unsigned char dig[32];
        char hex[65];
        EVP_DigestFinal_ex(md, dig, NULL);
        hex_encode(dig, 32, hex);
        bool ok = got == size && (dsize == size || fault(F_R2_CLIENT_DONE_SIZE));
        if (!fault(F_CLIENT_NO_SHA_CHECK)) ok = ok && strcmp(hex, dsha) == 0 && (!rsfl_sha[0] || strcmp(hex, rsfl_sha) == 0);
        json_decref(d);
        if (!ok) { client_fail(&c, fault(F_R3_CLIENT_INTEGRITY_SILENT) ? 0 : E_INTEGRITY, "size or sha256 mismatch"); break; }
        int committed = fsync(fd);
        if (committed == 0 && tmpdir_path[0])
            committed = copy_into(tmpdir_path, dirfd, base);
        else if (committed == 0)
            committed = fault(F_CLIENT_RENAME_REPLACES) ? renameat(dirfd, tmpname, dirfd, base)
                                                        : linkat(dirfd, tmpname, dirfd, base, 0);
        if (committed != 0) {
            client_fail(&c, 0, "cannot store the file (exists?)");
            break;
        }
        fsync(dirfd);
        send_frame(&c, "BYE_", "{}", 2, cfg.idle_timeout);
        if (fault(F_R3_CLIENT_NO_CLOSE_NOTIFY)) c.dead = true;
        conn_close(&c, true);
        rc = 0;
        break;
    }
    close(fd);
    temp_release(tslot, true);
    if (tmpdir_path[0]) unlink(tmpdir_path);
    EVP_MD_CTX_free(md);
    return rc;
}

static int cmd_put(const char *spec, const char *file, const char *as)
{
    struct target t;
    if (!parse_target(spec, &t) || !file) { logmsg("usage: put ALIAS@HOST:PORT FILE [--as NAME]"); return 2; }
    if (!as) as = last_component(file);
    g_put_mode = true;
    int fd = open(file, O_RDONLY | O_CLOEXEC);
    if (fd < 0) { logmsg("cannot open %s", file); return 1; }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) { logmsg("%s is not a regular file", file); return 1; }
    unsigned long long size = (unsigned long long)st.st_size;
    static unsigned char buf[CHUNK];
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    EVP_DigestInit_ex(md, EVP_sha256(), NULL);
    for (unsigned long long left = size; left > 0;) {
        ssize_t r = read(fd, buf, left > CHUNK ? CHUNK : (size_t)left);
        if (r <= 0) { logmsg("read failed"); return 1; }
        EVP_DigestUpdate(md, buf, (size_t)r);
        left -= (unsigned long long)r;
    }
    unsigned char dig[32];
    char hex[65];
    EVP_DigestFinal_ex(md, dig, NULL);
    EVP_MD_CTX_free(md);
    hex_encode(dig, 32, hex);
    SSL_CTX *ctx = client_setup();
    if (!ctx) return 1;
    struct conn c = {.fd = -1};
    if (!client_connect(&c, &t, ctx)) { conn_close(&c, true); return 1; }
    json_t *pf = json_pack("{s:s,s:I,s:s}", "name", as, "size", (json_int_t)size, "sha256", hex);
    if (send_json(&c, "PUTF", pf, cfg.idle_timeout) != IO_OK) return client_fail(&c, 0, "cannot send PUTF");
    if (g_cn_mismatch) return client_fail(&c, 0, "the responder is not the alias asked for");
    static unsigned char fbuf[CONTROL_MAX];
    struct frame f;
    int r = client_read_frame(&c, &f, fbuf);
    if (r <= -100) return client_fail(&c, -r - 100, "malformed frame from the responder");
    if (r != IO_OK || f.len > CONTROL_MAX) return client_fail(&c, 0, "no answer to PUTF");
    if (tls_read_exact(&c, fbuf, f.len, cfg.idle_timeout, false) != IO_OK) return client_fail(&c, 0, "the connection ended inside a frame");
    if (strcmp(f.type, "EROR") == 0 && fault(F_R3_CLIENT_PUT_REFUSAL_OK)) {
        json_t *eo = parse_control(fbuf, f.len);
        unsigned long long code = 0;
        bool soft = eo && get_uint(eo, "code", &code) && !err_fatal((int)code);
        json_decref(eo);
        int rc = report_eror(&c, fbuf, f.len);
        return soft ? 0 : rc; /* "the responder declined: nothing to do" */
    }
    if (strcmp(f.type, "EROR") == 0) return report_eror(&c, fbuf, f.len);
    if (strcmp(f.type, "RSFL") != 0) return client_fail(&c, E_UNEXPECTED, "expected RSFL");
    json_t *acc = parse_control(fbuf, f.len);
    json_t *accept = acc ? json_object_get(acc, "accept") : NULL;
    bool accepted = fault(F_CLIENT_ACCEPT_BOOLEAN) ? json_is_boolean(accept) : json_is_true(accept);
    if (!acc || !accepted || !json_is_string(json_object_get(acc, "name"))) {
        json_decref(acc);
        return client_fail(&c, E_BAD_FRAME, "the put was not accepted");
    }
    json_decref(acc);
    if (lseek(fd, 0, SEEK_SET) != 0) return client_fail(&c, E_INTERNAL, "seek failed");
    for (unsigned long long left = size; left > 0;) {
        ssize_t n = read(fd, buf, left > CHUNK ? CHUNK : (size_t)left);
        if (n <= 0) return client_fail(&c, E_INTERNAL, "the file shrank");
        if (send_frame(&c, "DATA", buf, (size_t)n, cfg.idle_timeout) != IO_OK) return client_fail(&c, 0, "send failed");
        left -= (unsigned long long)n;
    }
    close(fd);
    json_t *done = json_pack("{s:I,s:s}", "size", (json_int_t)size, "sha256", hex);
    if (send_json(&c, "DONE", done, cfg.idle_timeout) != IO_OK) return client_fail(&c, 0, "cannot send DONE");
    r = client_read_frame(&c, &f, fbuf);
    if (r <= -100) return client_fail(&c, -r - 100, "malformed frame from the responder");
    if (r != IO_OK) return client_fail(&c, 0, "the connection ended before the responder's DONE");
    if (tls_read_exact(&c, fbuf, f.len, cfg.idle_timeout, false) != IO_OK) return client_fail(&c, 0, "the connection ended inside a frame");
    if (strcmp(f.type, "EROR") == 0) return report_eror(&c, fbuf, f.len);
    if (strcmp(f.type, "DONE") != 0) return client_fail(&c, E_UNEXPECTED, "expected DONE");
    json_t *d = parse_control(fbuf, f.len);
    unsigned long long dsize;
    const char *dsha;
    size_t dl;
    bool ok = d && get_uint(d, "size", &dsize) && get_string(d, "sha256", &dsha, &dl) && dsize == size &&
              dl == 64 && strcmp(dsha, hex) == 0;
    json_decref(d);
    if (!ok) return client_fail(&c, E_BAD_FRAME, "the responder's DONE does not match");
    send_frame(&c, "BYE_", "{}", 2, cfg.idle_timeout);
    if (fault(F_R3_CLIENT_NO_CLOSE_NOTIFY)) c.dead = true;
    conn_close(&c, true);
    return 0;
}

/* ---------------------------------------------------------------- main */

static double num_arg(const char *s)
{
    char *end;
    double v = strtod(s, &end);
    if (*end != '\0' || v < 0) { logmsg("bad number %s", s); exit(2); }
    return v;
}

int main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    load_faults();
    if (argc < 2) {
        fprintf(stderr, "usage: pki5 serve|get|put ...\n");
        return 2;
    }
    const char *cmd = argv[1];
    const char *pos[3] = {0};
    int npos = 0;
    const char *out = NULL, *as = NULL;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
#define OPT(flag) (strcmp(a, flag) == 0 && v && (i++, true))
        if (OPT("--cert")) cfg.cert = v;
        else if (OPT("--key")) cfg.key = v;
        else if (OPT("--root")) cfg.root = v;
        else if (OPT("--crl")) cfg.crl_file = v;
        else if (OPT("--ca-url")) cfg.ca_url = v;
        else if (OPT("--listen")) cfg.listen = v;
        else if (OPT("--share")) cfg.share = v;
        else if (OPT("--inbox")) cfg.inbox = v;
        else if (OPT("--allow")) { if (cfg.n_allow < 64) cfg.allow[cfg.n_allow++] = v; }
        else if (OPT("--handshake-timeout")) cfg.handshake_timeout = num_arg(v);
        else if (OPT("--idle-timeout")) cfg.idle_timeout = num_arg(v);
        else if (OPT("--timeout")) cfg.handshake_timeout = num_arg(v); /* initiator: connect + handshake */
        else if (OPT("--crl-refresh")) cfg.crl_refresh = num_arg(v);
        else if (OPT("--max-file-size")) cfg.max_file_size = (unsigned long long)num_arg(v);
        else if (OPT("--frame-limit")) cfg.frame_limit = (unsigned long)num_arg(v);
        else if (OPT("--max-connections")) cfg.max_connections = (int)num_arg(v);
        else if (OPT("--max-pending-per-address")) cfg.max_pending = (int)num_arg(v);
        else if (OPT("-o")) out = v;
        else if (OPT("--as")) as = v;
        else if (strcmp(a, "--no-put") == 0) cfg.no_put = true;
        else if (a[0] == '-' && a[1] != '\0') { logmsg("unknown option %s", a); return 2; }
        else if (npos < 3) pos[npos++] = a;
        else { logmsg("too many arguments"); return 2; }
#undef OPT
    }
    if (cfg.crl_refresh < 1) cfg.crl_refresh = 1;
    if (strcmp(cmd, "serve") == 0) return cmd_serve();
    if (strcmp(cmd, "get") == 0 && npos == 2) return cmd_get(pos[0], pos[1], out);
    if (strcmp(cmd, "put") == 0 && npos == 2) return cmd_put(pos[0], pos[1], as);
    fprintf(stderr, "usage: pki5 serve|get|put ...\n");
    return 2;
}
