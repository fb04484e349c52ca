// Command pki3 is an sft-pki/1 responder and initiator written from docs/SPEC.md alone,
// in Go with the standard library only (crypto/tls, not OpenSSL).
//
// Usage:
//
//	pki3 serve -listen H:P -cert C -key K -root R -ca-url URL -share D -inbox D [-allow A]... [limits]
//	pki3 get ALIAS@H:P NAME -o OUT [-force] -cert C -key K -root R -ca-url URL [-timeout S]
//	pki3 put ALIAS@H:P FILE [-as NAME] -cert C -key K -root R -ca-url URL [-timeout S]
//
// Options may follow the arguments; -crl URL|FILE names the CRL instead of -ca-url. The
// planted faults (faults.go) are switched on by SFT_INDEPENDENT_FAULTS=name[,name].
//
// Choices where the SPEC leaves one (listed as the clean-room brief asks):
//   - TLS: crypto/tls, TLS 1.3 only; groups pinned to X25519, P-256, P-384 (Go 1.19 has
//     no X25519MLKEM768); the three TLS 1.3 suites are Go's fixed set. crypto/tls offers
//     no way to pin the signature_algorithms of a ClientHello or CertificateRequest: the
//     initiator offers Go's default list (see the report; PKI-TLS-9's initiator half).
//   - Certificates are judged by our own code in VerifyPeerCertificate (the responder uses
//     RequireAnyClientCert, the initiator InsecureSkipVerify + the callback), since Go's
//     x509.Verify takes a missing EKU as "any" and accepts anyExtendedKeyUsage, CA:TRUE
//     leaves, short RSA keys and other curves. A refused client certificate is a TLS alert
//     in the handshake (bad_certificate). KeyUsage must hold digitalSignature and neither
//     keyCertSign nor cRLSign. Extra certificates the peer sends are ignored.
//   - No session tickets (a resumed session would skip the certificate checks); Go has no
//     0-RTT and no SSLKEYLOGFILE support (KeyLogWriter is nil).
//   - ALPN: Go alerts no_application_protocol for a wrong offer; a ClientHello with no
//     ALPN completes and is then closed with close_notify, no EROR.
//   - Closing: close_notify (tls.Conn.CloseWrite), FIN, then up to 1 s draining what the
//     peer still sends before the close, so no reset destroys the close_notify.
//   - The responder echoes BYE_. It never sends RSFL.sha256. DATA frames of 64 KiB.
//   - Symbolic links in the share are never followed (forbidden), opened component by
//     component with openat(O_NOFOLLOW); a get of a .sft-partial- name is forbidden.
//   - JSON: encoding/json after utf8.Valid, a raw scan for lone surrogates (bad_frame,
//     FRM-15's first reading), a token walk for duplicate keys; integers are checked on
//     their text (digits only, no leading zero, <= 2^63-1; "-0" is refused).
//   - An allow list refuses requests with forbidden and then closes (PKI-ID-3).
//   - The initiator refuses an RSFL naming another file (bad_frame); it refuses a file
//     above its own max size (4 GiB) with too_large; it never replaces an output file
//     unless -force; a get is stored by link() (rename() with -force).
//   - LIM-8/LIM-9: per-address cap on unfinished handshakes, and when all slots are taken
//     the oldest unfinished handshake is closed to admit the new one.
//   - The CRL is fetched over HTTPS from the CA (root as the only anchor) or read from a
//     file; the responder exits when it cannot load one at start, and refetches it every
//     -crl-refresh seconds, keeping the old one on failure (stale ones fail closed).
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"log"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

func fatalf(format string, a ...any) {
	fmt.Fprintf(os.Stderr, "pki3: "+format+"\n", a...)
	os.Exit(2)
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

type common struct {
	cert, key, root, crl string
	caURL                string
	hsTimeout, idle      float64
	frameLimit           uint
	maxFile              int64
}

func (c *common) register(fs *flag.FlagSet) {
	fs.StringVar(&c.cert, "cert", "", "own certificate (PEM)")
	fs.StringVar(&c.key, "key", "", "own private key (PEM)")
	fs.StringVar(&c.root, "root", "", "organisation root certificate (PEM)")
	fs.StringVar(&c.crl, "crl", "", "CRL: an https:// URL of it, or a DER/PEM file")
	fs.StringVar(&c.caURL, "ca-url", "", "the CA (https://HOST:PORT): the CRL is its /v1/crl")
	fs.Float64Var(&c.hsTimeout, "handshake-timeout", 10, "seconds")
	fs.Float64Var(&c.idle, "idle-timeout", 60, "seconds")
	fs.UintVar(&c.frameLimit, "frame-limit", 1048832, "bytes")
	fs.Int64Var(&c.maxFile, "max-file-size", 4<<30, "bytes")
}

func (c *common) trust() *Trust {
	if c.crl == "" && c.caURL != "" {
		c.crl = strings.TrimRight(c.caURL, "/") + "/v1/crl"
	}
	if c.cert == "" || c.key == "" || c.root == "" || c.crl == "" {
		fatalf("-cert, -key, -root and -crl (or -ca-url) are required")
	}
	root, err := loadRoot(c.root)
	if err != nil {
		fatalf("root: %v", err)
	}
	t := &Trust{Root: root, CRLURL: c.crl}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := t.fetchCRL(ctx); err != nil {
		fatalf("cannot load the CRL (failing closed): %v", err)
	}
	return t
}

func secs(f float64) time.Duration { return time.Duration(f * float64(time.Second)) }

func main() {
	log.SetFlags(0)
	log.SetPrefix("pki3: ")
	loadFaults()
	if len(os.Args) < 2 {
		fatalf("usage: pki3 serve|get|put ...")
	}
	switch os.Args[1] {
	case "serve":
		serveMain(os.Args[2:])
	case "get", "put":
		clientMain(os.Args[1], os.Args[2:])
	default:
		fatalf("unknown command %q", os.Args[1])
	}
}

func serveMain(args []string) {
	fs := flag.NewFlagSet("serve", flag.ExitOnError)
	var c common
	c.register(fs)
	listen := fs.String("listen", "127.0.0.1:0", "host:port")
	share := fs.String("share", "", "directory served to gets")
	inbox := fs.String("inbox", "", "directory puts are stored in")
	noPut := fs.Bool("no-put", false, "answer puts with unsupported")
	var allow []string
	fs.Func("allow", "an alias allowed to make requests (repeatable; default: every employee)", func(v string) error {
		allow = append(allow, v)
		return nil
	})
	maxConn := fs.Int("max-connections", 64, "count")
	maxPending := fs.Int("max-pending-per-address", 8, "count")
	crlRefresh := fs.Float64("crl-refresh", 300, "seconds between CRL refetches (0: never)")
	if len(parseInterspersed(fs, args)) != 0 {
		fatalf("serve takes no arguments")
	}
	if *share == "" || *inbox == "" {
		fatalf("-share and -inbox are required")
	}
	trust := c.trust()
	id, err := loadIdentity(c.cert, c.key)
	if err != nil {
		fatalf("identity: %v", err)
	}
	shareAbs, _ := filepath.Abs(*share)
	inboxAbs, _ := filepath.Abs(*inbox)
	cfg := ServerConfig{
		Listen: *listen, Share: shareAbs, Inbox: inboxAbs, AllowPut: !*noPut,
		HandshakeTimeout: secs(c.hsTimeout), IdleTimeout: secs(c.idle),
		MaxFileSize: c.maxFile, FrameLimit: uint32(c.frameLimit),
		MaxConnections: *maxConn, MaxPendingPerAddr: *maxPending, CRLRefresh: secs(*crlRefresh),
	}
	cfg.Allow = allow
	s := newServer(cfg, trust, id)
	s.sweepInbox()
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		fatalf("listen: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go s.refreshCRL(ctx)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		<-sig
		s.removeTemps()
		os.Exit(0)
	}()
	printLimits(cfg)
	fmt.Printf("listening on %s\n", ln.Addr())
	_ = os.Stdout.Sync()
	if err := s.serve(ln); err != nil {
		fatalf("accept: %v", err)
	}
}

func clientMain(cmd string, args []string) {
	fs := flag.NewFlagSet(cmd, flag.ExitOnError)
	var c common
	c.register(fs)
	out := fs.String("o", "", "get: output file (default: the name's last component)")
	force := fs.Bool("force", false, "get: replace an existing output file")
	as := fs.String("as", "", "put: the name to store the file as (default: its base name)")
	timeout := fs.Float64("timeout", 0, "seconds to connect and complete the handshake (default: -handshake-timeout)")
	pos := parseInterspersed(fs, args)
	if len(pos) != 2 {
		fatalf("usage: pki3 %s [options] ALIAS@HOST:PORT %s", cmd, map[string]string{"get": "NAME", "put": "FILE"}[cmd])
	}
	if *timeout > 0 {
		c.hsTimeout = *timeout
	}
	alias, addr, err := parseTarget(pos[0])
	if err != nil {
		fatalf("%v", err)
	}
	trust := c.trust()
	id, err := loadIdentity(c.cert, c.key)
	if err != nil {
		fatalf("identity: %v", err)
	}
	cfg := &ClientConfig{
		Alias: alias, Addr: addr, Trust: trust, Identity: id,
		HandshakeTimeout: secs(c.hsTimeout), IdleTimeout: secs(c.idle),
		FrameLimit: uint32(c.frameLimit), MaxFileSize: c.maxFile,
	}
	if cmd == "get" {
		o := *out
		if o == "" {
			o = baseName(pos[1])
		}
		err = clientGet(cfg, pos[1], o, *force)
	} else {
		name := *as
		if name == "" {
			name = filepath.Base(pos[1])
		}
		err = clientPut(cfg, pos[1], name)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "pki3 %s: %v\n", cmd, err)
		os.Exit(1)
	}
}

// parseInterspersed lets options follow the arguments (`get ALIAS@H:P NAME -o OUT`), as
// the flag package alone stops at the first argument.
func parseInterspersed(fs *flag.FlagSet, args []string) []string {
	var pos []string
	for {
		_ = fs.Parse(args)
		args = fs.Args()
		if len(args) == 0 {
			return pos
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}
