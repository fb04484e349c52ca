/* The sft-eke/1 responder: one detached pthread per connection (blocking I/O with poll()
 * timeouts reads naturally as the SPEC's per-connection state machine; a scrypt-free
 * handshake costs two 3072-bit exponentiations, which a thread absorbs without stalling
 * the others, LIM-5). Shared state (connection table, throttle tables, temporary-file
 * registry) is behind mutexes. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "eke5.h"
#include "throttle.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <limits.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

/* ---------------- configuration ---------------- */
static struct {
    const char *listen_host;
    int port;
    const char *share, *inbox, *store, *state;
    int allow_put;
    double handshake_timeout, idle_timeout;
    uint64_t max_file_size;
    unsigned max_connections, max_pending_per_address;
    uint32_t frame_limit;
    struct throttle_cfg th;
} cfg = {
    .listen_host = "127.0.0.1", .port = 0, .allow_put = 1, .handshake_timeout = 10.0,
    .idle_timeout = 60.0, .max_file_size = 4294967296ull, .max_connections = 64,
    .max_pending_per_address = 8, .frame_limit = DEFAULT_FRAME_LIMIT,
    .th = {.failures = 5, .base = 1.0, .cap = 300.0, .pending_user = 4, .pending_addr = 8,
           .lock_after = 100, .table_entries = 4096},
};

static int g_share_fd = -1, g_inbox_fd = -1;
static uint8_t g_server_secret[32];

struct account {
    uint8_t user[64];
    size_t ulen;
    uint8_t pw[32];
};
static struct account *g_accounts;
static size_t g_naccounts;

/* ---------------- connection table (LIM-4, LIM-8, LIM-9) ---------------- */
struct conn {
    int fd;
    int in_table;
    int handshaking;
    double accepted;
    char addr[INET6_ADDRSTRLEN + 8]; /* throttling key: IPv4 address or IPv6 /64 */
    struct conn *next;
};
static pthread_mutex_t g_conn_mu = PTHREAD_MUTEX_INITIALIZER;
static struct conn *g_conns;
static unsigned g_nconns;

/* ---------------- temporary files (APP-STORE-3) ---------------- */
#define MAX_TEMPS 1024
static pthread_mutex_t g_tmp_mu = PTHREAD_MUTEX_INITIALIZER;
static char g_temps[MAX_TEMPS][32];

static int temp_register(const char *name)
{
    pthread_mutex_lock(&g_tmp_mu);
    for (int i = 0; i < MAX_TEMPS; i++) {
        if (g_temps[i][0] == '\0') {
            snprintf(g_temps[i], sizeof g_temps[i], "%s", name);
            pthread_mutex_unlock(&g_tmp_mu);
            return i;
        }
    }
    pthread_mutex_unlock(&g_tmp_mu);
    return -1;
}

static void temp_forget(int slot)
{
    if (slot < 0)
        return;
    pthread_mutex_lock(&g_tmp_mu);
    g_temps[slot][0] = '\0';
    pthread_mutex_unlock(&g_tmp_mu);
}

static int g_listen_fd = -1;
static char **g_argv;

/* SIGTERM/SIGINT: remove the temporary files, exit. SIGHUP: re-execute this program on the
 * same listening socket (its throttle.db and server_secret are reloaded from disk). */
static void *signal_thread(void *arg)
{
    sigset_t *set = arg;
    for (;;) {
        int sig = 0;
        if (sigwait(set, &sig) != 0)
            continue;
        pthread_mutex_lock(&g_tmp_mu);
        for (int i = 0; i < MAX_TEMPS; i++)
            if (g_temps[i][0] != '\0')
                unlinkat(g_inbox_fd, g_temps[i], 0);
        if (sig != SIGHUP || g_listen_fd < 0)
            _exit(0);
        char num[16];
        snprintf(num, sizeof num, "%d", g_listen_fd);
        int fl = fcntl(g_listen_fd, F_GETFD);
        if (fl < 0 || fcntl(g_listen_fd, F_SETFD, fl & ~FD_CLOEXEC) != 0 ||
            setenv("EKE5_LISTEN_FD", num, 1) != 0)
            _exit(1);
        fflush(stdout);
        execv("/proc/self/exe", g_argv);
        _exit(1);
    }
    return NULL;
}

static void sweep_inbox(void)
{
    int fd = dup(g_inbox_fd);
    if (fd < 0)
        return;
    DIR *d = fdopendir(fd);
    if (d == NULL) {
        close(fd);
        return;
    }
    struct dirent *de;
    time_t now = time(NULL);
    while ((de = readdir(d)) != NULL) {
        if (!is_partial_name(de->d_name, strlen(de->d_name)))
            continue;
        struct stat sb;
        if (FAULTY(F_I26_STARTUP_SWEEP_AGED) &&
            (fstatat(g_inbox_fd, de->d_name, &sb, AT_SYMLINK_NOFOLLOW) != 0 ||
             now - sb.st_mtime <= (time_t)cfg.idle_timeout))
            continue; /* "maybe another server's live put" */
        unlinkat(g_inbox_fd, de->d_name, 0);
    }
    closedir(d);
}

/* ---------------- logging ---------------- */
static pthread_mutex_t g_log_mu = PTHREAD_MUTEX_INITIALIZER;
static void logf_(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
#include <stdarg.h>
static void logf_(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    pthread_mutex_lock(&g_log_mu);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    pthread_mutex_unlock(&g_log_mu);
    va_end(ap);
}

/* ---------------- accounts ---------------- */
static int load_store(const char *path)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return -1;
    char line[512];
    while (fgets(line, sizeof line, f) != NULL) {
        char uhex[160], pwhex[80];
        if (sscanf(line, "%159s %79s", uhex, pwhex) != 2)
            continue;
        struct account a;
        size_t ul = strlen(uhex) / 2;
        if (ul == 0 || ul > 64 || hex_decode_exact(uhex, strlen(uhex), a.user, ul) != 0 ||
            hex_decode_exact(pwhex, strlen(pwhex), a.pw, 32) != 0)
            continue;
        a.ulen = ul;
        struct account *n = realloc(g_accounts, (g_naccounts + 1) * sizeof *n);
        if (n == NULL) {
            fclose(f);
            return -1;
        }
        g_accounts = n;
        g_accounts[g_naccounts++] = a;
    }
    fclose(f);
    return 0;
}

static int load_secret(void)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/server_secret", cfg.state);
    int fd = open(path, O_RDONLY | O_NOFOLLOW);
    if (fd >= 0) {
        ssize_t r = read(fd, g_server_secret, 32);
        close(fd);
        if (r == 32)
            return 0;
        return -1;
    }
    if (RAND_bytes(g_server_secret, 32) != 1)
        return -1;
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0600);
    if (fd < 0)
        return -1;
    int ok = write(fd, g_server_secret, 32) == 32 && fsync(fd) == 0;
    close(fd);
    return ok ? 0 : -1;
}

/* EKE-PW-1: 1-64 bytes of UTF-8, no control character (C0, DEL, C1) */
static int valid_user(const char *u, size_t len)
{
    if (len == 0 || (FAULTY(F_B27_USER_LEN_63) ? len >= 64 : len > 64))
        return 0;
    const unsigned char *s = (const unsigned char *)u;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < 0x20 || s[i] == 0x7F)
            return 0;
        if (s[i] == 0xC2 && i + 1 < len && s[i + 1] >= 0x80 && s[i + 1] <= 0x9F)
            return 0;
    }
    return 1;
}

/* F_B27_UNKNOWN_UNTHROTTLED: does the name have an account? */
static int b27_user_known(const char *u, size_t len)
{
    for (size_t i = 0; i < g_naccounts; i++)
        if (g_accounts[i].ulen == len && memcmp(g_accounts[i].user, u, len) == 0)
            return 1;
    return 0;
}

static void user_pw(const char *u, size_t len, uint8_t pw[32])
{
    for (size_t i = 0; i < g_naccounts; i++) {
        int same = FAULTY(F_I14_ACCOUNT_PREFIX)
                       ? len >= g_accounts[i].ulen &&
                             memcmp(g_accounts[i].user, u, g_accounts[i].ulen) == 0
                   : FAULTY(F_USER_STRNCMP)
                       ? len <= g_accounts[i].ulen && strncmp((const char *)g_accounts[i].user, u, len) == 0
                   : FAULTY(F_I7_USER_CASEFOLD)
                       ? g_accounts[i].ulen == len && strncasecmp((const char *)g_accounts[i].user, u, len) == 0
                       : g_accounts[i].ulen == len && memcmp(g_accounts[i].user, u, len) == 0;
        if (same) {
            memcpy(pw, g_accounts[i].pw, 32);
            return;
        }
    }
    uint8_t msg[14 + 64];
    memcpy(msg, "sft-eke/1 fake", 14);
    memcpy(msg + 14, u, len);
    if (hmac_sha256(g_server_secret, 32, msg, 14 + len, pw) != 0)
        RAND_bytes(pw, 32); /* fails closed: a random key authenticates nobody */
}

/* ---------------- the handshake ---------------- */
/* F_I18_USER_MUTEX_HS: one mutex per stripe of user names, held for the whole handshake */
#define I18_STRIPES 16
static pthread_mutex_t g_i18_user_mu[I18_STRIPES] = {
    PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER,
    PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER,
    PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER,
    PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER,
    PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER,
    PTHREAD_MUTEX_INITIALIZER};
/* F_I18_Y_PER_PROCESS: y and Y' drawn once */
static pthread_mutex_t g_i18_y_mu = PTHREAD_MUTEX_INITIALIZER;
static BIGNUM *g_i18_y;
static uint8_t g_i18_yp[GROUP_BYTES];
static void answer_rx_error(struct chan *ch, int st, int code)
{
    if (st == RX_TIMEOUT) {
        if (!FAULTY(F_TIMEOUT_SILENT))
            chan_send_error(ch, E_TIMEOUT, "handshake or idle timeout", -1);
    } else if (st == RX_PROTO)
        chan_send_error(ch, code, "refused frame", -1);
}

/* returns 0 established, -1 closed */
static int handshake(struct conn *c, struct chan *ch)
{
    struct frame f;
    int code = 0, result = -1, pending = 0, success = 0, eke3_seen = 0;
    char user_key[160] = "";
    json_t *j = NULL;
    BIGNUM *X = BN_new(), *y = BN_new();
    uint8_t pw[32], a[GROUP_BYTES], xp[GROUP_BYTES], yp[GROUP_BYTES], b[GROUP_BYTES];
    uint8_t th[32], z[GROUP_BYTES], ns[32], c2[32 + TAG_BYTES];
    struct eke_keys keys;
    pthread_mutex_t *user_mu = NULL;
    memset(&f, 0, sizeof f);
    if (X == NULL || y == NULL)
        goto out;

    int st = chan_recv(ch, &f, &code);
    if (st != RX_OK) {
        answer_rx_error(ch, st, code);
        goto out;
    }
    if (strcmp(f.type, "EROR") == 0)
        goto out;
    if (strcmp(f.type, "EKE1") != 0) {
        chan_send_error(ch, E_UNEXPECTED, "expected EKE1", -1);
        goto out;
    }
    j = parse_control(&f, &code);
    size_t ulen = 0, alen = 0;
    const char *user = j ? get_str(j, "user", &ulen) : NULL;
    const char *ahex = j ? get_str(j, "a", &alen) : NULL;
    if (user == NULL || ahex == NULL || hex_decode_exact(ahex, alen, a, GROUP_BYTES) != 0 ||
        !valid_user(user, ulen)) {
        chan_send_error(ch, E_BAD_FRAME, "malformed EKE1", -1);
        goto out;
    }
    hex_encode((const uint8_t *)user, ulen, user_key);
    if (FAULTY(F_I18_USER_MUTEX_HS)) {
        unsigned hsh = 5381;
        for (size_t k = 0; k < ulen; k++)
            hsh = hsh * 33u + (unsigned char)user[k];
        user_mu = &g_i18_user_mu[hsh % I18_STRIPES];
        pthread_mutex_lock(user_mu);
    }
    long long retry = 0;
    /* F_B27_UNKNOWN_UNTHROTTLED: "an unknown name has no password to guess" */
    int b27_skip = FAULTY(F_B27_UNKNOWN_UNTHROTTLED) && !b27_user_known(user, ulen);
    int tr = b27_skip ? TH_OK : throttle_begin(user_key, c->addr, &retry);
    if (tr == TH_THROTTLED) {
        logf_("throttled: user %s address %s", user_key, c->addr);
        chan_send_error(ch, E_THROTTLED, "too many failed logins", retry);
        goto out;
    }
    if (tr == TH_BUSY) {
        chan_send_error(ch, E_BUSY, "too many logins in progress", retry);
        goto out;
    }
    pending = !b27_skip;
    user_pw(user, ulen, pw);
    int x_invalid = 0;
    if (feistel(pw, a, xp, 1) != 0)
        goto internal;
    int rr = recover_element(xp, X);
    if (rr < 0)
        goto internal;
    x_invalid = rr;
    int yr;
    if (FAULTY(F_I18_Y_PER_PROCESS)) {
        pthread_mutex_lock(&g_i18_y_mu);
        if (g_i18_y == NULL) {
            g_i18_y = BN_new();
            if (g_i18_y != NULL && (random_exponent(g_i18_y) != 0 || make_public(g_i18_y, g_i18_yp) != 0)) {
                BN_free(g_i18_y);
                g_i18_y = NULL;
            }
        }
        yr = (g_i18_y == NULL || BN_copy(y, g_i18_y) == NULL) ? -1 : 0;
        if (yr == 0)
            memcpy(yp, g_i18_yp, GROUP_BYTES);
        pthread_mutex_unlock(&g_i18_y_mu);
    } else {
        yr = (random_exponent(y) != 0 || make_public(y, yp) != 0) ? -1 : 0;
    }
    if (yr != 0 || feistel(pw, yp, b, 0) != 0)
        goto internal;
    if (transcript_hash((const uint8_t *)user, ulen, a, b, th) != 0)
        goto internal;
    int zr = shared_secret(X, y, z);
    if (zr < 0)
        goto internal;
    x_invalid |= zr;
    if (key_schedule(z, th, &keys, NULL) != 0)
        goto internal;
    OPENSSL_cleanse(z, sizeof z);
    if (RAND_bytes(ns, 32) != 1)
        goto internal;
    static uint8_t g_session_ns[32]; /* F_STATIC_NS: one buffer for every thread */
    if (FAULTY(F_STATIC_NS))
        memcpy(g_session_ns, ns, 32);
    uint8_t n2[12] = {0}, n3[12] = {0}, n4[12] = {0};
    n2[11] = 2;
    n3[11] = 3;
    n4[11] = 4;
    uint8_t ad[4 + 32];
    memcpy(ad, "EKE2", 4);
    memcpy(ad + 4, th, 32);
    if (gcm_seal(keys.kcs, n2, ns, 32, ad, sizeof ad, c2) != 0)
        goto internal;
    {
        char bhex[2 * GROUP_BYTES + 1], chex[2 * sizeof c2 + 1];
        hex_encode(b, GROUP_BYTES, bhex);
        hex_encode(c2, sizeof c2, chex);
        json_t *o = json_pack("{s:s,s:s}", "b", bhex, "c", chex);
        if (o == NULL)
            goto internal;
        int w = chan_send_json(ch, "EKE2", o);
        json_decref(o);
        if (w != 0)
            goto out;
    }
    json_decref(j);
    j = NULL;
    frame_free(&f);

    int b27_tries = 0;
eke3_again:
    st = chan_recv(ch, &f, &code);
    if (st != RX_OK) {
        answer_rx_error(ch, st, code);
        goto out;
    }
    if (strcmp(f.type, "EROR") == 0) {
        if (FAULTY(F_PENDING_LEAK)) {
            pending = 0; /* the early return of the planted fault: slot never released */
            logf_("peer error during the handshake");
        }
        goto out;
    }
    if (strcmp(f.type, "EKE3") != 0) {
        chan_send_error(ch, E_UNEXPECTED, "expected EKE3", -1);
        goto out;
    }
    eke3_seen = 1;
    j = parse_control(&f, &code);
    size_t clen = 0;
    const char *chex3 = j ? get_str(j, "c", &clen) : NULL;
    uint8_t c3[64 + TAG_BYTES], pt3[64];
    if (chex3 == NULL || hex_decode_exact(chex3, clen, c3, sizeof c3) != 0) {
        if (FAULTY(F_R2_MALFORMED_EKE3_FORGIVEN))
            eke3_seen = 0, success = 2; /* "not a guess": released uncounted */
        chan_send_error(ch, E_BAD_FRAME, "malformed EKE3", -1);
        if (FAULTY(F_B27_MALFORMED_EKE3_RETRIED) && ++b27_tries < 3) { /* "a mangled frame" */
            json_decref(j);
            j = NULL;
            frame_free(&f);
            goto eke3_again;
        }
        goto out;
    }
    memcpy(ad, "EKE3", 4);
    int ok = FAULTY(F_I14_EKE3_TAG_UNCHECKED)
                 ? gcm_open_unchecked(keys.kcc, n3, c3, sizeof c3, ad, sizeof ad, pt3) == 0
                 : gcm_open(keys.kcc, n3, c3, sizeof c3, ad, sizeof ad, pt3) == 0;
    ok &= CRYPTO_memcmp(pt3 + 32, FAULTY(F_STATIC_NS) ? g_session_ns : ns,
                        FAULTY(F_NS_SHORT_MEMCMP) ? 16 : 32) == 0;
    int b27_tag_ok = FAULTY(F_B27_NONCE_MISMATCH_MESSAGE) &&
                     gcm_open(keys.kcc, n3, c3, sizeof c3, ad, sizeof ad, pt3) == 0;
    ok &= !x_invalid;
    if (!ok) {
        logf_("auth failure: user %s address %s", user_key, c->addr);
        chan_send_error(ch, E_AUTH_FAILED,
                        b27_tag_ok ? "authentication failed: nonce mismatch"
                                   : "authentication failed",
                        -1);
        if (FAULTY(F_B27_EKE3_RETRIES) && ++b27_tries < 3) { /* "a typo gets another try" */
            json_decref(j);
            j = NULL;
            frame_free(&f);
            goto eke3_again;
        }
        if (FAULTY(F_I14_AUTH_FAIL_PENDING_KEPT)) {
            throttle_fail_keep_pending(user_key, c->addr); /* counted, slot not released */
            pending = 0;
        }
        goto out;
    }
    uint8_t c4[32 + TAG_BYTES];
    memcpy(ad, "EKE4", 4);
    if (gcm_seal(keys.kcs, n4, pt3, 32, ad, sizeof ad, c4) != 0)
        goto internal;
    {
        char chex[2 * sizeof c4 + 1];
        hex_encode(c4, sizeof c4, chex);
        json_t *o = json_pack("{s:s}", "c", chex);
        if (o == NULL)
            goto internal;
        int w = chan_send_json(ch, "EKE4", o);
        json_decref(o);
        if (w != 0)
            goto out;
    }
    success = 1;
    memcpy(ch->key_tx, keys.key_s2c, 32);
    memcpy(ch->iv_tx, keys.iv_s2c, 12);
    memcpy(ch->key_rx, keys.key_c2s, 32);
    memcpy(ch->iv_rx, keys.iv_c2s, 12);
    ch->sealed = 1;
    ch->deadline = 0;
    result = 0;
    goto out;
internal:
    chan_send_error(ch, E_INTERNAL, "internal error", -1);
out:
    if (pending)
        throttle_end(user_key, c->addr,
                     (!success && !eke3_seen && FAULTY(F_PENDING_NOT_COUNTED)) ? 2 : success);
    if (user_mu != NULL)
        pthread_mutex_unlock(user_mu);
    json_decref(j);
    frame_free(&f);
    OPENSSL_cleanse(&keys, sizeof keys);
    OPENSSL_cleanse(pw, sizeof pw);
    BN_clear_free(y);
    BN_free(X);
    return result;
}

/* ---------------- the application layer ---------------- */
/* F_I7_SYMLINK_FALLBACK: a name refused for a symbolic link is retried through realpath()
 * and accepted when the resolved path starts with the share's path (a string prefix). */
static int open_by_realpath(const char *name, size_t len)
{
    char path[8192], resolved[PATH_MAX], share_real[PATH_MAX];
    if (realpath(cfg.share, share_real) == NULL)
        return -E_INTERNAL;
    snprintf(path, sizeof path, "%s/%.*s", cfg.share, (int)len, name);
    if (realpath(path, resolved) == NULL)
        return -E_NOT_FOUND;
    if (strncmp(resolved, share_real, strlen(share_real)) != 0)
        return -E_FORBIDDEN;
    int fd = open(resolved, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    return fd >= 0 ? fd : -E_NOT_FOUND;
}

/* Open a name of the share component by component with O_NOFOLLOW (APP-NAME-4/5): every
 * symbolic link is refused (forbidden), whatever it points at (APP-NAME-6).
 * Returns fd >= 0 or -code. */
static int open_in_share(const char *name, size_t len)
{
    char buf[4097];
    memcpy(buf, name, len);
    buf[len] = '\0';
    int dir = dup(g_share_fd);
    if (dir < 0)
        return -E_INTERNAL;
    char *save = NULL;
    char *comp = strtok_r(buf, "/", &save);
    while (comp != NULL) {
        char *next = strtok_r(NULL, "/", &save);
        int flags = O_RDONLY | O_CLOEXEC | O_NONBLOCK;
        if (next == NULL && FAULTY(F_I26_FIFO_BLOCKING_OPEN))
            flags &= ~O_NONBLOCK; /* open's default: a blocking open */
        if (!FAULTY(F_FOLLOW_SYMLINKS))
            flags |= O_NOFOLLOW;
        if (next != NULL)
            flags |= O_DIRECTORY;
        int fd = openat(dir, comp, flags);
        int e = errno;
        close(dir);
        if (fd < 0) {
            if ((e == ELOOP || e == ENOTDIR) && FAULTY(F_I7_SYMLINK_FALLBACK))
                return open_by_realpath(name, len);
            if (e == ELOOP)
                return -E_FORBIDDEN;
            if (e == ENOTDIR) {
                /* a symbolic link opened with O_DIRECTORY|O_NOFOLLOW gives ENOTDIR */
                return -E_NOT_FOUND;
            }
            return -E_NOT_FOUND;
        }
        dir = fd;
        comp = next;
    }
    return dir;
}

/* a component that is a symlink (ENOTDIR case above): look again to answer forbidden */
static int name_has_symlink(const char *name, size_t len)
{
    char buf[4097];
    memcpy(buf, name, len);
    buf[len] = '\0';
    int dir = dup(g_share_fd);
    if (dir < 0)
        return 0;
    char *save = NULL;
    for (char *comp = strtok_r(buf, "/", &save); comp != NULL;
         comp = strtok_r(NULL, "/", &save)) {
        struct stat sb;
        if (fstatat(dir, comp, &sb, AT_SYMLINK_NOFOLLOW) != 0)
            break;
        if (S_ISLNK(sb.st_mode)) {
            close(dir);
            return 1;
        }
        if (!S_ISDIR(sb.st_mode))
            break;
        int fd = openat(dir, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        close(dir);
        if (fd < 0)
            return 0;
        dir = fd;
    }
    close(dir);
    return 0;
}

/* returns 0 to continue, -1 to close */
static int do_get(struct chan *ch, json_t *req)
{
    size_t nlen = 0;
    const char *name = get_str(req, "name", &nlen);
    if (name == NULL) {
        chan_send_error(ch, E_BAD_FRAME, "RQFL needs a string name", -1);
        return -1;
    }
    if (check_name(name, FAULTY(F_NAME_STRLEN) ? strlen(name) : nlen) != 0)
        return chan_send_error(ch, E_FORBIDDEN, "name refused", -1);
    const char *last = memrchr(name, '/', nlen);
    last = last ? last + 1 : name;
    if (is_partial_name(last, nlen - (size_t)(last - name)))
        return chan_send_error(ch, E_FORBIDDEN, "name refused", -1);
    int fd = open_in_share(name, nlen);
    if (fd < 0) {
        int code = -fd;
        if (code == E_NOT_FOUND && !FAULTY(F_FOLLOW_SYMLINKS) && !FAULTY(F_ENOTDIR_NOT_FOUND) &&
            name_has_symlink(name, nlen))
            code = E_FORBIDDEN;
        return chan_send_error(ch, code, code == E_FORBIDDEN ? "name refused" : "no such file",
                               -1);
    }
    struct stat sb;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        close(fd);
        return chan_send_error(ch, E_NOT_FOUND, "no such file", -1);
    }
    /* the file is a regular file: reads may block again */
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0)
        fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
    uint64_t size = (uint64_t)sb.st_size;
    if (FAULTY(F_R2_GET_SIZE_BOUND) ? size >= cfg.max_file_size : size > cfg.max_file_size) {
        close(fd);
        return chan_send_error(ch, E_TOO_LARGE, "file above the size limit", -1);
    }
    json_t *o = json_object();
    json_object_set_new(o, "name", json_stringn(name, nlen));
    json_object_set_new(o, "size", json_integer((json_int_t)size));
    int w = chan_send_json(ch, "RSFL", o);
    json_decref(o);
    if (w != 0) {
        close(fd);
        return -1;
    }
    static __thread EVP_MD_CTX *t_get_md; /* F_I7_GET_MD_PER_CONN: one per connection */
    int md_shared = FAULTY(F_I7_GET_MD_PER_CONN);
    EVP_MD_CTX *md = md_shared ? t_get_md : NULL;
    if (md == NULL) {
        md = EVP_MD_CTX_new();
        if (md == NULL || !EVP_DigestInit_ex(md, EVP_sha256(), NULL)) {
            EVP_MD_CTX_free(md);
            close(fd);
            chan_send_error(ch, E_INTERNAL, "internal error", -1);
            return -1;
        }
        if (md_shared)
            t_get_md = md;
    }
    size_t chunk = 256 * 1024;
    uint8_t *buf = malloc(chunk);
    uint64_t sent = 0;
    int rc = 0;
    while (buf != NULL && sent < size) {
        size_t want = size - sent < chunk ? (size_t)(size - sent) : chunk;
        if (FAULTY(F_B27_GET_WHOLE_CHUNKS))
            want = chunk; /* "read() stops at the end of the file anyway" */
        ssize_t r = read(fd, buf, want);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) { /* the file shrank under us: we cannot keep the announced size */
            chan_send_error(ch, E_INTERNAL, "internal error", -1);
            rc = -1;
            break;
        }
        if (!EVP_DigestUpdate(md, buf, (size_t)r) || chan_send(ch, "DATA", buf, (size_t)r) != 0) {
            rc = -1;
            break;
        }
        sent += (uint64_t)r;
    }
    if (buf == NULL)
        rc = -1;
    free(buf);
    close(fd);
    if (rc == 0) {
        uint8_t dg[32];
        unsigned int dn = 0;
        char hex[65];
        EVP_MD_CTX *fin = md;
        if (md_shared) { /* the running context goes on: its digest is taken on a copy */
            fin = EVP_MD_CTX_new();
            if (fin == NULL || !EVP_MD_CTX_copy_ex(fin, md)) {
                EVP_MD_CTX_free(fin);
                chan_send_error(ch, E_INTERNAL, "internal error", -1);
                return -1;
            }
        }
        if (!EVP_DigestFinal_ex(fin, dg, &dn)) {
            if (fin != md)
                EVP_MD_CTX_free(fin);
            if (!md_shared)
                EVP_MD_CTX_free(md);
            chan_send_error(ch, E_INTERNAL, "internal error", -1);
            return -1;
        }
        if (fin != md)
            EVP_MD_CTX_free(fin);
        hex_encode(dg, 32, hex);
        o = json_pack("{s:I,s:s}", "size", (json_int_t)size, "sha256", hex);
        rc = o != NULL ? chan_send_json(ch, "DONE", o) : -1;
        json_decref(o);
    }
    if (!md_shared)
        EVP_MD_CTX_free(md);
    return rc;
}

struct put_state {
    int active;
    int fd;
    int slot;
    char tmp[32];
    char final[256];
    uint64_t size, received;
    int has_sha;
    char sha[65];
    EVP_MD_CTX *md;
    int early; /* F_I7_EMPTY_PUT_EARLY: already under its final name */
};

static __thread EVP_MD_CTX *t_put_md; /* F_I7_PUT_MD_PER_CONN: one per connection */

static void put_md_free(struct put_state *p)
{
    if (p->md != t_put_md || !FAULTY(F_I7_PUT_MD_PER_CONN))
        EVP_MD_CTX_free(p->md);
    p->md = NULL;
}

static void put_discard(struct put_state *p)
{
    if (!p->active)
        return;
    close(p->fd);
    unlinkat(g_inbox_fd, p->tmp, 0);
    temp_forget(p->slot);
    put_md_free(p);
    p->active = 0;
}

static int do_putf(struct chan *ch, json_t *req, struct put_state *p)
{
    size_t nlen = 0, slen = 0;
    uint64_t size = 0;
    const char *name = get_str(req, "name", &nlen);
    json_t *shav = json_object_get(req, "sha256");
    const char *sha = shav ? get_str(req, "sha256", &slen) : NULL;
    if (FAULTY(F_I14_PUTF_BAD_SHA_DROPPED) && sha != NULL && !valid_sha256_hex(sha, slen))
        sha = NULL, shav = NULL; /* "an unusable digest is no digest" */
    int size_bad = get_uint(req, "size", &size) != 0;
    if (FAULTY(F_I14_PUTF_SIZE_ABSENT_ZERO) && json_object_get(req, "size") == NULL)
        size_bad = 0; /* size keeps its initial 0 */
    if (name == NULL || size_bad || (shav != NULL && sha == NULL) ||
        (sha != NULL && !valid_sha256_hex(sha, slen))) {
        if (FAULTY(F_R2_MALFORMED_PUTF_NONFATAL))
            return chan_send_error(ch, E_BAD_FRAME, "malformed PUTF", -1);
        chan_send_error(ch, E_BAD_FRAME, "malformed PUTF", -1);
        return -1;
    }
    if (!cfg.allow_put)
        return chan_send_error(ch, E_UNSUPPORTED, "put is disabled", -1);
    if (check_name(name, FAULTY(F_NAME_STRLEN) ? strlen(name) : nlen) != 0)
        return chan_send_error(ch, E_FORBIDDEN, "name refused", -1);
    const char *last = memrchr(name, '/', nlen);
    last = last ? last + 1 : name;
    size_t blen = nlen - (size_t)(last - name);
    if (FAULTY(F_I7_PUT_RESERVED_FULL) ? is_partial_name(name, nlen) : is_partial_name(last, blen)) {
        if (FAULTY(F_I26_RESERVED_CLOSES)) {
            chan_send_error(ch, E_FORBIDDEN, "name reserved", -1);
            return -1;
        }
        return chan_send_error(ch, E_FORBIDDEN, "name reserved", -1);
    }
    if (FAULTY(F_SIZE_U32))
        size = (uint32_t)size;
    if (FAULTY(F_I14_TOO_LARGE_LEAVES_PUT)) { /* the state filled first, checked after */
        p->active = 1;
        p->fd = -1;
        p->slot = -1;
        p->tmp[0] = '\0';
        p->md = NULL;
        p->size = size;
        p->received = 0;
    }
    if (FAULTY(F_I14_PUT_SIZE_KIB) ? size / 1024 > cfg.max_file_size / 1024
        : FAULTY(F_R2_PUT_SIZE_BOUND) ? size >= cfg.max_file_size : size > cfg.max_file_size)
        return chan_send_error(ch, E_TOO_LARGE, "file above the size limit", -1);
    if (FAULTY(F_I14_TOO_LARGE_LEAVES_PUT))
        p->active = 0;
    memcpy(p->final, last, blen);
    p->final[blen] = '\0';
    struct stat sb;
    char fullname[4097]; /* F_I7_EXISTS_FULL_NAME: the offered name, not its basename */
    memcpy(fullname, name, nlen);
    fullname[nlen] = '\0';
    if (fstatat(g_inbox_fd, FAULTY(F_I7_EXISTS_FULL_NAME) ? fullname : p->final, &sb,
                FAULTY(F_R2_EXISTS_FOLLOWS) ? 0 : AT_SYMLINK_NOFOLLOW) == 0) {
        if (FAULTY(F_I14_EXISTS_TEMP_LEFT)) { /* the temporary was made before the check */
            uint8_t r8[8];
            char t[32];
            memcpy(t, ".sft-partial-", 13);
            if (RAND_bytes(r8, 8) == 1) {
                hex_encode(r8, 8, t + 13);
                int tfd = openat(g_inbox_fd, t, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
                                 O_CLOEXEC, 0600);
                if (tfd >= 0)
                    close(tfd);
            }
        }
        return chan_send_error(ch, E_EXISTS, "file exists", -1);
    }
    uint8_t rnd[8];
    if (RAND_bytes(rnd, 8) != 1) {
        chan_send_error(ch, E_INTERNAL, "internal error", -1);
        return -1;
    }
    memcpy(p->tmp, ".sft-partial-", 13);
    hex_encode(rnd, 8, p->tmp + 13);
    p->fd = openat(g_inbox_fd, p->tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                   FAULTY(F_TEMP_0644) ? 0666 : 0600);
    if (p->fd < 0) {
        chan_send_error(ch, E_INTERNAL, "internal error", -1);
        return -1;
    }
    p->slot = temp_register(p->tmp);
    p->early = 0;
    p->active = 1;
    p->size = size;
    p->received = 0;
    p->has_sha = sha != NULL;
    if (sha != NULL)
        memcpy(p->sha, sha, 65);
    if (FAULTY(F_I7_PUT_MD_PER_CONN) && t_put_md != NULL) {
        p->md = t_put_md; /* made and initialised once, by the connection's first put */
    } else {
        p->md = EVP_MD_CTX_new();
        if (p->md == NULL || !EVP_DigestInit_ex(p->md, EVP_sha256(), NULL)) {
            put_discard(p);
            chan_send_error(ch, E_INTERNAL, "internal error", -1);
            return -1;
        }
        if (FAULTY(F_I7_PUT_MD_PER_CONN))
            t_put_md = p->md;
    }
    /* F_I7_EMPTY_PUT_EARLY: nothing to receive, so the empty file is stored at once */
    if (FAULTY(F_I7_EMPTY_PUT_EARLY) && size == 0 &&
        linkat(g_inbox_fd, p->tmp, g_inbox_fd, p->final, 0) == 0)
        p->early = 1;
    json_t *o = json_object();
    json_object_set_new(o, "accept", json_true());
    json_object_set_new(o, "name", json_stringn(last, blen));
    int w = chan_send_json(ch, "RSFL", o);
    json_decref(o);
    if (w != 0) {
        put_discard(p);
        return -1;
    }
    return 0;
}

static int do_data(struct chan *ch, const struct frame *f, struct put_state *p)
{
    if (FAULTY(F_I18_EXCESS_PER_FRAME) ? f->len > p->size
        : p->received + f->len > p->size + (FAULTY(F_DATA_OFF_BY_ONE) ? 1 : 0)) {
        put_discard(p);
        if (FAULTY(F_R2_EXCESS_NONFATAL))
            return chan_send_error(ch, E_INTEGRITY, "more data than announced", -1);
        chan_send_error(ch, E_INTEGRITY, "more data than announced", -1);
        return -1;
    }
    size_t done = 0;
    while (done < f->len) {
        ssize_t w = write(p->fd, f->payload + done, f->len - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            put_discard(p);
            chan_send_error(ch, E_INTERNAL, "internal error", -1);
            return -1;
        }
        done += (size_t)w;
    }
    if (!EVP_DigestUpdate(p->md, f->payload, f->len)) {
        put_discard(p);
        chan_send_error(ch, E_INTERNAL, "internal error", -1);
        return -1;
    }
    p->received += f->len;
    return 0;
}

static int do_done(struct chan *ch, json_t *req, struct put_state *p)
{
    uint64_t size = 0;
    size_t slen = 0;
    const char *sha = get_str(req, "sha256", &slen);
    int sha_absent = FAULTY(F_I14_DONE_SHA_ABSENT_OK) && json_object_get(req, "sha256") == NULL;
    if (get_uint(req, "size", &size) != 0 || (sha == NULL && !sha_absent) ||
        (sha != NULL && !valid_sha256_hex(sha, slen))) {
        put_discard(p);
        chan_send_error(ch, E_BAD_FRAME, "malformed DONE", -1);
        return -1;
    }
    uint8_t dg[32];
    unsigned int dn = 0;
    char hex[65];
    EVP_MD_CTX *fin = p->md;
    if (FAULTY(F_I7_PUT_MD_PER_CONN)) { /* the running context goes on: digest of a copy */
        fin = EVP_MD_CTX_new();
        if (fin == NULL || !EVP_MD_CTX_copy_ex(fin, p->md)) {
            EVP_MD_CTX_free(fin);
            fin = NULL;
        }
    }
    if (fin == NULL || !EVP_DigestFinal_ex(fin, dg, &dn)) {
        if (fin != p->md)
            EVP_MD_CTX_free(fin);
        put_discard(p);
        chan_send_error(ch, E_INTERNAL, "internal error", -1);
        return -1;
    }
    if (fin != p->md)
        EVP_MD_CTX_free(fin);
    hex_encode(dg, 32, hex);
    if (sha_absent)
        sha = hex; /* "compared when given" */
    size_t cmp_len = FAULTY(F_DONE_SHA_PREFIX) ? 32 : 64;
    if (FAULTY(F_I26_COMMIT_BEFORE_VERIFY) && !p->early &&
        linkat(g_inbox_fd, p->tmp, g_inbox_fd, p->final, 0) == 0)
        p->early = 1; /* committed; the checks below still refuse a mismatch */
    if ((size != p->size && !FAULTY(F_R2_DONE_SIZE)) || p->received != p->size ||
        memcmp(hex, sha, cmp_len) != 0 ||
        (p->has_sha && !FAULTY(F_R2_PUTF_SHA) && memcmp(hex, p->sha, 64) != 0)) {
        if (FAULTY(F_I14_INTEGRITY_TEMP_LEFT)) { /* closed and forgotten, never unlinked */
            close(p->fd);
            temp_forget(p->slot);
            put_md_free(p);
            p->active = 0;
        }
        put_discard(p);
        if (FAULTY(F_R2_MISMATCH_NONFATAL))
            return chan_send_error(ch, E_INTEGRITY, "size or digest mismatch", -1);
        chan_send_error(ch, E_INTEGRITY, "size or digest mismatch", -1);
        return -1;
    }
    if (fsync(p->fd) != 0) {
        put_discard(p);
        chan_send_error(ch, E_INTERNAL, "internal error", -1);
        return -1;
    }
    int linked = p->early                ? 0
                 : FAULTY(F_RENAME_REPLACES) ? renameat(g_inbox_fd, p->tmp, g_inbox_fd, p->final)
                                             : linkat(g_inbox_fd, p->tmp, g_inbox_fd, p->final, 0);
    if (linked != 0) {
        int e = errno;
        put_discard(p);
        if (e == EEXIST && FAULTY(F_R2_EXISTS_AT_DONE_CLOSES)) {
            chan_send_error(ch, E_EXISTS, "file exists", -1);
            return -1;
        }
        if (e == EEXIST)
            return chan_send_error(ch, E_EXISTS, "file exists", -1); /* APP-PUT-8 */
        chan_send_error(ch, E_INTERNAL, "internal error", -1);
        return -1;
    }
    if (FAULTY(F_TEMP_LEFT)) {
        temp_forget(p->slot);
        close(p->fd);
        put_md_free(p);
        p->active = 0;
    }
    put_discard(p); /* unlinks the temporary name; the final link stays */
    if (fsync(g_inbox_fd) != 0) {
        chan_send_error(ch, E_INTERNAL, "internal error", -1);
        return -1;
    }
    json_t *o = json_pack("{s:I,s:s}", "size", (json_int_t)size, "sha256", hex);
    int rc = o != NULL ? chan_send_json(ch, "DONE", o) : -1;
    json_decref(o);
    return rc;
}

static int is_type(const char *t, const char *want)
{
    return FAULTY(F_TYPE_STRNCMP) ? strncmp(t, want, 3) == 0 : strcmp(t, want) == 0;
}

static void app_loop(struct chan *ch)
{
    struct put_state put;
    memset(&put, 0, sizeof put);
    for (;;) {
        struct frame f;
        int code = 0;
        int st = chan_recv(ch, &f, &code);
        if (st != RX_OK) {
            if (st == RX_TIMEOUT && !FAULTY(F_R2_IDLE_TIMEOUT_SILENT))
                chan_send_error(ch, E_TIMEOUT, "idle timeout", -1);
            else if (st == RX_PROTO)
                chan_send_error(ch, code, "refused frame", -1);
            break;
        }
        const char *t = f.type;
        int rc = -1;
        if (FAULTY(F_I26_IDLE_FROM_REQUEST)) /* the deadline of the next read, fixed now */
            ch->deadline = now_mono() + cfg.idle_timeout;
        if (strcmp(t, "EROR") == 0) {
            if (FAULTY(F_B27_MALFORMED_EROR_IGNORED)) { /* "not an error we can read: noise" */
                int ec = 0;
                uint64_t c = 0;
                json_t *ej = parse_control(&f, &ec);
                int readable = ej != NULL && get_uint(ej, "code", &c) == 0;
                json_decref(ej);
                if (!readable) {
                    logf_("malformed EROR from the peer ignored");
                    frame_free(&f);
                    continue;
                }
            }
            frame_free(&f);
            break;
        }
        if (FAULTY(F_I26_HALF_CLOSE_PROBE) && !put.active &&
            (strcmp(t, "RQFL") == 0 || strcmp(t, "PUTF") == 0)) {
            uint8_t probe;
            if (recv(ch->fd, &probe, 1, MSG_PEEK | MSG_DONTWAIT) == 0) {
                frame_free(&f); /* "the client has gone: no transfer for nobody" */
                break;
            }
        }
        int i18_other = FAULTY(F_I18_IDLE_SWITCH_DEFAULT) &&
                        (strcmp(t, "RSFL") == 0 || strcmp(t, "DONE") == 0 || strcmp(t, "DATA") == 0);
        if (!put.active && i18_other) {
            switch (t[0]) { /* the planted dispatch: by first letter, default is the end */
            case 'R': {
                json_t *j = parse_control(&f, &code);
                if (j == NULL)
                    chan_send_error(ch, E_BAD_FRAME, "malformed payload", -1);
                else
                    rc = do_get(ch, j);
                json_decref(j);
                break;
            }
            default:
                chan_send(ch, "BYE_", (const uint8_t *)"{}", 2);
                break;
            }
        } else if (!put.active) {
            if (is_type(t, "RQFL") || is_type(t, "PUTF") || is_type(t, "BYE_")) {
                json_t *j = parse_control(&f, &code);
                if (j == NULL) {
                    chan_send_error(ch, E_BAD_FRAME, "malformed payload", -1);
                } else if (t[0] == 'R') {
                    rc = do_get(ch, j);
                } else if (t[0] == 'P') {
                    rc = do_putf(ch, j, &put);
                } else {
                    chan_send(ch, "BYE_", (const uint8_t *)"{}", 2);
                }
                json_decref(j);
            } else {
                chan_send_error(ch, E_UNEXPECTED, "frame not allowed now", -1);
            }
        } else {
            if (strcmp(t, "DATA") == 0) {
                rc = do_data(ch, &f, &put);
            } else if (strcmp(t, "DONE") == 0) {
                json_t *j = parse_control(&f, &code);
                if (j == NULL) {
                    put_discard(&put);
                    chan_send_error(ch, E_BAD_FRAME, "malformed payload", -1);
                } else {
                    rc = do_done(ch, j, &put);
                }
                json_decref(j);
            } else if (FAULTY(F_I18_RECEIVING_DEFAULT_DATA)) {
                rc = do_data(ch, &f, &put); /* the else branch: whatever comes is data */
            } else {
                chan_send_error(ch, E_UNEXPECTED, "frame not allowed during a put", -1);
            }
        }
        frame_free(&f);
        if (rc != 0)
            break;
    }
    put_discard(&put);
}

/* ---------------- connections ---------------- */
static void addr_key(const struct sockaddr_storage *ss, char *out, size_t n)
{
    if (ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;
        if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
            inet_ntop(AF_INET, &s6->sin6_addr.s6_addr[12], out, (socklen_t)n);
            return;
        }
        struct in6_addr pfx = s6->sin6_addr;
        memset(&pfx.s6_addr[8], 0, 8); /* EKE-THR-10: per /64 */
        char tmp[INET6_ADDRSTRLEN];
        inet_ntop(AF_INET6, &pfx, tmp, sizeof tmp);
        snprintf(out, n, "%s/64", tmp);
        return;
    }
    const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;
    inet_ntop(AF_INET, &s4->sin_addr, out, (socklen_t)n);
}

static void conn_remove(struct conn *c)
{
    pthread_mutex_lock(&g_conn_mu);
    for (struct conn **pp = &g_conns; *pp != NULL; pp = &(*pp)->next) {
        if (*pp == c) {
            *pp = c->next;
            g_nconns--;
            break;
        }
    }
    pthread_mutex_unlock(&g_conn_mu);
}

static void *conn_main(void *arg)
{
    struct conn *c = arg;
    struct chan ch;
    memset(&ch, 0, sizeof ch);
    ch.fd = c->fd;
    ch.idle_ms = (int)(cfg.idle_timeout * 1000.0);
    ch.deadline = c->accepted +
                  (FAULTY(F_I7_HS_DEADLINE_IDLE) ? cfg.idle_timeout : cfg.handshake_timeout);
    ch.hs_ms = (int)(cfg.handshake_timeout * 1000.0);
    ch.frame_limit = cfg.frame_limit;
    if (handshake(c, &ch) == 0) {
        pthread_mutex_lock(&g_conn_mu);
        c->handshaking = 0;
        pthread_mutex_unlock(&g_conn_mu);
        app_loop(&ch);
    }
    OPENSSL_cleanse(&ch, sizeof ch);
    conn_remove(c);
    close(c->fd);
    free(c);
    return NULL;
}

/* Admission (LIM-4/8/9): returns 0 admitted; else the fd is refused. */
static int admit(struct conn *c)
{
    int rc = 0;
    pthread_mutex_lock(&g_conn_mu);
    unsigned same = 0;
    for (struct conn *o = g_conns; o != NULL; o = o->next)
        if (FAULTY(F_I18_ADDR_CAP_OR) ? (o->handshaking || strcmp(o->addr, c->addr) == 0)
                                       : (o->handshaking && strcmp(o->addr, c->addr) == 0))
            same++;
    if (FAULTY(F_R2_ADDR_CAP_OFF_BY_ONE) ? same > cfg.max_pending_per_address
                                         : same >= cfg.max_pending_per_address) {
        rc = -1;
        goto out;
    }
    if (FAULTY(F_R2_MAX_CONN_OFF_BY_ONE) ? g_nconns > cfg.max_connections
                                         : g_nconns >= cfg.max_connections) {
        struct conn *oldest = NULL;
        for (struct conn *o = g_conns; o != NULL; o = o->next)
            if ((o->handshaking || FAULTY(F_R2_EVICTS_ESTABLISHED)) &&
                (oldest == NULL || o->accepted < oldest->accepted))
                oldest = o;
        if (oldest == NULL) {
            rc = -1;
            goto out;
        }
        /* LIM-9: make room by ending the oldest handshake; its thread sees the shutdown */
        shutdown(oldest->fd, SHUT_RDWR);
        oldest->handshaking = 0; /* not a candidate twice */
    }
    c->next = g_conns;
    g_conns = c;
    g_nconns++;
out:
    pthread_mutex_unlock(&g_conn_mu);
    return rc;
}

static void refuse_busy(int fd)
{
    static const char msg[] = "{\"code\":9,\"name\":\"busy\",\"message\":\"too many connections\","
                              "\"retry_after\":1}";
    uint8_t buf[8 + sizeof msg];
    memcpy(buf, "EROR", 4);
    uint32_t n = sizeof msg - 1;
    buf[4] = (uint8_t)(n >> 24);
    buf[5] = (uint8_t)(n >> 16);
    buf[6] = (uint8_t)(n >> 8);
    buf[7] = (uint8_t)n;
    memcpy(buf + 8, msg, n);
    (void)!send(fd, buf, 8 + n, MSG_NOSIGNAL | MSG_DONTWAIT);
    close(fd);
}

static int parse_u64(const char *s, uint64_t *out)
{
    char *end = NULL;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || s[0] == '-')
        return -1;
    *out = v;
    return 0;
}

static int parse_double(const char *s, double *out)
{
    char *end = NULL;
    errno = 0;
    double v = strtod(s, &end);
    if (errno != 0 || end == s || *end != '\0' || !(v > 0))
        return -1;
    *out = v;
    return 0;
}

static int parse_uint(const char *s, unsigned *out)
{
    uint64_t v;
    if (parse_u64(s, &v) != 0 || v > 1000000000u)
        return -1;
    *out = (unsigned)v;
    return 0;
}

static void usage(void)
{
    fprintf(stderr,
            "usage: eke5 serve --listen HOST:PORT --share DIR --inbox DIR --store FILE --state DIR\n"
            "  [--no-put] [--handshake-timeout S] [--idle-timeout S] [--max-file-size N]\n"
            "  [--max-connections N] [--max-pending-per-address N] [--frame-limit N]\n"
            "  [--throttle-failures N] [--throttle-base S] [--throttle-cap S]\n"
            "  [--pending-per-user P] [--pending-per-address Q] [--lock-after L]\n"
            "  [--table-entries N]\n");
}

int server_main(int argc, char **argv)
{
    g_argv = argv - 1; /* the whole command line, for the SIGHUP re-execution */
    static const struct option opts[] = {
        {"listen", required_argument, 0, 'l'}, {"share", required_argument, 0, 's'},
        {"inbox", required_argument, 0, 'i'}, {"store", required_argument, 0, 'S'},
        {"state", required_argument, 0, 't'}, {"no-put", no_argument, 0, 'n'},
        {"handshake-timeout", required_argument, 0, 1}, {"idle-timeout", required_argument, 0, 2},
        {"max-file-size", required_argument, 0, 3}, {"max-connections", required_argument, 0, 4},
        {"max-pending-per-address", required_argument, 0, 5},
        {"frame-limit", required_argument, 0, 6}, {"throttle-failures", required_argument, 0, 7},
        {"throttle-base", required_argument, 0, 8}, {"throttle-cap", required_argument, 0, 9},
        {"pending-per-user", required_argument, 0, 10},
        {"pending-per-address", required_argument, 0, 11},
        {"lock-after", required_argument, 0, 12}, {"table-entries", required_argument, 0, 13},
        {0, 0, 0, 0}};
    int o, bad = 0;
    char *listen_arg = NULL;
    uint64_t u64;
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (o) {
        case 'l': listen_arg = optarg; break;
        case 's': cfg.share = optarg; break;
        case 'i': cfg.inbox = optarg; break;
        case 'S': cfg.store = optarg; break;
        case 't': cfg.state = optarg; break;
        case 'n': cfg.allow_put = 0; break;
        case 1: bad |= parse_double(optarg, &cfg.handshake_timeout); break;
        case 2: bad |= parse_double(optarg, &cfg.idle_timeout); break;
        case 3: bad |= parse_u64(optarg, &cfg.max_file_size); break;
        case 4: bad |= parse_uint(optarg, &cfg.max_connections); break;
        case 5: bad |= parse_uint(optarg, &cfg.max_pending_per_address); break;
        case 6:
            bad |= parse_u64(optarg, &u64);
            if (u64 < 1024 || u64 > 64u * 1024 * 1024)
                bad = 1;
            cfg.frame_limit = (uint32_t)u64;
            break;
        case 7: bad |= parse_uint(optarg, &cfg.th.failures); break;
        case 8: bad |= parse_double(optarg, &cfg.th.base); break;
        case 9: bad |= parse_double(optarg, &cfg.th.cap); break;
        case 10: bad |= parse_uint(optarg, &cfg.th.pending_user); break;
        case 11: bad |= parse_uint(optarg, &cfg.th.pending_addr); break;
        case 12: bad |= parse_uint(optarg, &cfg.th.lock_after); break;
        case 13: bad |= parse_uint(optarg, &cfg.th.table_entries); break;
        default: bad = 1;
        }
    }
    if (bad || listen_arg == NULL || cfg.share == NULL || cfg.inbox == NULL || cfg.store == NULL ||
        cfg.state == NULL || cfg.th.table_entries == 0) {
        usage();
        return 2;
    }
    /* a copy: argv stays intact for the SIGHUP re-execution */
    static char listen_buf[512];
    snprintf(listen_buf, sizeof listen_buf, "%s", listen_arg);
    listen_arg = listen_buf;
    char *colon = strrchr(listen_arg, ':');
    if (colon == NULL) {
        usage();
        return 2;
    }
    *colon = '\0';
    cfg.listen_host = listen_arg;
    if (cfg.listen_host[0] == '[') {
        cfg.listen_host++;
        char *rb = strchr(cfg.listen_host, ']');
        if (rb != NULL)
            *rb = '\0';
    }
    cfg.port = atoi(colon + 1);

    /* SIGPIPE: writes use MSG_NOSIGNAL, but ignore it anyway (a write() to a pipe) */
    if (!FAULTY(F_SIGPIPE))
        signal(SIGPIPE, SIG_IGN);
    static sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, NULL);

    if (crypto_init() != 0) {
        fprintf(stderr, "eke5: crypto init failed\n");
        return 1;
    }
    g_share_fd = open(cfg.share, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    g_inbox_fd = open(cfg.inbox, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (g_share_fd < 0 || g_inbox_fd < 0) {
        fprintf(stderr, "eke5: cannot open share or inbox: %s\n", strerror(errno));
        return 1;
    }
    if (load_store(cfg.store) != 0 || load_secret() != 0) {
        fprintf(stderr, "eke5: cannot read the password store or the server secret\n");
        return 1;
    }
    char thpath[4096];
    snprintf(thpath, sizeof thpath, "%s/throttle.db", cfg.state);
    if (throttle_init(&cfg.th, thpath) != 0) {
        fprintf(stderr, "eke5: cannot initialise throttling\n");
        return 1;
    }
    sweep_inbox();

    int lfd = -1;
    const char *inherited = getenv("EKE5_LISTEN_FD");
    if (inherited != NULL) {
        lfd = atoi(inherited);
        unsetenv("EKE5_LISTEN_FD");
        int fl = fcntl(lfd, F_GETFD);
        if (fl < 0 || fcntl(lfd, F_SETFD, fl | FD_CLOEXEC) != 0) {
            fprintf(stderr, "eke5: bad inherited listening socket\n");
            return 1;
        }
    } else {
        struct addrinfo hints, *res = NULL;
        memset(&hints, 0, sizeof hints);
        hints.ai_family = AF_UNSPEC;
        hints.ai_socktype = SOCK_STREAM;
        hints.ai_flags = AI_PASSIVE | AI_NUMERICHOST;
        char portstr[16];
        snprintf(portstr, sizeof portstr, "%d", cfg.port);
        if (getaddrinfo(cfg.listen_host, portstr, &hints, &res) != 0 || res == NULL) {
            fprintf(stderr, "eke5: bad listen address\n");
            return 2;
        }
        lfd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
        int one = 1;
        if (lfd < 0 || setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
            bind(lfd, res->ai_addr, res->ai_addrlen) != 0 || listen(lfd, 256) != 0) {
            fprintf(stderr, "eke5: cannot listen: %s\n", strerror(errno));
            freeaddrinfo(res);
            return 1;
        }
        freeaddrinfo(res);
    }
    g_listen_fd = lfd;
    struct sockaddr_storage bound;
    socklen_t blen = sizeof bound;
    getsockname(lfd, (struct sockaddr *)&bound, &blen);
    int port = bound.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&bound)->sin6_port)
                                           : ntohs(((struct sockaddr_in *)&bound)->sin_port);

    pthread_t sigt;
    if (pthread_create(&sigt, NULL, signal_thread, &set) != 0)
        return 1;
    pthread_detach(sigt);

    printf("eke5: limits handshake_timeout=%.1f idle_timeout=%.1f max_file_size=%llu "
           "max_connections=%u max_pending_per_address=%u frame_limit=%u "
           "throttle_failures=%u throttle_base=%.1f throttle_cap=%.1f pending_per_user=%u "
           "pending_per_address=%u lock_after=%u table_entries=%u\n",
           cfg.handshake_timeout, cfg.idle_timeout, (unsigned long long)cfg.max_file_size,
           cfg.max_connections, cfg.max_pending_per_address, cfg.frame_limit,
           cfg.th.failures, cfg.th.base, cfg.th.cap, cfg.th.pending_user,
           cfg.th.pending_addr, cfg.th.lock_after, cfg.th.table_entries);
    faults_print();
    printf("listening on %s:%d\n", cfg.listen_host, port);
    fflush(stdout);

    for (;;) {
        struct sockaddr_storage ss;
        socklen_t sl = sizeof ss;
        int fd = accept4(lfd, (struct sockaddr *)&ss, &sl, SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
                usleep(10000);
                continue;
            }
            continue;
        }
        struct conn *c = calloc(1, sizeof *c);
        if (c == NULL) {
            close(fd);
            continue;
        }
        c->fd = fd;
        c->handshaking = 1;
        c->accepted = now_mono();
        addr_key(&ss, c->addr, sizeof c->addr);
        if (admit(c) != 0) {
            if (!FAULTY(F_REFUSED_FD_LEAK))
                refuse_busy(fd);
            free(c);
            continue;
        }
        if (FAULTY(F_I18_ACCEPT_PEEK)) {
            /* sniff the first header here: drop what is not sft-eke/1 cheaply */
            uint8_t peek[8];
            ssize_t pr = recv(fd, peek, sizeof peek, MSG_PEEK | MSG_WAITALL);
            if (pr <= 0) {
                conn_remove(c);
                close(fd);
                free(c);
                continue;
            }
        }
        struct timeval tv;
        tv.tv_sec = (time_t)cfg.idle_timeout;
        tv.tv_usec = (suseconds_t)((cfg.idle_timeout - (double)tv.tv_sec) * 1e6);
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv); /* LIM-10 */
        pthread_t t;
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        pthread_attr_setstacksize(&attr, 512 * 1024);
        if (pthread_create(&t, &attr, conn_main, c) != 0) {
            conn_remove(c);
            close(fd);
            free(c);
        }
        pthread_attr_destroy(&attr);
    }
}

/* eke5 useradd --store FILE --user NAME --password-file FILE: stores pw, never the password
 * (EKE-PW-2), in a 0600 file. */
int useradd_main(int argc, char **argv)
{
    static const struct option opts[] = {{"store", required_argument, 0, 's'},
                                         {"user", required_argument, 0, 'u'},
                                         {"password-file", required_argument, 0, 'p'},
                                         {0, 0, 0, 0}};
    const char *store = NULL, *user = NULL, *pwfile = NULL;
    int o;
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (o) {
        case 's': store = optarg; break;
        case 'u': user = optarg; break;
        case 'p': pwfile = optarg; break;
        default: return 2;
        }
    }
    if (store == NULL || user == NULL || pwfile == NULL || !valid_user(user, strlen(user))) {
        fprintf(stderr, "usage: eke5 useradd --store FILE --user NAME --password-file FILE\n");
        return 2;
    }
    uint8_t *pwd = NULL;
    size_t plen = 0;
    if (read_password_file(pwfile, &pwd, &plen) != 0)
        return 1;
    uint8_t pw[32];
    int r = eke_password_key((const uint8_t *)user, strlen(user), pwd, plen, pw);
    OPENSSL_cleanse(pwd, plen);
    free(pwd);
    if (r != 0)
        return 1;
    int fd = open(store, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW, 0600);
    if (fd < 0 || fchmod(fd, 0600) != 0) {
        fprintf(stderr, "eke5: cannot open the store\n");
        return 1;
    }
    char uhex[129], pwhex[65], line[200];
    hex_encode((const uint8_t *)user, strlen(user), uhex);
    hex_encode(pw, 32, pwhex);
    int n = snprintf(line, sizeof line, "%s %s\n", uhex, pwhex);
    int ok = write(fd, line, (size_t)n) == (ssize_t)n && fsync(fd) == 0;
    close(fd);
    return ok ? 0 : 1;
}
