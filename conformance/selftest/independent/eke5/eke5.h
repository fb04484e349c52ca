/* eke5 — an sft-eke/1 server and client in C11 (clean-room, from docs/SPEC.md).
 * See main.c for the list of the choices this implementation makes. */
#ifndef EKE5_H
#define EKE5_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include <openssl/bn.h>

#define GROUP_BYTES 384
#define CONTROL_LIMIT 65536u
#define DATA_LIMIT 1048576u
#define DEFAULT_FRAME_LIMIT 1048832u
#define TAG_BYTES 16

/* ---- planted faults (faults.c) ---- */
enum fault_id {
#define FAULT(id, name, req, line) id,
#include "faults.def"
#undef FAULT
    FAULT_COUNT
};
extern unsigned char g_faults[FAULT_COUNT];
#define FAULTY(id) (g_faults[(id)])
void faults_load(void);
void faults_print(void);

/* ---- error codes (SPEC §2) ---- */
enum {
    E_BAD_FRAME = 1, E_FRAME_TOO_LARGE = 2, E_UNEXPECTED = 3, E_AUTH_FAILED = 4,
    E_FORBIDDEN = 5, E_NOT_FOUND = 6, E_TOO_LARGE = 7, E_INTEGRITY = 8, E_BUSY = 9,
    E_TIMEOUT = 10, E_INTERNAL = 11, E_EXISTS = 12, E_UNSUPPORTED = 13, E_THROTTLED = 14
};
const char *err_name(int code);
int err_fatal(int code);

/* ---- crypto.c ---- */
int crypto_init(void);
const BIGNUM *group_p(void);
int eke_password_key(const uint8_t *user, size_t ulen, const uint8_t *pwd, size_t plen,
                     uint8_t out[32]);
int feistel(const uint8_t pw[32], const uint8_t in[GROUP_BYTES], uint8_t out[GROUP_BYTES],
            int decrypt);
int random_exponent(BIGNUM *x);
int make_public(const BIGNUM *x, uint8_t out_prime[GROUP_BYTES]);
int recover_element(const uint8_t in_prime[GROUP_BYTES], BIGNUM *out);
int shared_secret(const BIGNUM *peer, const BIGNUM *x, uint8_t z[GROUP_BYTES]);
int sha256(const uint8_t *a, size_t alen, uint8_t out[32]);
int hmac_sha256(const uint8_t *key, size_t klen, const uint8_t *msg, size_t mlen,
                uint8_t out[32]);
int transcript_hash(const uint8_t *user, size_t ulen, const uint8_t a[GROUP_BYTES],
                    const uint8_t b[GROUP_BYTES], uint8_t th[32]);
struct eke_keys {
    uint8_t kcs[32], kcc[32], key_c2s[32], iv_c2s[12], key_s2c[32], iv_s2c[12];
};
int key_schedule(const uint8_t z[GROUP_BYTES], const uint8_t th[32], struct eke_keys *k,
                 uint8_t prk_out[32]);
int gcm_seal(const uint8_t key[32], const uint8_t nonce[12], const uint8_t *pt, size_t ptlen,
             const uint8_t *ad, size_t adlen, uint8_t *out);
int gcm_open_unchecked(const uint8_t key[32], const uint8_t nonce[12], const uint8_t *ct,
                       size_t ctlen, const uint8_t *ad, size_t adlen, uint8_t *out);
int gcm_open(const uint8_t key[32], const uint8_t nonce[12], const uint8_t *ct, size_t ctlen,
             const uint8_t *ad, size_t adlen, uint8_t *out);
void hex_encode(const uint8_t *in, size_t n, char *out);
int hex_decode_exact(const char *in, size_t inlen, uint8_t *out, size_t outlen);

/* ---- channel.c ---- */
struct chan {
    int fd;
    int sealed;
    uint8_t key_tx[32], iv_tx[12], key_rx[32], iv_rx[12];
    uint64_t seq_tx, seq_rx, blocks_tx, blocks_rx;
    int tx_done, rx_done; /* sequence number 2^64-1 used: no further record */
    double deadline;   /* absolute (monotonic) end of the handshake, or 0 */
    int idle_ms;       /* per-read idle timeout */
    int hs_ms;         /* the handshake timeout (F_DEADLINE_PER_READ) */
    uint32_t frame_limit;
};
/* one received frame */
struct frame {
    char type[5];
    uint32_t len;
    uint8_t *payload; /* malloc'd, len bytes (+1 NUL), or NULL */
};
enum rx_status {
    RX_OK = 0, RX_EOF = -1, RX_TRUNCATED = -2, RX_TIMEOUT = -3, RX_IOERR = -4,
    RX_PROTO = -5,   /* protocol error: *err_code holds the code to answer */
    RX_CLOSE = -6    /* close without answering (bad record, plaintext after EKE4) */
};
double now_mono(void);
int chan_recv(struct chan *ch, struct frame *f, int *err_code);
int chan_send(struct chan *ch, const char type[4], const uint8_t *payload, size_t len);
int chan_send_json(struct chan *ch, const char type[4], json_t *obj);
int chan_send_error(struct chan *ch, int code, const char *message, long long retry_after);
int write_all(int fd, const uint8_t *buf, size_t n, int timeout_ms);
void frame_free(struct frame *f);
int type_is_valid(const uint8_t t[4]);
json_t *parse_control(const struct frame *f, int *err_code);
int get_uint(json_t *obj, const char *key, uint64_t *out);
const char *get_str(json_t *obj, const char *key, size_t *len);
int valid_sha256_hex(const char *s, size_t n);
int check_name(const char *name, size_t len);
int is_partial_name(const char *base, size_t len);

/* ---- server.c / client.c ---- */
int server_main(int argc, char **argv);
int useradd_main(int argc, char **argv);
int client_main(int argc, char **argv, int put);
int vectors_main(int argc, char **argv);
int read_password_file(const char *path, uint8_t **out, size_t *outlen);

#endif
