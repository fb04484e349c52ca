"""The PKI cases proven on a Go implementation (conformance/selftest/independent/pki3/).

pki3 is the third clean-room sft-pki/1 responder and initiator and the first not in
Python: Go, standard library only (crypto/tls — a TLS stack that is not OpenSSL —,
crypto/x509 with ParseRevocationList, encoding/json), written from docs/SPEC.md alone
(its choices: the comment at the top of pki3/main.go). It is built here with the
installed `go` into a cache directory (never into the tree; no module downloads:
GOFLAGS=-mod=mod GOPROXY=off); without `go` on PATH every test SKIPs with the reason.
As for pki1/pki2 (pki_harness.py) the embedded reference provides only the organisation
(CA, root, CRL, identities `alice`, `suite`, `revoked`, `revoked-2`, the share); the
responder and the initiator under test are the Go program, described with a target file.

- `test_independent_pki3_is_conformant` (`slow`): every PKI case file, responder and
  initiator, against the unmodified pki3: CONFORMANT, no FAIL.
- `test_independent_pki3_client_put_cases_pass` (`slow`): test_client_put.py against
  pki3's put initiator.
- `test_independent_fault_is_detected` (`SFT_SELFTEST=all`): each fault of pki3's table
  (`Faults` in pki3/faults.go, mirrored in `FAULT_CASES`) FAILs under its requirement
  with evidence, with only the case files that concern it.
- `test_fault_tables_agree` (default run, no build): the Go table and `FAULT_CASES` name
  the same faults with the same requirements.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from conformance.selftest.independent.pki_harness import (
    FaultCase,
    PkiImplementation,
    check_client_put,
    check_conformant,
    check_fault,
    organisation,  # noqa: F401 - a fixture, used by name
    workspace,  # noqa: F401 - a fixture, used by name
)
from conformance.target import Target

__all__ = ["FAULT_CASES", "IMPL", "SOURCE"]

_LEVEL = os.environ.get("SFT_SELFTEST", "").strip().lower()
SOURCE = Path(__file__).resolve().parent / "pki3"
_BUILD_DIR = Path(tempfile.gettempdir()) / f"sft-pki3-build-{os.getuid()}"
_BINARY = _BUILD_DIR / "pki3"
# Go's crypto/tls has no setting for the signature_algorithms of its ClientHello (Go 1.19
# offers ed25519, ECDSA P-384/P-521, PKCS#1 SHA-384/512 and SHA-1 whatever the config):
# the offer is PKI-TLS-11, a SHOULD, for that reason; pki3's run reports it NON-STRICT.
IMPL = PkiImplementation(
    "pki3", "conformance.selftest.independent.pki3", "--as", program=(str(_BINARY),)
)  # fmt: skip
pytestmark = pytest.mark.xdist_group("independent-pki3")

_CERTS = ("test_pki_certs.py",)
_PUT = ("test_app_put.py",)
_CLIENT_PUT = ("test_client_put.py",)
_INITIATOR = ("test_pki_initiator_transfer.py",)

# name -> requirement -> case files -> what the mistake is; client faults plant the
# initiator (the `get`/`put` templates), the others the responder.
FAULT_CASES = (
    FaultCase(
        "tls12-allowed", "PKI-TLS-1", ("test_pki_tls.py",), "MinVersion TLS 1.2 on the responder"
    ),
    FaultCase("alpn-unchecked", "PKI-TLS-2", ("test_pki_tls.py",), "no-ALPN ClientHello served"),
    FaultCase(
        "bare-close", "PKI-TLS-7", ("test_pki_tls.py",), "raw net.Conn closed: no close_notify"
    ),
    FaultCase("eku-missing-any", "PKI-CERT-5", _CERTS, "a missing EKU taken as any purpose"),
    FaultCase("eku-anyusage", "PKI-CERT-5", _CERTS, "anyExtendedKeyUsage taken as clientAuth"),
    FaultCase("leaf-ca-ok", "PKI-CERT-6", _CERTS, "CA:TRUE leaf accepted"),
    FaultCase("rsa-short", "PKI-CERT-9", _CERTS, "RSA key size not checked"),
    FaultCase("crl-ignored", "PKI-CERT-7", _CERTS, "the responder never consults its CRL"),
    FaultCase("crl-first-only", "PKI-CERT-11", _CERTS, "only the first CRL entry compared"),
    FaultCase(
        "client-skip-verify",
        "PKI-CERT-4",
        _CERTS,
        "InsecureSkipVerify, only the CN checked",
        client=True,
    ),
    FaultCase(
        "client-no-cn",
        "PKI-ID-1",
        ("test_pki_identity.py",),
        "responder alias not compared",
        client=True,
    ),
    FaultCase("request-client-cert", "PKI-TLS-3", ("test_pki_tls.py",), "RequestClientCert"),
    FaultCase("client-x509-verify", "PKI-CERT-5", _CERTS, "x509.Verify's defaults", client=True),
    FaultCase("client-no-crl", "PKI-CERT-7", _CERTS, "the initiator ignores the CRL", client=True),
    FaultCase(
        "client-rename", "APP-GET-6", _INITIATOR, "os.Rename replaces the output", client=True
    ),
    FaultCase("client-tmpdir", "APP-STORE-1", _INITIATOR, "os.CreateTemp in $TMPDIR", client=True),
    FaultCase("hs-trickle", "LIM-1", ("test_limits.py",), "handshake deadline pushed back"),
    FaultCase("alias-fold", "PKI-ID-4", ("test_pki_identity.py",), "allow list by EqualFold"),
    FaultCase(
        "json-case-fold", "FRM-10", ("test_framing.py",), "members matched case-insensitively"
    ),
    FaultCase("json-dup-keys", "FRM-9", ("test_framing.py",), "duplicate JSON keys: last wins"),
    FaultCase("utf8-lenient", "FRM-9", ("test_framing.py",), "invalid UTF-8 turned into U+FFFD"),
    FaultCase("float-size", "FRM-11", ("test_framing.py",), "size decoded as float64"),
    FaultCase("hex-fold", "FRM-12", ("test_framing.py", *_PUT), "upper-case sha256 accepted"),
    FaultCase(
        "payload-first",
        "FRM-3",
        ("test_framing.py", "test_app_integrity.py"),
        "payload read before the limit",
    ),
    FaultCase("no-close-after-fatal", "ERR-3", ("test_framing.py",), "reads on after a fatal EROR"),
    FaultCase("put-overwrite", "APP-PUT-3", _PUT, "no exists check, os.Rename replaces"),
    FaultCase("put-eof-commit", "APP-STORE-3", _PUT, "a put cut by EOF is committed"),
    FaultCase("late-excess", "APP-PUT-6", _PUT, "excess data noticed only at DONE"),
    FaultCase("name-clean", "APP-NAME-2", ("test_app_names.py",), "filepath.Clean before checks"),
    FaultCase("prefix-confine", "APP-NAME-4", ("test_app_names.py",), "HasPrefix confinement"),
    FaultCase("c1-allowed", "APP-NAME-8", ("test_app_names_controls.py",), "C1/bidi allowed"),
    FaultCase("no-idle-timeout", "LIM-2", ("test_limits.py",), "no read deadline when idle"),
    FaultCase("tmp-create", "APP-STORE-1", _PUT, "temporary file by os.Create (0644, no O_EXCL)"),
    FaultCase("client-no-hash", "APP-GET-3", _INITIATOR, "SHA-256 not compared", client=True),
    FaultCase(
        "client-direct", "APP-GET-6", _INITIATOR, "writes the output file directly", client=True
    ),
    FaultCase(
        "client-any-rsfl", "APP-PUT-9", _CLIENT_PUT, "any RSFL is an acceptance", client=True
    ),
    FaultCase(
        "client-put-eof-ok",
        "APP-PUT-10",
        _CLIENT_PUT,
        "EOF after DONE taken as success",
        client=True,
    ),
    FaultCase("surrogate-fffd", "FRM-15", ("test_framing.py",), "lone surrogate used as U+FFFD"),
    # Round 2 (r2-): from pki3's own code structure.
    FaultCase("r2-notbefore-unchecked", "PKI-CERT-3", _CERTS, "NotBefore not compared"),
    FaultCase("r2-cn-first", "PKI-ID-4", ("test_pki_identity.py",), "first of several CNs"),
    FaultCase("r2-ec-any-curve", "PKI-CERT-9", _CERTS, "EC curve not compared with P-256"),
    FaultCase("r2-sig-any-hash", "PKI-CERT-9", _CERTS, "any signature hash accepted"),
    FaultCase(
        "r2-forbidden-open",
        "PKI-ID-3",
        ("test_pki_identity.py", *_CERTS),
        "open after forbidden",
    ),
    FaultCase(
        "r2-integrity-nonfatal",
        "ERR-3",
        ("test_app_put.py", "test_app_integrity.py"),
        "integrity_failed not fatal",
    ),
    FaultCase("r2-put-size-ge", "APP-PUT-7", _PUT, "a put of exactly the limit refused"),
    FaultCase("r2-get-size-unchecked", "APP-GET-2", ("test_app_get.py",), "big file sent"),
    FaultCase("r2-data-max-off", "FRM-13", ("test_framing.py", *_PUT), "1 MiB DATA refused"),
    FaultCase("r2-control-max-off", "FRM-8", ("test_framing.py",), "65536-byte control refused"),
    FaultCase(
        "r2-put-reserved-ok",
        "APP-NAME-9",
        ("test_app_reserved_names.py",),
        "reserved-prefix put stored",
    ),
    FaultCase("r2-timeout-no-eror", "LIM-2", ("test_limits.py",), "idle close without EROR"),
    FaultCase(
        "r2-client-rsfl-sha", "APP-GET-3", _INITIATOR, "RSFL.sha256 not compared", client=True
    ),
    FaultCase(
        "r2-client-empty-data",
        "FRM-13",
        ("test_client_lies.py", *_INITIATOR),
        "empty DATA accepted",
        client=True,
    ),
    FaultCase("r2-client-alpn", "PKI-TLS-2", ("test_pki_tls.py",), "ALPN unchecked", client=True),
    FaultCase(
        "r2-client-sweep-all", "APP-STORE-3", _INITIATOR, "sweeps live temporaries", client=True
    ),
    FaultCase(
        "r2-client-ca-true",
        "PKI-CERT-6",
        (*_CERTS, "test_client_pki_certs.py"),
        "CA:TRUE responder",
        client=True,
    ),
    FaultCase(
        "r2-client-done-size",
        "APP-GET-3",
        _INITIATOR,
        "DONE.size unchecked",
        client=True,
    ),
    FaultCase("r2-client-notbefore", "PKI-CERT-3", _CERTS, "NotBefore unchecked", client=True),
    # Round 11 (i7-): planted blind by helper I7, session 11.
    FaultCase(
        "i7-verify-cache-cn",
        "PKI-CERT-3",
        (*_CERTS, "test_pki_hardening.py"),
        "client certificates cached by CN",
    ),
    FaultCase(
        "i7-empty-put-early",
        "APP-PUT-5",
        (*_PUT, "test_app_integrity.py", "test_interop_empty_transfers.py"),
        "0-byte put stored at PUTF",
    ),
    FaultCase(
        "i7-client-empty-fast",
        "APP-GET-3",
        (*_INITIATOR, "test_client_lies.py", "test_interop_empty_transfers.py"),
        "0-byte get linked at RSFL",
        client=True,
    ),
    FaultCase("i7-expired-grace-day", "PKI-CERT-3", _CERTS, "a day of skew after NotAfter"),
    FaultCase(
        "i7-hs-deadline-first-byte",
        "LIM-1",
        ("test_limits.py", "test_limits_responder.py", "test_pki_tls.py"),
        "handshake clock starts at the first byte",
    ),
    FaultCase(
        "i7-put-no-deadline",
        "LIM-2",
        ("test_limits.py", "test_limits_responder.py"),
        "no read deadline during a put",
    ),
    FaultCase(
        "i7-hdr-single-read",
        "FRM-4",
        ("test_framing.py", "test_interop_split_puts.py"),
        "header from one Read",
    ),
    FaultCase(
        "i7-data-read-ignores-n",
        "FRM-4",
        ("test_framing.py", *_PUT, "test_interop_split_puts.py"),
        "DATA Read count ignored",
    ),
    FaultCase(
        "i7-client-eof-done",
        "APP-GET-5",
        (*_INITIATOR, "test_client_lies.py"),
        "EOF after size bytes commits",
        client=True,
    ),
    FaultCase(
        "i7-size-string-ok",
        "FRM-11",
        ("test_framing.py", "test_app_json_encodings.py"),
        "integers as strings",
    ),
    FaultCase(
        "i7-name-trim-slash",
        "APP-NAME-2",
        ("test_app_names.py", "test_app_put_names.py"),
        "names trimmed of slashes before the checks",
    ),
    FaultCase(
        "i7-dup-keys-top-only",
        "FRM-9",
        ("test_framing.py", "test_app_json_encodings.py"),
        "nested duplicate keys accepted",
    ),
    FaultCase(
        "i7-client-eku-client",
        "PKI-CERT-5",
        ("test_client_pki_certs.py", "test_client_pki_cert_variants.py", *_CERTS),
        "responder checked for clientAuth",
        client=True,
    ),
    FaultCase(
        "i7-client-cn-fold",
        "PKI-ID-4",
        ("test_pki_identity.py", "test_client_pki_certs.py", "test_client_pki_cert_variants.py"),
        "responder CN compared case-insensitively",
        client=True,
    ),
    FaultCase(
        "i7-put-full-path",
        "APP-PUT-2",
        (*_PUT, "test_app_put_names.py"),
        "put stored under its whole name",
    ),
    FaultCase("i7-alpn-fallback-http11", "PKI-TLS-2", ("test_pki_tls.py",), "http/1.1 served too"),
    FaultCase(
        "i7-client-tls12-fallback",
        "PKI-TLS-1",
        ("test_pki_tls.py", "test_client_pki_certs.py"),
        "initiator retries with TLS 1.2",
        client=True,
    ),
    FaultCase(
        "i7-done-sha-fallback",
        "FRM-12",
        (*_PUT, "test_framing.py", "test_app_json_encodings.py", "test_app_integrity.py"),
        "unparsable DONE.sha256: size only",
    ),
    FaultCase(
        "i7-eror-unknown-ignored",
        "ERR-4",
        ("test_framing.py", "test_app_eror_from_initiator.py"),
        "unknown EROR code ignored",
    ),
    # Session 14 (p15-, helper I15): blind, through the round-14 lenses.
    FaultCase(
        "p15-putf-sha-err-dropped",
        "FRM-9",
        (*_PUT, "test_app_json_nulls.py", "test_app_member_types.py", "test_framing.py"),
        "PUTF.sha256's error dropped: malformed taken as absent (lens 1)",
    ),
    FaultCase(
        "p15-allow-joined-contains",
        "PKI-ID-4",
        ("test_pki_identity.py", "test_ops_pki_allow_alias.py"),
        "allow list as one joined string, strings.Contains (lens 4)",
    ),
    FaultCase(
        "p15-put-exists-stat",
        "APP-PUT-3",
        (*_PUT, "test_app_put_inbox_links.py", "test_app_inbox_files.py"),
        "exists judged by os.Stat: a dangling link is not a name (lens 4)",
    ),
    FaultCase(
        "p15-active-double-release",
        "LIM-4",
        ("test_limits.py", "test_limits_slots.py", "test_limits_slot_release.py"),
        "connection total decremented twice per connection (lens 2)",
    ),
    FaultCase(
        "p15-component-runes",
        "APP-NAME-1",
        ("test_app_names.py",),
        "component limit in runes, not bytes (lens 4)",
    ),
    FaultCase(
        "p15-peraddr-with-port",
        "LIM-8",
        ("test_lockout.py", "test_ops_admission_ledger.py", "test_limits_slots.py"),
        "per-address cap keyed with the port (lens 2)",
    ),
    FaultCase(
        "p15-put-deadline-once",
        "LIM-2",
        (
            "test_limits.py",
            "test_app_idle_tail.py",
            "test_ops_idle_floor.py",
            "test_interop_live_slow_senders.py",
        ),
        "one read deadline for a whole put (lens 6)",
    ),
    FaultCase(
        "p15-allow-after-open",
        "PKI-ID-3",
        ("test_pki_identity.py", "test_ops_pki_allow_alias.py", "test_pki_identity_concurrent.py"),
        "allow list consulted after the name is opened (lens 5)",
    ),
    FaultCase(
        "p15-client-alias-after-request",
        "PKI-ID-1",
        (
            "test_pki_identity.py",
            "test_client_pki_session_checks.py",
            "test_client_pki_alias_memory.py",
            "test_client_pki_put_identity.py",
        ),
        "initiator compares the responder's CN after its request (lens 5)",
        client=True,
    ),
    FaultCase(
        "p15-bidi-endpoints-only",
        "APP-NAME-8",
        ("test_app_names.py", "test_app_names_controls.py"),
        "bidi ranges written as their endpoints (lens 1)",
    ),
    FaultCase(
        "p15-client-rsfl-size-err-ignored",
        "FRM-9",
        (*_INITIATOR, "test_client_json_nulls.py", "test_client_pki_member_sets.py"),
        "initiator drops RSFL.size's error: size 0 (lens 1)",
        client=True,
    ),
    FaultCase(
        "p15-current-alias-field",
        "PKI-ID-3",
        ("test_pki_identity.py", "test_pki_identity_concurrent.py", "test_ops_pki_allow_alias.py"),
        "the latest handshake's alias in a Server field (lens 3)",
    ),
    FaultCase(
        "p15-client-cn-hasprefix",
        "PKI-ID-4",
        (
            "test_pki_identity.py",
            "test_client_pki_cert_variants.py",
            "test_client_pki_session_checks.py",
        ),
        "initiator takes a CN beginning with the alias (lens 4)",
        client=True,
    ),
    FaultCase(
        "p15-name-path-unescape",
        "APP-NAME-3",
        ("test_app_names.py", "test_app_name_shapes.py"),
        "get name percent-decoded after the checks (lens 4)",
    ),
    FaultCase(
        "p15-fifo-isdir-only",
        "APP-GET-2",
        ("test_app_get.py", "test_app_share_files.py", "test_app_share_and_inbox.py"),
        "only a directory refused: a FIFO is served (lens 1)",
    ),
    FaultCase(
        "p15-client-interrupt-only",
        "APP-STORE-3",
        ("test_client_sigint.py", "test_client_run_temporaries.py", *_INITIATOR),
        "initiator's cleanup on os.Interrupt only, not SIGTERM (lens 1)",
        client=True,
    ),
    # Session 17 (b17-): planted blind (I22) through the round-17 lenses.
    FaultCase(
        "b17-component-255-ge",
        "APP-NAME-7",
        ("test_app_names.py",),
        "255-byte component refused (lens 1)",
    ),
    FaultCase(
        "b17-get-empty-data",
        "FRM-14",
        ("test_app_get_frame_sizes.py",),
        "empty DATA for a 0-byte get (lens 1)",
    ),
    FaultCase(
        "b17-client-put-empty-data",
        "FRM-14",
        _CLIENT_PUT,
        "initiator's empty DATA for a 0-byte put (lens 1)",
        client=True,
    ),
    FaultCase(
        "b17-get-size-ge",
        "APP-GET-2",
        ("test_app_get.py",),
        "a file of exactly the limit refused (lens 1)",
    ),
    FaultCase(
        "b17-too-large-closes",
        "ERR-3",
        ("test_app_refusals.py",),
        "closes after too_large (lens 2)",
    ),
    FaultCase("b17-bye-in-put", "APP-BYE-1", _PUT, "BYE_ during a put taken as a goodbye (lens 2)"),
    FaultCase(
        "b17-client-integrity-bye",
        "APP-GET-3",
        _INITIATOR,
        "initiator ends a bad get with BYE_ (lens 2)",
        client=True,
    ),
    FaultCase(
        "b17-exists-after-temp",
        "APP-STORE-3",
        ("test_app_put_refusal_leftovers.py",),
        "temporary left by an exists refusal (lens 2)",
    ),
    FaultCase(
        "b17-chain-any-issued",
        "PKI-CERT-4",
        ("test_interop_pki_chain_tail.py",),
        "the root-issued certificate anywhere in the chain checked (lens 3/4)",
    ),
    FaultCase(
        "b17-client-dup-keys",
        "FRM-9",
        (
            "test_client_lies.py",
            "test_pki_initiator_transfer.py",
            "test_interop_done_members.py",
        ),
        "initiator takes duplicate keys (lens 3)",
        client=True,
    ),
    FaultCase(
        "b17-client-verify-logged",
        "PKI-CERT-4",
        (
            "test_client_pki_put_trust.py",
            "test_interop_x_impostor_signers.py",
        ),
        "initiator's verify result logged, not used (lens 4)",
        client=True,
    ),
    FaultCase(
        "b17-eku-either",
        "PKI-CERT-5",
        _CERTS,
        "serverAuth-only client certificate accepted (lens 4)",
    ),
    FaultCase(
        "b17-name-trim-space",
        "APP-NAME-3",
        ("test_app_names.py",),
        "get name trimmed before the open (lens 5)",
    ),
    FaultCase(
        "b17-dotdot-contains", "APP-PUT-2", ("test_app_put_dot_runs.py",), "a..b refused (lens 5)"
    ),
    FaultCase(
        "b17-client-alias-san",
        "PKI-ID-4",
        ("test_pki_identity.py",),
        "initiator matches the alias on a SAN (lens 5)",
        client=True,
    ),
    FaultCase(
        "b17-failed-hs-slot-leak",
        "LIM-4",
        ("test_limits_slots.py",),
        "failed handshakes leak slots (lens 6)",
    ),
    FaultCase(
        "b17-client-chain-last",
        "PKI-CERT-4",
        ("test_interop_pki_chain_tail.py",),
        "initiator verifies the last certificate of the chain (lens 4)",
        client=True,
    ),
    # Round 19, helper I26 (blind): L1 library defaults, L2 porting idioms, L3 feature
    # interactions, L4 trusting its own earlier state, L5 what the user and the peer are
    # told, L6 refactoring slips. Blind: 12 planted, 2 dropped (session tickets left on:
    # Go's crypto/tls runs VerifyPeerCertificate again on a resumed TLS 1.3 session; a
    # start-up sweep by age: a pki responder has no declared restart, so its start-up is
    # not observable); of the 10 kept all caught as the suite stood — 4 by the file first
    # named, 1 by it under another requirement (APP-PUT-2), 5 by other files.
    FaultCase(
        "i26-bidi-control-property",
        "APP-PUT-2",
        ("test_app_name_character_rules.py",),
        "bidi refused by the Bidi_Control property: U+200E/U+200F/U+061C too (L1)",
    ),
    FaultCase(
        "i26-json-number-int64",
        "FRM-11",
        ("test_framing.py",),
        "integers read with json.Number.Int64: -1 and -0 accepted (L1)",
    ),
    FaultCase(
        "i26-name-runes-total",
        "APP-NAME-1",
        ("test_app_name_shapes.py",),
        "the 4096 bound of a whole name counted in runes, not bytes (L2)",
    ),
    FaultCase(
        "i26-put-limit-per-connection",
        "APP-2",
        ("test_app_put_sequence.py",),
        "max_file_size as a per-connection budget: a second put refused too_large (L3)",
    ),
    FaultCase(
        "i26-put-names-in-progress",
        "APP-PUT-1",
        ("test_app_inbox_now.py",),
        "names of puts in progress cleared only at commit: an aborted put's name exists (L3)",
    ),
    FaultCase(
        "i26-exists-from-memory",
        "APP-PUT-3",
        ("test_app_inbox_files.py",),
        "exists read from the names this process stored, not the inbox (L4)",
    ),
    FaultCase(
        "i26-link-target-in-message",
        "APP-NAME-6",
        ("test_app_escape_link_answers.py",),
        "a refused symbolic link named with its target in the message (L5)",
    ),
    FaultCase(
        "i26-client-integrity-as-bad-frame",
        "APP-GET-3",
        ("test_client_run_get_lies.py",),
        "initiator answers a mismatching DONE with bad_frame, not integrity_failed (L5)",
        client=True,
    ),
    FaultCase(
        "i26-done-sha-vs-putf",
        "APP-PUT-5",
        ("test_app_put.py",),
        "DONE.sha256 compared with PUTF.sha256 when given, not with the digest (L6)",
    ),
    # Planted after phase 2, before reading the cases of its area (caught by another
    # file; a second one, an EROR code narrowed to int32 in the initiator, was dropped: a
    # one-request initiator ends alike after a fatal and a non-fatal EROR but for a BYE_,
    # which ERR-3 does not forbid):
    FaultCase(
        "i26-allow-refusal-auth-failed",
        "PKI-ID-3",
        ("test_pki_certs.py",),
        "initiator off the allow list refused auth_failed, not forbidden (L5)",
    ),
    FaultCase(
        "i26-forbidden-close-inverted",
        "ERR-3",
        ("test_app_refusals.py",),
        "allow-list close inverted: every forbidden closes the connection (L6)",
    ),
)


def _build() -> None:
    go = shutil.which("go")
    if go is None:
        pytest.skip("`go` is not on PATH: pki3 (Go) cannot be built")
    _BUILD_DIR.mkdir(mode=0o700, exist_ok=True)
    env = dict(os.environ)
    env.pop("SFT_INDEPENDENT_FAULTS", None)
    env.update(
        GOFLAGS="-mod=mod", GOPROXY="off", GOCACHE=str(_BUILD_DIR / "cache"),
        GOPATH=str(_BUILD_DIR / "gopath"), CGO_ENABLED="0",
    )  # fmt: skip
    done = subprocess.run(
        [go, "build", "-o", str(_BINARY), "."], cwd=SOURCE, env=env, capture_output=True,
        text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, f"go build failed:\n{done.stderr[-3000:]}"


@pytest.fixture(scope="module")
def pki3_built() -> Iterator[Path]:
    """The Go program, built once per module run into the cache directory."""
    _build()
    yield _BINARY


def test_fault_tables_agree() -> None:
    go_table = re.findall(r'\{"([a-z0-9-]+)", "([A-Z0-9-]+)", ', (SOURCE / "faults.go").read_text())
    assert go_table, "no fault table found in pki3/faults.go"
    assert dict(go_table) == {c.name: c.requirement for c in FAULT_CASES}
    assert len(go_table) == len(FAULT_CASES) >= 20


@pytest.mark.slow
@pytest.mark.skipif(not _LEVEL, reason="self-test: set SFT_SELFTEST=1 or =all (whole suite run)")
def test_independent_pki3_is_conformant(
    pki3_built: Path,
    organisation: Target,  # noqa: F811 - the fixture
    workspace: Path,  # noqa: F811 - the fixture
    request: pytest.FixtureRequest,
) -> None:
    check_conformant(IMPL, organisation, workspace, request)


@pytest.mark.slow
@pytest.mark.skipif(not _LEVEL, reason="self-test: set SFT_SELFTEST=1 or =all")
def test_independent_pki3_client_put_cases_pass(
    pki3_built: Path,
    organisation: Target,  # noqa: F811 - the fixture
    workspace: Path,  # noqa: F811 - the fixture
) -> None:
    check_client_put(IMPL, organisation, workspace)


@pytest.mark.skipif(_LEVEL != "all", reason="self-test of pki3's faults: set SFT_SELFTEST=all")
@pytest.mark.parametrize("case", FAULT_CASES, ids=[c.name for c in FAULT_CASES])
def test_independent_fault_is_detected(
    case: FaultCase,
    pki3_built: Path,
    organisation: Target,  # noqa: F811 - the fixture
    workspace: Path,  # noqa: F811 - the fixture
    request: pytest.FixtureRequest,
) -> None:
    check_fault(IMPL, case, organisation, workspace, request)
