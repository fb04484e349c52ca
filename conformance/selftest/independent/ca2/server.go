package main

// The HTTPS side. Requests are parsed with net/http's http.ReadRequest on our own
// connection loop rather than served by net/http.Server: the Server answers a
// request it cannot parse (bad request line, oversized headers, bad
// Transfer-Encoding) itself with a text/plain body, and CA-ENR-9 wants every error
// to be a JSON object. Everything after parsing is an ordinary http.Handler.

import (
	"bufio"
	"bytes"
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"
)

const (
	maxBody          = 65536
	maxHeaderBytes   = 32 * 1024
	handshakeTimeout = 10 * time.Second
	idleTimeout      = 60 * time.Second
	maxConnections   = 64
)

// CA is the running CA.
type CA struct {
	store       *Store
	root        *Root
	throttle    *Throttle
	names       []string // its own host names and addresses, lower case, no trailing dot
	validity    time.Duration
	crlLifetime time.Duration
	memoCRL     []byte        // fault crl-memoised
	tlsKey      crypto.Signer // the key of the CA's own TLS certificate
	serveMu     sync.Mutex    // fault b15-serve-mutex

	active   sync.WaitGroup // connections being served
	draining atomic.Bool    // a restart waits for them: keep-alive ends
	idleMu   sync.Mutex
	idle     map[*tls.Conn]bool // connections waiting for their next request

	// LIM-5: connections in their TLS handshake or waiting for a request head, by the
	// order they started waiting; when every slot is taken the oldest makes room.
	waitMu  sync.Mutex
	waiting map[net.Conn]uint64
	waitSeq uint64
}

// setWaiting records that raw waits (in its handshake or for a request) or works.
func (ca *CA) setWaiting(raw net.Conn, waiting bool) {
	ca.waitMu.Lock()
	defer ca.waitMu.Unlock()
	if ca.waiting == nil {
		ca.waiting = map[net.Conn]uint64{}
	}
	if waiting {
		ca.waitSeq++
		ca.waiting[raw] = ca.waitSeq
	} else {
		delete(ca.waiting, raw)
	}
}

// bodyArrival calls arrived once the whole body (or its end) has been read.
type bodyArrival struct {
	io.ReadCloser
	left    int64
	arrived func()
	once    sync.Once
}

func (b *bodyArrival) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.left -= int64(n)
	if b.left <= 0 || err != nil {
		b.once.Do(b.arrived)
	}
	return n, err
}

// closeOldestWaiting closes the connection that has waited longest; false if none waits.
func (ca *CA) closeOldestWaiting() bool {
	ca.waitMu.Lock()
	var oldest net.Conn
	var first uint64
	for raw, seq := range ca.waiting {
		if oldest == nil || seq < first {
			oldest, first = raw, seq
		}
	}
	if oldest != nil {
		delete(ca.waiting, oldest)
	}
	ca.waitMu.Unlock()
	if oldest == nil {
		return false
	}
	_ = oldest.Close()
	return true
}

// drain ends keep-alive, wakes the connections waiting for a next request and waits
// (at most `limit`) for the requests in progress to be answered.
func (ca *CA) drain(limit time.Duration) {
	ca.draining.Store(true)
	ca.idleMu.Lock()
	for conn := range ca.idle {
		_ = conn.SetReadDeadline(time.Now())
	}
	ca.idleMu.Unlock()
	done := make(chan struct{})
	go func() {
		ca.active.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(limit):
	}
}

func (ca *CA) setIdle(conn *tls.Conn, idle bool) {
	ca.idleMu.Lock()
	defer ca.idleMu.Unlock()
	if ca.idle == nil {
		ca.idle = map[*tls.Conn]bool{}
	}
	if idle {
		ca.idle[conn] = true
	} else {
		delete(ca.idle, conn)
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func writeError(w http.ResponseWriter, status int, code, message string) {
	writeJSON(w, status, map[string]string{"error": code, "message": message})
}

func clientAddress(r *http.Request) string {
	if fault("xff-address") {
		if xff := r.Header.Get("X-Forwarded-For"); xff != "" {
			first := strings.TrimSpace(strings.Split(xff, ",")[0])
			if ip := net.ParseIP(first); ip != nil {
				return addressKey(ip)
			}
		}
	}
	if fault("remoteaddr-port") {
		return r.RemoteAddr
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	ip := net.ParseIP(host)
	if ip == nil {
		return host
	}
	return addressKey(ip)
}

// ServeHTTP routes on the raw request target: "/v1/%72oot" or "/v1/root/" is not
// the root, and a query string is refused before anything else (CA-ENR-15).
func (ca *CA) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if fault("b15-serve-mutex") {
		// "the JSON store is not safe for concurrent handlers": one request at a time
		ca.serveMu.Lock()
		defer ca.serveMu.Unlock()
	}
	target := r.RequestURI
	if !strings.HasPrefix(target, "/") && r.URL.User != nil {
		// userinfo (https://user:pw@host/...): no credentials in a URL (CA-ENR-15)
		writeError(w, http.StatusBadRequest, "bad_request", "no credentials in the URL")
		return
	}
	if !strings.HasPrefix(target, "/") && r.URL.IsAbs() {
		// the absolute form names the resource its path does (RFC 9112 §3.2.2)
		target = r.URL.RequestURI()
	}
	if fault("r18-query-check-enroll-only") && r.Method != http.MethodPost {
		// "the query check guards the credentials": only the enrolment is refused [6]
		if i := strings.IndexByte(target, '?'); i >= 0 {
			target = target[:i]
		}
	}
	if fault("r18-api-version-any") && strings.HasPrefix(target, "/v") {
		// "any API version a client speaks is served by v1" [1]
		if i := strings.IndexByte(target[1:], '/'); i > 1 {
			target = "/v1" + target[1+i:]
		}
	}
	if fault("query-ignored") {
		target = r.URL.Path
	} else if strings.Contains(target, "?") {
		writeError(w, http.StatusBadRequest, "bad_request", "no query strings: credentials never travel in a URL")
		return
	}
	routes := map[string]struct {
		method  string
		handler func(http.ResponseWriter, *http.Request)
	}{
		"/v1/root":   {http.MethodGet, ca.serveRoot},
		"/v1/crl":    {http.MethodGet, ca.serveCRL},
		"/v1/enroll": {http.MethodPost, ca.serveEnroll},
	}
	route, ok := routes[target]
	if !ok {
		if fault("r2-404-text-plain") {
			http.NotFound(w, r)
			return
		}
		writeError(w, http.StatusNotFound, "not_found", "no such path")
		return
	}
	if fault("b15-method-switch-no-default") {
		switch r.Method {
		case http.MethodGet, http.MethodHead, http.MethodPost:
			if r.Method != route.method {
				w.Header().Set("Allow", route.method)
				writeError(w, http.StatusMethodNotAllowed, "method_not_allowed", "use "+route.method)
				return
			}
			route.handler(w, r)
		}
		return // the methods the switch does not list: nothing written
	}
	if r.Method != route.method && !(fault("b15-method-equalfold") && strings.EqualFold(r.Method, route.method)) {
		w.Header().Set("Allow", route.method)
		if fault("r2-405-text-plain") {
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		writeError(w, http.StatusMethodNotAllowed, "method_not_allowed", "use "+route.method)
		return
	}
	route.handler(w, r)
}

func (ca *CA) serveRoot(w http.ResponseWriter, _ *http.Request) {
	body := ca.root.PEM
	if fault("r2-root-der") {
		body = ca.root.Cert.Raw
	}
	w.Header().Set("Content-Type", "application/x-pem-file")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

func (ca *CA) currentCRL() ([]byte, error) {
	if fault("crl-memoised") && ca.memoCRL != nil {
		return ca.memoCRL, nil
	}
	var certs []IssuedCert
	err := ca.store.withLock(func() error {
		var err error
		certs, err = ca.store.certs()
		return err
	})
	if err != nil {
		return nil, err
	}
	signer := ca.root
	if fault("b15-crl-signed-tls-key") {
		// "the CA's key": the one the CA holds for its TLS, the issuer still the root
		withTLSKey := *ca.root
		withTLSKey.Key = ca.tlsKey
		signer = &withTLSKey
	}
	der, err := makeCRL(signer, certs, ca.crlLifetime, time.Now())
	if err == nil && fault("crl-memoised") {
		ca.memoCRL = der
	}
	return der, err
}

func (ca *CA) serveCRL(w http.ResponseWriter, _ *http.Request) {
	if fault("r4-crl-empty-no-content") {
		var certs []IssuedCert
		_ = ca.store.withLock(func() error {
			var err error
			certs, err = ca.store.certs()
			return err
		})
		revoked := 0
		for _, c := range certs {
			if !c.RevokedAt.IsZero() {
				revoked++
			}
		}
		if revoked == 0 { // "nothing to list"
			w.Header().Set("Content-Length", "0")
			w.WriteHeader(http.StatusNoContent)
			return
		}
	}
	der, err := ca.currentCRL()
	if err != nil {
		log.Printf("crl: %v", err)
		writeError(w, http.StatusInternalServerError, "internal", "internal error")
		return
	}
	if fault("r3-crl-pem") {
		der = pem.EncodeToMemory(&pem.Block{Type: "X509 CRL", Bytes: der})
	}
	w.Header().Set("Content-Type", "application/pkix-crl")
	w.Header().Set("Content-Length", strconv.Itoa(len(der)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(der)
}

// enrolRequest reads the body: a JSON object with string members alias, password, csr.
func enrolRequest(w http.ResponseWriter, r *http.Request) (alias, password, csr string, ok bool) {
	if fault("r3-content-type-exact") && r.Header.Get("Content-Type") != "application/json" {
		writeError(w, http.StatusUnsupportedMediaType, "bad_request", "the body must be application/json")
		return
	}
	if r.ContentLength < 0 {
		if !fault("r2-chunked-keepalive") {
			w.Header().Set("Connection", "close")
		}
		writeError(w, http.StatusLengthRequired, "length_required", "a Content-Length is required")
		return
	}
	var buf []byte
	if fault("b15-prealloc-content-length") {
		buf = make([]byte, 0, r.ContentLength) // "one allocation: the size is known"
	}
	limit := int64(maxBody)
	if fault("body-limit-off-by-one") {
		limit--
	}
	if r.ContentLength > limit && !fault("no-body-limit") {
		w.Header().Set("Connection", "close")
		writeError(w, http.StatusRequestEntityTooLarge, "too_large", "the body is over 65536 bytes")
		return
	}
	var body []byte
	var err error
	if fault("no-body-limit") {
		body, err = io.ReadAll(r.Body)
	} else if fault("b15-prealloc-content-length") {
		b := bytes.NewBuffer(buf)
		_, err = b.ReadFrom(io.LimitReader(r.Body, maxBody+1))
		body = b.Bytes()
	} else if fault("r4-readall-err-ignored") {
		body, _ = io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	} else {
		body, err = io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	}
	if err != nil {
		w.Header().Set("Connection", "close")
		writeError(w, http.StatusBadRequest, "bad_request", "the body could not be read")
		return
	}
	if !utf8.Valid(body) && !fault("utf8-lenient") {
		writeError(w, http.StatusBadRequest, "bad_request", "the body is not UTF-8")
		return
	}
	if fault("r18-json-struct-casefold") {
		// "decode into the request struct" [2]: encoding/json matches member names case-insensitively
		var req struct {
			Alias    string `json:"alias"`
			Password string `json:"password"`
			CSR      string `json:"csr"`
		}
		if err := json.Unmarshal(body, &req); err != nil || req.Alias == "" || req.Password == "" || req.CSR == "" {
			writeError(w, http.StatusBadRequest, "bad_request", "the body is not the enrolment object")
			return
		}
		return req.Alias, req.Password, req.CSR, true
	}
	var members map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&members); err != nil || members == nil || (dec.More() && !fault("r2-json-trailing-data")) {
		writeError(w, http.StatusBadRequest, "bad_request", "the body is not a JSON object")
		return
	}
	if _, err := dec.Token(); err != io.EOF && !fault("r2-json-trailing-data") {
		writeError(w, http.StatusBadRequest, "bad_request", "data after the JSON object")
		return
	}
	out := []*string{&alias, &password, &csr}
	for i, name := range []string{"alias", "password", "csr"} {
		raw, present := members[name]
		if fault("r4-member-strconv-unquote") && present && len(raw) > 0 && raw[0] == '"' {
			// "a JSON string is a quoted string": Go's syntax, not JSON's
			s, err := strconv.Unquote(string(raw))
			if err != nil {
				writeError(w, http.StatusBadRequest, "bad_request", "\""+name+"\" must be a JSON string")
				return
			}
			*out[i] = s
			continue
		}
		if !present || len(raw) == 0 || raw[0] != '"' || json.Unmarshal(raw, out[i]) != nil {
			writeError(w, http.StatusBadRequest, "bad_request", "\""+name+"\" must be a JSON string")
			return
		}
	}
	return alias, password, csr, true
}

func (ca *CA) isOwnName(alias string) bool {
	a := strings.TrimSuffix(strings.ToLower(alias), ".")
	if fault("r18-ownname-listen-host-only") {
		return a == strings.ToLower(listenHost) // "the CA's name is where it listens" [4]
	}
	if fault("r4-ownname-joined-contains") {
		return strings.Contains(strings.Join(ca.names, ","), a)
	}
	for _, n := range ca.names {
		if fault("r3-hostname-dns-only") && net.ParseIP(n) != nil {
			continue
		}
		if fault("hostname-equalfold") {
			if strings.EqualFold(alias, n) {
				return true
			}
			continue
		}
		if a == n {
			return true
		}
	}
	return false
}

func (ca *CA) serveEnroll(w http.ResponseWriter, r *http.Request) {
	alias, password, csrPEM, ok := enrolRequest(w, r)
	if !ok {
		return
	}
	if fault("r18-alias-tolower-lookup") {
		alias = strings.ToLower(alias) // "aliases are lower case: normalise what the user typed" [2]
	}
	// The CSR is judged first (CA-ENR-21: then the password is not verified and
	// nothing counts, whatever the password).
	csr, err := checkCSR(csrPEM)
	if err != nil && fault("r3-bad-csr-counted") {
		// "reserve first, then judge the request": a bad CSR ends the attempt as a failure
		if v, _, e := ca.throttle.Begin(alias, clientAddress(r)); e == nil && v == verdictGo {
			_ = ca.throttle.End(alias, clientAddress(r), false)
		}
	}
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_csr", strings.TrimPrefix(err.Error(), "bad_csr: "))
		return
	}
	if fault("r3-alias-form-refused") && strings.Contains(alias, ".") {
		writeError(w, http.StatusForbidden, "forbidden", "an alias may not look like a host name")
		return
	}
	if !fault("hostname-alias") && ca.isOwnName(alias) {
		writeError(w, http.StatusForbidden, "forbidden", "an alias may not be one of the CA's own host names")
		return
	}
	addr := clientAddress(r)
	if fault("r3-address-keyed-with-alias") {
		addr = alias + "@" + addr
	}
	verdict, retry, err := ca.throttle.Begin(alias, addr)
	if err != nil {
		log.Printf("throttle: %v", err)
		writeError(w, http.StatusInternalServerError, "internal", "internal error")
		return
	}
	if verdict != verdictGo {
		seconds := ceilSeconds(retry)
		header := strconv.Itoa(seconds)
		switch {
		case fault("retry-after-float"):
			header = strconv.FormatFloat(retry, 'f', -1, 64)
		case fault("retry-after-truncated"):
			seconds = int(retry)
			header = strconv.Itoa(seconds)
		case fault("r4-retry-after-duration-string") && verdict == verdictThrottled:
			header = fmt.Sprint(time.Duration(seconds) * time.Second)
		}
		if !(fault("r3-busy-no-retry-after-header") && verdict == verdictBusy) &&
			!(fault("r3-throttled-no-retry-after-header") && verdict == verdictThrottled) {
			w.Header().Set("Retry-After", header)
		}
		if fault("r2-busy-retry-after-zero") && verdict == verdictBusy && retry == 0 {
			w.Header().Set("Retry-After", "0")
		}
		if verdict == verdictThrottled && fault("r3-429-no-message") {
			writeJSON(w, http.StatusTooManyRequests, map[string]any{"error": "throttled", "retry_after": seconds})
		} else if verdict == verdictThrottled && !fault("r2-throttled-as-busy") {
			writeJSON(w, http.StatusTooManyRequests, map[string]any{
				"error": "throttled", "message": "too many failed logins; retry later", "retry_after": seconds})
		} else {
			writeJSON(w, http.StatusServiceUnavailable, map[string]any{
				"error": "busy", "message": "too many logins in progress; retry later", "retry_after": seconds})
		}
		return
	}
	var users map[string]*User
	err = ca.store.withLock(func() error {
		var err error
		users, err = ca.store.users()
		return err
	})
	if err != nil {
		_ = ca.throttle.End(alias, addr, false)
		log.Printf("users: %v", err)
		writeError(w, http.StatusInternalServerError, "internal", "internal error")
		return
	}
	if fault("b15-reserve-late") {
		// "reserve only attempts that reach the hash": after the users lookup
		if err := ca.throttle.reserveLate(alias, addr); err != nil {
			log.Printf("throttle: %v", err)
			writeError(w, http.StatusInternalServerError, "internal", "internal error")
			return
		}
	}
	user, known := users[alias]
	if !known {
		if fault("r2-unknown-no-hash") {
			_ = ca.throttle.End(alias, addr, false)
			writeError(w, http.StatusUnauthorized, "auth_failed", "authentication failed")
			return
		}
		if fault("unknown-alias-message") {
			_ = ca.throttle.End(alias, addr, false)
			writeError(w, http.StatusUnauthorized, "auth_failed", "unknown alias")
			return
		}
		user = dummyUser
		if fault("r18-unknown-alias-closes") {
			w.Header().Set("Connection", "close") // "drop the prober's connection" [5]
		}
		if fault("r18-dummy-cheap-scrypt") {
			user = cheapDummyUser // "the dummy never matches: no need for the full cost" [5]
		}
	}
	if fault("r4-revoked-early-leak") && user.Revoked {
		// "no need to hash for a revoked alias": answered like a wrong password
		writeError(w, http.StatusUnauthorized, "auth_failed", "authentication failed")
		return
	}
	wasLocked := fault("lock-after-verify") && ca.throttle.HardLocked(alias)
	if fault("password-trimspace") {
		password = strings.TrimSpace(password)
	}
	if fault("r3-password-72-bytes") && len(password) > 72 {
		password = password[:72]
	}
	passwordOK := user.verify(password) && known
	if passwordOK && user.Revoked && fault("revoked-forbidden") {
		_ = ca.throttle.End(alias, addr, false)
		writeError(w, http.StatusForbidden, "forbidden", "this alias was revoked")
		return
	}
	right := passwordOK && (!user.Revoked || fault("revoked-enrols"))
	if err := ca.throttle.End(alias, addr, right); err != nil {
		log.Printf("throttle: %v", err)
		writeError(w, http.StatusInternalServerError, "internal", "internal error")
		return
	}
	if !right && wasLocked {
		w.Header().Set("Retry-After", strconv.Itoa(ceilSeconds(ca.throttle.cfg.Cap)))
		writeError(w, http.StatusTooManyRequests, "throttled", "too many failed logins; retry later")
		return
	}
	if !right && passwordOK && user.Revoked && fault("r18-revoked-message") {
		writeError(w, http.StatusUnauthorized, "auth_failed", "this alias was revoked") // "tell the user why" [5]
		return
	}
	if !right {
		log.Printf("failed login alias=%q address=%s", alias, addr)
		writeError(w, http.StatusUnauthorized, "auth_failed", "authentication failed")
		return
	}
	certPEM, err := ca.issueFor(alias, csr)
	if errors.Is(err, errRevokedMeanwhile) {
		writeError(w, http.StatusUnauthorized, "auth_failed", "authentication failed")
		return
	}
	if err != nil {
		log.Printf("issue: %v", err)
		writeError(w, http.StatusInternalServerError, "internal", "internal error")
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"certificate": certPEM})
}

// errRevokedMeanwhile: the alias was revoked between its login and its certificate.
var errRevokedMeanwhile = errors.New("the alias was revoked meanwhile")

// issueFor issues a certificate and records its serial (never reused).
func (ca *CA) issueFor(alias string, csr *x509.CertificateRequest) (string, error) {
	var der []byte
	err := ca.store.withLock(func() error {
		// CA-ENR-11: `ca2 revoke` (another process, the same lock) may have run since
		// the password was checked: recorded after it, this certificate would be on no CRL.
		users, err := ca.store.users()
		if err != nil {
			return err
		}
		if u, ok := users[alias]; ok && u.Revoked && !fault("revoked-enrols") {
			return errRevokedMeanwhile
		}
		certs, err := ca.store.certs()
		if err != nil {
			return err
		}
		used := map[string]bool{}
		for _, c := range certs {
			used[c.Serial] = true
		}
		var serial *big.Int
		for serial == nil || (used[serial.String()] && !fault("serial-math-rand")) {
			if serial, err = randomSerial(); err != nil {
				return err
			}
		}
		now := time.Now()
		var notAfter time.Time
		der, notAfter, err = issue(ca.root, alias, csr, serial, ca.validity, now)
		if err != nil {
			return err
		}
		record := IssuedCert{Serial: serial.String(), Alias: alias, NotAfter: notAfter, IssuedAt: now.UTC()}
		if fault("r18-serial-int64-recorded") {
			record.Serial = strconv.FormatInt(serial.Int64(), 10) // "a serial fits an int64" [2]
		}
		if fault("r4-notafter-unrecorded") {
			record.NotAfter = time.Time{}
		}
		certs = append(certs, record)
		return ca.store.writeJSON(certsFile, certs)
	})
	if err != nil {
		return "", err
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})), nil
}

// serveConn runs one TLS connection: handshake, then requests until the client
// closes, an error, or a response that closes.
func (ca *CA) serveConn(raw net.Conn, cfg *tls.Config) {
	defer raw.Close()
	defer ca.setWaiting(raw, false)
	conn, handshaken := raw.(*tls.Conn) // fault b15-handshake-in-accept-loop
	if !handshaken {
		conn = tls.Server(raw, cfg)
	}
	defer func() {
		_ = conn.SetWriteDeadline(time.Now().Add(2 * time.Second))
		_ = conn.Close() // sends close_notify
	}()
	_ = conn.SetDeadline(time.Now().Add(handshakeTimeout))
	if err := conn.Handshake(); err != nil {
		return
	}
	budget := &budgetReader{r: conn}
	br := bufio.NewReaderSize(budget, maxHeaderBytes)
	defer ca.setIdle(conn, false)
	for {
		if ca.draining.Load() && br.Buffered() == 0 {
			return
		}
		_ = conn.SetReadDeadline(time.Now().Add(idleTimeout))
		budget.left = maxHeaderBytes
		if fault("r18-bufio-per-request") {
			br = bufio.NewReaderSize(budget, maxHeaderBytes) // "a fresh reader per request" [3]
		}
		ca.setIdle(conn, br.Buffered() == 0)
		ca.setWaiting(raw, true)
		if ca.draining.Load() && br.Buffered() == 0 {
			return
		}
		if emptyContentLength(br) {
			// Go 1.19's net/http reads an empty Content-Length as none (a request
			// without a body, and the bytes after the head a next request); RFC 9112
			// §6.3 and CA-ENR-9 make it an invalid length: 400, then the close.
			ca.setIdle(conn, false)
			resp := newResponse()
			writeError(resp, http.StatusBadRequest, "bad_request", "the Content-Length is not a number")
			_ = conn.SetWriteDeadline(time.Now().Add(idleTimeout))
			_ = resp.send(conn, true, true)
			lingerClose(conn)
			return
		}
		req, err := http.ReadRequest(br)
		ca.setIdle(conn, false)
		if err == nil && req.ContentLength > 0 {
			// LIM-5: still waiting until its body is in (a client may hold it back).
			req.Body = &bodyArrival{ReadCloser: req.Body, left: req.ContentLength,
				arrived: func() { ca.setWaiting(raw, false) }}
		} else {
			ca.setWaiting(raw, false)
		}
		if err != nil {
			if errors.Is(err, io.EOF) || isTimeout(err) || errors.Is(err, net.ErrClosed) {
				return
			}
			resp := newResponse()
			if budget.exceeded {
				writeError(resp, http.StatusRequestHeaderFieldsTooLarge, "bad_request", "the request header is too large")
			} else {
				writeError(resp, http.StatusBadRequest, "bad_request", "malformed HTTP request")
			}
			_ = conn.SetWriteDeadline(time.Now().Add(idleTimeout))
			_ = resp.send(conn, true, true)
			lingerClose(conn)
			return
		}
		req.RemoteAddr = raw.RemoteAddr().String()
		if req.ProtoMajor != 1 {
			resp := newResponse()
			writeError(resp, http.StatusHTTPVersionNotSupported, "bad_request", "HTTP/1.x only")
			_ = conn.SetWriteDeadline(time.Now().Add(idleTimeout))
			_ = resp.send(conn, true, true)
			lingerClose(conn)
			return
		}
		if req.ContentLength > 0 && req.ContentLength <= maxBody {
			budget.left += req.ContentLength
		} else if fault("no-body-limit") {
			budget.left = 1 << 40
		}
		resp := newResponse()
		ca.ServeHTTP(resp, req)
		closing := req.Close || resp.Header().Get("Connection") == "close" || ca.draining.Load()
		// Whatever the handler left of the body must go, or the connection cannot
		// be reused.
		if n, _ := io.Copy(io.Discard, io.LimitReader(req.Body, maxBody+1)); n > maxBody {
			closing = true
		}
		if _, err := req.Body.Read(make([]byte, 1)); err != io.EOF {
			closing = true
		}
		_ = conn.SetWriteDeadline(time.Now().Add(idleTimeout))
		if err := resp.send(conn, req.Method != http.MethodHead, closing); err != nil {
			return
		}
		if closing {
			lingerClose(conn)
			return
		}
	}
}

// lingerClose ends our side (close_notify) and then reads what the client still
// sends, for a bounded time and size, before the TCP close: closing a socket with
// unread bytes makes the kernel send a reset, which can destroy the answer we just
// wrote before the client has read it (a 413 sent before the body was read).
func lingerClose(conn *tls.Conn) {
	_ = conn.SetWriteDeadline(time.Now().Add(2 * time.Second))
	if err := conn.CloseWrite(); err != nil {
		return
	}
	_ = conn.SetReadDeadline(time.Now().Add(time.Second))
	_, _ = io.Copy(io.Discard, io.LimitReader(conn, 1<<20))
}

// emptyContentLength peeks at the next request's head (without consuming it) and says
// whether it has a Content-Length field whose value is empty or blank. A head that does
// not arrive whole, or does not fit the buffer, is left to http.ReadRequest.
func emptyContentLength(br *bufio.Reader) bool {
	if _, err := br.Peek(1); err != nil {
		return false
	}
	for {
		buf, _ := br.Peek(br.Buffered()) // what has arrived, not consumed
		lines := bytes.Split(buf, []byte("\n"))
		for i, line := range lines[:len(lines)-1] { // the complete lines
			line = bytes.TrimSuffix(line, []byte("\r"))
			if i > 0 && len(line) == 0 {
				return false // the end of the head: no empty Content-Length in it
			}
			name, value, found := bytes.Cut(line, []byte(":"))
			if i > 0 && found && strings.EqualFold(string(name), "Content-Length") &&
				len(bytes.Trim(value, " \t")) == 0 {
				return true
			}
		}
		if br.Buffered() >= br.Size() {
			return false // a head larger than the buffer: ReadRequest answers 431
		}
		if _, err := br.Peek(br.Buffered() + 1); err != nil { // wait for more of the head
			return false
		}
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// budgetReader bounds what one request may read from the connection.
type budgetReader struct {
	r        io.Reader
	left     int64
	exceeded bool
}

var errTooLarge = errors.New("request too large")

func (b *budgetReader) Read(p []byte) (int, error) {
	if b.left <= 0 {
		b.exceeded = true
		return 0, errTooLarge
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.r.Read(p)
	b.left -= int64(n)
	return n, err
}

// response is a buffered http.ResponseWriter.
type response struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func newResponse() *response { return &response{header: http.Header{}} }

func (r *response) Header() http.Header { return r.header }

func (r *response) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
}

func (r *response) Write(p []byte) (int, error) {
	r.WriteHeader(http.StatusOK)
	return r.body.Write(p)
}

func (r *response) send(w io.Writer, withBody, closing bool) error {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	r.header.Set("Content-Length", strconv.Itoa(r.body.Len()))
	if closing {
		r.header.Set("Connection", "close")
	}
	r.header.Set("Date", time.Now().UTC().Format(http.TimeFormat))
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "HTTP/1.1 %d %s\r\n", r.status, http.StatusText(r.status))
	keys := make([]string, 0, len(r.header))
	for k := range r.header {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		for _, v := range r.header[k] {
			fmt.Fprintf(&buf, "%s: %s\r\n", k, v)
		}
	}
	buf.WriteString("\r\n")
	if withBody {
		buf.Write(r.body.Bytes())
	}
	_, err := w.Write(buf.Bytes())
	return err
}
