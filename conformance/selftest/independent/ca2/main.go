// Command ca2 is an sft-pki/1 organisation CA (docs/SPEC.md §4.4), written from the
// SPEC alone in Go with its standard library (crypto/x509, crypto/tls, net/http's
// request parser) and golang.org/x/crypto/scrypt.
//
//	ca2 init --dir D [--root-cert F --root-key F] [--root-cn CN]
//	ca2 user add ALIAS --dir D (--password-file F | --password-stdin)
//	ca2 user unlock ALIAS --dir D
//	ca2 revoke ALIAS --dir D
//	ca2 serve --dir D [--listen 127.0.0.1:0] [--name HOST]... [limits]
//
// Choices where the SPEC leaves one (see also the comments at the top of each file):
//   - state: JSON files in the directory under flock(2), replaced atomically
//     (store.go says why); the server re-reads them, so admin commands need no signal.
//   - passwords: scrypt N=2^15 r=8 p=1, 16-byte salt, 32-byte hash; unknown aliases
//     hash against a random dummy user; revoked aliases get the wrong-password answer.
//   - order of checks in POST /v1/enroll: query string, Content-Length (411/413),
//     JSON shape (400 bad_request), CSR (400 bad_csr, nothing counted: CA-ENR-21),
//     own host name (403 forbidden), throttle (429 throttled / 503 busy), password
//     (401 auth_failed), issue (200).
//   - routing on the raw request target: no path cleaning, no %-decoding.
//   - a PEM CSR must be the whole "csr" member: no text before or after, no headers.
//   - serials: 2^126 + 126 random bits; notBefore backdated 5 minutes; the CRL's
//     thisUpdate backdated 1 minute, nextUpdate thisUpdate + 1 day (--crl-hours).
//   - the CA's TLS certificate: a fresh P-256 key at every start, issued by the root
//     for every --name (default localhost, 127.0.0.1, ::1), serverAuth.
//   - TLS: 1.3 only, curves X25519/P-256/P-384 pinned, ALPN http/1.1 offered.
//   - throttle: per alias and per address (IPv6 per /64), pending attempts capped at
//     max(1, N - failures) and --pending-cap; a success clears the alias's record only;
//     a 429 carries Retry-After and a "retry_after" member; tables bounded apart
//     (--throttle-entries), evicting the least recently failed unlocked entry.
//   - restart: SIGHUP stops accepting, lets the requests in progress finish (3 s at
//     most), and re-executes the binary on the same listening socket.
//   - HTTP: keep-alive (idle 60 s, handshake 10 s), 32 KiB of headers (431), HTTP/1.x
//     only (505), 64 connections at most; responses are written whole, with
//     Content-Length, and a closing answer drains what the client still sends (1 s)
//     before the TCP close, so a 413 is not destroyed by a reset.
//   - faults: SFT_INDEPENDENT_FAULTS=name[,name], table in faults.go.
package main

import (
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func fatalf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "ca2: "+format+"\n", args...)
	os.Exit(2)
}

// parseArgs parses flags that may come before or after positional arguments.
func parseArgs(fs *flag.FlagSet, args []string) []string {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			os.Exit(2)
		}
		args = fs.Args()
		if len(args) == 0 {
			return positional
		}
		positional = append(positional, args[0])
		args = args[1:]
	}
}

func main() {
	log.SetFlags(log.LstdFlags | log.LUTC)
	log.SetPrefix("ca2: ")
	loadFaults()
	if len(os.Args) < 2 {
		fatalf("usage: ca2 init|user|revoke|serve ...")
	}
	cmd, args := os.Args[1], os.Args[2:]
	if cmd == "user" {
		if len(args) == 0 {
			fatalf("usage: ca2 user add|unlock ALIAS --dir D")
		}
		cmd, args = "user "+args[0], args[1:]
	}
	switch cmd {
	case "init":
		cmdInit(args)
	case "user add":
		cmdUserAdd(args)
	case "user unlock":
		cmdUnlock(args)
	case "revoke":
		cmdRevoke(args)
	case "serve":
		cmdServe(args)
	default:
		fatalf("unknown command %q", cmd)
	}
}

func cmdInit(args []string) {
	fs := flag.NewFlagSet("init", flag.ExitOnError)
	dir := fs.String("dir", "", "the CA directory")
	rootCert := fs.String("root-cert", "", "import this root certificate (PEM)")
	rootKey := fs.String("root-key", "", "and its private key (PEM)")
	rootCN := fs.String("root-cn", "sft organisation root", "CN of a new root")
	parseArgs(fs, args)
	if *dir == "" {
		fatalf("init: --dir is required")
	}
	if err := os.MkdirAll(*dir, 0o700); err != nil {
		fatalf("init: %v", err)
	}
	var certPEM, keyPEM []byte
	var err error
	if *rootCert != "" || *rootKey != "" {
		if certPEM, err = os.ReadFile(*rootCert); err != nil {
			fatalf("init: %v", err)
		}
		if keyPEM, err = os.ReadFile(*rootKey); err != nil {
			fatalf("init: %v", err)
		}
	} else if certPEM, keyPEM, err = newRoot(*rootCN); err != nil {
		fatalf("init: %v", err)
	}
	if err := writeFileAtomic(filepath.Join(*dir, rootCertFile), certPEM, 0o644); err != nil {
		fatalf("init: %v", err)
	}
	if err := writeFileAtomic(filepath.Join(*dir, rootKeyFile), keyPEM, 0o600); err != nil {
		fatalf("init: %v", err)
	}
	if _, err := loadRoot(*dir); err != nil {
		fatalf("init: the root does not load: %v", err)
	}
	fmt.Println("initialised", *dir)
}

func cmdUserAdd(args []string) {
	fs := flag.NewFlagSet("user add", flag.ExitOnError)
	dir := fs.String("dir", "", "the CA directory")
	pwFile := fs.String("password-file", "", "read the password from this file")
	pwStdin := fs.Bool("password-stdin", false, "read the password from standard input")
	pos := parseArgs(fs, args)
	if len(pos) != 1 || *dir == "" {
		fatalf("usage: ca2 user add ALIAS --dir D (--password-file F | --password-stdin)")
	}
	alias := pos[0]
	if err := validAlias(alias); err != nil {
		fatalf("user add: %v", err)
	}
	var data []byte
	var err error
	switch {
	case *pwFile != "" && !*pwStdin:
		data, err = os.ReadFile(*pwFile)
	case *pwStdin && *pwFile == "":
		data, err = io.ReadAll(io.LimitReader(os.Stdin, 1<<16))
	default:
		fatalf("user add: give exactly one of --password-file, --password-stdin")
	}
	if err != nil {
		fatalf("user add: %v", err)
	}
	password, err := parsePasswordFile(data)
	if err != nil {
		fatalf("user add: %v", err)
	}
	user, err := hashPassword(password)
	if err != nil {
		fatalf("user add: %v", err)
	}
	store := &Store{Dir: *dir}
	err = store.withLock(func() error {
		users, err := store.users()
		if err != nil {
			return err
		}
		users[alias] = user // adding a revoked alias again re-admits it
		return store.writeJSON(usersFile, users)
	})
	if err != nil {
		fatalf("user add: %v", err)
	}
	fmt.Println("added", alias)
}

func cmdUnlock(args []string) {
	fs := flag.NewFlagSet("user unlock", flag.ExitOnError)
	dir := fs.String("dir", "", "the CA directory")
	pos := parseArgs(fs, args)
	if len(pos) != 1 || *dir == "" {
		fatalf("usage: ca2 user unlock ALIAS --dir D")
	}
	t := newThrottle(ThrottleConfig{}, &Store{Dir: *dir})
	if err := t.Unlock(pos[0]); err != nil {
		fatalf("user unlock: %v", err)
	}
	fmt.Println("unlocked", pos[0])
}

func cmdRevoke(args []string) {
	fs := flag.NewFlagSet("revoke", flag.ExitOnError)
	dir := fs.String("dir", "", "the CA directory")
	pos := parseArgs(fs, args)
	if len(pos) != 1 || *dir == "" {
		fatalf("usage: ca2 revoke ALIAS --dir D")
	}
	alias := pos[0]
	store := &Store{Dir: *dir}
	count := 0
	err := store.withLock(func() error {
		users, err := store.users()
		if err != nil {
			return err
		}
		user, ok := users[alias]
		if !ok {
			return fmt.Errorf("no user %q", alias)
		}
		certs, err := store.certs()
		if err != nil {
			return err
		}
		now := time.Now().UTC()
		latest := -1
		if fault("r4-range-copy-revoke") {
			for _, c := range certs { // c is a copy: certs is written back unchanged
				if c.Alias == alias && c.RevokedAt.IsZero() && c.NotAfter.After(now) {
					c.RevokedAt = now
					count++
				}
			}
		}
		for i := range certs {
			if fault("r4-range-copy-revoke") {
				break
			}
			if certs[i].Alias != alias || !certs[i].RevokedAt.IsZero() || !certs[i].NotAfter.After(now) {
				continue
			}
			if fault("revoke-latest") {
				if latest < 0 || certs[i].IssuedAt.After(certs[latest].IssuedAt) {
					latest = i
				}
				continue
			}
			certs[i].RevokedAt = now
			count++
			if fault("r2-revoke-first-only") {
				break
			}
		}
		if latest >= 0 {
			certs[latest].RevokedAt = now
			count++
		}
		user.Revoked = true
		if err := store.writeJSON(certsFile, certs); err != nil {
			return err
		}
		if fault("r2-revoke-user-unsaved") {
			return nil
		}
		return store.writeJSON(usersFile, users)
	})
	if err != nil {
		fatalf("revoke: %v", err)
	}
	fmt.Printf("revoked %s (%d certificates)\n", alias, count)
}

// listenHost is the host of --listen (fault r18-ownname-listen-host-only).
var listenHost string

// listenFDEnv carries the listening socket across a SIGHUP re-execution.
const listenFDEnv = "CA2_LISTEN_FD"

func cmdServe(args []string) {
	fs := flag.NewFlagSet("serve", flag.ExitOnError)
	dir := fs.String("dir", "", "the CA directory")
	listen := fs.String("listen", "127.0.0.1:8443", "address to listen on")
	var names stringList
	fs.Var(&names, "name", "a host name or address of the CA (repeatable; default localhost, 127.0.0.1, ::1)")
	validityDays := fs.Float64("validity-days", 30, "certificate validity")
	crlHours := fs.Float64("crl-hours", 24, "CRL lifetime (at most 168)")
	failures := fs.Int("throttle-failures", 5, "failed logins answered 401 before the first 429")
	base := fs.Float64("throttle-base", 1, "backoff base, seconds")
	capSeconds := fs.Float64("throttle-cap", 300, "backoff cap, seconds")
	lockAfter := fs.Int("lock-after", 100, "consecutive failures that lock an alias")
	pendingCap := fs.Int("pending-cap", 4, "pending logins per alias and per address")
	entries := fs.Int("throttle-entries", 100000, "entries per throttle table")
	parseArgs(fs, args)
	if *dir == "" {
		fatalf("serve: --dir is required")
	}
	if h, _, err := net.SplitHostPort(*listen); err == nil {
		listenHost = h
	}
	if *crlHours <= 0 || *crlHours > 168 {
		fatalf("serve: --crl-hours must be in (0, 168]")
	}
	if len(names) == 0 {
		names = stringList{"localhost", "127.0.0.1", "::1"}
	}
	store := &Store{Dir: *dir}
	root, err := loadRoot(*dir)
	if err != nil {
		fatalf("serve: %v", err)
	}
	chain, key, err := newServerCert(root, names)
	if err != nil {
		fatalf("serve: %v", err)
	}
	ca := &CA{
		store: store, root: root,
		throttle: newThrottle(ThrottleConfig{
			Failures: pick(fault("r3-throttle-failures-flag-ignored"), 5, *failures), Base: *base, Cap: *capSeconds,
			LockAfter:  pick(fault("r3-lock-after-flag-ignored"), 100, *lockAfter),
			PendingCap: *pendingCap, MaxEntries: *entries,
		}, store),
		tlsKey:      key,
		validity:    time.Duration(float64(pick(fault("r3-validity-flag-ignored"), 30, *validityDays)) * float64(24*time.Hour)),
		crlLifetime: time.Duration(*crlHours * float64(time.Hour)),
	}
	for _, n := range names {
		ca.names = append(ca.names, strings.TrimSuffix(strings.ToLower(n), "."))
	}
	if err := ca.throttle.prune(); err != nil {
		fatalf("serve: %v", err)
	}
	cfg := &tls.Config{
		Certificates:     []tls.Certificate{{Certificate: chain, PrivateKey: key}},
		MinVersion:       tls.VersionTLS13,
		MaxVersion:       tls.VersionTLS13,
		CurvePreferences: []tls.CurveID{tls.X25519, tls.CurveP256, tls.CurveP384},
		NextProtos:       []string{"http/1.1"},
	}
	if fault("tls-min-default") {
		cfg.MinVersion, cfg.MaxVersion = 0, 0
	}
	if fault("curves-default") {
		cfg.CurvePreferences = nil
	}

	var ln net.Listener
	if fd := os.Getenv(listenFDEnv); fd != "" {
		n, err := strconv.Atoi(fd)
		if err != nil {
			fatalf("serve: bad %s", listenFDEnv)
		}
		inherited := os.NewFile(uintptr(n), "listener")
		ln, err = net.FileListener(inherited)
		if err != nil {
			fatalf("serve: inherited listener: %v", err)
		}
		// FileListener holds a dup. Close through the *os.File, not syscall.Close:
		// its finalizer would otherwise close the number again later, when it may
		// already be a client's connection.
		inherited.Close()
	} else if ln, err = net.Listen("tcp", *listen); err != nil {
		fatalf("serve: %v", err)
	}
	fmt.Printf("listening on %s (https)\n", ln.Addr())
	log.Printf("limits: validity %.3g days, CRL %.3g h, throttle N=%d base=%gs cap=%gs lock-after=%d pending-cap=%d",
		*validityDays, *crlHours, *failures, *base, *capSeconds, *lockAfter, *pendingCap)

	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	go func() {
		<-hup
		reexec(ln, ca.drain)
	}()

	if fault("nethttp-errors") {
		srv := &http.Server{Handler: ca, TLSConfig: cfg, ReadHeaderTimeout: handshakeTimeout,
			IdleTimeout: idleTimeout, TLSNextProto: map[string]func(*http.Server, *tls.Conn, http.Handler){}}
		err := srv.Serve(tls.NewListener(ln, cfg))
		fatalf("serve: %v", err)
	}
	slots := make(chan struct{}, maxConnections)
	for {
		conn, err := ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				select {} // re-executing
			}
			log.Printf("accept: %v", err)
			time.Sleep(50 * time.Millisecond)
			continue
		}
		if fault("b15-handshake-in-accept-loop") {
			// "handshake first, so only real TLS clients take a slot"
			tc := tls.Server(conn, cfg)
			_ = tc.SetDeadline(time.Now().Add(handshakeTimeout))
			if err := tc.Handshake(); err != nil {
				conn.Close()
				continue
			}
			conn = tc
		}
		select {
		case slots <- struct{}{}:
		default:
			// LIM-5: every slot taken; the connection that has waited longest (in its
			// handshake or for a request) makes room, once its goroutine ends.
			if fault("r21-full-refuses-newcomers") || !ca.closeOldestWaiting() {
				conn.Close() // LIM-4: over the connection limit
				continue
			}
			select {
			case slots <- struct{}{}:
			case <-time.After(time.Second):
				conn.Close()
				continue
			}
		}
		ca.setWaiting(conn, true)
		ca.active.Add(1)
		go func() {
			defer func() { <-slots }()
			defer ca.active.Done()
			ca.serveConn(conn, cfg)
		}()
	}
}

// reexec replaces the process with a fresh copy of itself that inherits the
// listening socket: counts are on disk, so they survive (CA-ENR-20).
func reexec(ln net.Listener, drain func(time.Duration)) {
	f, err := ln.(*net.TCPListener).File()
	if err != nil {
		fatalf("restart: %v", err)
	}
	// Stop accepting here: a connection this image accepted now would be dropped by
	// the exec. The socket stays open through the dup.
	_ = ln.Close()
	// Let the requests in progress finish (bounded): the exec would drop them.
	drain(3 * time.Second)
	fd := int(f.Fd())
	if _, _, errno := syscall.Syscall(syscall.SYS_FCNTL, uintptr(fd), syscall.F_SETFD, 0); errno != 0 {
		fatalf("restart: fcntl: %v", errno)
	}
	exe, err := os.Executable()
	if err != nil {
		fatalf("restart: %v", err)
	}
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, listenFDEnv+"=") {
			env = append(env, kv)
		}
	}
	env = append(env, listenFDEnv+"="+strconv.Itoa(fd))
	log.Printf("SIGHUP: restarting")
	if err := syscall.Exec(exe, os.Args, env); err != nil {
		fatalf("restart: %v", err)
	}
}

type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

// pick is the faults' "default hard-wired" habit: def when on, else the flag's value.
func pick[T any](on bool, def, flagValue T) T {
	if on {
		return def
	}
	return flagValue
}
