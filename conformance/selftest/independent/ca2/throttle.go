package main

// Login throttling (CA-ENR-7, -14, -19, -20). Failure counts, backoffs and hard locks
// are in DIR/throttle.json (wall-clock Unix times, so they survive a restart);
// pending attempts (reserved, password not yet verified) are in memory only: a
// restart ends them anyway.

import (
	"math"
	"net"
	"sort"
	"time"
)

// ThrottleEntry is the failure record of one alias or one address.
type ThrottleEntry struct {
	Failures    int     `json:"failures"`
	LockedUntil float64 `json:"locked_until"` // Unix seconds
	HardLocked  bool    `json:"hard_locked,omitempty"`
	Last        float64 `json:"last"`
}

// ThrottleState is throttle.json: aliases and addresses in separate tables.
type ThrottleState struct {
	Aliases   map[string]*ThrottleEntry `json:"aliases"`
	Addresses map[string]*ThrottleEntry `json:"addresses"`
}

// ThrottleConfig is the throttle law.
type ThrottleConfig struct {
	Failures   int     // N: failures answered 401 before the first 429
	Base       float64 // seconds
	Cap        float64 // seconds
	LockAfter  int     // L: consecutive failures of an alias that lock it
	PendingCap int     // pending attempts per alias and per address
	MaxEntries int     // entries per table
}

// Throttle decides on logins.
type Throttle struct {
	cfg     ThrottleConfig
	store   *Store
	pending map[string]int // "a:"+alias, "n:"+address
	memory  *ThrottleState // fault counts-in-memory
}

// Verdict of a reservation.
type Verdict int

const (
	verdictGo Verdict = iota
	verdictThrottled
	verdictBusy
)

func newThrottle(cfg ThrottleConfig, store *Store) *Throttle {
	return &Throttle{cfg: cfg, store: store, pending: map[string]int{}}
}

// addressKey: IPv4 per address, IPv6 per /64 (EKE-THR-10, applied to the CA too).
func addressKey(ip net.IP) string {
	if v4 := ip.To4(); v4 != nil {
		return v4.String()
	}
	return ip.Mask(net.CIDRMask(64, 128)).String() + "/64"
}

func (t *Throttle) load() (*ThrottleState, error) {
	if fault("counts-in-memory") {
		if t.memory == nil {
			t.memory = &ThrottleState{}
		}
		t.fill(t.memory)
		return t.memory, nil
	}
	st := &ThrottleState{}
	if err := t.store.readJSON(throttleFile, st); err != nil {
		return nil, err
	}
	t.fill(st)
	return st, nil
}

func (t *Throttle) fill(st *ThrottleState) {
	if st.Aliases == nil {
		st.Aliases = map[string]*ThrottleEntry{}
	}
	if st.Addresses == nil {
		st.Addresses = map[string]*ThrottleEntry{}
	}
}

func (t *Throttle) save(st *ThrottleState) error {
	if fault("counts-in-memory") {
		return nil
	}
	return t.store.writeJSON(throttleFile, st)
}

func unixNow() float64 { return float64(time.Now().UnixNano()) / 1e9 }

func ceilSeconds(s float64) int {
	n := int(math.Ceil(s - 1e-9))
	if n < 1 {
		n = 1
	}
	return n
}

// Begin reserves an attempt for alias and address, or says why not and for how long
// (seconds, not rounded: the caller rounds up for Retry-After).
func (t *Throttle) Begin(alias, addr string) (Verdict, float64, error) {
	var verdict Verdict
	var retry float64
	err := t.store.withLock(func() error {
		st, err := t.load()
		if err != nil {
			return err
		}
		now := unixNow()
		a, d := st.Aliases[alias], st.Addresses[addr]
		if a != nil && a.HardLocked && !fault("lock-after-verify") {
			verdict, retry = verdictThrottled, t.cfg.Cap
			if fault("r2-hardlock-retry-after-base") {
				retry = t.cfg.Base
			}
			return nil
		}
		if fault("r2-address-hard-locked") && d != nil && d.HardLocked {
			verdict, retry = verdictThrottled, t.cfg.Cap
			return nil
		}
		for _, e := range []*ThrottleEntry{a, d} {
			if e == nil && fault("b15-nil-entry-break") {
				break // "no entry, nothing to wait for"
			}
			if e != nil && e.LockedUntil > now {
				r := e.LockedUntil - now
				if fault("b15-retry-after-first-entry") {
					retry, verdict = r, verdictThrottled
					break
				}
				if r > retry {
					retry = r
				}
				verdict = verdictThrottled
			}
		}
		if verdict == verdictThrottled {
			return nil
		}
		if fault("count-after-hash") {
			return nil
		}
		keys := []string{"a:" + alias}
		entries := []*ThrottleEntry{a}
		if !fault("alias-only") {
			keys = append(keys, "n:"+addr)
			entries = append(entries, d)
		}
		for i, key := range keys {
			f := 0
			if entries[i] != nil {
				f = entries[i].Failures
			}
			allowed := t.cfg.Failures - f
			if allowed < 1 {
				allowed = 1
			}
			if fault("pending-cap-only") {
				allowed = t.cfg.PendingCap
			}
			p := t.pending[key]
			busy := p >= allowed || p >= t.cfg.PendingCap
			if fault("r4-pending-gt") {
				busy = p > allowed || p > t.cfg.PendingCap
			}
			if busy {
				verdict, retry = verdictBusy, 1
				if fault("r2-busy-retry-after-zero") {
					retry = 0
				}
				return nil
			}
			if fault("r4-pending-before-address-check") {
				t.pending[key]++ // reserve as we go
			}
		}
		// A new entry needs room in its table (never evicting a running lock).
		if (a == nil && !t.roomFor(st.Aliases, "a:", now)) ||
			(d == nil && !t.roomFor(st.Addresses, "n:", now)) {
			verdict, retry = verdictBusy, 1
			return nil
		}
		if fault("b15-reserve-late") {
			return nil // reserved by reserveLate, after the users lookup
		}
		if !fault("r4-pending-before-address-check") {
			for _, key := range keys {
				t.pending[key]++
			}
		}
		return nil
	})
	return verdict, retry, err
}

// roomFor makes room for one more entry in table, evicting the least recently
// failed entry whose lock has ended and that has nothing pending.
func (t *Throttle) roomFor(table map[string]*ThrottleEntry, prefix string, now float64) bool {
	pendingHere := 0
	for key, p := range t.pending {
		if p > 0 && key[:2] == prefix {
			if _, ok := table[key[2:]]; !ok {
				pendingHere++
			}
		}
	}
	if len(table)+pendingHere < t.cfg.MaxEntries {
		return true
	}
	names := make([]string, 0, len(table))
	for name, e := range table {
		if !e.HardLocked && e.LockedUntil <= now && t.pending[prefix+name] == 0 {
			names = append(names, name)
		}
	}
	if len(names) == 0 {
		return false
	}
	sort.Slice(names, func(i, j int) bool { return table[names[i]].Last < table[names[j]].Last })
	delete(table, names[0])
	return true
}

// reserveLate takes the reservation Begin admitted (fault b15-reserve-late).
func (t *Throttle) reserveLate(alias, addr string) error {
	return t.store.withLock(func() error {
		t.pending["a:"+alias]++
		if !fault("alias-only") {
			t.pending["n:"+addr]++
		}
		return nil
	})
}

// End finishes a reserved attempt: ok is whether the password was right.
func (t *Throttle) End(alias, addr string, ok bool) error {
	var early *ThrottleState
	if fault("b15-end-load-unlocked") {
		// "read now, the lock is only for writing": the state as it was before the lock
		early, _ = t.load()
	}
	return t.store.withLock(func() error {
		if !fault("count-after-hash") && !(ok && fault("r3-pending-leak-on-success")) {
			t.pending["a:"+alias]--
			if !fault("alias-only") && (ok || !fault("r4-address-pending-kept-on-failure")) {
				t.pending["n:"+addr]--
			}
		}
		st, err := t.load()
		if err != nil {
			return err
		}
		if early != nil {
			st = early
		}
		now := unixNow()
		if ok && fault("r2-success-keeps-failures") {
			return nil
		}
		if ok && fault("r3-success-clears-all-aliases") {
			for name, e := range st.Aliases {
				if !e.HardLocked {
					delete(st.Aliases, name)
				}
			}
		}
		if ok {
			delete(st.Aliases, alias)
			if fault("success-resets-address") {
				delete(st.Addresses, addr)
			}
			return t.save(st)
		}
		tables := []map[string]*ThrottleEntry{st.Aliases}
		keys := []string{alias}
		if !fault("alias-only") {
			tables = append(tables, st.Addresses)
			keys = append(keys, addr)
		}
		known := true
		if fault("unknown-not-counted") {
			users, err := t.store.users()
			if err != nil {
				return err
			}
			_, known = users[alias]
		}
		for i, table := range tables {
			if i == 0 && !known {
				continue
			}
			e := table[keys[i]]
			if e == nil {
				e = &ThrottleEntry{}
				table[keys[i]] = e
			}
			e.Failures++
			e.Last = now
			if e.Failures >= t.cfg.Failures && !(fault("r2-threshold-gt") && e.Failures == t.cfg.Failures) {
				exp := float64(e.Failures - t.cfg.Failures)
				if exp > 62 {
					exp = 62
				}
				wait := math.Min(t.cfg.Cap, t.cfg.Base*math.Pow(2, exp))
				if fault("r2-cap-not-applied") {
					wait = t.cfg.Base * math.Pow(2, exp)
				}
				e.LockedUntil = now + float64(ceilSeconds(wait))
				if fault("r4-lock-until-millis") {
					e.LockedUntil = float64(time.Now().Add(time.Duration(ceilSeconds(wait)) * time.Second).UnixMilli())
				}
			}
			lockAt := t.cfg.LockAfter
			if fault("r2-lock-after-plus-one") {
				lockAt++
			}
			if (i == 0 || fault("r2-address-hard-locked")) && e.Failures >= lockAt && !fault("lock-expires") {
				e.HardLocked = true
			}
		}
		return t.save(st)
	})
}

// prune drops, at start, the entries whose backoff has ended (fault
// r2-startup-prune-inverted: the comparison turned round drops the running ones).
func (t *Throttle) prune() error {
	if !fault("r2-startup-prune-inverted") {
		return nil
	}
	return t.store.withLock(func() error {
		st, err := t.load()
		if err != nil {
			return err
		}
		now := unixNow()
		for _, table := range []map[string]*ThrottleEntry{st.Aliases, st.Addresses} {
			for k, e := range table {
				if !e.HardLocked && e.LockedUntil > now {
					delete(table, k)
				}
			}
		}
		return t.save(st)
	})
}

// HardLocked says whether alias is locked until an administrator unlocks it.
func (t *Throttle) HardLocked(alias string) bool {
	locked := false
	_ = t.store.withLock(func() error {
		st, err := t.load()
		if err == nil && st.Aliases[alias] != nil {
			locked = st.Aliases[alias].HardLocked
		}
		return err
	})
	return locked
}

// Unlock removes an alias's record (admin command).
func (t *Throttle) Unlock(alias string) error {
	return t.store.withLock(func() error {
		st, err := t.load()
		if err != nil {
			return err
		}
		delete(st.Aliases, alias)
		return t.save(st)
	})
}
