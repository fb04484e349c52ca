/* The sft-eke/1 initiator: `eke5 get` and `eke5 put`. */
#include "eke5.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

static double CLIENT_HANDSHAKE_TIMEOUT = 10.0;
static int CLIENT_IDLE_MS = 60000;

/* the temporary file of a get in progress, removed by the signal handler (APP-STORE-3) */
static char g_tmp_path[4096];
static volatile sig_atomic_t g_tmp_live;

static void on_signal(int sig)
{
    if (g_tmp_live)
        unlink(g_tmp_path);
    signal(sig, SIG_DFL);
    raise(sig);
}

static int fail(const char *msg)
{
    fprintf(stderr, "eke5: %s\n", msg);
    return 1;
}

static int dial(const char *hostport)
{
    char buf[512];
    snprintf(buf, sizeof buf, "%s", hostport);
    char *colon = strrchr(buf, ':');
    if (colon == NULL)
        return -1;
    *colon = '\0';
    char *host = buf;
    if (host[0] == '[') {
        host++;
        char *rb = strchr(host, ']');
        if (rb != NULL)
            *rb = '\0';
    }
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo(host, colon + 1, &hints, &res) != 0 || res == NULL)
        return -1;
    int fd = -1;
    for (struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next) {
        fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
            continue;
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
            break;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd >= 0) {
        struct timeval tv = {.tv_sec = CLIENT_IDLE_MS / 1000, .tv_usec = 0};
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    }
    return fd;
}

static int g_last_code; /* the code of the last EROR reported (F_I7_CLIENT_BUSY_RETRY) */

/* F_I18_CLIENT_UNKNOWN_TYPE: the types of SPEC §3.1 */
static int i18_defined_type(const char *t)
{
    static const char *const known[] = {"RQFL", "RSFL", "PUTF", "DATA", "DONE", "EROR", "BYE_"};
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (strcmp(t, known[i]) == 0)
            return 1;
    return 0;
}

/* F_I7_CLIENT_UNKNOWN_CODE: an EROR whose code is not in the table, taken as a warning */
static int eror_code_unknown(const struct frame *f)
{
    int code = 0;
    uint64_t c = 0;
    json_t *j = parse_control(f, &code);
    int unknown = j != NULL && get_uint(j, "code", &c) == 0 && !(c >= 1 && c <= 14);
    json_decref(j);
    return unknown;
}

static void report_eror(const struct frame *f)
{
    int code = 0;
    json_t *j = parse_control(f, &code);
    uint64_t c = 0;
    if (j == NULL || get_uint(j, "code", &c) != 0) {
        fprintf(stderr, "eke5: the server sent a malformed error\n");
    } else {
        int known = c >= 1 && c <= 14;
        int ci = known ? (int)c : E_INTERNAL; /* ERR-4 */
        g_last_code = ci;
        if (ci == E_BUSY)
            fprintf(stderr, "eke5: server busy, try later\n");
        else if (ci == E_THROTTLED)
            fprintf(stderr, "eke5: throttled: too many failed logins, try later\n");
        else if (ci == E_AUTH_FAILED)
            fprintf(stderr, "eke5: wrong password or unknown user\n");
        else if (ci == E_TIMEOUT)
            fprintf(stderr, "eke5: the server timed out the connection\n");
        else
            fprintf(stderr, "eke5: the server refused: %s (%d)\n", err_name(ci), ci);
    }
    json_decref(j);
}

/* runs the handshake; returns 0 with ch sealed, 1 on failure (message printed) */
static int client_handshake(struct chan *ch, const char *user, const uint8_t *pwd, size_t plen)
{
    char ubuf[64]; /* "a user name is at most 64 bytes" */
    if (FAULTY(F_I26_CLIENT_USER_BUF_63)) {
        snprintf(ubuf, sizeof ubuf, "%s", user);
        user = ubuf;
    }
    size_t ulen = strlen(user);
    uint8_t pw[32], xp[GROUP_BYTES], a[GROUP_BYTES], b[GROUP_BYTES], yp[GROUP_BYTES];
    uint8_t th[32], z[GROUP_BYTES], na[32], ns[32];
    struct eke_keys k;
    struct frame f;
    int code = 0, rc = 1;
    json_t *j = NULL;
    BIGNUM *x = BN_new(), *Y = BN_new();
    memset(&f, 0, sizeof f);
    if (x == NULL || Y == NULL || ulen == 0 || ulen > 64)
        goto out;
    if (eke_password_key((const uint8_t *)user, ulen, pwd, plen, pw) != 0)
        goto out;
    if (random_exponent(x) != 0 || make_public(x, xp) != 0 || feistel(pw, xp, a, 0) != 0)
        goto out;
    {
        char ahex[2 * GROUP_BYTES + 1];
        hex_encode(a, GROUP_BYTES, ahex);
        json_t *o = json_object();
        json_object_set_new(o, "user", json_stringn(user, ulen));
        json_object_set_new(o, "a", json_string(ahex));
        int w = chan_send_json(ch, "EKE1", o);
        json_decref(o);
        if (w != 0) {
            fprintf(stderr, "eke5: connection lost during the handshake\n");
            goto out;
        }
    }
    int st = chan_recv(ch, &f, &code);
    if (st == RX_TIMEOUT) {
        fprintf(stderr, "eke5: timed out before the handshake completed\n");
        goto out;
    }
    if (st != RX_OK) {
        if (st == RX_PROTO)
            chan_send_error(ch, code, "refused frame", -1);
        fprintf(stderr, "eke5: the server closed the connection during the handshake\n");
        goto out;
    }
    if (strcmp(f.type, "EROR") == 0) {
        report_eror(&f);
        goto out;
    }
    if (strcmp(f.type, "EKE2") != 0) {
        chan_send_error(ch, E_UNEXPECTED, "expected EKE2", -1);
        fprintf(stderr, "eke5: unexpected frame from the server\n");
        goto out;
    }
    j = parse_control(&f, &code);
    size_t bl = 0, cl = 0;
    const char *bhex = j ? get_str(j, "b", &bl) : NULL;
    const char *chex = j ? get_str(j, "c", &cl) : NULL;
    uint8_t c2[32 + TAG_BYTES];
    if (bhex == NULL || chex == NULL || hex_decode_exact(bhex, bl, b, GROUP_BYTES) != 0 ||
        hex_decode_exact(chex, cl, c2, sizeof c2) != 0) {
        chan_send_error(ch, E_BAD_FRAME, "malformed EKE2", -1);
        fprintf(stderr, "eke5: malformed EKE2 from the server\n");
        goto out;
    }
    int bad = feistel(pw, b, yp, 1) != 0;
    int rr = bad ? -1 : recover_element(yp, Y);
    bad |= rr != 0;
    if (!bad) {
        bad |= transcript_hash((const uint8_t *)user, ulen, a, b, th) != 0;
        bad |= shared_secret(Y, x, z) != 0;
        bad |= key_schedule(z, th, &k, NULL) != 0;
    }
    uint8_t n2[12] = {0}, n3[12] = {0}, n4[12] = {0}, ad[36];
    n2[11] = 2;
    n3[11] = 3;
    n4[11] = 4;
    memcpy(ad + 4, th, 32);
    memcpy(ad, "EKE2", 4);
    int c2_bad = bad || (FAULTY(F_I14_CLIENT_C2_TAG_UNCHECKED)
                             ? gcm_open_unchecked(k.kcs, n2, c2, sizeof c2, ad, sizeof ad, ns)
                             : gcm_open(k.kcs, n2, c2, sizeof c2, ad, sizeof ad, ns)) != 0;
    if (c2_bad) {
        if (!FAULTY(F_I26_CLIENT_C2_NO_EROR))
            chan_send_error(ch, E_AUTH_FAILED, "authentication failed", -1);
        fprintf(stderr, "eke5: wrong password or unknown user\n");
        goto out;
    }
    if (RAND_bytes(na, 32) != 1)
        goto out;
    uint8_t p3[64], c3[64 + TAG_BYTES];
    memcpy(p3, na, 32);
    memcpy(p3 + 32, ns, 32);
    memcpy(ad, "EKE3", 4);
    if (gcm_seal(k.kcc, n3, p3, 64, ad, sizeof ad, c3) != 0)
        goto out;
    {
        char c3hex[2 * sizeof c3 + 1];
        hex_encode(c3, sizeof c3, c3hex);
        json_t *o = json_pack("{s:s}", "c", c3hex);
        int w = o ? chan_send_json(ch, "EKE3", o) : -1;
        json_decref(o);
        if (w != 0) {
            fprintf(stderr, "eke5: connection lost during the handshake\n");
            goto out;
        }
    }
    json_decref(j);
    j = NULL;
    frame_free(&f);
    st = chan_recv(ch, &f, &code);
    if (st == RX_TIMEOUT) {
        fprintf(stderr, "eke5: timed out before the handshake completed\n");
        goto out;
    }
    if (st != RX_OK) {
        if (st == RX_PROTO)
            chan_send_error(ch, code, "refused frame", -1);
        fprintf(stderr, "eke5: the server closed the connection during the handshake\n");
        goto out;
    }
    if (strcmp(f.type, "EROR") == 0) {
        report_eror(&f);
        goto out;
    }
    if (strcmp(f.type, "EKE4") != 0) {
        chan_send_error(ch, E_UNEXPECTED, "expected EKE4", -1);
        fprintf(stderr, "eke5: unexpected frame from the server\n");
        goto out;
    }
    j = parse_control(&f, &code);
    uint8_t c4[32 + TAG_BYTES], p4[32];
    const char *c4hex = j ? get_str(j, "c", &cl) : NULL;
    memcpy(ad, "EKE4", 4);
    int c4_bad = c4hex == NULL || hex_decode_exact(c4hex, cl, c4, sizeof c4) != 0;
    if (!c4_bad) {
        int opened = gcm_open(k.kcs, n4, c4, sizeof c4, ad, sizeof ad, p4);
        if (!FAULTY(F_CLIENT_C4))
            c4_bad = opened != 0 ||
                     CRYPTO_memcmp(p4, na, FAULTY(F_I7_CLIENT_NA_HALF) ? 16 : 32) != 0;
    }
    if (c4_bad) {
        fprintf(stderr, "eke5: the server failed to prove it knows the password "
                        "(possible impostor)\n");
        goto out;
    }
    memcpy(ch->key_tx, k.key_c2s, 32);
    memcpy(ch->iv_tx, k.iv_c2s, 12);
    memcpy(ch->key_rx, k.key_s2c, 32);
    memcpy(ch->iv_rx, k.iv_s2c, 12);
    ch->sealed = 1;
    ch->deadline = 0;
    rc = 0;
out:
    json_decref(j);
    frame_free(&f);
    OPENSSL_cleanse(pw, sizeof pw);
    OPENSSL_cleanse(z, sizeof z);
    OPENSSL_cleanse(&k, sizeof k);
    BN_clear_free(x);
    BN_free(Y);
    return rc;
}

/* APP-STORE-3: an initiator removes stale temporaries (untouched for longer than the idle
 * timeout) in its output directory; a live one of another initiator is left alone. */
static void sweep_stale(int dirfd)
{
    int fd = dup(dirfd);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (d == NULL) {
        if (fd >= 0)
            close(fd);
        return;
    }
    time_t now = time(NULL);
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        struct stat sb;
        if (is_partial_name(de->d_name, strlen(de->d_name)) &&
            fstatat(dirfd, de->d_name, &sb, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(sb.st_mode) &&
            now - sb.st_mtime > CLIENT_IDLE_MS / 1000)
            unlinkat(dirfd, de->d_name, 0);
    }
    closedir(d);
}

static int do_get(struct chan *ch, const char *name, const char *out, int force)
{
    char dirbuf[4096], basebuf[4096];
    snprintf(dirbuf, sizeof dirbuf, "%s", out);
    snprintf(basebuf, sizeof basebuf, "%s", out);
    const char *dir = dirname(dirbuf);
    const char *base = basename(basebuf);
    int dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dirfd < 0)
        return fail("cannot open the output directory");
    sweep_stale(dirfd);
    struct stat sb;
    if (!force && !FAULTY(F_CLIENT_OVERWRITE) &&
        fstatat(dirfd, base, &sb, AT_SYMLINK_NOFOLLOW) == 0) {
        close(dirfd);
        return fail("the output file exists (use --force to replace it)");
    }
    json_t *jname = json_string(name); /* NULL: not UTF-8, so not a name (FRM-14) */
    if (jname == NULL) {
        close(dirfd);
        return fail("the name is not valid UTF-8");
    }
    json_t *o = json_object();
    json_object_set_new(o, "name", jname);
    int w = chan_send_json(ch, "RQFL", o);
    json_decref(o);
    if (w != 0) {
        close(dirfd);
        return fail("connection lost");
    }
    struct frame f;
    int code = 0, rc = 1;
    int st = chan_recv(ch, &f, &code);
    while (st == RX_OK && FAULTY(F_I7_CLIENT_UNKNOWN_CODE) && strcmp(f.type, "EROR") == 0 &&
           eror_code_unknown(&f)) {
        frame_free(&f);
        st = chan_recv(ch, &f, &code);
    }
    json_t *j = NULL;
    int tfd = -1;
    char tmp[64] = "";
    EVP_MD_CTX *md = NULL;
    uint64_t size = 0, received = 0;
    char rsha[65] = "";
    if (st != RX_OK) {
        if (st == RX_PROTO)
            chan_send_error(ch, code, "refused frame", -1);
        close(dirfd);
        return fail(st == RX_TIMEOUT ? "timed out waiting for the server" : "connection lost");
    }
    if (strcmp(f.type, "EROR") == 0) {
        report_eror(&f);
        goto out;
    }
    if (strcmp(f.type, "RSFL") != 0) {
        chan_send_error(ch, E_UNEXPECTED, "expected RSFL", -1);
        fprintf(stderr, "eke5: unexpected frame from the server\n");
        goto out;
    }
    j = parse_control(&f, &code);
    size_t nl = 0, sl = 0;
    const char *rname = j ? get_str(j, "name", &nl) : NULL;
    json_t *shav = j ? json_object_get(j, "sha256") : NULL;
    const char *sha = shav ? get_str(j, "sha256", &sl) : NULL;
    if (rname == NULL || get_uint(j, "size", &size) != 0 || (shav && sha == NULL) ||
        (sha && !valid_sha256_hex(sha, sl))) {
        chan_send_error(ch, E_BAD_FRAME, "malformed RSFL", -1);
        fprintf(stderr, "eke5: malformed answer from the server\n");
        goto out;
    }
    char rsfl_name[4097] = "";
    if (nl < sizeof rsfl_name)
        memcpy(rsfl_name, rname, nl + 1);
    if ((nl != strlen(name) || memcmp(rname, name, nl) != 0) && !FAULTY(F_CLIENT_RSFL_NAME)) {
        /* APP-GET-7: never store under the server's name; refuse the answer */
        chan_send_error(ch, E_BAD_FRAME, "RSFL names another file", -1);
        fprintf(stderr, "eke5: the server answered for another name\n");
        goto out;
    }
    if (sha != NULL)
        memcpy(rsha, sha, 65);
    json_decref(j);
    j = NULL;
    frame_free(&f);
    uint8_t rnd[8];
    if (RAND_bytes(rnd, 8) != 1)
        goto out;
    memcpy(tmp, ".sft-partial-", 13);
    hex_encode(rnd, 8, tmp + 13);
    if (FAULTY(F_I18_CLIENT_TEMP_TRUNC))
        snprintf(tmp, sizeof tmp, ".sft-partial-%.40s", base);
    snprintf(g_tmp_path, sizeof g_tmp_path, "%s/%s", dir, tmp);
    g_tmp_live = 1;
    if (FAULTY(F_I18_CLIENT_TEMP_TRUNC)) {
        if (faccessat(dirfd, tmp, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
            fprintf(stderr, "eke5: reusing a stale temporary file\n");
        tfd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    } else
    tfd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                 FAULTY(F_CLIENT_TEMP_0644) ? 0666 : 0600);
    if (tfd < 0) {
        g_tmp_live = 0;
        fprintf(stderr, "eke5: cannot create a temporary file\n");
        goto out;
    }
    md = EVP_MD_CTX_new();
    if (md == NULL || !EVP_DigestInit_ex(md, EVP_sha256(), NULL))
        goto out;
    /* F_I7_CLIENT_EMPTY_FAST: nothing to receive, so the empty output is linked at once */
    int early = FAULTY(F_I7_CLIENT_EMPTY_FAST) && size == 0 &&
                linkat(dirfd, tmp, dirfd, base, 0) == 0;
    int eof_commit = 0;
    for (;;) {
        st = chan_recv(ch, &f, &code);
        if (st == RX_EOF && received == size && FAULTY(F_I7_CLIENT_EOF_AFTER_SIZE)) {
            eof_commit = 1; /* "all the bytes are in": the close is taken as the end */
            break;
        }
        if (st != RX_OK) {
            if (st == RX_PROTO)
                chan_send_error(ch, code, "refused frame", -1);
            else if (st == RX_TIMEOUT)
                chan_send_error(ch, E_TIMEOUT, "idle timeout", -1);
            fprintf(stderr, "eke5: the transfer failed: connection %s\n",
                    st == RX_TIMEOUT ? "timed out" : "lost");
            goto out;
        }
        if (strcmp(f.type, "DATA") == 0) {
            if (f.len > size - received && !FAULTY(F_CLIENT_EXCESS)) {
                chan_send_error(ch, E_INTEGRITY, "more data than announced", -1);
                fprintf(stderr, "eke5: integrity_failed: more data than announced\n");
                goto out;
            }
            size_t done = 0;
            while (done < f.len) {
                ssize_t wr = write(tfd, f.payload + done, f.len - done);
                if (wr < 0 && errno == EINTR)
                    continue;
                if (wr <= 0) {
                    chan_send_error(ch, E_INTERNAL, "internal error", -1);
                    fprintf(stderr, "eke5: cannot write the temporary file\n");
                    goto out;
                }
                done += (size_t)wr;
            }
            if (!EVP_DigestUpdate(md, f.payload, f.len))
                goto out;
            received += f.len;
            frame_free(&f);
            continue;
        }
        if (strcmp(f.type, "EROR") == 0) {
            if (FAULTY(F_I7_CLIENT_UNKNOWN_CODE) && eror_code_unknown(&f)) {
                frame_free(&f);
                continue;
            }
            report_eror(&f);
            if (FAULTY(F_I14_CLIENT_EROR_TEMP_LEFT)) { /* closed; the unlink is skipped */
                close(tfd);
                tfd = -1;
                g_tmp_live = 0;
            }
            goto out;
        }
        if (FAULTY(F_B27_CLIENT_BYE_ENDS_GET) && strcmp(f.type, "BYE_") == 0) {
            eof_commit = 1; /* "the server says it is done": judged on what came */
            break;
        }
        if (FAULTY(F_I18_CLIENT_UNKNOWN_TYPE) && !i18_defined_type(f.type)) {
            frame_free(&f); /* "a newer server's frame: not ours to judge" */
            continue;
        }
        if (strcmp(f.type, "DONE") != 0) {
            chan_send_error(ch, E_UNEXPECTED, "expected DATA or DONE", -1);
            fprintf(stderr, "eke5: unexpected frame from the server\n");
            goto out;
        }
        break;
    }
    uint64_t dsize = size;
    const char *dsha = NULL;
    if (!eof_commit) {
        j = parse_control(&f, &code);
        dsha = j ? get_str(j, "sha256", &sl) : NULL;
        int dsha_absent = FAULTY(F_I14_CLIENT_DONE_SHA_ABSENT) && j != NULL &&
                          json_object_get(j, "sha256") == NULL;
        if (j == NULL || get_uint(j, "size", &dsize) != 0 || (dsha == NULL && !dsha_absent) ||
            (dsha != NULL && !valid_sha256_hex(dsha, sl))) {
            chan_send_error(ch, E_BAD_FRAME, "malformed DONE", -1);
            fprintf(stderr, "eke5: malformed DONE from the server\n");
            goto out;
        }
    }
    uint8_t dg[32];
    unsigned int dn = 0;
    char hex[65];
    if (!EVP_DigestFinal_ex(md, dg, &dn))
        goto out;
    hex_encode(dg, 32, hex);
    if (eof_commit || dsha == NULL)
        dsha = hex; /* (dsha NULL only under F_I14_CLIENT_DONE_SHA_ABSENT) */
    if ((dsize != size && !FAULTY(F_R2_CLIENT_DONE_SIZE)) || received != size ||
        memcmp(hex, dsha, FAULTY(F_R2_CLIENT_SHA_HALF) ? 32 : 64) != 0 ||
        (rsha[0] != '\0' && !FAULTY(F_CLIENT_RSFL_SHA) && memcmp(hex, rsha, 64) != 0)) {
        chan_send_error(ch, E_INTEGRITY, "size or digest mismatch", -1);
        fprintf(stderr, "eke5: integrity_failed: size or SHA-256 mismatch\n");
        goto out;
    }
    if (fsync(tfd) != 0)
        goto out;
    if (FAULTY(F_CLIENT_RSFL_NAME) && rsfl_name[0] != '\0')
        base = rsfl_name;
    if (early) {
        unlinkat(dirfd, tmp, 0);
    } else if (force || FAULTY(F_CLIENT_OVERWRITE)) {
        if (renameat(dirfd, tmp, dirfd, base) != 0)
            goto out;
    } else {
        if (linkat(dirfd, tmp, dirfd, base, 0) != 0) {
            fprintf(stderr, "eke5: the output file exists\n");
            goto out;
        }
        unlinkat(dirfd, tmp, 0);
    }
    g_tmp_live = 0;
    fsync(dirfd);
    chan_send(ch, "BYE_", (const uint8_t *)"{}", 2);
    printf("received %s: %llu bytes, sha256 %s\n", name, (unsigned long long)size, hex);
    rc = 0;
out:
    if (rc != 0 && tfd >= 0) {
        unlinkat(dirfd, tmp, 0);
        g_tmp_live = 0;
    }
    if (tfd >= 0)
        close(tfd);
    EVP_MD_CTX_free(md);
    json_decref(j);
    frame_free(&f);
    close(dirfd);
    return rc;
}

static int do_put(struct chan *ch, const char *file, const char *name)
{
    int fd = open(file, O_RDONLY | O_CLOEXEC);
    struct stat sb;
    if (fd < 0 || fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        if (fd >= 0)
            close(fd);
        return fail("cannot read the file to send");
    }
    uint64_t size = (uint64_t)sb.st_size;
    json_t *jname = json_string(name); /* NULL: not UTF-8, so not a name (FRM-14) */
    if (jname == NULL) {
        close(fd);
        return fail("the name is not valid UTF-8");
    }
    json_t *o = json_object();
    json_object_set_new(o, "name", jname);
    json_object_set_new(o, "size", json_integer((json_int_t)size));
    int w = chan_send_json(ch, "PUTF", o);
    json_decref(o);
    struct frame f;
    memset(&f, 0, sizeof f);
    int code = 0, rc = 1;
    json_t *j = NULL;
    EVP_MD_CTX *md = NULL;
    uint8_t *buf = NULL;
    if (w != 0) {
        fprintf(stderr, "eke5: connection lost\n");
        goto out;
    }
    int st = chan_recv(ch, &f, &code);
    if (st != RX_OK) {
        if (st == RX_PROTO)
            chan_send_error(ch, code, "refused frame", -1);
        fprintf(stderr, "eke5: the put failed: connection lost\n");
        goto out;
    }
    if (strcmp(f.type, "EROR") == 0) {
        report_eror(&f);
        if (FAULTY(F_R2_CLIENT_PUT_EXISTS_OK)) { /* "already there": nothing to do */
            int ec = 0;
            uint64_t c = 0;
            json_t *ej = parse_control(&f, &ec);
            if (ej != NULL && get_uint(ej, "code", &c) == 0 && c == E_EXISTS)
                rc = 0;
            json_decref(ej);
        }
        goto out;
    }
    if (strcmp(f.type, "RSFL") != 0) {
        chan_send_error(ch, E_UNEXPECTED, "expected RSFL", -1);
        fprintf(stderr, "eke5: unexpected frame from the server\n");
        goto out;
    }
    j = parse_control(&f, &code);
    size_t nl = 0;
    json_t *acc = j ? json_object_get(j, "accept") : NULL;
    int accepted = FAULTY(F_CLIENT_ACCEPT_BOOL) ? json_is_boolean(acc) : json_is_true(acc);
    if (j == NULL || !accepted ||
        get_str(j, "name", &nl) == NULL) {
        chan_send_error(ch, E_BAD_FRAME, "RSFL is not an acceptance", -1);
        fprintf(stderr, "eke5: the server's answer is not an acceptance\n");
        goto out;
    }
    json_decref(j);
    j = NULL;
    frame_free(&f);
    md = EVP_MD_CTX_new();
    size_t chunk = DATA_LIMIT;
    buf = malloc(chunk);
    if (md == NULL || buf == NULL || !EVP_DigestInit_ex(md, EVP_sha256(), NULL))
        goto out;
    uint64_t sent = 0;
    while (sent < size) {
        size_t want = size - sent < chunk ? (size_t)(size - sent) : chunk;
        ssize_t r = read(fd, buf, want);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            chan_send_error(ch, E_INTERNAL, "the local file changed", -1);
            fprintf(stderr, "eke5: the file shrank while being sent\n");
            goto out;
        }
        if (!EVP_DigestUpdate(md, buf, (size_t)r) || chan_send(ch, "DATA", buf, (size_t)r) != 0) {
            fprintf(stderr, "eke5: connection lost\n");
            goto out;
        }
        sent += (uint64_t)r;
    }
    uint8_t dg[32];
    unsigned int dn = 0;
    char hex[65];
    if (!EVP_DigestFinal_ex(md, dg, &dn))
        goto out;
    hex_encode(dg, 32, hex);
    o = json_pack("{s:I,s:s}", "size", (json_int_t)size, "sha256", hex);
    w = o ? chan_send_json(ch, "DONE", o) : -1;
    json_decref(o);
    if (w != 0) {
        fprintf(stderr, "eke5: connection lost\n");
        goto out;
    }
    st = chan_recv(ch, &f, &code);
    if (st != RX_OK) {
        if (st == RX_PROTO)
            chan_send_error(ch, code, "refused frame", -1);
        fprintf(stderr, "eke5: the put failed: no confirmation from the server\n");
        goto out;
    }
    if (strcmp(f.type, "EROR") == 0) {
        report_eror(&f);
        goto out;
    }
    if (FAULTY(F_I18_CLIENT_PUT_NOT_EROR)) {
        /* not an error: the server took it */
    } else if (strcmp(f.type, "DONE") != 0) {
        chan_send_error(ch, E_UNEXPECTED, "expected DONE", -1);
        fprintf(stderr, "eke5: unexpected frame from the server\n");
        goto out;
    } else {
        /* The server's DONE has the schema of any DONE (FRM-9): size and sha256. */
        int dcode = 0;
        size_t dl = 0;
        uint64_t dsz = 0;
        json_t *dj = parse_control(&f, &dcode);
        const char *dsh = dj ? get_str(dj, "sha256", &dl) : NULL;
        int bad = dj == NULL || get_uint(dj, "size", &dsz) != 0 || dsh == NULL ||
                  !valid_sha256_hex(dsh, dl);
        json_decref(dj);
        if (bad) {
            chan_send_error(ch, E_BAD_FRAME, "malformed DONE", -1);
            fprintf(stderr, "eke5: malformed DONE from the server\n");
            goto out;
        }
    }
    chan_send(ch, "BYE_", (const uint8_t *)"{}", 2);
    printf("sent %s: %llu bytes, sha256 %s\n", name, (unsigned long long)size, hex);
    rc = 0;
out:
    free(buf);
    EVP_MD_CTX_free(md);
    json_decref(j);
    frame_free(&f);
    close(fd);
    return rc;
}

int client_main(int argc, char **argv, int put)
{
    static const struct option opts[] = {{"user", required_argument, 0, 'u'},
                                         {"password-file", required_argument, 0, 'p'},
                                         {"output", required_argument, 0, 'o'},
                                         {"force", no_argument, 0, 'f'},
                                         {"handshake-timeout", required_argument, 0, 'H'},
                                         {"idle-timeout", required_argument, 0, 'I'},
                                         {0, 0, 0, 0}};
    const char *user = NULL, *pwfile = NULL, *out = NULL;
    int force = 0, o;
    while ((o = getopt_long(argc, argv, "o:", opts, NULL)) != -1) {
        switch (o) {
        case 'u': user = optarg; break;
        case 'p': pwfile = optarg; break;
        case 'o': out = optarg; break;
        case 'f': force = 1; break;
        case 'H': CLIENT_HANDSHAKE_TIMEOUT = atof(optarg); break;
        case 'I': CLIENT_IDLE_MS = (int)(atof(optarg) * 1000.0); break;
        default: return 2;
        }
    }
    int need = put ? 3 : 2;
    if (user == NULL || pwfile == NULL || argc - optind != need || (!put && out == NULL) ||
        !(CLIENT_HANDSHAKE_TIMEOUT > 0) || CLIENT_IDLE_MS <= 0) {
        fprintf(stderr, "usage: eke5 get --user U --password-file F -o OUT [--force] -- "
                        "HOST:PORT NAME\n       eke5 put --user U --password-file F -- "
                        "HOST:PORT FILE NAME\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    if (!FAULTY(F_CLIENT_NO_SIGNAL)) {
        signal(SIGTERM, on_signal);
        signal(SIGINT, on_signal);
    }
    if (crypto_init() != 0)
        return fail("crypto init failed");
    uint8_t *pwd = NULL;
    size_t plen = 0;
    if (read_password_file(pwfile, &pwd, &plen) != 0)
        return 1;
    struct chan ch;
    int fd, rc;
    for (int attempt = 0;; attempt++) {
        fd = dial(argv[optind]);
        if (fd < 0) {
            OPENSSL_cleanse(pwd, plen);
            free(pwd);
            return fail("cannot connect");
        }
        memset(&ch, 0, sizeof ch);
        ch.fd = fd;
        ch.idle_ms = CLIENT_IDLE_MS;
        ch.deadline = now_mono() + CLIENT_HANDSHAKE_TIMEOUT;
        ch.frame_limit = DEFAULT_FRAME_LIMIT;
        g_last_code = 0;
        rc = client_handshake(&ch, user, pwd, plen);
        /* F_I7_CLIENT_BUSY_RETRY: busy retried after a fixed 100 ms */
        if (rc != 0 && g_last_code == E_BUSY && FAULTY(F_I7_CLIENT_BUSY_RETRY) && attempt < 3) {
            close(fd);
            usleep(100000);
            continue;
        }
        break;
    }
    OPENSSL_cleanse(pwd, plen);
    free(pwd);
    if (rc == 0)
        rc = put ? do_put(&ch, argv[optind + 1], argv[optind + 2])
                 : do_get(&ch, argv[optind + 1], out, force);
    OPENSSL_cleanse(&ch, sizeof ch);
    close(fd);
    return rc;
}
