"""Refused requests leave no trace at the CA (SPEC §4.4: CA-ENR-2, CA-ENR-7, CA-ENR-11,
CA-ENR-14).

A CA takes resources for a login before it answers it: a pending reservation on the
alias and the address [CA-ENR-14], a connection slot, a database transaction. Each must
be given back on every path, not only the happy one. Each case here takes one unhappy
path several times, past the limits a leak would exhaust, and then asks the honest
question the leak would break:

- refusals of every kind (a `csr` that is not a string or is missing, a bad CSR with the
  right password, wrong passwords of unknown aliases, logins answered `429`), then the
  right password from the same address, waiting out any `Retry-After`: answered `200` —
  never `503 busy` for ever, with nothing pending [CA-ENR-14, CA-ENR-7];
- failed TLS handshakes (plain HTTP, TLS 1.2 only, a ClientHello cut short), more than
  any connection limit, then an honest enrolment: `200` [CA-ENR-2];
- connections held silent inside their TLS handshake, then an honest enrolment: `200`
  at once, not after their handshake timeouts [CA-ENR-2];
- refused enrolments, then the declared revoke command: it works and the CRL lists the
  alias's certificate [CA-ENR-11];
- another alias's failures never throttle an alias, however long the prefix they share
  [CA-ENR-7].

Fresh accounts through `ca_user_add_cmd` (skipped without it), fresh loopback addresses.
"""

from __future__ import annotations

import http.client
import json
import secrets
import shlex
import socket
import ssl
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from conformance import ca_support as ca
from conformance.target import Target
from conformance.wire import ConformanceFailure

pytestmark = [
    pytest.mark.profile("pki"),
    pytest.mark.side("ca"),
    pytest.mark.xdist_group("ca-unhappy-paths"),
]

_LONGEST_WAIT = 10.0  # seconds of one Retry-After this file waits out (else SKIP)


def _add(target: Target, alias: str, password: str) -> None:
    if not target.ca_user_add_cmd:
        pytest.skip("needs the CA's administration command ([pki] ca_user_add_cmd)")
    ca.admin_command(target, "add", alias, stdin=password + "\n")


def _csr(alias: str) -> str:
    return ca.csr_pem(ca.CsrKey.ec("P-256"), ca.name((ca.OID_CN, alias)))


def _post(target: Target, body: bytes, source: str | None) -> ca.CaAnswer:
    return ca.request(
        target,
        "POST",
        "/v1/enroll",
        body,
        source=source,
        headers={"Content-Type": "application/json"},
    )


def _wait_for(answer: ca.CaAnswer) -> float:
    text = answer.headers.get("retry-after", "1").strip()
    wait = float(text) if text.isdigit() else 1.0
    if wait > _LONGEST_WAIT:
        pytest.skip(f"the CA asks to wait {wait:g} s (Retry-After): longer than this file waits")
    return max(1.0, wait) + 0.3


def _honest(target: Target, alias: str, password: str, source: str | None, before: str) -> None:
    """The right password and a valid CSR from `source`, waiting out each `429` or `503`:
    it must end in `200` with a certificate."""
    trail: list[str] = []
    busy = 0
    for _ in range(8):
        answer = ca.enrol(target, alias, password, _csr(alias), source=source)
        trail.append(str(answer.status))
        if answer.status == 200 and b"BEGIN CERTIFICATE" in answer.body:
            return
        if answer.status == 429 or (answer.status == 503 and busy < 3):
            busy += answer.status == 503
            time.sleep(_wait_for(answer))
            continue
        break
    raise ConformanceFailure.evidence(
        f"{before}; then the account {alias!r} with its right password and a valid CSR from "
        f"the same address {source}, each 429/503 waited out (answers {', '.join(trail)})",
        "200 with a certificate: nothing of the refused requests is left pending "
        "(503 busy only while another attempt is being verified)",
        answer.describe(),
    )


def _threshold(target: Target) -> int:
    return target.limits.ca_throttle_failures or 3


# ------------------------------------------------------------------ refusals, then honest

_REFUSALS = {
    # kind: (requirement, how many)
    "csr-not-a-string": ("CA-ENR-14", 6),
    "csr-missing": ("CA-ENR-14", 6),
    "right-password-bad-csr": ("CA-ENR-14", 6),
    "unknown-alias-guesses": ("CA-ENR-7", 0),  # the threshold's number
    "logins-answered-429": ("CA-ENR-7", 4),  # after the threshold's failures
}


def _refuse(target: Target, kind: str, alias: str, password: str, source: str | None) -> str:
    """Takes the `kind` of unhappy path; returns what was done (evidence)."""
    answers: list[str] = []
    if kind in ("csr-not-a-string", "csr-missing", "right-password-bad-csr"):
        n = _REFUSALS[kind][1]
        for _ in range(n):
            request: dict[str, object] = {"alias": alias, "password": password}
            if kind == "csr-not-a-string":
                request["csr"] = 12345
            elif kind == "right-password-bad-csr":
                request["csr"] = "-----BEGIN CERTIFICATE REQUEST-----\nnot a CSR\n"
            answer = _post(target, json.dumps(request).encode(), source)
            answers.append(str(answer.status))
        return f"{n} requests ({kind}) answered {', '.join(answers)}"
    csr = _csr(alias)
    if kind == "unknown-alias-guesses":
        n = _threshold(target)
        for _ in range(n):
            answers.append(
                str(ca.enrol(target, ca.ghost_alias(), "wrong", csr, source=source).status)
            )
        return f"{n} wrong passwords of unknown aliases answered {', '.join(answers)}"
    ghost = ca.ghost_alias()
    for _ in range(_threshold(target) + 2):
        answer = ca.enrol(target, ghost, "wrong", csr, source=source)
        answers.append(str(answer.status))
        if answer.status == 429:
            break
    else:
        pytest.skip(f"no 429 for {ghost!r} after {len(answers)} failures: see test_ca_throttle.py")
    for _ in range(_REFUSALS[kind][1]):
        answers.append(str(ca.enrol(target, ghost, "wrong", csr, source=source).status))
    return f"the unknown alias {ghost!r} failed until 429, then more: {', '.join(answers)}"


@pytest.mark.parametrize(
    "kind",
    [pytest.param(k, marks=pytest.mark.req(req)) for k, (req, _n) in _REFUSALS.items()],
)
def test_refusals_leave_nothing_pending(pki_target: Target, kind: str) -> None:
    """A fresh account and a fresh address; one kind of refused request several times
    (past the pending cap and the threshold a leaked reservation would fill); then the
    account's right password from that address, each 429 waited out: 200."""
    alias = f"unhappy-{secrets.token_hex(5)}"
    password = f"pw-{secrets.token_urlsafe(12)}"
    _add(pki_target, alias, password)
    source = ca.sources(pki_target).fresh()
    done = _refuse(pki_target, kind, alias, password, source)
    _honest(pki_target, alias, password, source, f"{_REFUSALS[kind][0]}: {done}")


# ------------------------------------------------------------- failed handshakes, then honest

_HANDSHAKE_FAILURES = 150  # more than any CA's connection limit (default 64)


def _plain_http(host: str, port: int) -> None:
    with socket.create_connection((host, port), timeout=5) as sock:
        sock.sendall(b"GET /v1/root HTTP/1.1\r\nHost: ca\r\n\r\n")
        try:
            while sock.recv(4096):
                pass
        except OSError:
            pass


def _tls12(host: str, port: int, context: ssl.SSLContext) -> None:
    with socket.create_connection((host, port), timeout=5) as sock:
        try:
            with context.wrap_socket(sock) as tls:
                tls.recv(1)
        except (OSError, ssl.SSLError):
            pass


def _cut_hello(host: str, port: int) -> None:
    # A TLS record header announcing a ClientHello of 512 bytes, then 5 of them, then close.
    with socket.create_connection((host, port), timeout=5) as sock:
        sock.sendall(bytes.fromhex("1603010200") + b"\x01\x00\x01\xfc\x03")


@pytest.mark.req("CA-ENR-2")
def test_failed_handshakes_free_their_connections(pki_target: Target) -> None:
    """150 connections whose TLS handshake fails (plain HTTP, a TLS 1.2-only client, a
    ClientHello cut short and closed), one after the other; then an honest enrolment of
    a fresh account: 200."""
    alias = f"after-handshakes-{secrets.token_hex(4)}"
    password = f"pw-{secrets.token_urlsafe(12)}"
    _add(pki_target, alias, password)
    host, port = ca.ca_address(pki_target)
    old = ca.tls_context(pki_target, max_version=ssl.TLSVersion.TLSv1_2)
    for n in range(_HANDSHAKE_FAILURES):
        try:
            (_plain_http, lambda h, p: _tls12(h, p, old), _cut_hello)[n % 3](host, port)
        except OSError:
            pass  # refused or reset: the honest enrolment below decides
    answer = ca.enrol(pki_target, alias, password, _csr(alias))
    if answer.status != 200 or b"BEGIN CERTIFICATE" not in answer.body:
        raise ConformanceFailure.evidence(
            f"CA-ENR-2: {_HANDSHAKE_FAILURES} connections whose TLS handshake failed (plain "
            "HTTP, TLS 1.2 only, a ClientHello cut short), each ended by the client; then "
            f"the new account {alias!r} with its right password and a valid CSR",
            "200 with a certificate: a failed handshake gives its connection slot back",
            answer.describe(),
        )


_SILENT_CLIENTS = 2
_SERVED_WITHIN = 5.0  # an enrolment takes one hash (~0.1 s); half the suite's request timeout


@pytest.mark.req("LIM-5")
def test_silent_handshakes_do_not_hold_up_an_enrolment(pki_target: Target) -> None:
    """Two clients connect and stay silent inside their TLS handshake (one sends nothing,
    one a ClientHello cut short), and keep their connections open; meanwhile an honest
    enrolment (the enrolee's right password, a fresh address) is answered 200 within
    5 s. A CA that makes each handshake in its one accept loop (wrapping the listening
    socket) serves nobody while a client holds its handshake open, up to its handshake
    timeout for each such client: a few silent connections keep every employee out."""
    account = ca.enrolee(pki_target)
    host, port = ca.ca_address(pki_target)
    held: list[socket.socket] = []
    try:
        for n in range(_SILENT_CLIENTS):
            sock = socket.create_connection((host, port), timeout=5)
            if n % 2:
                sock.sendall(bytes.fromhex("1603010200") + b"\x01\x00\x01\xfc\x03")
            held.append(sock)
        started = time.monotonic()
        try:
            answer = ca.request(
                pki_target,
                "POST",
                "/v1/enroll",
                ca.enrol_body(account.user, account.password, _csr(account.user)),
                source=ca.sources(pki_target).fresh(),
                headers={"Content-Type": "application/json"},
                timeout=_SERVED_WITHIN,
            )
            outcome = answer.describe()
            served = answer.status == 200 and b"BEGIN CERTIFICATE" in answer.body
        except (OSError, http.client.HTTPException) as exc:
            outcome, served = f"no answer ({type(exc).__name__}: {exc})", False
        elapsed = time.monotonic() - started
    finally:
        for sock in held:
            sock.close()
    if not served:
        raise ConformanceFailure.evidence(
            f"LIM-5: {_SILENT_CLIENTS} connections held open inside their TLS handshake "
            f"(silent, or a ClientHello cut short); meanwhile the enrolee {account.user!r} "
            "with its right password and a valid CSR, from a fresh address",
            f"200 with a certificate within {_SERVED_WITHIN:g} s: other clients' handshakes "
            "are not in the way",
            f"{outcome} after {elapsed:.1f} s",
        )


# ------------------------------------------------------------ refused enrolments, then revoke


def _run_admin(target: Target, template: str, alias: str) -> subprocess.CompletedProcess[bytes]:
    argv = [part.format(alias=alias) for part in shlex.split(template)]
    try:
        return subprocess.run(argv, capture_output=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ConformanceFailure(
            f"CA-ENR-11: the CA's revoke command did not finish: {exc}"
        ) from exc


@pytest.mark.req("CA-ENR-11")
def test_revoke_after_refused_enrolments(pki_target: Target) -> None:
    """A fresh account enrols (200); then two enrolments with its right password and a
    bad CSR (refused); then the declared revoke command: it succeeds, and the CRL lists
    the certificate issued before — a refused enrolment holds no lock or transaction
    the administration needs."""
    if not pki_target.ca_revoke_cmd:
        pytest.skip("needs the CA's revoke command ([pki] ca_revoke_cmd)")
    alias = f"refused-then-revoked-{secrets.token_hex(4)}"
    password = f"pw-{secrets.token_urlsafe(12)}"
    _add(pki_target, alias, password)
    answer = ca.enrol(pki_target, alias, password, _csr(alias))
    obj = ca.json_body(answer, "enrolment")
    if answer.status != 200 or not isinstance(obj.get("certificate"), str):
        pytest.skip(f"the first enrolment of {alias!r} failed: {answer.describe()}")
    serial = ca.read_issued(obj["certificate"]).serial
    bad = [
        "not a CSR",
        ca.csr_pem(ca.CsrKey.ec("P-256"), ca.name((ca.OID_CN, alias)), tamper="bit"),
    ]
    refused = [ca.enrol(pki_target, alias, password, csr).status for csr in bad]
    done = _run_admin(pki_target, pki_target.ca_revoke_cmd, alias)
    if done.returncode != 0:
        raise ConformanceFailure.evidence(
            f"CA-ENR-11: the account {alias!r} enrolled (serial {serial:#x}), then two "
            f"enrolments with a bad CSR (answers {refused}), then the revoke command",
            "the revoke command succeeds and revokes the certificate",
            f"exit {done.returncode}: {done.stderr.decode(errors='replace')[-300:]}",
        )
    crl = ca.fetch_crl(pki_target)
    if serial not in crl.serials:
        raise ConformanceFailure.evidence(
            f"CA-ENR-11: the account {alias!r} enrolled (serial {serial:#x}), then two "
            f"enrolments with a bad CSR (answers {refused}), then revoked (the command "
            "succeeded); then GET /v1/crl",
            f"the CRL lists serial {serial:#x}",
            f"{len(crl.serials)} serials, not that one",
        )


# ------------------------------------------------------------ aliases sharing a prefix


@pytest.mark.req("CA-ENR-7")
@pytest.mark.parametrize("shared", [16, 40, 60])
def test_an_alias_is_not_throttled_by_its_prefix(pki_target: Target, shared: int) -> None:
    """An unknown alias failed from one address until 429; then a fresh account whose
    alias shares its first `shared` characters, with its right password from another
    fresh address: 200 — the throttle counts each alias whole."""
    prefix = ("p" + secrets.token_hex(32))[:shared]
    alias = prefix + "-r"
    ghost = prefix + "-g"
    password = f"pw-{secrets.token_urlsafe(12)}"
    _add(pki_target, alias, password)
    csr = _csr(alias)
    src = ca.sources(pki_target)
    answers = []
    for _ in range(_threshold(pki_target) + 2):
        status = ca.enrol(pki_target, ghost, "wrong", csr, source=src.fresh()).status
        answers.append(status)
        if status == 429:
            break
    else:
        pytest.skip(f"no 429 for {ghost!r} after {len(answers)} failures: see test_ca_throttle.py")
    answer = ca.enrol(pki_target, alias, password, csr, source=src.fresh())
    if answer.status != 200:
        raise ConformanceFailure.evidence(
            f"CA-ENR-7: the unknown alias {ghost!r} failed from fresh addresses until 429 "
            f"(answers {answers}); then the account {alias!r} (the same first {shared} "
            "characters) with its right password from another fresh address",
            "200: the alias's own count is clean; another alias's failures never throttle it",
            answer.describe(),
        )


# ------------------------------------------------------- a right password amid wrong ones


def _cycle(target: Target, jobs: list[tuple[str, str]], csr: str, source: str | None) -> list[int]:
    """The logins of `jobs` (alias, password) at once from `source`: their statuses."""
    barrier = threading.Barrier(len(jobs))

    def one(job: tuple[str, str]) -> int:
        barrier.wait(timeout=10)
        return ca.enrol(target, job[0], job[1], csr, source=source).status

    with ThreadPoolExecutor(len(jobs)) as pool:
        return list(pool.map(one, jobs))


@pytest.mark.req("CA-ENR-14")
@pytest.mark.parametrize("trial", [1, 2, 3])  # the interleaving is the CA's: three chances
def test_a_right_password_does_not_release_the_wrong_ones(pki_target: Target, trial: int) -> None:
    """From one fresh address, up to 6 rounds of three logins at once: a fresh account's
    right password and two unknown aliases' wrong ones, until an answer is 429. The
    wrong passwords answered 401 are at most the declared threshold N (+ 1, a backoff
    that ran out between rounds): a right password
    ends its own reservation only, and the address's failures count whatever succeeds
    beside them."""
    n = pki_target.limits.ca_throttle_failures
    if n is None or not 1 <= n <= 10:
        pytest.skip("needs the CA's declared throttle threshold ([limits] ca_throttle_failures)")
    alias = f"amid-{secrets.token_hex(5)}"
    password = f"pw-{secrets.token_urlsafe(12)}"
    _add(pki_target, alias, password)
    source = ca.sources(pki_target).fresh()
    if source is None:
        pytest.skip("needs a loopback CA to use a fresh client address")
    csr = _csr(alias)
    rounds: list[list[int]] = []
    for _ in range(6):
        jobs = [(alias, password), (ca.ghost_alias(), "wrong-a"), (ca.ghost_alias(), "wrong-b")]
        rounds.append(_cycle(pki_target, jobs, csr, source))
        if 429 in rounds[-1]:
            break
    wrong = sum(status == 401 for statuses in rounds for status in statuses[1:])
    # One more than N: a backoff that ran out on a loaded machine before any round saw it.
    if wrong > n + 1:
        raise ConformanceFailure.evidence(
            f"CA-ENR-14: from the address {source}, rounds of [the account {alias!r}'s right "
            "password, two unknown aliases' wrong ones] at once, until a 429 "
            f"(statuses {rounds})",
            f"at most {n} wrong passwords answered 401 (the threshold, one after the other; "
            "one more if a backoff ran out unseen)",
            f"{wrong} answered 401",
        )
