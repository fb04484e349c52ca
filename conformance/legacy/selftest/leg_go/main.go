// Command leggo is a clean-room Go implementation of the two seed designs that
// docs/SPEC.md §7 calls the legacy profiles: sft-eke/0 (server and client) and
// sft-pki/0 (responder, requester, the CA "auth server" and an enrolment
// client). It was written from the seed documents (../shared/seeds/) and §7
// alone, to be audited by `pytest conformance/legacy`. It is deliberately
// INSECURE — it reproduces the seeds' flaws — and must never be deployed.
//
// Usage:
//
//	leggo eke-serve  -port P -password-file F -file PATH [-user U] [-idle-timeout D]
//	leggo eke-get    HOST PORT USER PASSWORD_FILE OUT
//	leggo pki-serve  -port P -key K -cert C -root R -share DIR [-idle-timeout D]
//	leggo pki-get    KEY CERT HOST PORT NAME OUT [ALIAS]
//	leggo ca-serve   -port P -root-key K -root-cert C -users FILE [-days N]
//	leggo enroll     -ca URL -alias A -password-file F -key-out K -cert-out C
//	leggo faults     (prints the planted-fault table, one "name<TAB>ID<TAB>what" a line)
//
// Choices this implementation makes where the seeds and §7 leave one (each is
// also noted where it is made):
//   - Every listener prints "listening on HOST:PORT" on stdout once it is bound
//     (port 0 = an ephemeral port), so a supervisor knows where it is.
//   - Servers log one line per session on stderr; a protocol error ends that
//     session with a close (the seeds crashed), never the process.
//   - eke/0: sessions are served strictly one after another on one goroutine
//     (the seed's design, LEG-EKE-12); pki/0 responder: one goroutine per
//     connection (the seed's "one thread per connection").
//   - Idle timeout: every read waits at most -idle-timeout (default 60s; 0 =
//     forever, as the seeds).
//   - pki/0 frames above 1 MiB or of an unknown type end the session as soon as
//     the header is read (§7.1.1 allows closing at any length one cannot handle).
//   - Keys are written as PKCS#8 PEM; both PKCS#1 and PKCS#8 PEM keys are read.
//   - Received files are written to a temporary file beside OUT and renamed
//     only when the transfer ended the way the design says it ends.
//   - pki/0 responder: the certificate check is root.CheckSignature on the TBS
//     bytes (not x509.Verify, which would add validity and EKU checks: LEG-PKI-3);
//     a certificate that does not parse, or whose key is not RSA, gets RSCI. The
//     seed's os.path.join is spelled out (an absolute name replaces the share):
//     filepath.Join alone would confine absolute names.
//   - pki/0 requester: the ALIAS argument is ignored (LEG-PKI-4); a clean close
//     between frames ends the file, a close inside a frame or a piece that does
//     not decrypt fails the transfer (exit 1, nothing kept).
//   - CA: net/http (answers HTTP/1.1 to HTTP/1.1 requests); 405 for another
//     method on /verify, 404 for another path, 413 over 64 KiB (MaxBytesReader),
//     400 for anything malformed (including a key that is not RSA), 401 for an
//     unknown alias or a wrong password (same body); encoding/json matches member
//     names case-insensitively (its default, left on); 128-bit random serials.
//   - eke/0 client: "Not Authenticated" ends the run (exit 1), no retry prompt;
//     password files lose their trailing CR/LF.
//   - Planted faults: SFT_INDEPENDENT_FAULTS=name[,name], read once at start
//     (faults.go).
package main

import (
	"fmt"
	"os"
)

func usage() {
	fmt.Fprintln(os.Stderr, "usage: leggo eke-serve|eke-get|pki-serve|pki-get|ca-serve|enroll|faults ...")
	os.Exit(2)
}

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	loadFaults()
	cmd, args := os.Args[1], os.Args[2:]
	if cmd != "faults" {
		fmt.Fprintln(os.Stderr, "leggo: WARNING: legacy seed protocol, insecure, for auditing only")
	}
	var err error
	switch cmd {
	case "eke-serve":
		err = ekeServeMain(args)
	case "eke-get":
		err = ekeGetMain(args)
	case "pki-serve":
		err = pkiServeMain(args)
	case "pki-get":
		err = pkiGetMain(args)
	case "ca-serve":
		err = caServeMain(args)
	case "enroll":
		err = enrollMain(args)
	case "faults":
		printFaults()
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "leggo:", err)
		os.Exit(1)
	}
}
