package main

import (
	"os"
	"strings"
)

// Fault is one planted mistake: a thing a Go team writing this CA from the SPEC
// really gets wrong. SFT_INDEPENDENT_FAULTS=name[,name] switches faults on at start;
// the Python harness (test_ca2.py) mirrors this table and checks each fault FAILs
// under its requirement.
type Fault struct {
	Name string
	Req  string
	Line string
}

// FAULTS is the table of planted faults (kept in step with test_ca2.py's FAULTS).
var FAULTS = []Fault{
	{"sha1-csr", "CA-ENR-13", "trusts CertificateRequest.CheckSignature, which still allows SHA-1 in CSRs"},
	{"pop-unchecked", "CA-ENR-3", "never calls CheckSignature: a CSR parses, so it is taken"},
	{"any-curve", "CA-ENR-13", "accepts any *ecdsa.PublicKey (P-384, P-521) instead of P-256 only"},
	{"rsa-size-bytes", "CA-ENR-13", "checks rsa.PublicKey.Size() >= 256 bytes, so a 2041..2047-bit key passes"},
	{"csr-dnsnames", "CA-ENR-4", "copies csr.DNSNames into the template (a SAN on an employee certificate)"},
	{"csr-subject", "CA-ENR-4", "takes csr.Subject and only overwrites CommonName (O/OU kept)"},
	{"no-ski", "PKI-CERT-13", "leaves SubjectKeyId empty: Go 1.19 generates it for CA templates only"},
	{"eku-client-only", "PKI-CERT-1", "ExtKeyUsage holds ClientAuth only (it is an enrolment for a client)"},
	{"ku-keyencipherment", "PKI-CERT-1", "KeyUsage DigitalSignature|KeyEncipherment, as generate_cert.go does for RSA"},
	{"serial-unixnano", "CA-ENR-10", "serial number from time.Now().UnixNano(): not random"},
	{"validity-skew", "CA-ENR-10", "NotAfter = now + validity + 1h, the clock-skew margin put on both ends"},
	{"crl-30-days", "CA-ENR-16", "CRL NextUpdate 30 days after ThisUpdate"},
	{"crl-memoised", "CA-ENR-8", "the CRL is made once at start and served from memory"},
	{"revoke-latest", "CA-ENR-11", "revoke lists only the newest certificate of the alias"},
	{"revoked-enrols", "CA-ENR-11", "a revoked alias can still enrol (only its certificates are revoked)"},
	{"unknown-alias-message", "CA-ENR-6", "an unknown alias gets message \"unknown alias\""},
	{"count-after-hash", "CA-ENR-14", "no reservation: the throttle is checked, then the hash runs, then the failure counts"},
	{"alias-only", "CA-ENR-7", "failures are counted per alias only, not per client address"},
	{"xff-address", "CA-ENR-7", "the client address is taken from X-Forwarded-For when present"},
	{"counts-in-memory", "CA-ENR-20", "failure counts live in a map only and are lost on restart"},
	{"lock-expires", "CA-ENR-19", "the hard lock is only the capped backoff, so it expires"},
	{"query-ignored", "CA-ENR-15", "routes on r.URL.Path and ignores the query string"},
	{"nethttp-errors", "CA-ENR-9", "serves with net/http.Server, whose own errors (malformed request) are text/plain"},
	{"no-body-limit", "CA-ENR-9", "io.ReadAll(r.Body) without a limit: no 413"},
	{"hostname-alias", "CA-ENR-17", "no check of the alias against the CA's own host names"},
	{"tls-min-default", "CA-ENR-1", "tls.Config without MinVersion: Go 1.19 servers accept TLS 1.0-1.2"},
	{"curves-default", "PKI-TLS-9", "tls.Config without CurvePreferences: P-521 is negotiated"},
	{"crl-issuer-reencoded", "CA-ENR-8", "x509.CreateRevocationList of Go 1.19 as is: the issuer re-encoded from Subject"},
	{"utf8-lenient", "CA-ENR-9", "no UTF-8 check: encoding/json turns invalid bytes into U+FFFD and goes on"},
	{"pem-first-block", "CA-ENR-13", "block, _ := pem.Decode(csr): text around it, other types and further blocks ignored"},
	{"hostname-equalfold", "CA-ENR-17", "strings.EqualFold(alias, name): \"localhost.\" is not refused"},
	{"body-limit-off-by-one", "CA-ENR-9", "Content-Length >= 65536 answered 413"},
	{"password-trimspace", "CA-ENR-6", "strings.TrimSpace(password) before hashing"},
	{"revoked-forbidden", "CA-ENR-11", "a revoked alias gets 403 forbidden (after its password verified)"},
	{"crl-week-plus-backdate", "CA-ENR-16", "NextUpdate = now + 7 days on a thisUpdate backdated a minute"},
	{"retry-after-float", "CA-ENR-7", "Retry-After written from time.Duration.Seconds(): \"1.734\""},
	{"retry-after-truncated", "CA-ENR-7", "Retry-After = int(time.Until(lock).Seconds()): rounded down"},
	{"remoteaddr-port", "CA-ENR-7", "the address key is r.RemoteAddr, port included"},
	{"pending-cap-only", "CA-ENR-14", "pending attempts capped at --pending-cap only, not max(1, N - f)"},
	{"unknown-not-counted", "CA-ENR-7", "failures of unknown aliases counted per address only"},
	{"lock-after-verify", "CA-ENR-19", "the hard lock is looked at after the password: a right one still enrols"},
	{"ed25519-accepted", "CA-ENR-13", "a blocklist of weak hashes and a key type switch without default: Ed25519 passes"},
	{"csr-extensions", "CA-ENR-4", "ExtraExtensions = csr.Extensions: requested extensions override the profile"},
	{"serial-math-rand", "CA-ENR-10", "serials from math/rand, which Go 1.19 seeds with 1: they repeat after a restart"},
	{"success-resets-address", "CA-ENR-7", "a right password clears the address's failures too"},
	// Round 2 (blind, from this code's own structure).
	{"r2-unknown-no-hash", "CA-ENR-6", "an unknown alias is answered 401 at once: users[alias] missing, no dummy hash"},
	{"r2-threshold-gt", "CA-ENR-7", "the backoff starts when Failures > N, one failure late"},
	{"r2-cap-not-applied", "CA-ENR-7", "wait = Base * 2^exp, math.Min against the cap forgotten"},
	{"r2-address-hard-locked", "CA-ENR-19", "Begin checks HardLocked on the address entry too, and End sets it there"},
	{"r2-success-keeps-failures", "CA-ENR-19", "a right password only ends its reservation: the alias's failures stay"},
	{"r2-busy-retry-after-zero", "CA-ENR-14", "503 busy with Retry-After: 0 (retry set to 0, not rounded up)"},
	{"r2-throttled-as-busy", "CA-ENR-7", "a running backoff is answered 503 busy, not 429 throttled"},
	{"r2-revoke-first-only", "CA-ENR-11", "the revoke loop breaks after the first matching certificate"},
	{"r2-revoke-user-unsaved", "CA-ENR-11", "revoke writes certs.json but not users.json: the alias still enrols"},
	{"r2-root-der", "CA-ENR-8", "GET /v1/root serves root.Cert.Raw (DER), not the PEM"},
	{"r2-405-text-plain", "CA-ENR-9", "a wrong method is answered with http.Error (text/plain)"},
	{"r2-404-text-plain", "CA-ENR-9", "an unknown path is answered with http.NotFound (text/plain)"},
	{"r2-chunked-keepalive", "CA-ENR-9", "411 for a chunked body without Connection: close"},
	{"r2-json-trailing-data", "CA-ENR-9", "one Decode of the body: data after the JSON object ignored"},
	{"r2-pem-rest-ignored", "CA-ENR-13", "the rest after pem.Decode is not looked at: a second block passes"},
	{"r2-notbefore-future", "CA-ENR-10", "NotBefore = now.Add(5 * time.Minute): the sign of the backdate lost"},
	{"r2-bc-invalid", "PKI-CERT-1", "IsCA false without BasicConstraintsValid: no BasicConstraints extension"},
	{"r2-cert-sha384", "PKI-CERT-1", "certificates signed with ECDSAWithSHA384 / SHA384WithRSA"},
	{"r2-crl-sha384", "CA-ENR-8", "the CRL signed with ECDSAWithSHA384 / SHA384WithRSA"},
	{"r2-hardlock-retry-after-base", "CA-ENR-19", "a hard-locked alias's 429 says Retry-After: base, not the cap"},
	{"r2-lock-after-plus-one", "CA-ENR-19", "the hard lock falls when Failures > LockAfter, one late"},
	{"r2-startup-prune-inverted", "CA-ENR-20", "at start, entries whose backoff still runs are pruned (> for <=)"},
	// Round 3 (blind, session 10, helper I4: the round-10 lenses on this code).
	{"r3-content-type-exact", "CA-ENR-2", "Content-Type compared with == \"application/json\": \"; charset=utf-8\" gets 415"},
	{"r3-busy-no-retry-after-header", "CA-ENR-14", "503 busy carries retry_after in its body only, no Retry-After header"},
	{"r3-throttled-no-retry-after-header", "CA-ENR-7", "429 throttled carries retry_after in its body only, no Retry-After header"},
	{"r3-validity-flag-ignored", "CA-ENR-10", "--validity-days parsed but the 30-day default used when issuing"},
	{"r3-throttle-failures-flag-ignored", "CA-ENR-7", "--throttle-failures parsed but N = 5 hard-wired in the throttle"},
	{"r3-lock-after-flag-ignored", "CA-ENR-19", "--lock-after parsed but L = 100 hard-wired in the throttle"},
	{"r3-pending-leak-on-success", "CA-ENR-14", "End decrements the pending count on the failure path only"},
	{"r3-address-keyed-with-alias", "CA-ENR-7", "\"per alias and per address\" read as per (alias, address) pair"},
	{"r3-success-clears-all-aliases", "CA-ENR-7", "a right password resets every alias's backoff (hard locks kept)"},
	{"r3-alias-form-refused", "CA-ENR-2", "aliases with a dot refused 403 at enrolment (\"they look like host names\")"},
	{"r3-password-72-bytes", "CA-ENR-2", "the password cut to 72 bytes before verifying (a bcrypt habit)"},
	{"r3-rsa-2048-only", "CA-ENR-2", "RSA keys checked with BitLen() != 2048: RSA 3072 and 4096 refused bad_csr"},
	{"r3-bad-csr-counted", "CA-ENR-21", "the attempt reserved before the CSR check, a bad CSR ended as a failure"},
	{"r3-crl-pem", "CA-ENR-8", "GET /v1/crl serves the CRL PEM-armoured (X509 CRL), like the root"},
	{"r3-429-no-message", "CA-ENR-9", "the 429 body is {error, retry_after}: no message member"},
	{"r3-serial-160-bits", "CA-ENR-10", "serials of 160 bits with the top bit set: 21 octets in DER"},
	{"r3-notbefore-two-hours", "CA-ENR-10", "NotBefore backdated two hours for clock skew"},
	{"r3-hostname-dns-only", "CA-ENR-17", "the own-name check compares the DNS names only, not the IP addresses"},
	// Round 4 (blind, session 13, helper I13: the round-13 lenses on this code).
	{"r4-readall-err-ignored", "CA-ENR-9", "body, _ := io.ReadAll(...): a body cut short is parsed and acted on [1]"},
	{"r4-notafter-unrecorded", "CA-ENR-11", "IssuedCert recorded without NotAfter: revoke skips the zero time as expired [2]"},
	{"r4-revoked-early-leak", "CA-ENR-14", "a revoked alias answered 401 before the hash, its reservation never ended [3]"},
	{"r4-address-pending-kept-on-failure", "CA-ENR-14", "End releases the address's reservation on the success path only [3]"},
	{"r4-pending-before-address-check", "CA-ENR-14", "Begin reserves key by key: a busy address leaves the alias reserved [6]"},
	{"r4-pending-gt", "CA-ENR-14", "busy when pending > max(1, N - f), not >=: one more guess verified [4]"},
	{"r4-retry-after-duration-string", "CA-ENR-7", "Retry-After written with fmt.Sprint(time.Duration): \"2s\" [4]"},
	{"r4-lock-until-millis", "CA-ENR-7", "LockedUntil from UnixMilli, compared with Unix seconds: the backoff never ends [4]"},
	{"r4-ownname-joined-contains", "CA-ENR-2", "strings.Contains(strings.Join(names, \",\"), alias): \"local\", \"1\" refused [5]"},
	{"r4-member-strconv-unquote", "CA-ENR-2", "JSON strings decoded with strconv.Unquote: \\/ refused, surrogate pairs broken [5]"},
	{"r4-range-copy-revoke", "CA-ENR-11", "for _, c := range certs { c.RevokedAt = now }: the copy revoked, the user saved revoked [6]"},
	{"r4-crl-empty-no-content", "CA-ENR-8", "no revocation yet: 204 No Content instead of an empty CRL [2]"},
	// Round 5 (blind, session 15, helper I20: the round-15 lenses, lens in brackets).
	{"b15-serve-mutex", "LIM-5", "one sync.Mutex held across ServeHTTP, io.ReadAll of the body included [1]"},
	{"b15-handshake-in-accept-loop", "LIM-5", "the TLS handshake run on the accept loop before the goroutine [1]"},
	{"b15-crl-signed-tls-key", "CA-ENR-8", "the CRL signed with the CA's TLS key (ca.key), issuer the root [2]"},
	{"b15-method-equalfold", "CA-ENR-9", "strings.EqualFold on the method: \"post\" enrols, \"get\" is GET [2]"},
	{"b15-method-switch-no-default", "CA-ENR-9", "switch r.Method without default: PUT/DELETE/... get the empty 200 [3]"},
	{"b15-nil-entry-break", "CA-ENR-7", "break (for continue) on a nil entry: a new alias skips the address's backoff [4]"},
	{"b15-retry-after-first-entry", "CA-ENR-7", "Retry-After from the first running backoff (the alias's), not the longest [4]"},
	{"b15-prealloc-content-length", "CA-ENR-9", "make([]byte, 0, r.ContentLength) before the 413 check [5]"},
	{"b15-end-load-unlocked", "CA-ENR-14", "End loads the failure counts before taking the lock: concurrent failures lost [6]"},
	{"b15-reserve-late", "CA-ENR-14", "the reservation made after the users lookup, in a second lock section [6]"},
	// Round 18 (blind, session 18, helper I25: the round-18 lenses, lens in brackets).
	{"r18-api-version-any", "CA-ENR-9", "any /vN/ prefix routed to v1: /v2/enroll, /v0/root served, not 404 [1]"},
	{"r18-json-struct-casefold", "CA-ENR-6", "the body decoded into a struct: \"Password\" or \"PASSWORD\" is the password [2]"},
	{"r18-serial-int64-recorded", "CA-ENR-11", "the serial recorded as serial.Int64(): the CRL lists its low 64 bits [2]"},
	{"r18-alias-tolower-lookup", "CA-ENR-6", "the alias lower-cased before the lookup: \"Bob\" enrols as bob [2]"},
	{"r18-bufio-per-request", "CA-ENR-9", "a new bufio.Reader per request: pipelined requests buffered by the last one lost [3]"},
	{"r18-ownname-listen-host-only", "CA-ENR-17", "the own-name check compares the --listen host only: localhost, ::1 enrol [4]"},
	{"r18-unknown-alias-closes", "CA-ENR-6", "an unknown alias's 401 carries Connection: close; a wrong password's keeps it open [5]"},
	{"r18-revoked-message", "CA-ENR-11", "a revoked alias with its right password: 401 auth_failed \"this alias was revoked\" [5]"},
	{"r18-dummy-cheap-scrypt", "CA-ENR-6", "unknown aliases hashed against a dummy at scrypt 2^10, not 2^15 [5]"},
	{"r18-query-check-enroll-only", "CA-ENR-15", "the query string refused on POST only: GET /v1/root?x, /v1/crl?x served [6]"},
	// Session 21 (lead): the fault ca2 had before it learnt to make room.
	{"r21-full-refuses-newcomers", "LIM-5", "every slot taken: newcomers refused, whatever holds the slots (silent sockets)"},
}

var activeFaults = map[string]bool{}

func loadFaults() {
	known := map[string]bool{}
	for _, f := range FAULTS {
		known[f.Name] = true
	}
	for _, name := range strings.Split(os.Getenv("SFT_INDEPENDENT_FAULTS"), ",") {
		name = strings.TrimSpace(name)
		if name == "" {
			continue
		}
		if !known[name] {
			fatalf("unknown fault %q", name)
		}
		activeFaults[name] = true
	}
}

func fault(name string) bool { return activeFaults[name] }
