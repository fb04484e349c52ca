package main

// Failed-login throttling (SPEC §5.6): failure tables per user name and per address
// (IPv6 per /64), the backoff law, the hard lock, pending-handshake caps, persisted to a
// JSON file in the state directory so a restart does not reset them.

import (
	"encoding/json"
	"log"
	"math"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// ThrottleConfig holds the configurable numbers of §5.6.
type ThrottleConfig struct {
	Failures       int     // N
	Base, Cap      float64 // seconds
	LockAfter      int     // L
	PendingPerUser int     // P
	PendingPerAddr int     // Q
	TableEntries   int
}

type failEntry struct {
	Failures    int     `json:"failures"`
	LockedUntil float64 `json:"locked_until"`
	HardLocked  bool    `json:"hard_locked"`
	LastFailure float64 `json:"last_failure"`
	// FirstFailure is read only by the planted fault b16_evict_by_first_failure.
	FirstFailure float64 `json:"first_failure,omitempty"`
}

type throttleFile struct {
	Users map[string]*failEntry `json:"users"`
	Addrs map[string]*failEntry `json:"addrs"`
}

// Throttle is shared by every connection of a server.
type Throttle struct {
	cfg          ThrottleConfig
	path         string
	mu           sync.Mutex
	tables       throttleFile
	pendingUsers map[string]int
	pendingAddrs map[string]int
}

func nowSeconds() float64 { return float64(time.Now().UnixNano()) / 1e9 }

// addressKey counts IPv4 per address and IPv6 per /64 (EKE-THR-10).
func addressKey(addr net.Addr) string {
	host := addr.String()
	if fault("address_key_with_port") {
		return host // RemoteAddr().String(): "IP:port", a new key per connection
	}
	if ta, ok := addr.(*net.TCPAddr); ok {
		if fault("b16_ipv4_counted_per_64") {
			return ta.IP.Mask(net.CIDRMask(64, 128)).String() + "/64" // "one host holds a /64"
		}
		if v4 := ta.IP.To4(); v4 != nil {
			return v4.String()
		}
		return ta.IP.Mask(net.CIDRMask(64, 128)).String() + "/64"
	}
	return host
}

func loadThrottle(cfg ThrottleConfig, path string) *Throttle {
	t := &Throttle{cfg: cfg, path: path, pendingUsers: map[string]int{}, pendingAddrs: map[string]int{}}
	t.tables = throttleFile{Users: map[string]*failEntry{}, Addrs: map[string]*failEntry{}}
	if path != "" && !fault("throttle_not_persisted") {
		if b, err := os.ReadFile(path); err == nil {
			var f throttleFile
			if json.Unmarshal(b, &f) == nil {
				if f.Users != nil {
					t.tables.Users = f.Users
				}
				if f.Addrs != nil {
					t.tables.Addrs = f.Addrs
				}
				if fault("r3_hard_lock_not_persisted") {
					// the original struct had `hardLocked bool`: unexported, never marshalled
					for _, e := range t.tables.Users {
						e.HardLocked = false
					}
				}
			}
		}
	}
	return t
}

func (t *Throttle) saveLocked() {
	if t.path == "" {
		return
	}
	b, err := json.Marshal(t.tables)
	if err != nil {
		return
	}
	tmp := t.path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		log.Printf("throttle: cannot save: %v", err)
		return
	}
	if err := os.Rename(tmp, t.path); err != nil {
		log.Printf("throttle: cannot save: %v", err)
	}
	if d, err := os.Open(filepath.Dir(t.path)); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
}

func (e *failEntry) retryAfter(now, capSeconds float64) (int64, bool) {
	if e == nil {
		return 0, false
	}
	if e.HardLocked {
		if fault("b16_hard_lock_retry_after_default") {
			return 300, true // "the backoff cap" (its default)
		}
		return int64(math.Ceil(capSeconds)), true
	}
	if now < e.LockedUntil {
		ra := int64(math.Ceil(e.LockedUntil - now))
		if fault("r2_retry_after_truncated") {
			ra = int64(e.LockedUntil - now)
		}
		if fault("r3_retry_after_ms") {
			until := time.Unix(0, int64(e.LockedUntil*1e9))
			ra = time.Until(until).Milliseconds()
		}
		if ra < 1 {
			ra = 1
		}
		return ra, true
	}
	return 0, false
}

// Admit decides an EKE1 before any exponentiation: throttled (EKE-THR-1/6/11), busy
// (EKE-THR-7), or admitted as a pending handshake that the caller must Release.
func (t *Throttle) Admit(user, addr string) *ProtoError {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := nowSeconds()
	ra := int64(0)
	for _, e := range []*failEntry{t.tables.Users[user], t.tables.Addrs[addr]} {
		if r, locked := e.retryAfter(now, t.cfg.Cap); locked && r > ra {
			ra = r
			if fault("b16_retry_after_first_lock") {
				break // "locked is locked: answer at once"
			}
		}
		if fault("r16_admit_first_entry_only") {
			break // meant to leave once a lock is found; placed outside the if
		}
	}
	if ra > 0 {
		return &ProtoError{Code: CodeThrottled, Msg: "too many failed logins", RetryAfter: ra}
	}
	capUser, capAddr := t.cfg.PendingPerUser, t.cfg.PendingPerAddr
	if fault("b16_pending_caps_swapped") {
		capUser, capAddr = capAddr, capUser
	}
	if !fault("no_pending_cap") && (t.pendingUsers[user] >= capUser || t.pendingAddrs[addr] >= capAddr) {
		ra := int64(1)
		if fault("busy_no_retry_after") {
			ra = 0
		}
		code := CodeBusy
		if fault("r3_busy_as_throttled") {
			code = CodeThrottled
		}
		return &ProtoError{Code: code, Msg: "too many logins in progress", RetryAfter: ra}
	}
	t.pendingUsers[user]++
	t.pendingAddrs[addr]++
	return nil
}

// ReleasePending ends a pending handshake without judging it (the planted fault
// r3_abandoned_not_counted: only a bad EKE3 was ever recorded as a failure).
func (t *Throttle) ReleasePending(user, addr string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.pendingUsers[user]--
	if t.pendingUsers[user] <= 0 {
		delete(t.pendingUsers, user)
	}
	t.pendingAddrs[addr]--
	if t.pendingAddrs[addr] <= 0 {
		delete(t.pendingAddrs, addr)
	}
}

// RecordFailure counts one failure without touching the pending counts (only the planted
// fault r16_eke3_failure_counted_twice calls it, beside the deferred Release).
func (t *Throttle) RecordFailure(user, addr string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := nowSeconds()
	t.failLocked(t.tables.Users, user, now, true)
	t.failLocked(t.tables.Addrs, addr, now, false)
	t.saveLocked()
}

// Release ends a pending handshake: a failure unless ok (EKE-THR-5).
func (t *Throttle) Release(user, addr string, ok bool) {
	t.ReleaseAt(user, addr, ok, 0)
}

// ReleaseAt is Release; started (seconds, or 0) is when the handshake was admitted, which
// only the planted fault b16_lock_from_handshake_start takes as the failure's time.
func (t *Throttle) ReleaseAt(user, addr string, ok bool, started float64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.pendingUsers[user]--
	if t.pendingUsers[user] <= 0 {
		delete(t.pendingUsers, user)
	}
	t.pendingAddrs[addr]--
	if t.pendingAddrs[addr] <= 0 {
		delete(t.pendingAddrs, addr)
	}
	if ok && fault("r2_pending_leak_on_success") {
		t.pendingUsers[user]++ // the decrement above undone: success returns early in the original
		t.pendingAddrs[addr]++
	}
	if ok {
		if fault("success_resets_address") {
			delete(t.tables.Addrs, addr)
		}
		if e := t.tables.Users[user]; e != nil && !e.HardLocked {
			delete(t.tables.Users, user)
		}
		if !fault("b16_success_not_saved") { // "only a new failure needs writing"
			t.saveLocked()
		}
		return
	}
	now := nowSeconds()
	if fault("b16_lock_from_handshake_start") && started > 0 {
		now = started // the attempt's timestamp, taken when it was admitted
	}
	t.failLocked(t.tables.Users, user, now, true)
	t.failLocked(t.tables.Addrs, addr, now, false)
	t.saveLocked()
	log.Printf("failed login: user=%.64q address=%s", user, addr)
}

func (t *Throttle) failLocked(table map[string]*failEntry, key string, now float64, isUser bool) {
	if fault("b16_failure_time_truncated") {
		now = math.Floor(now) // time.Now().Unix()
	}
	e := table[key]
	if e == nil {
		t.evictLocked(table, now)
		e = &failEntry{FirstFailure: now}
		table[key] = e
	}
	e.Failures++
	e.LastFailure = now
	n := t.cfg.Failures
	if fault("throttle_off_by_one") {
		n++
	}
	if e.Failures >= n {
		exp := float64(e.Failures - n)
		if fault("r2_backoff_exponent_off_by_one") {
			exp++ // counted from the first failure of the lock, not the N-th
		}
		d := t.cfg.Base * math.Pow(2, exp)
		if !fault("r2_backoff_uncapped") {
			d = math.Min(t.cfg.Cap, d)
		}
		d = math.Max(1, math.Ceil(d))
		e.LockedUntil = now + d
	}
	if (isUser || fault("b16_hard_lock_addresses")) && t.cfg.LockAfter > 0 && e.Failures >= t.cfg.LockAfter {
		e.HardLocked = true
	}
}

// evictLocked keeps a table within its bound, dropping the oldest entry whose lock has
// run out (EKE-THR-9: never a locked one, never from the other table).
func (t *Throttle) evictLocked(table map[string]*failEntry, now float64) {
	if t.cfg.TableEntries <= 0 {
		return
	}
	// EKE-THR-9: hard-locked names do not count towards the bound.
	counted := len(table)
	if !fault("b14_hard_locks_fill_table") {
		for _, e := range table {
			if e.HardLocked {
				counted--
			}
		}
	}
	for ; counted >= t.cfg.TableEntries; counted-- {
		victim, oldest := "", math.Inf(1)
		for k, e := range table {
			if (e.HardLocked || now < e.LockedUntil) && !fault("r2_evicts_running_locks") {
				continue
			}
			age := e.LastFailure
			if fault("b16_evict_by_first_failure") {
				age = e.FirstFailure // "oldest entry first"
			}
			if age < oldest {
				victim, oldest = k, age
			}
		}
		if victim == "" {
			return
		}
		delete(table, victim)
	}
}
