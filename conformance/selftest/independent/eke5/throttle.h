#ifndef EKE5_THROTTLE_H
#define EKE5_THROTTLE_H

struct throttle_cfg {
    unsigned failures;     /* N */
    double base, cap;      /* backoff law */
    unsigned pending_user; /* P */
    unsigned pending_addr; /* Q */
    unsigned lock_after;   /* L (0: none) */
    unsigned table_entries;
};
enum { TH_OK = 0, TH_THROTTLED = 1, TH_BUSY = 2 };
int throttle_init(const struct throttle_cfg *cfg, const char *path);
/* TH_OK: the handshake is pending (both counters taken); else *retry_after is set */
int throttle_begin(const char *user_key, const char *addr_key, long long *retry_after);
/* ends a pending handshake: success forgives the user name, failure counts on both */
void throttle_end(const char *user_key, const char *addr_key, int success);
/* F_I14_AUTH_FAIL_PENDING_KEPT: a failure counted without releasing the pending slots */
void throttle_fail_keep_pending(const char *user_key, const char *addr_key);

#endif
