package main

import (
	"os"
	"strings"
)

// Fault is one planted mistake: the kind of thing a Go team writing from the SPEC gets
// wrong (a library default left on, a callback that does not verify, ...). Faults are
// off unless named in SFT_INDEPENDENT_FAULTS (comma separated), read once at start.
type Fault struct {
	Name string
	Req  string
	Desc string
}

// Faults is the table mirrored by test_pki3.py.
var Faults = []Fault{
	{"tls12-allowed", "PKI-TLS-1", "MinVersion left at the library default (TLS 1.2) on the responder"},
	{"alpn-unchecked", "PKI-TLS-2", "NegotiatedProtocol not checked: a ClientHello without ALPN is served"},
	{"bare-close", "PKI-TLS-7", "after BYE_ the raw net.Conn is closed instead of the tls.Conn (no close_notify)"},
	{"eku-missing-any", "PKI-CERT-5", "x509 default: a certificate without an EKU extension is taken as any purpose"},
	{"eku-anyusage", "PKI-CERT-5", "anyExtendedKeyUsage accepted as clientAuth"},
	{"leaf-ca-ok", "PKI-CERT-6", "BasicConstraints CA:TRUE not checked on the peer certificate"},
	{"rsa-short", "PKI-CERT-9", "RSA key size not checked (Go's x509 accepts 1024-bit keys)"},
	{"crl-ignored", "PKI-CERT-7", "the responder loads the CRL but never consults it"},
	{"crl-first-only", "PKI-CERT-11", "only the first CRL entry is compared"},
	{"client-skip-verify", "PKI-CERT-4", "the initiator sets InsecureSkipVerify and checks only the CN"},
	{"client-no-cn", "PKI-ID-1", "the initiator verifies the chain but not the responder's alias"},
	{"request-client-cert", "PKI-TLS-3", "tls.RequestClientCert (asks, does not require) and a callback that passes no certificate"},
	{"client-x509-verify", "PKI-CERT-5", "the initiator relies on x509.Verify with KeyUsages ServerAuth: a missing EKU means any"},
	{"client-no-crl", "PKI-CERT-7", "the initiator never consults the CRL (revocation taken as the responder's job)"},
	{"client-rename", "APP-GET-6", "the initiator commits with os.Rename, replacing an existing output file"},
	{"client-tmpdir", "APP-STORE-1", "the initiator writes its temporary with os.CreateTemp in $TMPDIR, renamed at the end"},
	{"hs-trickle", "LIM-1", "the handshake deadline is pushed back on every read: a trickle keeps a slot"},
	{"alias-fold", "PKI-ID-4", "allow list compared with strings.EqualFold"},
	{"json-case-fold", "FRM-10", "members matched case-insensitively, as encoding/json does for struct fields"},
	{"json-dup-keys", "FRM-9", "encoding/json's last-wins on duplicate keys"},
	{"utf8-lenient", "FRM-9", "no utf8.Valid check: encoding/json replaces invalid bytes with U+FFFD"},
	{"float-size", "FRM-11", "size decoded into float64: 1.0 and 1e3 accepted as integers"},
	{"hex-fold", "FRM-12", "sha256 compared after strings.ToLower: upper-case hex accepted"},
	{"payload-first", "FRM-3", "io.ReadFull of the payload before the length check"},
	{"no-close-after-fatal", "ERR-3", "after a fatal EROR the loop continues reading frames"},
	{"put-overwrite", "APP-PUT-3", "no exists check at PUTF and os.Rename replaces the final file"},
	{"put-eof-commit", "APP-STORE-3", "a put cut by EOF is committed (io.EOF taken as the end of the data)"},
	{"late-excess", "APP-PUT-6", "data beyond the announced size noticed only at DONE"},
	{"name-clean", "APP-NAME-2", "filepath.Clean applied before the checks: a/../b accepted"},
	{"prefix-confine", "APP-NAME-4", "symlinks followed and confinement by strings.HasPrefix"},
	{"c1-allowed", "APP-NAME-8", "only ASCII controls refused: C1 and bidi characters pass"},
	{"no-idle-timeout", "LIM-2", "no read deadline between requests"},
	{"tmp-create", "APP-STORE-1", "temporary file made with os.Create (0666 & umask, not O_EXCL)"},
	{"client-no-hash", "APP-GET-3", "the initiator checks sizes but not the SHA-256"},
	{"client-direct", "APP-GET-6", "the initiator writes straight into the output file"},
	{"client-any-rsfl", "APP-PUT-9", "the initiator takes any RSFL after PUTF as an acceptance"},
	{"client-put-eof-ok", "APP-PUT-10", "the initiator reports success when the stream ends after its DONE"},
	{"surrogate-fffd", "FRM-15", "a lone surrogate decoded to U+FFFD and used as a name"},
	// Round 2 (r2-): read from this code's own structure.
	{"r2-notbefore-unchecked", "PKI-CERT-3", "verifyPeer compares now with NotAfter only: a not-yet-valid certificate passes"},
	{"r2-cn-first", "PKI-ID-4", "singleCN returns the first CN when the subject has several"},
	{"r2-ec-any-curve", "PKI-CERT-9", "the curve of an EC key is not compared with P-256"},
	{"r2-sig-any-hash", "PKI-CERT-9", "the signature algorithm switch has a default that passes"},
	{"r2-forbidden-open", "PKI-ID-3", "after forbidden for an initiator off the allow list the loop continues"},
	{"r2-integrity-nonfatal", "ERR-3", "integrity_failed missing from fatalCodes: the connection stays open after it"},
	{"r2-put-size-ge", "APP-PUT-7", "size >= MaxFileSize is too_large: a put of exactly the limit is refused"},
	{"r2-get-size-unchecked", "APP-GET-2", "a share file above max_file_size is sent, not refused too_large"},
	{"r2-data-max-off", "FRM-13", "a DATA frame of exactly 1 MiB is refused (>= maxDataChunk)"},
	{"r2-control-max-off", "FRM-8", "a control payload of exactly 65536 bytes is refused (>= maxControl)"},
	{"r2-put-reserved-ok", "APP-NAME-9", "the reserved-prefix check is on openInShare only: a put of .sft-partial-x is stored"},
	{"r2-timeout-no-eror", "LIM-2", "on the idle timeout the connection is closed without EROR timeout"},
	{"r2-client-rsfl-sha", "APP-GET-3", "the initiator reads RSFL.sha256 but compares the data with DONE.sha256 only"},
	{"r2-client-empty-data", "FRM-13", "the initiator accepts a DATA frame of length 0"},
	{"r2-client-alpn", "PKI-TLS-2", "the initiator never looks at NegotiatedProtocol"},
	{"r2-client-sweep-all", "APP-STORE-3", "the initiator's sweep removes every .sft-partial- file, whatever its age"},
	{"r2-client-notbefore", "PKI-CERT-3", "the initiator's verifyPeer compares now with NotAfter only"},
	{"r2-client-ca-true", "PKI-CERT-6", "the initiator's verifyPeer does not look at IsCA"},
	{"r2-client-done-size", "APP-GET-3", "the initiator compares DONE.sha256 and its byte count but not DONE.size"},
}

var activeFaults = map[string]bool{}

func loadFaults() {
	for _, n := range strings.Split(os.Getenv("SFT_INDEPENDENT_FAULTS"), ",") {
		n = strings.TrimSpace(n)
		if n == "" {
			continue
		}
		found := false
		for _, f := range Faults {
			if f.Name == n {
				found = true
			}
		}
		if !found {
			fatalf("unknown fault %q", n)
		}
		activeFaults[n] = true
	}
}

func fault(name string) bool { return activeFaults[name] }
