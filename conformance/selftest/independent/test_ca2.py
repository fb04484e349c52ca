"""The CA cases proven on a Go organisation CA (conformance/selftest/independent/ca2/).

ca2 is the second clean-room sft-pki/1 CA and the first not in Python: Go 1.19, its
standard library (crypto/x509 CreateCertificate / ParseCertificateRequest /
CreateRevocationList, crypto/tls — not OpenSSL —, net/http's request parser on its own
connection loop, encoding/json) and golang.org/x/crypto/scrypt from Debian's
golang-golang-x-crypto-dev, written from docs/SPEC.md alone (its choices: the comment at
the top of ca2/main.go). It is built here with the installed `go` into a cache directory
(never into the tree; no downloads: GOFLAGS=-mod=mod GOPROXY=off, go.mod replaces
golang.org/x/crypto and x/sys by the Debian sources). Without `go` or those sources every
test SKIPs with the reason. The embedded reference provides only the organisation's root
and key (ca2 is installed with them, `ca2 init --root-cert --root-key`) and the responder
the sanity conversation talks to; the CA under test is ca2, described with a target file
as a user describes theirs (`ca_url`, `enroll`, `ca_user_add_cmd`, `ca_revoke_cmd`,
`ca_restart_cmd` — ca2 re-executes itself on SIGHUP — and its `[limits]`).

- `test_independent_ca2_is_conformant` (`slow`): every CA case against the unmodified
  ca2: CONFORMANT, no FAIL.
- `test_independent_ca2_fault_is_detected` (`SFT_SELFTEST=all`): each fault of ca2's
  table (`FAULTS` in ca2/faults.go, mirrored in `FAULT_CASES`) FAILs under its
  requirement with evidence, with only the case files that concern it.
- `test_fault_tables_agree` (default run, no build): the Go table and `FAULT_CASES` name
  the same faults with the same requirements.
"""

from __future__ import annotations

import os
import re
import secrets
import shlex
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from conformance.selftest.independent.ca_harness import (
    CA_FILES,
    FaultCase,
    IndependentCa,
    check_ca_conformant,
    check_ca_fault,
    organisation,  # noqa: F401 - a fixture, used by name
    workspace,  # noqa: F401 - a fixture, used by name
)
from conformance.selftest.independent.launching import fault_env, hup_restart_command
from conformance.selftest.suite_run import PACKAGE
from conformance.target import Account, Target
from sftkit.launch import launch_server

__all__ = ["FAULT_CASES", "SOURCE", "FaultCase"]

_LEVEL = os.environ.get("SFT_SELFTEST", "").strip().lower()
SOURCE = Path(__file__).resolve().parent / "ca2"
_XCRYPTO = Path("/usr/share/gocode/src/golang.org/x/crypto")
_BUILD_DIR = Path(tempfile.gettempdir()) / f"sft-ca2-build-{os.getuid()}"
_BINARY = _BUILD_DIR / "ca2"
_RUN_TIMEOUT = 900.0
_FAULT_RUN_TIMEOUT = 240.0
_READY_TIMEOUT = 20.0
# ca2's configuration, declared in its target file as a user would: a validity other
# than the SPEC's default, a short throttle and lock, a short backoff cap.
_VALIDITY_DAYS = 9.0
_THROTTLE_AFTER = 3
_LOCK_AFTER = 4
_THROTTLE_CAP = 2.0
_TABLE_ENTRIES = 24
pytestmark = pytest.mark.xdist_group("independent-ca2")

_CA_FILES = CA_FILES
_CA = ("test_ca.py",)
_CSR = ("test_ca_csr.py",)
_THROTTLE = ("test_ca_throttle.py",)
_RESTART = ("test_ca_restart.py",)
_SERIAL_RESTART = ("test_ca_serial_restart.py",)
_HARDENING = ("test_pki_hardening.py::test_forbidden_tls13_parameter_is_refused",)
_CRL_LIFE = ("test_pki_hardening.py::test_ca_crl_lives_at_most_seven_days",)
_HOSTNAME = ("test_pki_hardening.py::test_ca_refuses_alias_equal_to_its_host_name",)
_TIMING = ("test_timing.py::test_ca_unknown_alias_costs_a_wrong_password",)
_LOCK = ("test_ca_throttle.py", "test_ca_restart.py")
_PENDING = ("test_ca_throttle.py",)
# Round 3: every CA case file that cites the requirement.
_ENROL = ("test_ca.py", "test_ca_accounts.py", "test_ca_csr.py", "test_ca_throttle.py")
_R3_PENDING = ("test_ca.py", "test_ca_throttle.py")
_R3_THROTTLE = ("test_ca_throttle.py", "test_ca_bad_csr_guesses.py")
_R3_CERTS = ("test_ca_accounts.py", "test_ca_csr.py", "test_ca_serial_restart.py")
_R3_BAD_CSR = ("test_ca_bad_csr_guesses.py", "test_ca_throttle.py")
_R3_HOSTNAME = ("test_ca_own_certificate.py", *_HOSTNAME)
# Phase 2 (after the blind run): the cases written for the survivors.
_R3_STATE = ("test_interop_ca_throttle_state.py", *_R3_BAD_CSR)
_R3_BODIES = ("test_interop_ca_error_bodies.py", *_CA)


def _citing(requirement: str) -> tuple[str, ...]:
    """Every CA case file (entry of CA_FILES) that cites `requirement`: round 4's blind
    measure gives each fault the whole suite's cases of its requirement."""
    return tuple(
        entry
        for entry in CA_FILES
        if f'"{requirement}"' in (PACKAGE / entry.split("::")[0]).read_text(encoding="utf-8")
    )


# Round 5 (session 15, I20), phase 2: the case files written for the blind run's survivors.
_R5_PHASE2: dict[str, tuple[str, ...]] = {
    "b15-retry-after-first-entry": ("test_interop_ca_retry_after_both_backoffs.py",),
    "b15-end-load-unlocked": ("test_interop_ca_concurrent_failures_counted.py",),
    "b15-reserve-late": ("test_interop_ca_concurrent_failures_counted.py",),
}
# Round 4, phase 2: the case files written for the faults the blind run let through.
_R4_REFUSED = (*_citing("CA-ENR-14"), "test_interop_ca_refused_login_slots.py")
_R4_BUSY = (*_citing("CA-ENR-14"), "test_interop_ca_busy_leftovers.py")
_R4_NEAR = (*_citing("CA-ENR-2"), "test_interop_ca_alias_near_own_names.py")


FAULT_CASES = (
    FaultCase("sha1-csr", "CA-ENR-13", _CSR, "CheckSignature trusted: SHA-1 CSRs pass"),
    FaultCase("pop-unchecked", "CA-ENR-3", _CSR, "CheckSignature never called"),
    FaultCase("any-curve", "CA-ENR-13", _CSR, "any *ecdsa.PublicKey accepted"),
    FaultCase("rsa-size-bytes", "CA-ENR-13", _CSR, "rsa.PublicKey.Size() >= 256"),
    FaultCase("csr-dnsnames", "CA-ENR-4", _CSR, "csr.DNSNames copied into the certificate"),
    FaultCase("csr-subject", "CA-ENR-4", _CSR, "csr.Subject kept, CommonName overwritten"),
    FaultCase("no-ski", "PKI-CERT-13", _CSR, "no SubjectKeyId (Go sets it for CAs only)"),
    FaultCase("eku-client-only", "PKI-CERT-1", _CSR, "ExtKeyUsage ClientAuth only"),
    FaultCase("ku-keyencipherment", "PKI-CERT-1", _CSR, "KeyUsage with KeyEncipherment"),
    FaultCase("serial-unixnano", "CA-ENR-10", _CSR, "serial from time.Now().UnixNano()"),
    FaultCase("validity-skew", "CA-ENR-10", _CSR, "NotAfter one hour past the validity"),
    FaultCase("crl-30-days", "CA-ENR-16", _CRL_LIFE, "CRL NextUpdate 30 days on"),
    FaultCase("crl-memoised", "CA-ENR-8", _CA, "the CRL made once at start"),
    FaultCase("revoke-latest", "CA-ENR-11", _CA, "revoke lists the newest certificate only"),
    FaultCase("revoked-enrols", "CA-ENR-11", _CA, "a revoked alias still enrols"),
    FaultCase("unknown-alias-message", "CA-ENR-6", _CA, "'unknown alias' message"),
    FaultCase("count-after-hash", "CA-ENR-14", _THROTTLE, "no reservation before the hash"),
    FaultCase("alias-only", "CA-ENR-7", _THROTTLE, "failures counted per alias only"),
    FaultCase("xff-address", "CA-ENR-7", _THROTTLE, "address from X-Forwarded-For"),
    FaultCase("counts-in-memory", "CA-ENR-20", _RESTART, "failure counts lost on restart"),
    FaultCase("lock-expires", "CA-ENR-19", _THROTTLE, "the hard lock expires"),
    FaultCase("query-ignored", "CA-ENR-15", _CA, "routes on r.URL.Path, query ignored"),
    FaultCase("nethttp-errors", "CA-ENR-9", _CA, "net/http.Server's text/plain errors"),
    FaultCase("no-body-limit", "CA-ENR-9", _CA, "io.ReadAll(r.Body) without a limit"),
    FaultCase("hostname-alias", "CA-ENR-17", _HOSTNAME, "own host name enrolled as an alias"),
    FaultCase("tls-min-default", "CA-ENR-1", _CA, "no MinVersion: TLS 1.0-1.2 accepted"),
    FaultCase("curves-default", "PKI-TLS-9", _HARDENING, "Go's default curves: P-521"),
    FaultCase("crl-issuer-reencoded", "CA-ENR-8", _CA, "Go 1.19 CRL issuer re-encoded"),
    FaultCase("utf8-lenient", "CA-ENR-9", _CA, "invalid UTF-8 decoded as U+FFFD"),
    FaultCase("pem-first-block", "CA-ENR-13", _CSR, "block, _ := pem.Decode(csr)"),
    FaultCase("hostname-equalfold", "CA-ENR-17", _HOSTNAME, "EqualFold: 'localhost.' passes"),
    FaultCase("body-limit-off-by-one", "CA-ENR-9", _CA, "65536 bytes answered 413"),
    FaultCase("password-trimspace", "CA-ENR-6", _CA, "strings.TrimSpace(password)"),
    FaultCase("revoked-forbidden", "CA-ENR-11", _CA, "a revoked alias gets 403 forbidden"),
    FaultCase("crl-week-plus-backdate", "CA-ENR-16", _CRL_LIFE, "now + 7 days, backdated"),
    FaultCase("retry-after-float", "CA-ENR-7", _THROTTLE, "Retry-After '1.734'"),
    FaultCase("retry-after-truncated", "CA-ENR-7", _THROTTLE, "Retry-After rounded down"),
    FaultCase("remoteaddr-port", "CA-ENR-7", _THROTTLE, "address key with its port"),
    FaultCase("pending-cap-only", "CA-ENR-14", _THROTTLE, "pending cap without max(1, N-f)"),
    FaultCase("unknown-not-counted", "CA-ENR-7", _THROTTLE, "unknown aliases not counted"),
    FaultCase("lock-after-verify", "CA-ENR-19", _THROTTLE, "hard lock after the password"),
    FaultCase("ed25519-accepted", "CA-ENR-13", _CSR, "hash blocklist, no default key type"),
    FaultCase("csr-extensions", "CA-ENR-4", _CSR, "ExtraExtensions = csr.Extensions"),
    FaultCase("serial-math-rand", "CA-ENR-10", _SERIAL_RESTART, "math/rand seeded with 1"),
    FaultCase("success-resets-address", "CA-ENR-7", _THROTTLE, "a success clears the address"),
    # Round 2: every existing file that judges the fault's requirement (and, for the
    # four the blind measure let through, the new case file that catches it).
    FaultCase("r2-unknown-no-hash", "CA-ENR-6", (*_CA, *_TIMING), "unknown alias: no dummy hash"),
    FaultCase("r2-threshold-gt", "CA-ENR-7", _THROTTLE, "backoff from N + 1 failures"),
    FaultCase("r2-cap-not-applied", "CA-ENR-7", _THROTTLE, "the doubled wait is not capped"),
    FaultCase("r2-address-hard-locked", "CA-ENR-19", _LOCK, "addresses hard-locked too"),
    FaultCase("r2-success-keeps-failures", "CA-ENR-19", _LOCK, "a success keeps the failures"),
    FaultCase("r2-busy-retry-after-zero", "CA-ENR-14", _PENDING, "503 with Retry-After: 0"),
    FaultCase("r2-throttled-as-busy", "CA-ENR-7", _THROTTLE, "a backoff answered 503 busy"),
    FaultCase("r2-revoke-first-only", "CA-ENR-11", _CA, "revoke stops at the first certificate"),
    FaultCase("r2-revoke-user-unsaved", "CA-ENR-11", _CA, "users.json not written on revoke"),
    FaultCase("r2-root-der", "CA-ENR-8", _CA, "GET /v1/root serves DER"),
    FaultCase("r2-405-text-plain", "CA-ENR-9", _CA, "405 from http.Error (text/plain)"),
    FaultCase("r2-404-text-plain", "CA-ENR-9", _CA, "404 from http.NotFound (text/plain)"),
    FaultCase("r2-chunked-keepalive", "CA-ENR-9", _CA, "411 for chunked, connection kept"),
    FaultCase(
        "r2-json-trailing-data",
        "CA-ENR-9",
        _CA,
        "data after the JSON object ignored",
    ),
    FaultCase("r2-pem-rest-ignored", "CA-ENR-13", _CSR, "a second PEM block ignored"),
    FaultCase("r2-notbefore-future", "CA-ENR-10", _CSR, "NotBefore five minutes ahead"),
    FaultCase("r2-bc-invalid", "PKI-CERT-1", _CSR, "no BasicConstraints extension"),
    FaultCase("r2-cert-sha384", "PKI-CERT-1", _CSR, "certificates signed with SHA-384"),
    FaultCase("r2-crl-sha384", "CA-ENR-8", _CA, "the CRL signed with SHA-384"),
    FaultCase(
        "r2-hardlock-retry-after-base",
        "CA-ENR-19",
        _LOCK,
        "locked: Retry-After base",
    ),
    FaultCase("r2-lock-after-plus-one", "CA-ENR-19", _LOCK, "hard lock one failure late"),
    FaultCase("r2-startup-prune-inverted", "CA-ENR-20", _RESTART, "running backoffs pruned"),
    # Round 3 (blind, session 10, helper I4).
    FaultCase("r3-content-type-exact", "CA-ENR-2", _ENROL, "charset parameter gets 415"),
    FaultCase("r3-busy-no-retry-after-header", "CA-ENR-14", _R3_PENDING, "503 without Retry-After"),
    FaultCase(
        "r3-throttled-no-retry-after-header", "CA-ENR-7", _R3_THROTTLE, "429 w/o Retry-After"
    ),
    FaultCase("r3-validity-flag-ignored", "CA-ENR-10", _R3_CERTS, "--validity-days ignored"),
    FaultCase("r3-throttle-failures-flag-ignored", "CA-ENR-7", _R3_THROTTLE, "N = 5 hard-wired"),
    FaultCase("r3-lock-after-flag-ignored", "CA-ENR-19", _LOCK, "L = 100 hard-wired"),
    FaultCase("r3-pending-leak-on-success", "CA-ENR-14", _R3_PENDING, "success keeps its slot"),
    FaultCase("r3-address-keyed-with-alias", "CA-ENR-7", _R3_THROTTLE, "address per alias"),
    FaultCase("r3-success-clears-all-aliases", "CA-ENR-7", _R3_STATE, "success resets all"),
    FaultCase("r3-alias-form-refused", "CA-ENR-2", _ENROL, "aliases with a dot refused"),
    FaultCase("r3-password-72-bytes", "CA-ENR-2", _ENROL, "password cut to 72 bytes"),
    FaultCase("r3-rsa-2048-only", "CA-ENR-2", _ENROL, "RSA 3072/4096 refused"),
    FaultCase("r3-bad-csr-counted", "CA-ENR-21", _R3_STATE, "a bad CSR counts as a failure"),
    FaultCase("r3-crl-pem", "CA-ENR-8", _CA, "the CRL served as PEM"),
    FaultCase("r3-429-no-message", "CA-ENR-9", _R3_BODIES, "429 body without message"),
    FaultCase("r3-serial-160-bits", "CA-ENR-10", _R3_CERTS, "21-octet serials"),
    FaultCase("r3-notbefore-two-hours", "CA-ENR-10", _R3_CERTS, "NotBefore two hours back"),
    FaultCase("r3-hostname-dns-only", "CA-ENR-17", _R3_HOSTNAME, "own IP addresses not compared"),
    # Round 4 (blind, session 13, helper I13): every CA case file citing the requirement.
    FaultCase("r4-readall-err-ignored", "CA-ENR-9", _citing("CA-ENR-9"), "ReadAll's error ignored"),
    FaultCase("r4-notafter-unrecorded", "CA-ENR-11", _citing("CA-ENR-11"), "NotAfter not recorded"),
    # The three the blind run let through, with the case file written for each.
    FaultCase("r4-revoked-early-leak", "CA-ENR-14", _R4_REFUSED, "revoked: slot kept"),
    FaultCase(
        "r4-address-pending-kept-on-failure",
        "CA-ENR-14",
        _citing("CA-ENR-14"),
        "a failure keeps the address's reservation",
    ),
    FaultCase(
        "r4-pending-before-address-check",
        "CA-ENR-14",
        _R4_BUSY,
        "a busy address leaves the alias reserved",
    ),
    FaultCase("r4-pending-gt", "CA-ENR-14", _citing("CA-ENR-14"), "busy when pending > allowed"),
    FaultCase("r4-retry-after-duration-string", "CA-ENR-7", _citing("CA-ENR-7"), "'2s'"),
    FaultCase("r4-lock-until-millis", "CA-ENR-7", _citing("CA-ENR-7"), "backoff in ms vs s"),
    FaultCase("r4-ownname-joined-contains", "CA-ENR-2", _R4_NEAR, "'local' refused"),
    FaultCase("r4-member-strconv-unquote", "CA-ENR-2", _citing("CA-ENR-2"), "strconv.Unquote"),
    FaultCase("r4-range-copy-revoke", "CA-ENR-11", _citing("CA-ENR-11"), "range over a copy"),
    FaultCase("r4-crl-empty-no-content", "CA-ENR-8", _citing("CA-ENR-8"), "204 for an empty CRL"),
    # Round 5 (session 15, helper I20, blind): every case file citing the requirement.
    *(
        FaultCase(
            name, requirement, (*_citing(requirement), *_R5_PHASE2.get(name, ())), description
        )
        for name, requirement, description in (
            ("b15-serve-mutex", "LIM-5", "one mutex across ServeHTTP and the body read"),
            ("b15-handshake-in-accept-loop", "LIM-5", "TLS handshake on the accept loop"),
            ("b15-crl-signed-tls-key", "CA-ENR-8", "the CRL signed with the TLS key"),
            ("b15-method-equalfold", "CA-ENR-9", "methods compared case-insensitively"),
            ("b15-method-switch-no-default", "CA-ENR-9", "unlisted methods: empty 200"),
            ("b15-nil-entry-break", "CA-ENR-7", "a new alias skips the address's backoff"),
            ("b15-retry-after-first-entry", "CA-ENR-7", "Retry-After from the alias's backoff"),
            ("b15-prealloc-content-length", "CA-ENR-9", "buffer sized from Content-Length"),
            ("b15-end-load-unlocked", "CA-ENR-14", "failure counts read before the lock"),
            ("b15-reserve-late", "CA-ENR-14", "reservation after the users lookup"),
        )
    ),
)


# Round 18 (blind, session 18, helper I25: the round-18 lenses, lens in brackets in
# faults.go). Blind measure: each run against every case file of the suite citing its
# requirement (eke files aside): 9 of 10 caught. r18-json-struct-casefold was missed and
# is caught by test_ca_member_names_exact.py (phase 3). Each row names the files that
# caught it.
FAULT_CASES += tuple(
    FaultCase(name, requirement, files, text)
    for name, requirement, files, text in (
        ("r18-api-version-any", "CA-ENR-9", _CA, "any /vN/ routed to v1"),
        (
            "r18-json-struct-casefold",
            "CA-ENR-6",
            ("test_ca_member_names_exact.py",),
            "struct decoding: member names case-folded",
        ),
        ("r18-serial-int64-recorded", "CA-ENR-11", _CA, "serial recorded as Int64()"),
        ("r18-alias-tolower-lookup", "CA-ENR-6", _CA, "alias lower-cased before the lookup"),
        (
            "r18-bufio-per-request",
            "CA-ENR-9",
            ("test_interop_ca_pipelined_gets.py",),
            "a new bufio.Reader per request",
        ),
        ("r18-ownname-listen-host-only", "CA-ENR-17", _HOSTNAME, "own name: --listen host only"),
        ("r18-unknown-alias-closes", "CA-ENR-6", _CA, "unknown alias: Connection: close"),
        ("r18-revoked-message", "CA-ENR-11", _CA, "revoked: 'this alias was revoked'"),
        ("r18-dummy-cheap-scrypt", "CA-ENR-6", _TIMING, "dummy hashed at scrypt 2^10"),
        ("r18-query-check-enroll-only", "CA-ENR-15", _CA, "query refused on POST only"),
        (
            "r21-full-refuses-newcomers",
            "LIM-5",
            ("test_ca_silent_flood.py",),
            "every slot taken: newcomers refused",
        ),
    )
)


# Faults no case catches yet, kept in the table so the miss stays visible (the report and
# README count them as missed): each with why the wire does not show it.
KNOWN_MISSES: dict[str, str] = {
    "b15-reserve-late": (
        "the reservation comes a few microseconds after the pending-cap check (one users "
        "lookup under the same lock); a burst released from one tester process arrives "
        "spaced wider than that window, so every admitted guess is already reserved when "
        "the next is checked (session 16: the burst in "
        "test_interop_ca_concurrent_failures_counted.py gets at most N 401s)"
    ),
}

def _build() -> None:
    go = shutil.which("go")
    if go is None:
        pytest.skip("`go` is not on PATH: ca2 (Go) cannot be built")
    if not (_XCRYPTO / "scrypt").is_dir():
        pytest.skip(
            f"{_XCRYPTO} is missing: apt-get install golang-golang-x-crypto-dev "
            "(ca2 hashes passwords with golang.org/x/crypto/scrypt)"
        )
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
def ca2_built() -> Iterator[Path]:
    """The Go program, built once per module run into the cache directory."""
    _build()
    yield _BINARY


def start_independent_ca(base: Target, workdir: Path, *, faults: str = "") -> IndependentCa:
    """ca2 (with `faults`, also in its administration commands) on a store of its own."""
    assert base.root is not None and base.ca_key is not None
    store = workdir / "ca2"
    env = fault_env(faults)
    admin = [str(_BINARY)]
    subprocess.run(
        [*admin, "init", "--dir", str(store), "--root-cert", str(base.root),
         "--root-key", str(base.ca_key)],
        env=env, check=True, capture_output=True, timeout=30,
    )  # fmt: skip
    enrolment = Account("suite", secrets.token_urlsafe(12))
    subprocess.run(
        [*admin, "user", "add", enrolment.user, "--dir", str(store), "--password-stdin"],
        input=(enrolment.password + "\n").encode(),
        env=env,
        check=True,
        capture_output=True,
        timeout=30,
    )
    log = workdir / "ca2-serve.log"
    cmd = [
        *admin, "serve", "--dir", str(store), "--listen", "127.0.0.1:0",
        "--validity-days", str(_VALIDITY_DAYS), "--throttle-failures", str(_THROTTLE_AFTER),
        "--lock-after", str(_LOCK_AFTER), "--throttle-cap", str(_THROTTLE_CAP),
        "--throttle-entries", str(_TABLE_ENTRIES),
    ]  # fmt: skip
    proc = launch_server(cmd, name="ca2", log=log, env=env, ready_timeout=_READY_TIMEOUT)
    prefix = shlex.join(
        [*(["env", f"SFT_INDEPENDENT_FAULTS={faults}"] if faults else []), str(_BINARY)]
    )
    store_arg = shlex.quote(str(store))
    limits = replace(
        base.limits,
        cert_validity_days=_VALIDITY_DAYS,
        ca_throttle_failures=_THROTTLE_AFTER,
        ca_lock_after=_LOCK_AFTER,
        ca_throttle_cap=_THROTTLE_CAP,
        ca_throttle_table_entries=_TABLE_ENTRIES,
    )
    target = base.with_changes(
        ca_url=f"https://{proc.host}:{proc.port}",
        enroll=(enrolment,),
        ca_user_add_cmd=f"{prefix} user add {{alias}} --dir {store_arg} --password-stdin",
        ca_revoke_cmd=f"{prefix} revoke {{alias}} --dir {store_arg}",
        ca_unlock_cmd=f"{prefix} user unlock {{alias}} --dir {store_arg}",  # CA-ENR-19
        ca_restart_cmd=hup_restart_command(proc.pid, log),
        ca_log=log,  # its output, as launch_server copies it
        limits=limits,
        embedded=False,
    )
    return IndependentCa(proc, target, target.write_target_file(workdir / "target"))


def test_fault_tables_agree() -> None:
    go_table = re.findall(r'\{"([a-z0-9-]+)", "([A-Z0-9-]+)", ', (SOURCE / "faults.go").read_text())
    assert go_table, "no fault table found in ca2/faults.go"
    assert dict(go_table) == {c.name: c.requirement for c in FAULT_CASES}
    assert len(go_table) == len(FAULT_CASES) >= 20


@pytest.mark.slow
@pytest.mark.skipif(not _LEVEL, reason="self-test: set SFT_SELFTEST=1 or =all (whole suite run)")
def test_independent_ca2_is_conformant(
    ca2_built: Path,
    organisation: Target,  # noqa: F811 - the fixture
    workspace: Path,  # noqa: F811 - the fixture
    request: pytest.FixtureRequest,
) -> None:
    check_ca_conformant("ca2", start_independent_ca, _CA_FILES, organisation, workspace, request)


@pytest.mark.skipif(_LEVEL != "all", reason="self-test of ca2's faults: set SFT_SELFTEST=all")
@pytest.mark.parametrize(
    "case",
    [
        pytest.param(
            c,
            id=c.name,
            marks=[pytest.mark.xfail(reason=KNOWN_MISSES[c.name], strict=False)]
            if c.name in KNOWN_MISSES
            else [],
        )
        for c in FAULT_CASES
    ],
)
def test_independent_ca2_fault_is_detected(
    case: FaultCase,
    ca2_built: Path,
    organisation: Target,  # noqa: F811 - the fixture
    workspace: Path,  # noqa: F811 - the fixture
    request: pytest.FixtureRequest,
) -> None:
    check_ca_fault("ca2", start_independent_ca, case, organisation, workspace, request)
