"""A login the throttle refused leaves the CA able to issue and revoke (SPEC §4.4: CA-ENR-2,
-7, -11).

CA-ENR-7 makes the CA refuse logins (`429`) while a backoff runs; CA-ENR-2 still wants
every other login with a right password and a valid CSR answered `200` with a
certificate. A CA that keeps its throttle in the same database as its certificates, and
opens a write transaction for "check and reserve" (`BEGIN IMMEDIATE ... COMMIT`), can
leave that transaction open on the refusal's exit (an exception raised between the two):
from the first `429` on, the database's write lock is held for good, and the next
certificate to be recorded waits for it — a `500` after the lock's timeout, or no answer
at all. The throttle cases do not see it (refusals and `401`s need no certificate); the
honest user after an attacker does.

Each case drives a ghost alias to its first `429` (wrong passwords from one fresh
address), then: enrols the enrolment account with its right password twice, each from a
new address (`200` with a certificate, twice); or sends the ghost's next login after the
Retry-After (answered, within 30 s); or revokes a freshly enrolled alias with the
target's `ca_revoke_cmd` (exit 0, and the CRL lists its certificate), the same command
having worked for a control alias before the `429`.
"""

from __future__ import annotations

import secrets
import shlex
import subprocess
import time

import pytest

from conformance import ca_support as ca
from conformance.target import Target
from conformance.wire import ConformanceFailure

pytestmark = [
    pytest.mark.profile("pki"),
    pytest.mark.side("ca"),
    pytest.mark.xdist_group("ca-after-a-throttle"),
]

_UNDECLARED_BOUND = 12
_PATIENCE = 30.0  # seconds an honest enrolment may take here (a lock's timeout and more)


@pytest.mark.req("CA-ENR-2")
def test_enrolments_after_a_429_still_issue(pki_target: Target) -> None:
    ca.ca_address(pki_target)
    account = ca.enrolee(pki_target)
    declared = pki_target.limits.ca_throttle_failures
    bound = _UNDECLARED_BOUND if declared is None else declared + 2
    ghost, address = ca.ghost_alias(), ca.sources(pki_target).fresh()
    csr = ca.csr_pem(ca.CsrKey.ec("P-256"), ca.name((ca.OID_CN, ghost)))
    statuses: list[int] = []
    for _ in range(bound):
        answer = ca.enrol(pki_target, ghost, f"wrong-{secrets.token_hex(4)}", csr, source=address)
        statuses.append(answer.status)
        if answer.status == 429:
            break
    if statuses[-1] != 429:
        pytest.skip(f"the ghost alias was never throttled ({statuses}): CA-ENR-7 judges it")
    results: list[str] = []
    for n in (1, 2):
        body = ca.enrol_body(
            account.user,
            account.password,
            ca.csr_pem(ca.CsrKey.ec("P-256"), ca.name((ca.OID_CN, account.user))),
        )
        started = time.monotonic()
        try:
            answer = ca.request(
                pki_target,
                "POST",
                "/v1/enroll",
                body,
                source=ca.sources(pki_target).fresh(),
                headers={"Content-Type": "application/json"},
                timeout=_PATIENCE,
            )
        except TimeoutError:
            results.append(f"enrolment {n}: no answer within {_PATIENCE:g} s")
            break
        took = time.monotonic() - started
        if answer.status in (429, 503):
            pytest.skip(f"the enrolment account itself was held off: {answer.describe()}")
        obj = ca.json_body(answer, f"enrolment {n}")
        results.append(f"enrolment {n}: {answer.describe()[:160]} after {took:.1f} s")
        if answer.status != 200 or not isinstance(obj.get("certificate"), str):
            break
    else:
        return
    raise ConformanceFailure.evidence(
        f"CA-ENR-2: the ghost alias {ghost!r} failed from {address} until 429 ({statuses}); "
        f"then {account.user!r} enrolled with its right password and a valid P-256 CSR, "
        "twice, each from a new address",
        "200 with a certificate, twice: a refusal of someone else's login changes nothing "
        "for an honest one",
        "; ".join(results),
        note="a refusal's exit that leaves the store's write transaction (or lock) held "
        "blocks every certificate after it",
    )


@pytest.mark.req("CA-ENR-7")
def test_the_throttled_login_after_its_wait_is_answered(pki_target: Target) -> None:
    """A ghost alias to its first `429` from one fresh address; after the Retry-After
    (at most 5 s), its next wrong password from the same address is ANSWERED within 30 s
    (`401`, or `429` for a longer backoff): a refusal that left the throttle's lock held
    leaves every later login hanging."""
    ca.ca_address(pki_target)
    declared = pki_target.limits.ca_throttle_failures
    bound = _UNDECLARED_BOUND if declared is None else declared + 2
    ghost, address = ca.ghost_alias(), ca.sources(pki_target).fresh()
    csr = ca.csr_pem(ca.CsrKey.ec("P-256"), ca.name((ca.OID_CN, ghost)))
    statuses: list[int] = []
    throttled: ca.CaAnswer | None = None
    for _ in range(bound):
        answer = ca.enrol(pki_target, ghost, f"wrong-{secrets.token_hex(4)}", csr, source=address)
        statuses.append(answer.status)
        if answer.status == 429:
            throttled = answer
            break
    if throttled is None:
        pytest.skip(f"the ghost alias was never throttled ({statuses}): CA-ENR-7 judges it")
    retry = throttled.headers.get("retry-after", "")
    if not retry.isdigit() or int(retry) > 5:
        pytest.skip(f"Retry-After {retry!r}: not a short wait")
    time.sleep(int(retry) + 0.3)  # the wait the CA asked for
    body = ca.enrol_body(ghost, f"late-{secrets.token_hex(4)}", csr)
    started = time.monotonic()
    try:
        answer = ca.request(
            pki_target,
            "POST",
            "/v1/enroll",
            body,
            source=address,
            headers={"Content-Type": "application/json"},
            timeout=_PATIENCE,
        )
    except TimeoutError:
        raise ConformanceFailure.evidence(
            f"CA-ENR-7: the ghost alias {ghost!r} failed from {address} until 429 "
            f"({statuses}, Retry-After {retry}); {retry} s later its next wrong password "
            "from the same address",
            "an answer (401, or 429 for a doubled wait) within a few seconds",
            f"no answer within {_PATIENCE:g} s: the refusal left the throttle held",
        ) from None
    if answer.status not in (401, 429):
        raise ConformanceFailure.evidence(
            f"CA-ENR-7: the ghost alias {ghost!r} throttled from {address} ({statuses}); "
            f"after the Retry-After ({retry} s), its next wrong password",
            "401 auth_failed (or 429 for a doubled wait)",
            f"{answer.describe()} after {time.monotonic() - started:.1f} s",
        )


def _run_admin(template: str, alias: str) -> tuple[int | None, str]:
    """The target's administration command for `alias`: its exit status (None: it did not
    end within the patience) and the tail of what it wrote to stderr."""
    argv = [part.format(alias=alias) for part in shlex.split(template)]
    try:
        done = subprocess.run(argv, capture_output=True, timeout=_PATIENCE, check=False)
    except subprocess.TimeoutExpired:
        return None, f"no exit within {_PATIENCE:g} s"
    except OSError as exc:
        pytest.skip(f"the CA's command could not run: {exc}")
    return done.returncode, done.stderr.decode(errors="replace")[-300:]


@pytest.mark.req("CA-ENR-11")
def test_a_revocation_after_a_429_revokes(pki_target: Target) -> None:
    """A fresh alias enrols; a control alias is revoked (the command works: else the case
    skips); a ghost alias fails until `429`; then the alias is revoked with the same
    command: it MUST succeed and the CRL list the alias's certificate. A refusal that
    left the store's write transaction open makes that revocation wait for the lock and
    fail: the certificate the administrator revoked stays valid."""
    ca.ca_address(pki_target)
    revoke = pki_target.ca_revoke_cmd
    if not (pki_target.ca_user_add_cmd and revoke):
        pytest.skip("needs the CA's administration commands ([pki] ca_user_add_cmd, ca_revoke_cmd)")
    alias, control = f"ar-{secrets.token_hex(5)}", f"ac-{secrets.token_hex(5)}"
    secret = secrets.token_urlsafe(15)
    ca.admin_command(pki_target, "add", alias, stdin=secret + "\n")
    ca.admin_command(pki_target, "add", control, stdin=secrets.token_urlsafe(15) + "\n")
    csr = ca.csr_pem(ca.CsrKey.ec("P-256"), ca.name((ca.OID_CN, alias)))
    enrolled = ca.enrol(pki_target, alias, secret, csr)
    obj = ca.json_body(enrolled, "the enrolment")
    if enrolled.status != 200 or not isinstance(obj.get("certificate"), str):
        pytest.skip(f"the enrolment of {alias!r}: {enrolled.describe()} (CA-ENR-2 judges it)")
    serial = ca.read_issued(obj["certificate"]).serial
    status, said = _run_admin(revoke, control)
    if status != 0:
        pytest.skip(f"the revoke command failed for a control alias ({status}): {said}")
    declared = pki_target.limits.ca_throttle_failures
    bound = _UNDECLARED_BOUND if declared is None else declared + 2
    ghost, address = ca.ghost_alias(), ca.sources(pki_target).fresh()
    ghost_csr = ca.csr_pem(ca.CsrKey.ec("P-256"), ca.name((ca.OID_CN, ghost)))
    statuses: list[int] = []
    for _ in range(bound):
        answer = ca.enrol(
            pki_target, ghost, f"wrong-{secrets.token_hex(4)}", ghost_csr, source=address
        )
        statuses.append(answer.status)
        if answer.status == 429:
            break
    if statuses[-1] != 429:
        pytest.skip(f"the ghost alias was never throttled ({statuses}): CA-ENR-7 judges it")
    status, said = _run_admin(revoke, alias)
    context = (
        f"CA-ENR-11: {alias!r} enrolled (serial {serial:#x}); the revoke command worked for "
        f"the control alias {control!r}; the ghost alias {ghost!r} then failed from "
        f"{address} until 429 ({statuses}); then the revoke command for {alias!r}"
    )
    if status != 0:
        raise ConformanceFailure.evidence(
            context,
            "exit 0, and the CRL lists the serial",
            f"exit {status}: {said!r}",
            note="a refusal's exit that leaves the store's write lock held blocks the "
            "administrator's revocation",
        )
    crl = ca.fetch_crl(pki_target)
    if serial not in crl.serials:
        raise ConformanceFailure.evidence(
            context, "the CRL lists the serial", f"the CRL ({len(crl.serials)} entries) does not"
        )
