package main

// The sft-pki/0 CA ("auth server", docs/SPEC.md §7.2): plain HTTP, one route,
// POST /verify with {"payload": base64(OAEP(root, {"name","password"})),
// "public_key": PEM SPKI}; 200 text/plain PEM certificate, CN = alias, the
// posted key, signed by the root (SHA-256, PKCS#1 v1.5), no extensions, 365
// days. Flaws kept: plain HTTP, no proof of possession, replayable payload,
// passwords kept as typed, no throttling, weak certificates, no CRL.

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/subtle"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"
)

const maxCABody = 64 << 10

type enrolRequest struct {
	Payload   string `json:"payload"`
	PublicKey string `json:"public_key"`
}

type credentials struct {
	Name     string `json:"name"`
	Password string `json:"password"`
}

type authServer struct {
	rootKey  *rsa.PrivateKey
	rootCert *x509.Certificate
	users    map[string]string // alias -> password, as typed (LEG-CA-4)
	validity time.Duration

	mu     sync.Mutex
	req    enrolRequest         // ca-r5-json-reused-struct
	cred   credentials          // ca-r5-json-reused-struct
	active int                  // ca-r5-active-leak
	out    bytes.Buffer         // ca-r6-shared-answer-buffer
	recent map[string]time.Time // ca-r6-retry-window: alias|host -> last issuance

	pending map[string]bool        // ca-r7-pending-keys
	byHost  map[string]interface{} // ca-r7-key-by-host
}

// bodyLimit is the largest request body accepted (64 KiB).
func bodyLimit() int64 {
	if has("ca-r5-body-limit-kb") {
		return 64 * 1000
	}
	return maxCABody
}

// loadUsers reads "alias:password" lines; blank lines and "#" comments are skipped.
func loadUsers(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	users := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), "\r")
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		alias, password, ok := strings.Cut(line, ":")
		if !ok {
			return nil, fmt.Errorf("%s: line without ':'", path)
		}
		users[alias] = password
	}
	return users, sc.Err()
}

func caServeMain(args []string) error {
	fs := flag.NewFlagSet("ca-serve", flag.ExitOnError)
	host := fs.String("host", "127.0.0.1", "address to listen on")
	port := fs.Int("port", 0, "port to listen on (0 = any)")
	keyPath := fs.String("root-key", "", "root private key (PEM)")
	certPath := fs.String("root-cert", "", "root certificate (PEM)")
	usersPath := fs.String("users", "", "alias:password file")
	days := fs.Int("days", 365, "validity of issued certificates, days")
	fs.Parse(args)
	key, err := loadRSAKey(*keyPath)
	if err != nil {
		return err
	}
	_, cert, err := loadCertPEM(*certPath)
	if err != nil {
		return err
	}
	users, err := loadUsers(*usersPath)
	if err != nil {
		return err
	}
	ln, err := listen(*host, *port)
	if err != nil {
		return err
	}
	validity := time.Duration(*days) * 24 * time.Hour
	if has("ca-r3-validity-ns") {
		validity = time.Duration(*days * 24)
	}
	ca := &authServer{rootKey: key, rootCert: cert, users: users, validity: validity, recent: map[string]time.Time{},
		pending: map[string]bool{}, byHost: map[string]interface{}{}}
	mux := http.NewServeMux()
	if has("ca-r18-verify-subtree") {
		mux.HandleFunc("/verify/", ca.verify)
	} else {
		mux.HandleFunc("/verify", ca.verify)
	}
	if has("ca-r4-verify-prefix") {
		mux = http.NewServeMux()
		mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
			if !strings.HasPrefix(r.URL.Path, "/verify") {
				http.NotFound(w, r)
				return
			}
			ca.verify(w, r)
		})
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second}
	return srv.Serve(ln)
}

func (ca *authServer) verify(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		ca.fail(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if has("ca-r5-active-leak") {
		// "bound the RSA work in flight"
		ca.mu.Lock()
		busy := ca.active >= 4
		if !busy {
			ca.active++
		}
		ca.mu.Unlock()
		if busy {
			ca.fail(w, "too many enrolments in progress", http.StatusServiceUnavailable)
			return
		}
	}
	var body []byte
	var err error
	if has("ca-r6-limit-per-member") {
		body, err = io.ReadAll(r.Body) // the members are checked below
	} else {
		body, err = io.ReadAll(http.MaxBytesReader(w, r.Body, bodyLimit()))
	}
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) && !has("ca-body-limit-400") {
			ca.fail(w, "request body too large", http.StatusRequestEntityTooLarge)
		} else {
			ca.fail(w, "bad request", http.StatusBadRequest)
		}
		return
	}
	var req enrolRequest
	if has("ca-r5-json-reused-struct") {
		// "decode into the server's request buffer"
		ca.mu.Lock()
		err = json.Unmarshal(body, &ca.req)
		req = ca.req
		ca.mu.Unlock()
	} else if has("ca-r18-json-decoder-trailing") {
		err = json.NewDecoder(bytes.NewReader(body)).Decode(&req)
	} else {
		err = json.Unmarshal(body, &req)
	}
	if err != nil {
		ca.fail(w, "malformed JSON", http.StatusBadRequest)
		return
	}
	if has("ca-r6-limit-per-member") && (len(req.Payload) > maxCABody || len(req.PublicKey) > maxCABody) {
		ca.fail(w, "request body too large", http.StatusRequestEntityTooLarge)
		return
	}
	encoding := base64.StdEncoding
	if has("ca-base64-raw") {
		encoding = base64.RawStdEncoding
	} else if has("ca-base64-url") {
		encoding = base64.URLEncoding
	}
	sealed, err := encoding.DecodeString(req.Payload)
	if err != nil || len(sealed) == 0 {
		ca.fail(w, "payload is not base64", http.StatusBadRequest)
		return
	}
	lateKey := has("ca-r4-status-before-key")
	var pub interface{}
	if !lateKey {
		if pub = ca.parseKey(w, req.PublicKey); pub == nil {
			return
		}
	}
	host, _, _ := net.SplitHostPort(r.RemoteAddr)
	pendingID := ""
	if pub != nil && has("ca-r7-pending-keys") {
		// "track enrolments in progress by key; at most 16 at once"
		pendingID = fmt.Sprintf("%x", pub.(*rsa.PublicKey).N.Bytes()[:16])
		ca.mu.Lock()
		full := len(ca.pending) >= 16 && !ca.pending[pendingID]
		if !full {
			ca.pending[pendingID] = true
		}
		ca.mu.Unlock()
		if full {
			ca.fail(w, "too many enrolments pending", http.StatusServiceUnavailable)
			return
		}
	}
	if pub != nil && has("ca-r7-key-by-host") {
		// "the enrolling host's key, kept while its credentials are checked"
		ca.mu.Lock()
		ca.byHost[host] = pub
		ca.mu.Unlock()
	}
	plain, err := oaepDecrypt(ca.rootKey, sealed)
	if err != nil && has("ca-r3-pkcs1-fallback") {
		plain, err = rsa.DecryptPKCS1v15(rand.Reader, ca.rootKey, sealed)
	}
	if err != nil && has("ca-r7-undecryptable-401") {
		ca.fail(w, "credentials not accepted", http.StatusUnauthorized)
		return
	}
	if err != nil {
		ca.fail(w, "payload does not decrypt", http.StatusBadRequest)
		return
	}
	var cred credentials
	if has("ca-r5-json-reused-struct") {
		ca.mu.Lock()
		err = json.Unmarshal(plain, &ca.cred)
		cred = ca.cred
		ca.mu.Unlock()
	} else {
		err = json.Unmarshal(plain, &cred)
	}
	if err != nil && has("ca-r5-cred-json-ignored") {
		log.Printf("ca0: credentials: %v", err)
		err = nil
	}
	if err != nil {
		ca.fail(w, "credentials are not JSON", http.StatusBadRequest)
		return
	}
	if has("ca-r5-active-leak") {
		defer func() {
			ca.mu.Lock()
			ca.active--
			ca.mu.Unlock()
		}()
	}
	want, known := ca.users[cred.Name]
	if has("ca-r5-unknown-alias-zero-value") {
		known = true // the map's zero value: "" for an unknown alias
	}
	posted := []byte(cred.Password)
	if has("ca-r5-password-truncated-compare") && len(posted) > len(want) {
		posted = posted[:len(want)] // "ConstantTimeCompare wants equal lengths"
	}
	if has("ca-r3-alias-fold") && !known {
		for alias, password := range ca.users {
			if strings.EqualFold(alias, cred.Name) {
				want, known = password, true
			}
		}
	}
	retry := false
	if has("ca-r6-retry-window") {
		// "a client that lost our answer retries: do not make it type its password again"
		ca.mu.Lock()
		last, ok := ca.recent[cred.Name+"|"+host]
		ca.mu.Unlock()
		retry = ok && time.Since(last) < 60*time.Second
	}
	refused := !known || subtle.ConstantTimeCompare([]byte(want), posted) != 1
	if has("ca-r7-and-for-or") {
		refused = !known && subtle.ConstantTimeCompare([]byte(want), posted) != 1
	}
	if !retry && refused {
		log.Printf("ca0: refused %q", cred.Name)
		status := http.StatusUnauthorized
		if has("ca-r2-unknown-alias-404") && !known {
			status = http.StatusNotFound
		}
		if has("ca-wrong-password-403") && known {
			status = http.StatusForbidden
		}
		ca.fail(w, "unknown alias or wrong password", status)
		return
	}
	if lateKey {
		// "the credentials are good: the answer is a certificate"
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(http.StatusOK)
		if pub = ca.parseKey(w, req.PublicKey); pub == nil {
			return
		}
	}
	alias := cred.Name
	if has("ca-r4-outer-name") {
		var outer struct {
			Name string `json:"name"`
		}
		if json.Unmarshal(body, &outer) == nil && outer.Name != "" {
			alias = outer.Name
		}
	}
	if has("ca-r7-key-by-host") {
		ca.mu.Lock()
		pub = ca.byHost[host]
		ca.mu.Unlock()
	}
	if pendingID != "" {
		ca.mu.Lock()
		delete(ca.pending, pendingID) // issued: no longer pending
		ca.mu.Unlock()
	}
	certPEM, err := ca.issue(alias, pub)
	if err != nil {
		log.Printf("ca0: issuing for %q: %v", cred.Name, err)
		ca.fail(w, "internal error", http.StatusInternalServerError)
		return
	}
	log.Printf("ca0: issued a certificate for %q", cred.Name)
	if has("ca-r6-retry-window") {
		ca.mu.Lock()
		ca.recent[cred.Name+"|"+host] = time.Now()
		ca.mu.Unlock()
	}
	w.Header().Set("Content-Type", "text/plain")
	if has("ca-r2-octet-stream") {
		w.Header().Set("Content-Type", "application/octet-stream")
	}
	if !lateKey {
		w.WriteHeader(http.StatusOK)
	}
	if has("ca-r4-fprintln-cert") {
		fmt.Fprintln(w, string(certPEM))
		return
	}
	if has("ca-r6-shared-answer-buffer") {
		ca.mu.Lock()
		ca.out.Write(certPEM)
		w.Write(ca.out.Bytes())
		ca.out.Reset()
		ca.mu.Unlock()
		return
	}
	w.Write(certPEM)
}

// fail answers an error (ca-r6-shared-answer-buffer: built in the server's buffer).
func (ca *authServer) fail(w http.ResponseWriter, text string, status int) {
	if !has("ca-r6-shared-answer-buffer") {
		http.Error(w, text, status)
		return
	}
	ca.mu.Lock()
	defer ca.mu.Unlock()
	ca.out.WriteString(text + "\n")
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	w.Write(ca.out.Bytes())
}

// parseKey returns the posted RSA public key, or answers the request and returns nil.
func (ca *authServer) parseKey(w http.ResponseWriter, publicKey string) interface{} {
	block, _ := pem.Decode([]byte(publicKey))
	if block == nil {
		ca.fail(w, "public_key is not PEM", badKeyStatus())
		return nil
	}
	pub, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		ca.fail(w, "public_key is not a SubjectPublicKeyInfo", badKeyStatus())
		return nil
	}
	if _, ok := pub.(*rsa.PublicKey); !ok {
		ca.fail(w, "public_key is not RSA", badKeyStatus())
		return nil
	}
	return pub
}

// issue signs a bare certificate: CN = alias, no BasicConstraints, KeyUsage
// or ExtendedKeyUsage (LEG-CA-6), the posted key as is (LEG-CA-2).
func (ca *authServer) issue(alias string, pub interface{}) ([]byte, error) {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, err
	}
	if has("ca-r18-serial-unix-seconds") {
		serial = big.NewInt(time.Now().Unix()) // "unique enough"
	}
	now := time.Now().UTC()
	tmpl := &x509.Certificate{
		SerialNumber:       serial,
		Subject:            pkix.Name{CommonName: alias},
		NotBefore:          now,
		NotAfter:           now.Add(ca.validity),
		SignatureAlgorithm: x509.SHA256WithRSA,
	}
	if has("ca-r4-subject-from-root") {
		subject := ca.rootCert.Subject
		subject.CommonName = alias
		subject.Names, subject.ExtraNames = nil, nil
		tmpl.Subject = subject
	}
	if has("ca-r2-alias-in-o") {
		tmpl.Subject = pkix.Name{Organization: []string{alias}}
	}
	if has("ca-sha1-signature") {
		tmpl.SignatureAlgorithm = x509.SHA1WithRSA
	}
	if has("ca-extensions") {
		tmpl.BasicConstraintsValid = true
		tmpl.KeyUsage = x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth, x509.ExtKeyUsageServerAuth}
		tmpl.NotAfter = now.Add(30 * 24 * time.Hour)
	}
	if has("ca-r3-root-pubkey") {
		pub = &ca.rootKey.PublicKey
	}
	parent := ca.rootCert
	if has("ca-r4-parent-template") {
		parent = tmpl // the self-signed example's CreateCertificate(rand, tmpl, tmpl, ...)
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, ca.rootKey)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), nil
}

// ---- enrolment client ----

func enrollMain(args []string) error {
	fs := flag.NewFlagSet("enroll", flag.ExitOnError)
	caURL := fs.String("ca", "", "CA base URL, e.g. http://127.0.0.1:8080")
	rootPath := fs.String("root", "", "root certificate (PEM): its key seals the credentials")
	alias := fs.String("alias", "", "alias to enrol")
	pwPath := fs.String("password-file", "", "file holding the password")
	keyOut := fs.String("key-out", "", "where to write the new private key")
	certOut := fs.String("cert-out", "", "where to write the certificate")
	fs.Parse(args)
	_, root, err := loadCertPEM(*rootPath)
	if err != nil {
		return err
	}
	rootPub, ok := root.PublicKey.(*rsa.PublicKey)
	if !ok {
		return errors.New("root key is not RSA")
	}
	password, err := readSecretFile(*pwPath)
	if err != nil {
		return err
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return err
	}
	spki, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		return err
	}
	cred, err := json.Marshal(credentials{Name: *alias, Password: password})
	if err != nil {
		return err
	}
	sealed, err := oaepEncrypt(rootPub, cred)
	if err != nil {
		return err
	}
	body, err := json.Marshal(enrolRequest{
		Payload:   base64.StdEncoding.EncodeToString(sealed),
		PublicKey: string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: spki})),
	})
	if err != nil {
		return err
	}
	client := &http.Client{Timeout: 30 * time.Second}
	resp, err := client.Post(strings.TrimRight(*caURL, "/")+"/verify", "application/json", bytes.NewReader(body))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(resp.Body, maxCABody))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("CA answered %s: %s", resp.Status, strings.TrimSpace(string(answer)))
	}
	if _, err := parsePEMCert(answer); err != nil {
		return fmt.Errorf("CA answer: %v", err)
	}
	keyPEM, err := marshalKeyPEM(key)
	if err != nil {
		return err
	}
	if err := os.WriteFile(*keyOut, keyPEM, 0o600); err != nil {
		return err
	}
	return os.WriteFile(*certOut, answer, 0o644)
}

// badKeyStatus is the status for an unusable public_key (400; 500 under a planted fault).
func badKeyStatus() int {
	if has("ca-r2-bad-key-500") {
		return http.StatusInternalServerError
	}
	return http.StatusBadRequest
}
