/* eke5 — an sft-eke/1 server and client in C11 on OpenSSL 3 libcrypto and Jansson, written
 * from docs/SPEC.md alone (clean-room round 5).
 *
 * Commands:
 *   eke5 serve --listen HOST:PORT --share DIR --inbox DIR --store FILE --state DIR [limits]
 *   eke5 useradd --store FILE --user NAME --password-file FILE
 *   eke5 get HOST:PORT NAME --user U --password-file F -o OUT
 *   eke5 put HOST:PORT FILE NAME --user U --password-file F
 *
 * Choices where the SPEC leaves one:
 * - One detached pthread per connection, blocking sockets, poll() before every read with
 *   the remaining handshake deadline (counted from accept, LIM-9) or the idle timeout;
 *   writes are send(MSG_DONTWAIT) + poll(POLLOUT): a wait for room with no progress for
 *   the idle timeout ends the connection (LIM-10).
 *   A thread keeps the per-connection state machine linear, as the SPEC's table reads.
 * - SIGPIPE ignored and every send() uses MSG_NOSIGNAL; SIGTERM/SIGINT are taken by a
 *   sigwait() thread that unlinks the registered temporary files, then _exit(0).
 * - JSON: Jansson with JSON_REJECT_DUPLICATES and JSON_ALLOW_NUL (a name holding U+0000
 *   is refused `forbidden`, not `bad_frame`); Jansson refuses lone surrogates (bad_frame,
 *   FRM-15's first reading) and nests at most 2048 levels (deeper: bad_frame, FRM-9).
 * - Check order: type bytes, then the frame limit, then the state, then the payload.
 * - Names: every symbolic link in the share is refused (`forbidden`); the share is walked
 *   with openat(O_NOFOLLOW) per component from a directory descriptor.
 * - RSFL of a get carries no sha256 (optional); DATA chunks of 256 KiB.
 * - The password store holds hex(user) hex(pw) per line, mode 0600; server_secret (32
 *   random bytes) and throttle.db (failure counts, rewritten after each change) live in
 *   the state directory.
 * - Exponents: 337 bits, the top one forced above 336 random bits.
 * - busy carries retry_after 1; an EKE1 with an invalid user name is `bad_frame`.
 * - LIM-4 full: the oldest connection still in its handshake is shut down to make room
 *   (LIM-9); with none, the new one gets `EROR busy` and is closed. LIM-8 likewise.
 * - SIGHUP re-executes the server on its listening socket (EKE5_LISTEN_FD), for restarts.
 * - The client refuses an RSFL naming another file (`bad_frame`, APP-GET-7), never replaces
 *   an existing output without --force, and commits with link()+unlink().
 * - Invalid X' and Z in {0, 1, p-1}: the server continues with a random element and fails
 *   at EKE3 with the one `auth_failed` (EKE-X-3, EKE-HS-8).
 */
#include "eke5.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* PWF-1: UTF-8, first line, exactly one trailing LF or CRLF removed, nothing else */
int read_password_file(const char *path, uint8_t **out, size_t *outlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        fprintf(stderr, "eke5: cannot open the password file\n");
        return -1;
    }
    size_t cap = 4096, n = 0;
    uint8_t *buf = malloc(cap);
    for (;;) {
        if (buf == NULL) {
            close(fd);
            return -1;
        }
        if (n == cap) {
            if (cap >= 1u << 20) {
                free(buf);
                close(fd);
                fprintf(stderr, "eke5: password file too large\n");
                return -1;
            }
            cap *= 2;
            uint8_t *nb = realloc(buf, cap);
            if (nb == NULL) {
                free(buf);
                close(fd);
                return -1;
            }
            buf = nb;
        }
        ssize_t r = read(fd, buf + n, cap - n);
        if (r < 0) {
            free(buf);
            close(fd);
            return -1;
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    close(fd);
    if (n > 0 && buf[n - 1] == '\n') {
        n--;
        if (n > 0 && buf[n - 1] == '\r')
            n--;
    }
    /* validate: non-empty, no CR/LF inside, valid UTF-8 */
    int bad = n == 0;
    for (size_t i = 0; i < n && !bad;) {
        uint8_t c = buf[i];
        if (c == '\n' || c == '\r') {
            bad = 1;
            break;
        }
        size_t extra;
        uint32_t min;
        if (c < 0x80) {
            i++;
            continue;
        } else if ((c & 0xE0) == 0xC0) {
            extra = 1;
            min = 0x80;
        } else if ((c & 0xF0) == 0xE0) {
            extra = 2;
            min = 0x800;
        } else if ((c & 0xF8) == 0xF0) {
            extra = 3;
            min = 0x10000;
        } else {
            bad = 1;
            break;
        }
        uint32_t cp = c & (0x3F >> extra);
        for (size_t k = 1; k <= extra; k++) {
            if (i + k >= n || (buf[i + k] & 0xC0) != 0x80) {
                bad = 1;
                break;
            }
            cp = cp << 6 | (buf[i + k] & 0x3F);
        }
        if (bad)
            break;
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            bad = 1;
        i += extra + 1;
    }
    if (bad) {
        free(buf);
        fprintf(stderr, "eke5: the password file is not one non-empty UTF-8 line\n");
        return -1;
    }
    *out = buf;
    *outlen = n;
    return 0;
}

int main(int argc, char **argv)
{
    faults_load();
    if (argc < 2) {
        fprintf(stderr, "usage: eke5 serve|useradd|get|put ...\n");
        return 2;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "serve") == 0)
        return server_main(argc - 1, argv + 1);
    if (strcmp(cmd, "useradd") == 0)
        return useradd_main(argc - 1, argv + 1);
    if (strcmp(cmd, "get") == 0)
        return client_main(argc - 1, argv + 1, 0);
    if (strcmp(cmd, "put") == 0)
        return client_main(argc - 1, argv + 1, 1);
    if (strcmp(cmd, "vectors") == 0)
        return vectors_main(argc - 1, argv + 1);
    fprintf(stderr, "eke5: unknown command %s\n", cmd);
    return 2;
}
