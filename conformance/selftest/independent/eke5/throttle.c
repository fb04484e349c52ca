/* Throttling (SPEC §5.6): failure tables per user name and per address (IPv6 per /64),
 * separate and bounded; pending handshakes; persisted to a file in the state directory
 * after every change (EKE-THR-8), rewritten through a temporary file and rename(). */
#include "eke5.h"
#include "throttle.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct entry {
    int used;
    char key[160];        /* user name hex, or address text */
    unsigned fails;       /* failures counted for the backoff law */
    unsigned consecutive; /* user names: consecutive failures (hard cap) */
    double locked_until;  /* wall clock */
    unsigned pending;     /* handshakes between EKE2 and their end */
    double touched;
};

struct table {
    struct entry *e;
    size_t n;
};

static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
/* F_I18_FAIL_COUNT_SNAPSHOT: the counts read at EKE1, kept by the connection's thread */
static __thread unsigned t_i18_snap_u, t_i18_snap_a;
static struct table g_users, g_addrs;
static struct throttle_cfg g_cfg;
static char g_path[4096];

static double now_wall(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int over_threshold(unsigned fails)
{
    return FAULTY(F_THROTTLE_OFF_BY_ONE) ? fails > g_cfg.failures : fails >= g_cfg.failures;
}

static int entry_locked(const struct entry *e, double now, int is_user)
{
    if (is_user && g_cfg.lock_after > 0 && e->consecutive >= g_cfg.lock_after)
        return 1;
    return over_threshold(e->fails) && e->locked_until > now;
}

static int entry_hard_locked(const struct entry *e)
{
    return g_cfg.lock_after > 0 && e->consecutive >= g_cfg.lock_after;
}

static struct entry *find(struct table *t, const char *key, int create, int is_user)
{
    struct entry *free_slot = NULL, *victim = NULL;
    double now = now_wall();
    for (size_t i = 0; i < t->n; i++) {
        struct entry *e = &t->e[i];
        if (e->used && strcmp(e->key, key) == 0)
            return e;
        if (!e->used && free_slot == NULL)
            free_slot = e;
        /* EKE-THR-9: never evict an entry whose lock runs or that has handshakes pending */
        if (e->used && e->pending == 0 &&
            (FAULTY(F_LRU_EVICTS_LOCKS) || !entry_locked(e, now, is_user)) &&
            (victim == NULL || e->touched < victim->touched))
            victim = e;
    }
    if (!create)
        return NULL;
    if (free_slot == NULL && is_user && !FAULTY(F_R5_HARD_LOCKS_FILL)) {
        /* EKE-THR-9: hard-locked names do not count towards the bound: the table grows
         * by their number rather than refuse (or evict) the next name. */
        size_t held = 0;
        for (size_t i = 0; i < t->n; i++)
            if (t->e[i].used && entry_hard_locked(&t->e[i]))
                held++;
        if (t->n - held < g_cfg.table_entries) {
            size_t grown = t->n + (t->n / 2 > 16 ? t->n / 2 : 16);
            struct entry *more = realloc(t->e, grown * sizeof *more);
            if (more != NULL) {
                memset(more + t->n, 0, (grown - t->n) * sizeof *more);
                free_slot = more + t->n;
                t->e = more;
                t->n = grown;
            }
        }
    }
    struct entry *e = free_slot != NULL ? free_slot : victim;
    if (e == NULL)
        return NULL;
    memset(e, 0, sizeof *e);
    e->used = 1;
    snprintf(e->key, sizeof e->key, "%s", key);
    e->touched = now;
    return e;
}

static void save_locked(void)
{
    if (g_path[0] == '\0' || FAULTY(F_NOT_PERSISTED))
        return;
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp", g_path);
    FILE *f = fopen(tmp, "w");
    if (f == NULL)
        return;
    for (int which = 0; which < 2; which++) {
        struct table *t = which == 0 ? &g_users : &g_addrs;
        for (size_t i = 0; i < t->n; i++) {
            struct entry *e = &t->e[i];
            if (e->used && (e->fails > 0 || e->consecutive > 0))
                fprintf(f, "%c %s %u %u %.3f %.3f\n", which == 0 ? 'U' : 'A', e->key,
                        e->fails, e->consecutive, e->locked_until, e->touched);
        }
    }
    if (fflush(f) != 0 || fsync(fileno(f)) != 0) {
        fclose(f);
        unlink(tmp);
        return;
    }
    fclose(f);
    rename(tmp, g_path);
}

int throttle_init(const struct throttle_cfg *cfg, const char *path)
{
    g_cfg = *cfg;
    g_users.n = g_addrs.n = cfg->table_entries;
    g_users.e = calloc(cfg->table_entries, sizeof(struct entry));
    g_addrs.e = calloc(cfg->table_entries, sizeof(struct entry));
    if (g_users.e == NULL || g_addrs.e == NULL)
        return -1;
    snprintf(g_path, sizeof g_path, "%s", path != NULL ? path : "");
    if (path == NULL || FAULTY(F_NOT_PERSISTED))
        return 0;
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return 0;
    char kind, key[160], line[512];
    unsigned fails, consec;
    double until, touched;
    while (fgets(line, sizeof line, f) != NULL) {
        /* EKE-THR-9 after a restart (EKE-THR-8): the time of each entry's latest failure
         * is kept with it, so that the least recently failed entry is still evicted
         * first; a line written before it was kept (five fields) counts as failed now. */
        int got = sscanf(line, " %c %159s %u %u %lf %lf", &kind, key, &fails, &consec, &until,
                         &touched);
        if (got < 5)
            continue;
        if (FAULTY(F_I26_RELOAD_SKIPS_EXPIRED) && until <= now_wall())
            continue; /* "a lock that has run out is history" */
        struct entry *e = find(kind == 'U' ? &g_users : &g_addrs, key, 1, kind == 'U');
        if (e != NULL) {
            e->fails = fails;
            e->consecutive = consec;
            e->locked_until = until;
            if (got == 6 && !FAULTY(F_B16_TOUCHED_NOT_PERSISTED))
                e->touched = touched;
        }
    }
    fclose(f);
    return 0;
}

static void lock_after_failure(struct entry *e, double now);

static long long seconds_left(double until, double now)
{
    double left = until - now;
    long long s = FAULTY(F_RETRY_TRUNCATED) ? (long long)left : (long long)ceil(left);
    if (FAULTY(F_RETRY_TRUNCATED))
        return s;
    return s < 1 ? 1 : s;
}

int throttle_begin(const char *user_key, const char *addr_key, long long *retry_after)
{
    int result = TH_OK;
    pthread_mutex_lock(&g_mu);
    double now = now_wall();
    struct entry *u = find(&g_users, user_key, 1, 1);
    struct entry *a = find(&g_addrs, addr_key, 1, 0);
    if (u == NULL || a == NULL) {
        *retry_after = 1;
        result = TH_BUSY; /* tables full of locked entries: refuse, do not evict a lock */
        goto out;
    }
    if (g_cfg.lock_after > 0 && u->consecutive >= g_cfg.lock_after) {
        *retry_after = FAULTY(F_I26_HARD_LOCK_NO_RETRY) ? -1 : (long long)ceil(g_cfg.cap);
        result = TH_THROTTLED;
        goto out;
    }
    if (FAULTY(F_I14_EXPIRED_LOCK_CLEARS)) { /* "the lock ran out: start afresh" */
        if (over_threshold(u->fails) && u->locked_until > 0 && u->locked_until <= now)
            u->fails = 0, u->locked_until = 0;
        if (over_threshold(a->fails) && a->locked_until > 0 && a->locked_until <= now)
            a->fails = 0, a->locked_until = 0;
    }
    double until = 0;
    if (over_threshold(u->fails) && u->locked_until > now)
        until = u->locked_until;
    if (!FAULTY(F_R2_ADDR_LOCK_IGNORED) && over_threshold(a->fails) && a->locked_until > now &&
        a->locked_until > until)
        until = a->locked_until;
    if (until > 0) {
        *retry_after = seconds_left(until, now);
        if (FAULTY(F_I7_RETRY_FULL)) { /* the whole lock duration of the locking entry */
            const struct entry *e = until == u->locked_until ? u : a;
            double d = g_cfg.base * pow(2.0, (double)(e->fails - g_cfg.failures));
            if (d > g_cfg.cap)
                d = g_cfg.cap;
            *retry_after = d < 1 ? 1 : (long long)ceil(d);
        }
        result = TH_THROTTLED;
        goto out;
    }
    if (FAULTY(F_I18_PENDING_CAPS_AND)
            ? (u->pending >= g_cfg.pending_user && a->pending >= g_cfg.pending_addr)
            : (u->pending >= g_cfg.pending_user || a->pending >= g_cfg.pending_addr)) {
        *retry_after = 1;
        result = TH_BUSY;
        if (FAULTY(F_I26_BUSY_COUNTED)) { /* the refusal's bookkeeping: a failure */
            u->fails++;
            u->consecutive++;
            a->fails++;
            lock_after_failure(u, now);
            lock_after_failure(a, now);
            save_locked();
        }
        goto out;
    }
    u->pending++;
    a->pending++;
    u->touched = a->touched = now;
    t_i18_snap_u = u->fails;
    t_i18_snap_a = a->fails;
out:
    pthread_mutex_unlock(&g_mu);
    return result;
}

static void lock_after_failure(struct entry *e, double now)
{
    if (FAULTY(F_I7_LOCK_SET_ONCE) && e->locked_until != 0)
        return; /* the planted fault: the lock is set once, never renewed */
    if (over_threshold(e->fails)) {
        double d = g_cfg.base * pow(2.0, (double)(e->fails - g_cfg.failures));
        if (d > g_cfg.cap && !FAULTY(F_R2_BACKOFF_UNCAPPED))
            d = g_cfg.cap;
        d = ceil(d);
        if (d < 1)
            d = 1;
        e->locked_until = now + d;
    }
}

void throttle_fail_keep_pending(const char *user_key, const char *addr_key)
{
    pthread_mutex_lock(&g_mu);
    double now = now_wall();
    struct entry *u = find(&g_users, user_key, 1, 1);
    struct entry *a = find(&g_addrs, addr_key, 1, 0);
    if (u != NULL) {
        u->fails++;
        u->consecutive++;
        lock_after_failure(u, now);
        u->touched = now;
    }
    if (a != NULL) {
        a->fails++;
        lock_after_failure(a, now);
        a->touched = now;
    }
    save_locked();
    pthread_mutex_unlock(&g_mu);
}

void throttle_end(const char *user_key, const char *addr_key, int success)
{
    pthread_mutex_lock(&g_mu);
    double now = now_wall();
    struct entry *u = find(&g_users, user_key, 1, 1);
    struct entry *a = find(&g_addrs, addr_key, 1, 0);
    if (u != NULL && u->pending > 0)
        u->pending--;
    if (a != NULL && a->pending > 0)
        a->pending--;
    if (success == 2) {
        /* F_PENDING_NOT_COUNTED: released without counting */
    } else if (success) {
        if (u != NULL) {
            u->fails = 0;
            if (!FAULTY(F_R2_CONSECUTIVE_NOT_RESET))
                u->consecutive = 0;
            u->locked_until = 0;
        }
        if (a != NULL && FAULTY(F_SUCCESS_RESETS_ADDR)) {
            a->fails = 0;
            a->locked_until = 0;
        }
    } else {
        if (u != NULL) {
            u->fails = FAULTY(F_I18_FAIL_COUNT_SNAPSHOT) ? t_i18_snap_u + 1 : u->fails + 1;
            u->consecutive++;
            lock_after_failure(u, now);
            u->touched = now;
        }
        if (a != NULL) {
            a->fails = FAULTY(F_I18_FAIL_COUNT_SNAPSHOT) ? t_i18_snap_a + 1 : a->fails + 1;
            lock_after_failure(a, now);
            a->touched = now;
        }
    }
    save_locked();
    pthread_mutex_unlock(&g_mu);
}
