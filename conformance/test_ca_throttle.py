"""Throttling of the CA's logins (SPEC §4.4, CA-ENR-7 and CA-ENR-14).

The suite does not assume the CA's threshold: it measures it. One ghost alias fails from
fresh loopback addresses until the first `429` (k_alias wrong passwords answered `401`),
and one address fails with fresh ghost aliases (k_addr). Then:

* the backoff has the spec's shape: after the `Retry-After` wait a login is answered
  again, and the next `429` asks for a longer wait (CA-ENR-7);
* a right password in between does not clear the address's count (CA-ENR-7);
* k_alias + 4 (resp. k_addr + 4) guesses sent at once, released together after every
  connection has sent all but the last byte of its request, get no more `401` than the
  sequential ones did (CA-ENR-14: the attempt is counted before the slow hash).

Unknown aliases only (the ghosts), so the enrolment account is never locked; the right
password is used once, from an address of its own.
"""

from __future__ import annotations

import http.client
import json
import math
import secrets
import socket
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest

from conformance import ca_support as ca
from conformance import x509
from conformance.target import Account, Target
from conformance.wire import ConformanceFailure

pytestmark = [
    pytest.mark.profile("pki"),
    pytest.mark.side("ca"),
    pytest.mark.xdist_group("ca-throttle"),
]

_MAX_SEQUENTIAL = 12  # a CA that does not answer 429 within this many failures is not throttling
_MAX_DECLARED = 60  # the highest declared threshold the cases go up to (one hash per login)


def _sequential_bound(target: Target) -> int:
    """How many failures the cases try before judging "never 429": 12, or a few more than
    the threshold the target declares (`[limits] ca_throttle_failures`)."""
    declared = target.limits.ca_throttle_failures
    if declared is None:
        return _MAX_SEQUENTIAL
    if declared + 2 > _MAX_DECLARED:
        pytest.skip(
            f"the CA's declared throttle threshold {declared} is more failed logins than "
            f"the cases send ({_MAX_DECLARED})"
        )
    return max(_MAX_SEQUENTIAL, declared + 2)


_MAX_WAIT = 5.0  # the longest Retry-After the backoff case waits out


@dataclass
class _Run:
    """One sequence of failed logins: every status, and what the first 429 said."""

    statuses: list[int] = field(default_factory=list)
    retry_after: str | None = None
    error: str | None = None

    @property
    def answered(self) -> int:
        """How many guesses were verified (answered 401) before the first 429."""
        return self.statuses.index(429) if 429 in self.statuses else len(self.statuses)

    @property
    def throttled(self) -> bool:
        return 429 in self.statuses


def _fail_until_throttled(target: Target, *, alias: str | None, source: str | None) -> _Run:
    """Wrong passwords until 429: one alias from fresh addresses, or one address with
    fresh aliases (whichever is None varies)."""
    run = _Run()
    csr = ca.csr_pem(ca.CsrKey.ec("P-256"), ca.name((ca.OID_CN, "ghost")))
    for n in range(_sequential_bound(target)):
        # Each guess claims another client in the proxy headers: the address counted is
        # the connection's; a CA that reads it from the headers lets one client be many.
        claimed = f"198.51.100.{1 + n}"
        answer = ca.request(
            target,
            "POST",
            "/v1/enroll",
            ca.enrol_body(alias or ca.ghost_alias(), f"guess-{n}", csr),
            source=source if source is not None else ca.sources(target).fresh(),
            headers={
                "Content-Type": "application/json",
                "X-Forwarded-For": claimed,
                "X-Real-IP": claimed,
                "Forwarded": f"for={claimed}",
            },
        )
        run.statuses.append(answer.status)
        if answer.status == 429:
            obj = ca.json_body(answer, "a throttled login")
            run.retry_after = answer.headers.get("retry-after")
            run.error = str(obj.get("error"))
            break
    return run


@dataclass
class _Calibration:
    by_alias: _Run
    by_address: _Run
    after_wait: list[tuple[int, str | None]]  # (status, Retry-After) after waiting
    waited: float
    late_elapsed: float = 0.0  # failing guess sent -> its successor's 429 (after_wait)
    waited_on: str = "alias"  # whose backoff after_wait observed: "alias" | "address"
    address: str | None = None  # the address of by_address (and of after_wait if it waited)

    @property
    def waited_run(self) -> _Run:
        return self.by_address if self.waited_on == "address" else self.by_alias


_CALIBRATIONS: dict[str, _Calibration] = {}


def _calibration(target: Target) -> _Calibration:
    """Measured once per CA (about k_alias + k_addr + 2 logins and one Retry-After wait)."""
    ca.ca_address(target)
    key = str(target.ca_url)
    if key in _CALIBRATIONS:
        return _CALIBRATIONS[key]
    alias = ca.ghost_alias()
    by_alias = _fail_until_throttled(target, alias=alias, source=None)
    address = ca.sources(target).fresh()
    by_address = _fail_until_throttled(target, alias=None, source=address)
    # When the hard cap (CA-ENR-19) comes right after the threshold, the alias's next 429
    # is its lock, whose Retry-After (the cap) looks like a doubled backoff: watch the
    # address's backoff instead (addresses are never hard-locked).
    lock_after = target.limits.ca_lock_after
    via_address = lock_after is not None and by_alias.answered + 1 >= lock_after
    run = by_address if via_address else by_alias
    after_wait: list[tuple[int, str | None]] = []
    waited = late_elapsed = 0.0
    retry = run.retry_after
    if retry is not None and retry.isdigit() and int(retry) <= _MAX_WAIT:
        # What Retry-After promises: this long later, it is answered again.
        waited = int(retry) + 0.2
        time.sleep(waited)
        csr = ca.csr_pem(ca.CsrKey.ec("P-256"), ca.name((ca.OID_CN, "ghost")))
        started = time.monotonic()
        for n in range(2):
            if via_address:
                answer = ca.enrol(target, ca.ghost_alias(), f"late-{n}", csr, source=address)
            else:
                answer = ca.enrol(target, alias, f"late-guess-{n}", csr)
            after_wait.append((answer.status, answer.headers.get("retry-after")))
        # From the failing guess sent to the throttled answer: the part of the doubled
        # backoff that had already run when Retry-After was computed.
        late_elapsed = time.monotonic() - started
    _CALIBRATIONS[key] = _Calibration(
        by_alias,
        by_address,
        after_wait,
        waited,
        late_elapsed,
        waited_on="address" if via_address else "alias",
        address=address,
    )
    return _CALIBRATIONS[key]


@pytest.mark.req("CA-ENR-7")
@pytest.mark.parametrize("per", ["alias", "address"])
def test_failed_logins_are_throttled_per_alias_and_per_address(
    pki_target: Target, per: str
) -> None:
    """An unknown alias from ever new addresses; one address trying ever new aliases."""
    cal = _calibration(pki_target)
    run = cal.by_alias if per == "alias" else cal.by_address
    how = (
        "one unknown alias, each guess from a new address"
        if per == "alias"
        else "one address, each guess for a new unknown alias"
    )
    if not run.throttled:
        raise ConformanceFailure(
            f"CA-ENR-7: {how}: {len(run.statuses)} wrong passwords, never 429: {run.statuses}"
        )
    if run.error != "throttled" or not (run.retry_after or "").isdigit():
        raise ConformanceFailure(
            f"CA-ENR-7: {how}: the 429 says error {run.error!r}, Retry-After "
            f"{run.retry_after!r}; want 'throttled' and a number of seconds"
        )


@pytest.mark.req("CA-ENR-7")
@pytest.mark.parametrize("per", ["alias", "address"])
def test_the_threshold_is_the_declared_one(pki_target: Target, per: str) -> None:
    """When the target declares its threshold N (`[limits] ca_throttle_failures`), exactly
    N wrong passwords are answered 401 before the first 429, per alias and per address
    (CA-ENR-7 defines N so): a CA that counts with `>` instead of `>=` (one guess more), or
    counts the first failure twice (one fewer), does not throttle as it is configured."""
    declared = pki_target.limits.ca_throttle_failures
    if declared is None:
        pytest.skip("the target declares no CA throttle threshold ([limits] ca_throttle_failures)")
    cal = _calibration(pki_target)
    run = cal.by_alias if per == "alias" else cal.by_address
    if not run.throttled:
        pytest.skip(f"never throttled per {per} (test_failed_logins_are_throttled_... judges it)")
    if run.answered != declared:
        how = (
            "one unknown alias, each guess from a new address"
            if per == "alias"
            else "one address, each guess for a new unknown alias"
        )
        raise ConformanceFailure(
            f"CA-ENR-7: {how}: {run.answered} wrong passwords answered before the first 429 "
            f"(statuses {run.statuses}); the CA's declared threshold is {declared}"
        )


_GROWTH_RETRIES = 2


def _growth_from_a_fresh_address(
    target: Target,
) -> tuple[str, tuple[int, str | None], tuple[int, str | None], float] | None:
    """One address failed until 429, its Retry-After waited out, then two more guesses:
    (first Retry-After, the late guess's answer, the next one's, seconds the two took)."""
    address = ca.sources(target).fresh()
    run = _fail_until_throttled(target, alias=None, source=address)
    first = run.retry_after
    if not run.throttled or not (first or "").isdigit() or int(first or 0) > _MAX_WAIT:
        return None
    assert first is not None
    time.sleep(int(first) + 0.2)  # what Retry-After promises: this long later, answered
    csr = ca.csr_pem(ca.CsrKey.ec("P-256"), ca.name((ca.OID_CN, "ghost")))
    started = time.monotonic()
    answers = [
        ca.enrol(target, ca.ghost_alias(), f"late-again-{n}", csr, source=address) for n in range(2)
    ]
    elapsed = time.monotonic() - started
    late, following = ((a.status, a.headers.get("retry-after")) for a in answers)
    return first, late, following, elapsed


@pytest.mark.req("CA-ENR-7")
def test_backoff_is_honest_and_grows(pki_target: Target) -> None:
    cal = _calibration(pki_target)
    first = cal.waited_run.retry_after
    who = cal.waited_on
    if not cal.waited_run.throttled or not (first or "").isdigit():
        pytest.skip(f"the {who} was not throttled with a Retry-After (its own case fails)")
    assert first is not None
    if not cal.after_wait:
        pytest.skip(f"Retry-After {first} s is longer than this case waits ({_MAX_WAIT:g} s)")
    (late_status, _), (next_status, next_retry) = cal.after_wait
    if late_status != 401:
        raise ConformanceFailure(
            f"CA-ENR-7: Retry-After said {first} s; {cal.waited:.1f} s later the {who}'s "
            f"login got {late_status}, not an answer (401)"
        )
    grew = (next_retry or "").isdigit() and int(next_retry or 0) > int(first)
    late_elapsed = cal.late_elapsed
    for _ in range(_GROWTH_RETRIES):
        if not (next_status == 429 and not grew and late_elapsed >= int(first)):
            break
        # Too slow to tell a doubled backoff from none (a loaded machine): measure again
        # from a fresh address (addresses are never hard-locked), a bounded number of times.
        again = _growth_from_a_fresh_address(pki_target)
        if again is None:
            break
        first, (late_status, _), (next_status, next_retry), late_elapsed = again
        who = "address"
        if late_status != 401:
            raise ConformanceFailure(
                f"CA-ENR-7: Retry-After said {first} s; that long later the {who}'s "
                f"login got {late_status}, not an answer (401)"
            )
        grew = (next_retry or "").isdigit() and int(next_retry or 0) > int(first)
    if next_status == 429 and not grew and late_elapsed >= int(first):
        # A doubled backoff minus the time already run can round to the first one: on a
        # machine this slow the growth cannot be told from none (never a false FAIL).
        pytest.skip(
            f"the two guesses took {late_elapsed:.1f} s, not less than the first backoff "
            f"({first} s): the growth is not observable in this run"
        )
    if next_status != 429 or not grew:
        raise ConformanceFailure(
            f"CA-ENR-7: one more failure of the {who} after the first backoff ({first} s) "
            f"should double it: the next login got {next_status} with Retry-After "
            f"{next_retry!r}"
        )


_POLL_EVERY = 0.2  # seconds between the logins sent into a running backoff
_POLL_MARGIN = 0.35  # the last of them this long before the promised end
_LATE = 0.2  # the login that judges: this long after the promised end


@pytest.mark.req("CA-ENR-7")
def test_logins_during_the_backoff_do_not_extend_it(pki_target: Target) -> None:
    """One address fails until 429 (Retry-After n); more logins from it during those n
    seconds are throttled (429, not verified, so not failures: CA-ENR-7 doubles the wait
    per failure); n seconds after the first 429 a login is answered again, as that 429
    promised. A CA that restarts the backoff on each throttled login (or counts it as a
    failure) keeps a client that retries too early out for ever."""
    address = ca.sources(pki_target).fresh()
    run = _fail_until_throttled(pki_target, alias=None, source=address)
    first_at = time.monotonic()
    first = run.retry_after
    if not run.throttled or not (first or "").isdigit():
        pytest.skip("the address was not throttled with a Retry-After (its own case fails)")
    assert first is not None
    promised = int(first)
    if promised > _MAX_WAIT:
        pytest.skip(f"Retry-After {promised} s is longer than this case waits ({_MAX_WAIT:g} s)")
    csr = ca.csr_pem(ca.CsrKey.ec("P-256"), ca.name((ca.OID_CN, "ghost")))
    polls: list[str] = []
    n = 0
    while True:
        offset = time.monotonic() - first_at
        if offset > promised - _POLL_MARGIN and polls:
            break
        answer = ca.enrol(pki_target, ca.ghost_alias(), f"early-{n}", csr, source=address)
        polls.append(f"+{offset:.2f} s: {answer.status}/{answer.headers.get('retry-after')}")
        n += 1
        if answer.status != 429:
            # Answered before the promised end: a shorter wait than announced is not this
            # case's concern, but that login was a failure and starts a new backoff.
            pytest.skip(
                f"a login {offset:.2f} s into the {promised} s backoff was answered "
                f"({answer.status}): the case needs the backoff to run (polls: {polls})"
            )
        time.sleep(_POLL_EVERY)
    time.sleep(max(0.0, first_at + promised + _LATE - time.monotonic()))
    late_offset = time.monotonic() - first_at
    late = ca.enrol(pki_target, ca.ghost_alias(), "on-time", csr, source=address)
    if late.status == 429:
        raise ConformanceFailure(
            f"CA-ENR-7: address {address} failed {run.answered} times, and its first 429 "
            f"said Retry-After {promised}; logins sent during that wait were throttled "
            f"({'; '.join(polls)}); a login {late_offset:.2f} s after the first 429 got 429 "
            f"again (Retry-After {late.headers.get('retry-after')!r}): throttled logins "
            "restarted or lengthened the backoff, and a client that retries early is never "
            "answered"
        )
    if late.status != 401:
        raise ConformanceFailure(
            f"CA-ENR-7: a wrong password {late_offset:.2f} s after the first 429 (Retry-After "
            f"{promised}) got {late.describe()}, want 401 (polls during the wait: {polls})"
        )


def _guess(target: Target, alias: str, tag: str) -> str:
    csr = ca.csr_pem(ca.CsrKey.ec("P-256"), ca.name((ca.OID_CN, "ghost")))
    answer = ca.enrol(target, alias, f"{tag}-{secrets.token_hex(3)}", csr)
    return f"{answer.status}/{answer.headers.get('retry-after')}"


@pytest.mark.req("CA-ENR-7")
def test_a_refused_login_leaves_the_count_as_it_was(pki_target: Target) -> None:
    """An unknown alias fails (each guess from a fresh address) until 429; one more login
    at once. Refused (429): the wait is waited out and a wrong password answered (401).
    Answered (a backoff shorter than the round trip): that was the failure. Either way
    the alias is past its threshold, so the guess right after that failure is throttled
    (429): each failure doubles the wait (CA-ENR-7). A CA that ends a refused attempt with
    the call that ends a right one (forgetting the alias's failures) starts the alias from
    zero at every 429, and answers it. Judged against a control: another unknown alias
    failing the same number of times with no 429 in between, then its late failure and
    the next guess; when the control's next guess is answered too (a backoff too short to
    see), the case is skipped."""
    alias = ca.ghost_alias()
    run = _fail_until_throttled(pki_target, alias=alias, source=None)
    first_at = time.monotonic()
    first = run.retry_after
    if not run.throttled or not (first or "").isdigit() or int(first or 0) > _MAX_WAIT:
        pytest.skip("the alias was not throttled within the case's limits (its own case judges)")
    assert first is not None
    seen = [f"{run.answered} x 401, 429/{first}"]
    poll = _guess(pki_target, alias, "at-once")
    seen.append(f"at once {poll}")
    if poll.startswith("429"):
        time.sleep(max(0.0, first_at + int(first) + _LATE - time.monotonic()))
        failure = _guess(pki_target, alias, "late")
        seen.append(f"after {first} s {failure}")
    else:
        failure = poll
    following = _guess(pki_target, alias, "next")
    seen.append(f"next {following}")
    if following.startswith("429"):
        return
    if not failure.startswith("401"):
        pytest.skip(f"the failure after the threshold was not answered 401 ({seen})")
    # The control: the same failures, nothing refused in between.
    control = ca.ghost_alias()
    statuses = [_guess(pki_target, control, "control") for _ in range(run.answered)]
    if any(not s.startswith("401") for s in statuses):
        pytest.skip(f"the control alias {control!r} was not answered {run.answered} x 401")
    time.sleep(int(first) + _LATE)
    late, after = _guess(pki_target, control, "late"), _guess(pki_target, control, "next")
    if not (late.startswith("401") and after.startswith("429")):
        pytest.skip(
            f"the control alias, {run.answered} failures then {first} s: {late}, then {after}: "
            "its backoff is too short to judge this"
        )
    raise ConformanceFailure.evidence(
        f"CA-ENR-7: the unknown alias {alias!r} failed until 429 (each guess from a fresh "
        "address), then one login at once, and on",
        "the guess right after the (N+1)th failure throttled (429), as for an alias with "
        f"no 429 in between ({control!r}: {run.answered} x 401, {first} s, {late}, {after})",
        ", ".join(seen),
        note="the refused (429) login cleared the alias's failure count",
    )


@pytest.mark.req("CA-ENR-7")
def test_a_right_password_does_not_clear_the_address(pki_target: Target) -> None:
    """k_addr - 1 failures, a successful enrolment, one failure: the next is 429."""
    cal = _calibration(pki_target)
    k = cal.by_address.answered
    if not cal.by_address.throttled:
        pytest.skip("the address was never throttled (its own case fails)")
    account = ca.enrolee(pki_target)
    source = ca.sources(pki_target).fresh()
    key = ca.CsrKey.ec("P-256")
    ghost_csr = ca.csr_pem(key, ca.name((ca.OID_CN, "ghost")))
    statuses = []
    for n in range(k - 1):
        statuses.append(
            ca.enrol(pki_target, ca.ghost_alias(), f"g{n}", ghost_csr, source=source).status
        )
    good = ca.enrol(
        pki_target,
        account.user,
        account.password,
        ca.csr_pem(key, ca.name((ca.OID_CN, account.user))),
        source=source,
    )
    statuses.append(good.status)
    for n in range(2):
        statuses.append(
            ca.enrol(pki_target, ca.ghost_alias(), f"h{n}", ghost_csr, source=source).status
        )
    if good.status != 200:
        pytest.skip(f"the enrolment in between was not accepted ({good.describe()})")
    if statuses[-1] != 429:
        raise ConformanceFailure(
            f"CA-ENR-7: the address is throttled after {k} failures; {k - 1} failures, "
            f"one successful enrolment ({account.user!r}) and two more failures from the "
            f"same address got {statuses}: the success cleared the address's count"
        )


# --- concurrent guesses (CA-ENR-14) -----------------------------------------------------------


def _burst(
    target: Target,
    bodies: list[bytes],
    sources: list[str | None],
    busy_waits: list[str | None] | None = None,
) -> list[int]:
    """Sends every request but its last byte, then all last bytes together; statuses
    (and, into `busy_waits`, the Retry-After of every 503: None when it has none)."""
    host, port = ca.ca_address(target)
    ctx = ca.tls_context(target)
    conns: list[ssl.SSLSocket] = []
    try:
        for body, source in zip(bodies, sources, strict=True):
            raw = socket.create_connection(
                (host, port),
                timeout=ca.TIMEOUT,
                source_address=(source, 0) if source else None,
            )
            tls = ctx.wrap_socket(raw)
            conns.append(tls)
            head = (
                f"POST /v1/enroll HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json"
                f"\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n"
            ).encode()
            tls.sendall(head + body[:-1])
        for tls, body in zip(conns, bodies, strict=True):
            tls.sendall(body[-1:])
        statuses = []
        deadline = time.monotonic() + 20.0
        for tls in conns:
            data = b""
            while b"\r\n\r\n" not in data and time.monotonic() < deadline:
                tls.settimeout(max(0.05, deadline - time.monotonic()))
                try:
                    chunk = tls.recv(4096)
                except (OSError, ssl.SSLError):
                    break
                if not chunk:
                    break
                data += chunk
            parts = data.split(b" ", 2)
            statuses.append(int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0)
            if statuses[-1] == 503 and busy_waits is not None:
                busy_waits.append(_retry_after(data))
        return statuses
    finally:
        for tls in conns:
            tls.close()


def _retry_after(head: bytes) -> str | None:
    for line in head.partition(b"\r\n\r\n")[0].split(b"\r\n")[1:]:
        key, _, value = line.partition(b":")
        if key.strip().lower() == b"retry-after":
            return value.strip().decode(errors="replace")
    return None


def _check_busy_waits(busy_waits: list[str | None], what: str) -> None:
    """CA-ENR-14: every 503 busy says when to come back, in whole seconds, at least 1."""
    bad = [w for w in busy_waits if w is None or not w.isdigit() or int(w) < 1]
    if bad:
        raise ConformanceFailure(
            f"CA-ENR-14: {what}: {len(busy_waits)} answers 503 busy, Retry-After of each: "
            f"{busy_waits}; want a number of seconds, at least 1"
        )


@pytest.mark.req("CA-ENR-14")
@pytest.mark.parametrize("per", ["alias", "address"])
def test_concurrent_guesses_get_no_more_answers(pki_target: Target, per: str) -> None:
    cal = _calibration(pki_target)
    run = cal.by_alias if per == "alias" else cal.by_address
    if not run.throttled:
        pytest.skip(f"never throttled per {per} (CA-ENR-7 fails)")
    k = run.answered
    count = k + 4
    csr = ca.csr_pem(ca.CsrKey.ec("P-256"), ca.name((ca.OID_CN, "ghost")))
    alias = ca.ghost_alias()
    pool = ca.sources(pki_target)
    one_source = pool.fresh()
    bodies, sources = [], []
    for n in range(count):
        who = alias if per == "alias" else ca.ghost_alias()
        bodies.append(json.dumps({"alias": who, "password": f"burst-{n}", "csr": csr}).encode())
        sources.append(pool.fresh() if per == "alias" else one_source)
    busy_waits: list[str | None] = []
    statuses = _burst(pki_target, bodies, sources, busy_waits)
    answered = statuses.count(401)
    if answered > k:
        raise ConformanceFailure(
            f"CA-ENR-14: one after the other, {k} wrong passwords per {per} are verified "
            f"before 429 ({run.statuses}); {count} sent at once got {answered} answers "
            f"(401): {sorted(statuses)}"
        )
    if statuses.count(429) + statuses.count(503) + answered != count:
        raise ConformanceFailure(
            f"CA-ENR-14: {count} concurrent wrong passwords got {statuses} (want only 401, "
            "429 and 503 busy)"
        )
    _check_busy_waits(busy_waits, f"{count} concurrent wrong passwords per {per}")
    # Then one guess after another until 429: every failure of the burst must have been
    # counted. A CA that reads its counter before the slow hash and writes "that + 1"
    # after it keeps one of the failures that ran in parallel, and verifies the lost
    # ones again now. One more 401 than k is allowed: the burst's backoff (a second or
    # so) may have run out before the first of these guesses.
    followed: list[int] = []
    for n in range(k + 2):
        who = alias if per == "alias" else ca.ghost_alias()
        source = pool.fresh() if per == "alias" else one_source
        followed.append(ca.enrol(pki_target, who, f"after-{n}", csr, source=source).status)
        if followed[-1] != 401:
            break
    total = answered + followed.count(401)
    if total > k + 1:
        raise ConformanceFailure(
            f"CA-ENR-14: one after the other, {k} wrong passwords per {per} are verified "
            f"before 429 ({run.statuses}); {count} sent at once got {answered} answers "
            f"(401): {sorted(statuses)}, and the guesses sent one by one after them "
            f"{followed}: {total} verified in all — the concurrent failures were not all "
            "counted"
        )


@pytest.mark.req("CA-ENR-14")
def test_concurrent_right_passwords_are_never_throttled(pki_target: Target) -> None:
    """k_alias + k_addr + 1 enrolments of one account with its right password, sent at
    once from one address: pending attempts are not failures, so none is answered 429
    (nor 401); those beyond what the CA verifies at once are 503 busy, and count nothing:
    the next enrolment from that address succeeds."""
    cal = _calibration(pki_target)
    if not (cal.by_alias.throttled and cal.by_address.throttled):
        pytest.skip("the CA was never throttled (CA-ENR-7 fails)")
    account = ca.enrolee(pki_target)
    count = cal.by_alias.answered + cal.by_address.answered + 1
    csr = ca.csr_pem(ca.CsrKey.ec("P-256"), ca.name((ca.OID_CN, account.user)))
    body = json.dumps({"alias": account.user, "password": account.password, "csr": csr}).encode()
    source = ca.sources(pki_target).fresh()
    busy_waits: list[str | None] = []
    statuses = _burst(pki_target, [body] * count, [source] * count, busy_waits)
    if 200 not in statuses or any(s not in (200, 503) for s in statuses):
        raise ConformanceFailure(
            f"CA-ENR-14: {count} concurrent enrolments of {account.user!r} with its right "
            f"password got {sorted(statuses)}; want 200, and 503 busy for those the CA "
            "does not verify at once: a pending login is not a failure (429 means the "
            "attempts in flight were counted as failed)"
        )
    _check_busy_waits(busy_waits, f"{count} concurrent right passwords of {account.user!r}")
    after = ca.enrol(pki_target, account.user, account.password, csr, source=source)
    if after.status != 200:
        raise ConformanceFailure(
            f"CA-ENR-14: after {statuses.count(503)} busy answers to right passwords, the "
            f"next enrolment from that address got {after.describe()}: busy must count "
            "nothing"
        )


# --- the hard cap (CA-ENR-19) -----------------------------------------------------------------

_LOCK_BUDGET = 20.0  # seconds of Retry-After waits the hard-cap case spends at most


@pytest.mark.req("CA-ENR-19")
def test_an_alias_is_locked_after_its_declared_consecutive_failures(pki_target: Target) -> None:
    """One alias (fresh through `ca_user_add_cmd`, else a ghost) fails `ca_lock_after`
    times, each guess from a fresh address (so only the alias's count grows), waiting out
    every Retry-After on the way; then its logins must be 429 — also once the backoff its
    last failure caused has run out (a lock that expires with the backoff is no lock),
    and also with its right password (the lock is checked without verifying it). The
    backoff is at most twice the last one seen, plus a second of rounding (CA-ENR-7),
    and never beyond the 429's own Retry-After."""
    lock_after = pki_target.limits.ca_lock_after
    if lock_after is None:
        pytest.skip("the target declares no CA hard cap (limits.ca_lock_after, CA-ENR-19)")
    if lock_after > _MAX_DECLARED:
        pytest.skip(f"ca_lock_after {lock_after} is more failed logins than the case sends")
    alias, password = ca.ghost_alias(), None
    if pki_target.ca_user_add_cmd:
        # A real alias when the CA can be administered: the lock must also hold against
        # its right password (a lock looked at only when the password is wrong is none).
        real, secret = f"lk-{secrets.token_hex(5)}", secrets.token_urlsafe(15)
        try:
            ca.admin_command(pki_target, "add", real, stdin=secret + "\n")
            alias, password = real, secret
        except pytest.skip.Exception:
            pass  # the ghost then
    csr = ca.csr_pem(ca.CsrKey.ec("P-256"), ca.name((ca.OID_CN, "ghost")))
    statuses: list[str] = []
    failures, last_wait, budget = 0, None, _LOCK_BUDGET

    def login(what: str, secret: str | None = None) -> ca.CaAnswer:
        answer = ca.enrol(pki_target, alias, secret or f"{what}-{len(statuses)}", csr)
        statuses.append(f"{answer.status}/{answer.headers.get('retry-after')}")
        return answer

    for _ in range(2 * lock_after + 2):  # every 401 or every wait gets one more login
        if failures == lock_after:
            break
        answer = login("guess")
        if answer.status == 401:
            failures += 1
            continue
        retry = answer.headers.get("retry-after") or ""
        if answer.status != 429 or not retry.isdigit():
            pytest.skip(f"the CA answered {answer.describe()} before the lock (CA-ENR-7 judges)")
        if int(retry) > _MAX_WAIT or int(retry) + 0.2 > budget:
            pytest.skip(f"Retry-After {retry} s is longer than this case waits ({statuses})")
        last_wait = int(retry)
        budget -= int(retry) + 0.2
        time.sleep(int(retry) + 0.2)
    if failures < lock_after:
        pytest.skip(f"{failures} of {lock_after} failures reached ({statuses})")
    locked = login("locked")
    retry = locked.headers.get("retry-after") or ""
    if locked.status != 429 or not retry.isdigit():
        raise ConformanceFailure(
            f"CA-ENR-19: alias {alias!r} had {lock_after} consecutive failed logins "
            f"(the declared ca_lock_after); the next login got {locked.describe()}, not 429 "
            f"with Retry-After. Statuses/Retry-After: {statuses}"
        )
    cap = pki_target.limits.ca_throttle_cap
    if cap is not None and int(retry) > math.ceil(cap) + 1:
        # The lock says the backoff cap; a CA that ignores its configured cap (and then
        # makes everyone wait the 300 s default) says more.
        raise ConformanceFailure(
            f"CA-ENR-19: alias {alias!r} is locked after {lock_after} failures; its 429 says "
            f"Retry-After {retry} s, not the CA's declared backoff cap ({cap:g} s, "
            f"ca_throttle_cap). Statuses/Retry-After: {statuses}"
        )
    backoff = int(retry) if last_wait is None else min(int(retry), 2 * last_wait + 1)
    if backoff + 0.3 > min(budget, _MAX_WAIT + 1):
        pytest.skip(f"the backoff after the lock ({backoff} s) is longer than this case waits")
    time.sleep(backoff + 0.3)
    # With a real alias, its RIGHT password: a lock looked at only once the password
    # is found wrong lets it through (and one that expired with the backoff too).
    still = login("still-locked", password)
    if still.status != 429:
        raise ConformanceFailure(
            f"CA-ENR-19: alias {alias!r} had {lock_after} consecutive failed logins; "
            f"once the backoff ran out ({backoff + 0.3:.1f} s later) its login "
            f"{'with its right password ' if password else ''}got "
            f"{still.describe()}: the lock must hold until an administrator unlocks it, "
            f"not expire with the backoff. Statuses/Retry-After: {statuses}"
        )


@pytest.mark.req("CA-ENR-21", "CA-ENR-7")
def test_guesses_sent_with_a_bad_csr_do_not_escape_the_throttle(pki_target: Target) -> None:
    """Wrong passwords for one unknown alias (each from a new address), every one with a
    CSR whose signature does not verify. Both orders are conforming: the CSR checked
    first (`400 bad_csr` every time: no password verified) or the password (`401`, counted,
    so `429` comes as for any failure). A CA that verifies the password but leaves the
    failure uncounted because the request was bad anyway answers `401` for ever: an
    unthrottled password oracle."""
    alias = ca.ghost_alias()
    csr = ca.csr_pem(ca.CsrKey.ec("P-256"), ca.name((ca.OID_CN, alias)), tamper="bit")
    answers: list[str] = []
    unauthorised = 0
    for n in range(_sequential_bound(pki_target)):
        answer = ca.enrol(pki_target, alias, f"bad-csr-guess-{n}", csr)
        error = ca.json_body(answer, "a login with a bad CSR").get("error")
        answers.append(f"{answer.status} {error}")
        if answer.status == 429:
            return  # counted like any failure (CA-ENR-7)
        unauthorised += answer.status == 401
    if unauthorised:
        raise ConformanceFailure.evidence(
            f"CA-ENR-21: {len(answers)} wrong passwords for {alias!r}, each with a CSR whose "
            "signature does not verify, each from a new address",
            "400 bad_csr every time (the CSR checked first) or 401 until 429 (each wrong "
            "password counted, CA-ENR-7)",
            f"{unauthorised} answered 401 and none 429: {answers}",
            note="a verified wrong password must count whatever else is wrong with the request",
        )


def _fullwidth(text: str) -> str:
    """The alias in fullwidth forms (`ｌｋ-…`): NFKC folds it back to `text`."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


# Spellings of an alias that a loose matcher takes for the alias itself.
_SPELLINGS: dict[str, Callable[[str], str]] = {
    "upper-case": str.upper,
    "title-case": str.title,
    "padded": lambda alias: f" {alias} ",
    "fullwidth": _fullwidth,
    # SQL LIKE: `_` matches any one character, and is itself an alias character.
    "like-wildcard": lambda alias: alias[:-1] + "_",
}


def _fresh_account(target: Target, prefix: str) -> tuple[str, str]:
    """A new real alias and its password, through the target's `ca_user_add_cmd`."""
    if not target.ca_user_add_cmd:
        pytest.skip("needs the CA's administration command ([pki] ca_user_add_cmd)")
    alias, secret = f"{prefix}-{secrets.token_hex(5)}", secrets.token_urlsafe(15)
    ca.admin_command(target, "add", alias, stdin=secret + "\n")
    return alias, secret


def _right_login_in_a_doubled_backoff(
    target: Target, account: Account, backoff: float
) -> tuple[str | None, list[int], str, ca.CaAnswer, float] | None:
    """One address fails until 429, waits its Retry-After out and fails once more (its
    backoff doubles); then the account's right password from that address, on a connection
    opened beforehand. (address, statuses, Retry-After, the answer, seconds from sending
    the last failure to that answer), or None when the backoff could not be set up."""
    address = ca.sources(target).fresh()
    run = _fail_until_throttled(target, alias=None, source=address)
    first = run.retry_after
    if not run.throttled or not (first or "").isdigit() or int(first or 0) > _MAX_WAIT:
        return None
    time.sleep(int(first or 0) + 0.2)  # what Retry-After promises: answered again
    host, port = ca.ca_address(target)
    key = ca.CsrKey.ec("P-256")
    body = ca.enrol_body(
        account.user, account.password, ca.csr_pem(key, ca.name((ca.OID_CN, account.user)))
    )
    conn = http.client.HTTPSConnection(
        host,
        port,
        timeout=ca.TIMEOUT,
        context=ca.tls_context(target),
        source_address=(address, 0) if address else None,
    )
    try:
        conn.connect()  # the TLS handshake before the backoff starts: not counted in it
        ghost_csr = ca.csr_pem(ca.CsrKey.ec("P-256"), ca.name((ca.OID_CN, "ghost")))
        sent = time.monotonic()
        late = ca.enrol(target, ca.ghost_alias(), "late-guess", ghost_csr, source=address)
        if late.status != 401:
            return None
        conn.request("POST", "/v1/enroll", body=body, headers={"Content-Type": "application/json"})
        response = conn.getresponse()
        answer = ca.CaAnswer(
            response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
        )
        elapsed = time.monotonic() - sent
    finally:
        conn.close()
    return address, run.statuses, str(first), answer, elapsed


@pytest.mark.req("CA-ENR-7")
def test_a_right_password_during_the_backoff_is_throttled(pki_target: Target) -> None:
    """One address fails (fresh unknown aliases) until 429, waits its Retry-After out and
    fails once more, which doubles its backoff (2 s, or the declared cap if lower); at once
    the enrolment account sends its RIGHT password from that address. While the backoff
    runs every login from the address is answered 429, whatever its password: a CA that
    verifies the password first and throttles only wrong ones ("never keep the owner
    out") answers 200 — an oracle that lets an attacker go on guessing through every
    backoff. Only a 200 received within 0.9 of the doubled backoff, counted from the
    sending of the failure that started it, is judged (up to three tries: on a slow
    machine the answer may come after the backoff, when a 200 is right)."""
    account = ca.enrolee(pki_target)
    cap = pki_target.limits.ca_throttle_cap
    backoff = min(2.0, cap) if cap is not None else 2.0
    outcome = None
    for _attempt in range(3):
        outcome = _right_login_in_a_doubled_backoff(pki_target, account, backoff)
        if outcome is None:
            pytest.skip("no address backoff with a short Retry-After could be set up")
        address, statuses, first, answer, elapsed = outcome
        if answer.status != 200:
            return  # throttled (or refused otherwise): not verified during the backoff
        if elapsed < 0.9 * backoff:
            raise ConformanceFailure(
                f"CA-ENR-7: address {address} failed until 429 ({statuses}), waited "
                f"{first} s and failed once more (its backoff doubled to {backoff:g} s); the "
                f"right password of {account.user!r} from that address, answered "
                f"{elapsed:.2f} s after that failure was sent, enrolled (200): the CA "
                "verifies passwords during a backoff and throttles only the wrong ones, so "
                "the backoff answers which guess is right"
            )
    pytest.skip("each right password was answered only after the backoff had run out")


@pytest.mark.req("CA-ENR-7")
def test_other_spellings_of_a_throttled_alias_are_not_verified(pki_target: Target) -> None:
    """A real alias fails (each guess from a fresh address) until 429. While its backoff
    runs, its RIGHT password under other spellings of the alias (upper case, title case,
    padded, fullwidth NFKC forms, a SQL LIKE wildcard), each from a fresh address, must
    not enrol: a CA that
    matches aliases loosely but counts failures per spelling as sent gives every spelling
    its own N guesses. Each such login is followed by a wrong guess of the alias itself,
    and only a pair whose guess is still 429 counts (the backoff was running)."""
    ca.ca_address(pki_target)
    alias, secret = _fresh_account(pki_target, "sp")
    csr = ca.csr_pem(ca.CsrKey.ec("P-256"), ca.name((ca.OID_CN, alias)))
    statuses: list[int] = []
    for n in range(_sequential_bound(pki_target)):
        answer = ca.enrol(pki_target, alias, f"guess-{n}", csr)
        statuses.append(answer.status)
        if answer.status == 429:
            break
        if answer.status != 401:
            pytest.skip(f"a wrong password got {answer.describe()} (CA-ENR-6/7 judge it)")
    else:
        pytest.skip(f"{alias!r} was never throttled: {statuses} (its own case fails)")
    evaded: list[str] = []
    for spelling, spell in _SPELLINGS.items():
        variant = spell(alias)
        login = ca.enrol(pki_target, variant, secret, csr)
        check = ca.enrol(pki_target, alias, f"check-{spelling}", csr)
        statuses += [login.status, check.status]
        if login.status == 200 and check.status == 429:
            evaded.append(f"{spelling} {variant!r}")
    if evaded:
        raise ConformanceFailure(
            f"CA-ENR-7: {alias!r} was throttled after wrong passwords ({statuses}); while "
            f"its backoff ran (the alias's next guess still got 429), its right password "
            f"enrolled under {', '.join(evaded)}: the CA matches those spellings to the "
            "alias but does not count their failures against it"
        )


@pytest.mark.req("CA-ENR-19")
def test_a_right_password_resets_the_consecutive_count(pki_target: Target) -> None:
    """A real alias fails `ca_lock_after - 1` times, enrols with its right password, fails
    once more: the count restarted at the success, so the alias is not locked — its right
    password enrols again (after at most one Retry-After). A CA that keeps counting
    across the success locks an honest user who mistypes now and then."""
    lock_after = pki_target.limits.ca_lock_after
    if lock_after is None or lock_after > _MAX_DECLARED:
        pytest.skip(f"needs a declared CA hard cap of at most {_MAX_DECLARED} (ca_lock_after)")
    ca.ca_address(pki_target)
    alias, secret = _fresh_account(pki_target, "rs")
    csr = ca.csr_pem(ca.CsrKey.ec("P-256"), ca.name((ca.OID_CN, alias)))
    trail: list[str] = []
    budget = _LOCK_BUDGET

    def login(password: str) -> ca.CaAnswer:
        """One login; a 429 is waited out (within the budget) and tried once more."""
        nonlocal budget
        for _ in range(2):
            answer = ca.enrol(pki_target, alias, password, csr)
            retry = answer.headers.get("retry-after") or ""
            trail.append(f"{answer.status}/{retry or '-'}")
            if answer.status != 429:
                return answer
            if not retry.isdigit() or int(retry) > _MAX_WAIT or int(retry) + 0.2 > budget:
                break
            budget -= int(retry) + 0.2
            time.sleep(int(retry) + 0.2)
        return answer

    for n in range(lock_after - 1):
        if login(f"guess-{n}").status != 401:
            pytest.skip(f"the failures before the lock were not all answered 401: {trail}")
    if login(secret).status != 200:
        pytest.skip(f"{alias!r} could not enrol with its right password before the lock: {trail}")
    if login("one-more-guess").status != 401:
        pytest.skip(f"one wrong password after the success was not answered 401: {trail}")
    again = login(secret)
    if again.status != 200:
        raise ConformanceFailure(
            f"CA-ENR-19: {alias!r}: {lock_after - 1} failed logins, a successful one, one "
            f"more failure ({lock_after} failures in all, but never {lock_after} in a row); "
            f"its right password then got {again.describe()}: a right password resets the "
            f"consecutive count. Statuses/Retry-After: {trail}"
        )


# --- logins on one keep-alive connection (CA-ENR-7) -------------------------------------------


class _KeptAlive:
    """Requests over one HTTPS connection from one source address, kept alive as long as
    the CA keeps it open; re-opened from the same address when the CA closes it."""

    def __init__(self, target: Target, source: str | None) -> None:
        host, port = ca.ca_address(target)
        self._conn = http.client.HTTPSConnection(
            host,
            port,
            timeout=ca.TIMEOUT,
            context=ca.tls_context(target),
            source_address=(source, 0) if source else None,
        )
        self.reused = 0  # requests sent on a connection an earlier answer came over

    def post(self, body: bytes) -> ca.CaAnswer:
        headers = {"Content-Type": "application/json"}
        for attempt in range(2):
            reused = self._conn.sock is not None
            try:
                self._conn.request("POST", "/v1/enroll", body=body, headers=headers)
                response = self._conn.getresponse()
                answer = ca.CaAnswer(
                    response.status,
                    {k.lower(): v for k, v in response.getheaders()},
                    response.read(),
                )
            except (http.client.RemoteDisconnected, ConnectionError, ssl.SSLEOFError):
                # Closed by the CA between two requests (keep-alive is its choice): the
                # request was not answered; send it again on a new connection, once.
                self._conn.close()
                if attempt or not reused:
                    raise
                continue
            self.reused += reused
            return answer
        raise AssertionError("unreachable")

    def close(self) -> None:
        self._conn.close()


@pytest.mark.req("CA-ENR-7", "CA-ENR-6")
def test_logins_on_one_keepalive_connection_are_throttled(pki_target: Target) -> None:
    """A right enrolment, then wrong passwords for one unknown alias, all on ONE
    keep-alive connection from a fresh address (re-opened from the same address only when
    the CA closes it). A CA that admits a connection once — throttle or login checked at
    its first request only, state kept per connection — lets a client that keeps its
    connection open guess for ever; one that trusts a connection once it logged in
    answers the next wrong password 200. Each guess must be answered 401 as on a fresh
    connection (CA-ENR-6; 503 busy aside) until the 429, within the same bound as
    guesses on fresh connections (CA-ENR-7)."""
    ca.ca_address(pki_target)
    source = ca.sources(pki_target).fresh()
    ghost = ca.ghost_alias()
    key = ca.CsrKey.ec("P-256")
    ghost_csr = ca.csr_pem(key, ca.name((ca.OID_CN, ghost)))
    trail: list[str] = []
    conn = _KeptAlive(pki_target, source)
    try:
        if pki_target.enroll:  # a successful login first: a "logged-in connection" too
            account = pki_target.enroll[0]
            csr = ca.csr_pem(key, ca.name((ca.OID_CN, account.user)))
            good = conn.post(ca.enrol_body(account.user, account.password, csr))
            trail.append(f"{account.user}:{good.status}")
        throttled = False
        for n in range(_sequential_bound(pki_target)):
            answer = conn.post(ca.enrol_body(ghost, f"keepalive-guess-{n}", ghost_csr))
            trail.append(f"{ghost}:{answer.status}")
            if answer.status == 429:
                throttled = True
                break
            if answer.status not in (401, 503):
                raise ConformanceFailure(
                    f"CA-ENR-6: a wrong password for the unknown alias {ghost!r}, sent on "
                    f"a kept-alive connection after {len(trail) - 1} other logins, was "
                    f"answered {answer.describe()}, not 401 auth_failed as on a fresh "
                    f"connection. Logins on the connection: {trail}",
                    violates=("CA-ENR-6",),
                )
    finally:
        conn.close()
    if not throttled:
        raise ConformanceFailure(
            f"CA-ENR-7: {len(trail)} logins on one connection from one address "
            f"({conn.reused} of them on a connection already used), wrong passwords for one "
            f"unknown alias, never 429: {trail}. The CA throttles each new connection but "
            "not the logins that follow on a connection kept alive",
            violates=("CA-ENR-7",),
        )


def _fresh_or_enrolee(target: Target, alias: str, secret: str) -> tuple[str, str, bool]:
    """`alias` added with `secret` through `ca_user_add_cmd` (True), else the enrolment
    identity (False: the cases then share it with others and tolerate their 503s)."""
    if target.ca_user_add_cmd:
        ca.admin_command(target, "add", alias, stdin=secret + "\n")
        return alias, secret, True
    account = ca.enrolee(target)
    return account.user, account.password, False


@pytest.mark.req("CA-ENR-6", "CA-ENR-2")
def test_every_login_on_a_kept_alive_connection_is_verified(pki_target: Target) -> None:
    """One alias on ONE kept-alive connection: its right password (the body in raw UTF-8,
    as JSON allows), a wrong one, its right one again. A CA that trusts a connection once
    its alias logged in answers the wrong password 200 (CA-ENR-6); one that keeps a
    failure in the connection's state refuses the right password after it, and one that
    decodes the body other than as UTF-8 refuses the non-ASCII password sent unescaped
    (CA-ENR-2: the alias exists, the password is right, the CSR valid). The password has
    a non-ASCII letter; a first enrolment, \\u-escaped on a fresh connection, shows the
    account works as made."""
    ca.ca_address(pki_target)
    alias, secret, _fresh = _fresh_or_enrolee(
        pki_target, f"ka-{secrets.token_hex(5)}", f"pässwörd-{secrets.token_urlsafe(12)}"
    )
    csr = ca.csr_pem(ca.CsrKey.ec("P-256"), ca.name((ca.OID_CN, alias)))
    first = ca.enrol(pki_target, alias, secret, csr)
    if first.status != 200:
        pytest.skip(f"{alias!r} could not enrol on a fresh connection: {first.describe()}")
    raw = json.dumps({"alias": alias, "password": secret, "csr": csr}, ensure_ascii=False)
    steps = (
        ("right password, raw UTF-8", raw.encode("utf-8"), (200,)),
        ("wrong password", ca.enrol_body(alias, f"wrong-{secrets.token_hex(4)}", csr), (401,)),
        ("right password", ca.enrol_body(alias, secret, csr), (200,)),
    )
    trail: list[str] = []
    conn = _KeptAlive(pki_target, ca.sources(pki_target).fresh())
    try:
        for what, body, want in steps:
            answer = conn.post(body)
            for _ in range(2):  # a busy or throttled answer is waited out, within bounds
                retry = answer.headers.get("retry-after") or ""
                if answer.status not in (429, 503) or not retry.isdigit():
                    break
                if int(retry) > _MAX_WAIT:
                    pytest.skip(f"Retry-After {retry} s is longer than this case waits: {trail}")
                time.sleep(int(retry) + 0.2)
                answer = conn.post(body)
            trail.append(f"{what}: {answer.status}")
            if answer.status not in want:
                rid = "CA-ENR-6" if what == "wrong password" else "CA-ENR-2"
                raise ConformanceFailure(
                    f"{rid}: logins of {alias!r} on one kept-alive connection "
                    f"({conn.reused} sent on a connection already used): {what} got "
                    f"{answer.describe()}, want {want[0]}. Logins: {trail}",
                    violates=(rid,),
                )
    finally:
        conn.close()


@pytest.mark.req("CA-ENR-14", "CA-ENR-2")
def test_a_right_password_with_a_bad_csr_leaves_nothing_pending(pki_target: Target) -> None:
    """A right password sent with a bad CSR ends its login attempt like any other: its
    reservation (CA-ENR-14) ends whichever check refuses the CSR, and it is no failure. So
    after N such logins of each kind (a signature that does not verify, a CSR that
    does not parse), one after the other, the alias enrols at once: a reservation left
    behind on the error path makes it `503 busy` for ever, a right password counted as a
    failure makes it `429`. The alias (when the CA can be administered) is PKI-CERT-2's
    widest: 64 characters, a leading digit, `.`, `_` and `-` (CA-ENR-2)."""
    ca.ca_address(pki_target)
    core = f"0.b_{secrets.token_hex(6)}-"
    alias, secret, fresh = _fresh_or_enrolee(
        pki_target, (core + "x" * 64)[:64], secrets.token_urlsafe(15)
    )
    key = ca.CsrKey.ec("P-256")
    good = ca.csr_pem(key, ca.name((ca.OID_CN, alias)))
    source = ca.sources(pki_target).fresh()
    trail: list[str] = []

    def enrol(csr: str, what: str) -> ca.CaAnswer:
        answer = ca.enrol(pki_target, alias, secret, csr, source=source)
        for _ in range(0 if fresh else 2):  # others may be using the shared account
            retry = answer.headers.get("retry-after") or ""
            if answer.status != 503 or not retry.isdigit() or int(retry) > _MAX_WAIT:
                break
            time.sleep(int(retry) + 0.2)
            answer = ca.enrol(pki_target, alias, secret, csr, source=source)
        trail.append(f"{what}: {answer.status}")
        return answer

    first = enrol(good, "valid CSR")
    if first.status != 200:
        if fresh:
            raise ConformanceFailure(
                f"CA-ENR-2: {alias!r} ({len(alias)} characters, a valid alias: PKI-CERT-2), "
                f"added through ca_user_add_cmd, enrolled with its right password and a "
                f"valid CSR: {first.describe()}",
                violates=("CA-ENR-2",),
            )
        pytest.skip(f"{alias!r} could not enrol: {first.describe()}")
    # N such attempts of one kind, were each left pending, reach what CA-ENR-14 lets be
    # pending at once (p >= N - f): the next attempt would be busy.
    declared = pki_target.limits.ca_throttle_failures
    per_kind = min(declared if declared is not None else 10, 10)
    bad = (
        (
            "a CSR whose signature does not verify",
            ca.csr_pem(key, ca.name((ca.OID_CN, alias)), tamper="bit"),
        ),
        (
            "a CSR that does not parse",
            x509.pem_encode(b"\x30\x03\x02\x01\x00", "CERTIFICATE REQUEST"),
        ),
    )
    for _ in range(per_kind):
        for what, csr in bad:
            enrol(csr, what)
    after = enrol(good, "valid CSR")
    if after.status != 200:
        raise ConformanceFailure(
            f"CA-ENR-14: {alias!r} sent its right password {per_kind} times with each of "
            f"{' and '.join(what for what, _ in bad)}, one after the other from one "
            f"address, then with a valid CSR: {after.describe()}. A right password ends "
            f"its reservation without a trace, whatever refused the CSR. Answers: {trail}",
            violates=("CA-ENR-14",),
        )


@pytest.mark.req("CA-ENR-21")
def test_a_bad_csr_answered_first_leaves_the_password_unverified(pki_target: Target) -> None:
    """CA-ENR-21's second reading, held to its word. A CA that answers a wrong password
    sent with a bad CSR `400 bad_csr` (and never `429`) says it checks the CSR first and
    never verifies the password. A CA that verifies the password anyway, and drops the
    failure because the request was bad, answers the same `400`: an unthrottled password
    oracle for whoever measures the hash. The difference shows with a real alias: after
    k - 1 failures (valid CSRs, each `401`), its RIGHT password with a bad CSR must change
    nothing, so the next two wrong passwords get `401` then `429` as for any alias with k
    failures; a CA that verified it reset the alias's count (`401`, `401`). A CA that
    answers `401` to a wrong password with a bad CSR is judged by the case before."""
    ca.ca_address(pki_target)
    ghost = ca.ghost_alias()
    bad_for_ghost = ca.csr_pem(ca.CsrKey.ec("P-256"), ca.name((ca.OID_CN, ghost)), tamper="bit")
    first = ca.enrol(pki_target, ghost, f"bad-csr-first-{secrets.token_hex(4)}", bad_for_ghost)
    if first.status != 400:
        return  # the password was verified first (or throttled): the case before judges it
    for n in range(_sequential_bound(pki_target)):
        answer = ca.enrol(pki_target, ghost, f"bad-csr-{n}", bad_for_ghost)
        if answer.status == 429:
            return  # verified and counted, answered 400: the failures did count
    cal = _calibration(pki_target)
    k = cal.by_alias.answered
    if not cal.by_alias.throttled or k < 2:
        pytest.skip(f"needs an alias threshold of at least 2 (calibration: {cal.by_alias})")
    alias, secret = _fresh_account(pki_target, "bc")
    key = ca.CsrKey.ec("P-256")
    good = ca.csr_pem(key, ca.name((ca.OID_CN, alias)))
    bad = ca.csr_pem(key, ca.name((ca.OID_CN, alias)), tamper="bit")
    before = [
        ca.enrol(pki_target, alias, f"wrong-{secrets.token_hex(4)}", good).status
        for _ in range(k - 1)
    ]
    if before != [401] * (k - 1):
        pytest.skip(f"{k - 1} wrong passwords for {alias!r} got {before}, not 401 each")
    right = ca.enrol(pki_target, alias, secret, bad)
    after = [
        ca.enrol(pki_target, alias, f"wrong-{secrets.token_hex(4)}", good).status for _ in range(2)
    ]
    if right.status == 400 and after == [401, 401]:
        raise ConformanceFailure.evidence(
            f"CA-ENR-21: wrong passwords with a bad CSR (a signature that does not verify) "
            f"are answered 400, never 429 (the CSR checked first, so no password verified); "
            f"the real alias {alias!r} then failed {k - 1} times (valid CSRs, 401 each; the "
            f"CA throttles an alias after k = {k}), sent its RIGHT password with a bad CSR "
            f"({right.status}), then two wrong passwords (valid CSRs), each from a new address",
            "401 then 429: a password the CA does not verify changes nothing",
            f"{after}: the right password reset the alias's count, so it was verified; "
            "so are the wrong ones answered 400, and they are not counted",
            note="a verified wrong password must count whatever else is wrong with the request",
        )


@pytest.mark.req("CA-ENR-19")
def test_an_address_is_never_hard_locked(pki_target: Target) -> None:
    """Addresses are never hard-locked (a NAT would lock out everyone behind it): an
    address that has failed `ca_lock_after` times (the calibration's address, fresh
    ghost aliases, each backoff waited out as Retry-After says) must be answered again
    once its backoff has run out. A CA that applies the alias's hard cap to every key
    answers it 429 for ever."""
    lock_after = pki_target.limits.ca_lock_after
    if lock_after is None:
        pytest.skip("the target declares no CA hard cap (limits.ca_lock_after, CA-ENR-19)")
    cal = _calibration(pki_target)
    address = cal.address
    if address is None or not cal.by_address.throttled:
        pytest.skip("the calibration's address was never throttled (its own case fails)")
    failures = cal.by_address.answered
    if cal.waited_on == "address":
        failures += sum(status == 401 for status, _ in cal.after_wait)
    csr = ca.csr_pem(ca.CsrKey.ec("P-256"), ca.name((ca.OID_CN, "ghost")))
    trail: list[str] = []
    budget = _LOCK_BUDGET
    # Up to lock_after failures, then one login past the backoff: each 429 is waited out.
    for _ in range(2 * max(0, lock_after - failures) + 3):
        answer = ca.enrol(pki_target, ca.ghost_alias(), f"nat-{len(trail)}", csr, source=address)
        retry = answer.headers.get("retry-after") or ""
        trail.append(f"{answer.status}/{retry or '-'}")
        if answer.status == 401:
            failures += 1
            if failures > lock_after:
                return  # answered past the hard cap: the address is not locked
            continue
        if answer.status != 429 or not retry.isdigit():
            pytest.skip(f"the address got {answer.describe()} (CA-ENR-7 judges): {trail}")
        if int(retry) > _MAX_WAIT or int(retry) + 0.2 > budget:
            pytest.skip(f"Retry-After {retry} s is longer than this case waits: {trail}")
        budget -= int(retry) + 0.2
        time.sleep(int(retry) + 0.2)  # what Retry-After promises: this long later, answered
    if failures >= lock_after:
        raise ConformanceFailure.evidence(
            f"CA-ENR-19: address {address} failed {failures} times (the declared "
            f"ca_lock_after is {lock_after}), each with a new ghost alias, waiting out "
            "every Retry-After",
            "a login answered (401) once the address's backoff has run out: addresses are "
            "never hard-locked",
            f"429 after every wait: {trail}",
        )
    pytest.skip(f"{failures} of {lock_after} failures reached: {trail}")


# --------------------------------------------------------------------------------------
# Edges of the CA's backoff and hard cap (CA-ENR-7, CA-ENR-19).
#
# * An alias's hard lock is the alias's alone: a fresh user fails its declared
#   `ca_lock_after` times, every guess from ONE address (each Retry-After waited out);
#   then the locked alias is answered 429 with `Retry-After` the CA's declared backoff cap
#   (not less: the lock is not a backoff that ends), and that same address, once the
#   Retry-After it is given has run out, is answered again for another alias — a CA that
#   locks the address an alias was locked from locks out everyone behind a NAT
#   (`test_an_address_is_never_hard_locked` fails with fresh aliases only, whose own counts
#   never reach the lock).
# * The doubled wait stops at the declared cap: one fresh address fails with fresh ghost
#   aliases a few failures past the point where the doubling reaches the cap, every
#   Retry-After waited out; none may ask for more than the cap.
#
# Both need the CA's throttle declared in the target file (`[limits] ca_throttle_failures`,
# `ca_throttle_cap`, and `ca_lock_after` for the first) and short (a cap the case can wait
# out); otherwise they skip.
# --------------------------------------------------------------------------------------

_EDGE_MAX_DECLARED = 30  # the highest declared threshold / lock the cases go up to
_EDGE_MAX_WAIT = 5.0  # the longest single Retry-After the cases wait out
_EDGE_BUDGET = 30.0  # seconds of waits in all, per case
_EDGE_SLACK = 0.2  # added to each Retry-After wait


class _Waits:
    """Retry-After waits, bounded in all (a skip, never a FAIL, when it runs out)."""

    def __init__(self, trail: list[str]) -> None:
        self.left = _EDGE_BUDGET
        self.trail = trail

    def wait_out(self, answer: ca.CaAnswer) -> int:
        retry = answer.headers.get("retry-after") or ""
        if not retry.isdigit():
            pytest.skip(f"a 429 without a Retry-After in seconds (CA-ENR-7 judges): {self.trail}")
        if int(retry) > _EDGE_MAX_WAIT or int(retry) + _EDGE_SLACK > self.left:
            pytest.skip(f"Retry-After {retry} s is longer than this case waits: {self.trail}")
        self.left -= int(retry) + _EDGE_SLACK
        time.sleep(int(retry) + _EDGE_SLACK)  # what Retry-After promises: this long later, answered
        return int(retry)


def _declared_cap(target: Target) -> float:
    cap = target.limits.ca_throttle_cap
    if cap is None:
        pytest.skip("the target declares no CA backoff cap (limits.ca_throttle_cap)")
    if cap > _EDGE_MAX_WAIT:
        pytest.skip(f"the declared backoff cap {cap:g} s is longer than the case waits")
    return cap


@pytest.mark.xdist_group("ca-lock-edge")
@pytest.mark.req("CA-ENR-19")
def test_a_lock_is_the_aliases_alone_and_says_the_cap(pki_target: Target) -> None:
    lock_after = pki_target.limits.ca_lock_after
    if lock_after is None:
        pytest.skip("the target declares no CA hard cap (limits.ca_lock_after, CA-ENR-19)")
    if lock_after > _EDGE_MAX_DECLARED:
        pytest.skip(f"ca_lock_after {lock_after} is more failed logins than the case sends")
    cap = _declared_cap(pki_target)
    if not pki_target.ca_user_add_cmd:
        pytest.skip("needs the CA's ca_user_add_cmd: the lock is judged on a user of its own")
    alias = f"le-{secrets.token_hex(5)}"
    ca.admin_command(pki_target, "add", alias, stdin=secrets.token_urlsafe(15) + "\n")
    csr = ca.csr_pem(ca.CsrKey.ec("P-256"), ca.name((ca.OID_CN, alias)))
    address = ca.sources(pki_target).fresh()
    trail: list[str] = []
    waits = _Waits(trail)

    def login(who: str, password: str) -> ca.CaAnswer:
        answer = ca.enrol(pki_target, who, password, csr, source=address)
        trail.append(f"{'alias' if who == alias else 'other'}:{answer.status}/"
                     f"{answer.headers.get('retry-after') or '-'}")  # fmt: skip
        return answer

    failures = 0
    for _ in range(2 * lock_after + 2):  # every 401 or every wait gets one more login
        if failures == lock_after:
            break
        answer = login(alias, f"guess-{len(trail)}")
        if answer.status == 401:
            failures += 1
        elif answer.status == 429:
            waits.wait_out(answer)
        else:
            pytest.skip(f"the CA answered {answer.describe()} before the lock: {trail}")
    if failures < lock_after:
        pytest.skip(f"{failures} of {lock_after} failures reached: {trail}")
    # The backoff of the last failure runs out; then the alias is refused by its lock alone.
    first = login(alias, "after-the-lock")
    if first.status != 429:
        pytest.skip(f"the locked alias got {first.describe()} (test_ca_throttle judges)")
    waits.wait_out(first)
    locked = login(alias, "after-the-backoff")
    retry = locked.headers.get("retry-after") or ""
    if locked.status != 429 or not retry.isdigit():
        pytest.skip(f"the locked alias got {locked.describe()} (other cases judge): {trail}")
    if int(retry) < math.floor(cap):
        raise ConformanceFailure.evidence(
            f"CA-ENR-19: alias {alias!r} failed {lock_after} consecutive times (the declared "
            f"ca_lock_after) and its backoff was waited out",
            f"429 with Retry-After the backoff cap ({cap:g} s, ca_throttle_cap): the lock "
            "lasts until an administrator unlocks it",
            f"Retry-After {retry} s. Trail (who:status/Retry-After): {trail}",
        )
    # The address the alias was locked from: another alias, once its wait has run out.
    for _ in range(3):
        other = login(ca.ghost_alias(), f"other-{len(trail)}")
        if other.status != 429:
            if other.status != 401:
                pytest.skip(f"another alias got {other.describe()} (other cases judge): {trail}")
            return
        waits.wait_out(other)
    raise ConformanceFailure.evidence(
        f"CA-ENR-19: alias {alias!r} was hard-locked after {lock_after} failures, all from "
        f"address {address}; then other aliases logged in from that address, each "
        "Retry-After waited out",
        "a login answered (401) once the address's backoff has run out: addresses are never "
        "hard-locked, the lock is the alias's",
        f"429 after every wait. Trail (who:status/Retry-After): {trail}",
    )


@pytest.mark.xdist_group("ca-lock-edge")
@pytest.mark.req("CA-ENR-7")
def test_the_doubled_wait_stops_at_the_declared_cap(pki_target: Target) -> None:
    threshold = pki_target.limits.ca_throttle_failures
    if threshold is None:
        pytest.skip("the target declares no CA throttle threshold (ca_throttle_failures)")
    if threshold > _EDGE_MAX_DECLARED:
        pytest.skip(f"ca_throttle_failures {threshold} is more failed logins than the case sends")
    cap = _declared_cap(pki_target)
    # Failures past the threshold until base * 2^k is past the cap (base at least 1 s,
    # the declared cap at most _EDGE_MAX_WAIT), and one more.
    wanted = threshold + max(1, math.ceil(math.log2(max(cap, 1.0)))) + 2
    address = ca.sources(pki_target).fresh()
    csr = ca.csr_pem(ca.CsrKey.ec("P-256"), ca.name((ca.OID_CN, "ghost")))
    trail: list[str] = []
    waits = _Waits(trail)
    failures = 0
    for _ in range(2 * wanted + 2):
        if failures >= wanted:
            return
        answer = ca.enrol(pki_target, ca.ghost_alias(), f"cap-{len(trail)}", csr, source=address)
        retry = answer.headers.get("retry-after") or ""
        trail.append(f"{answer.status}/{retry or '-'}")
        if answer.status == 401:
            failures += 1
            continue
        if answer.status != 429 or not retry.isdigit():
            pytest.skip(f"the address got {answer.describe()} (other cases judge): {trail}")
        if int(retry) > math.ceil(cap) + 1:
            raise ConformanceFailure.evidence(
                f"CA-ENR-7: address {address} failed {failures} times, each with a new ghost "
                "alias, every Retry-After waited out",
                f"each doubled wait at most the CA's declared backoff cap ({cap:g} s, "
                "ca_throttle_cap)",
                f"Retry-After {retry} s. Statuses/Retry-After: {trail}",
            )
        waits.wait_out(answer)
    pytest.skip(f"{failures} of {wanted} failures reached: {trail}")


# --------------------------------------------------------------------------------------
# CA-ENR-19: a locked alias stays locked whatever passwords follow, until an
# administrator unlocks it — its right password included, more than once.
#
# The lock must be checked *without verifying the password*. A CA that verifies it anyway
# (the lock looked at after the hash, or a "success resets the count" that also clears the
# lock) still answers the first right password 429, so a single probe sees nothing; but
# that verification reset the alias, and the next login with the right password is issued
# a certificate: whoever guesses on at a locked alias is told, one login later, that a
# guess was right. So: a fresh user (`ca_user_add_cmd`) failed its declared
# `ca_lock_after` times (each guess from a fresh address, every Retry-After waited out),
# the backoff of its last failure waited out, then its right password several times in a
# row: every answer must be 429.
# --------------------------------------------------------------------------------------

_LOCKED_MAX_DECLARED = 60  # the highest declared lock threshold the case goes up to
_LOCKED_MAX_WAIT = 5.0  # the longest single Retry-After the case waits out
_LOCKED_BUDGET = 25.0  # seconds of waits in all
_RIGHT_LOGINS = 3  # right-password logins after the lock, each must be 429


@pytest.mark.xdist_group("ca-lock-more")
@pytest.mark.req("CA-ENR-19")
def test_a_locked_alias_stays_locked_for_its_right_password(pki_target: Target) -> None:
    lock_after = pki_target.limits.ca_lock_after
    if lock_after is None:
        pytest.skip("the target declares no CA hard cap (limits.ca_lock_after, CA-ENR-19)")
    if lock_after > _LOCKED_MAX_DECLARED:
        pytest.skip(f"ca_lock_after {lock_after} is more failed logins than the case sends")
    if not pki_target.ca_user_add_cmd:
        pytest.skip("needs the CA's ca_user_add_cmd: the lock is judged on a right password")
    alias, secret = f"lm-{secrets.token_hex(5)}", secrets.token_urlsafe(15)
    ca.admin_command(pki_target, "add", alias, stdin=secret + "\n")
    csr = ca.csr_pem(ca.CsrKey.ec("P-256"), ca.name((ca.OID_CN, alias)))
    trail: list[str] = []
    budget = _LOCKED_BUDGET

    def login(password: str) -> ca.CaAnswer:
        answer = ca.enrol(pki_target, alias, password, csr)
        trail.append(f"{answer.status}/{answer.headers.get('retry-after')}")
        return answer

    def wait_out(answer: ca.CaAnswer) -> None:
        nonlocal budget
        retry = answer.headers.get("retry-after") or ""
        if not retry.isdigit():
            pytest.skip(f"a 429 without a Retry-After in seconds (CA-ENR-7 judges): {trail}")
        if int(retry) > _LOCKED_MAX_WAIT or int(retry) + 0.2 > budget:
            pytest.skip(f"Retry-After {retry} s is longer than this case waits: {trail}")
        budget -= int(retry) + 0.2
        time.sleep(int(retry) + 0.2)  # the CA's Retry-After, which the SPEC says to honour

    failures = 0
    last: ca.CaAnswer | None = None
    for _ in range(2 * lock_after + 2):  # every 401 or every wait gets one more login
        if failures == lock_after:
            break
        last = login(f"guess-{len(trail)}")
        if last.status == 401:
            failures += 1
        elif last.status == 429:
            wait_out(last)
        else:
            pytest.skip(f"the CA answered {last.describe()} before the lock: {trail}")
    if failures < lock_after:
        pytest.skip(f"{failures} of {lock_after} failures reached: {trail}")
    # The backoff of the last failure: a login while it runs is refused by the backoff
    # alone; the lock must refuse the logins after it.
    probe = login(f"guess-{len(trail)}")
    if probe.status != 429:
        raise ConformanceFailure(
            f"CA-ENR-19: alias {alias!r} had {lock_after} consecutive failed logins (the "
            f"declared ca_lock_after); the next login got {probe.describe()}, not 429. "
            f"Statuses/Retry-After: {trail}"
        )
    wait_out(probe)
    for n in range(_RIGHT_LOGINS):
        answer = login(secret)
        if answer.status != 429:
            raise ConformanceFailure(
                f"CA-ENR-19: alias {alias!r} is locked after {lock_after} consecutive "
                f"failures; right-password login {n + 1} of {_RIGHT_LOGINS} in a row (the "
                f"backoff waited out) got {answer.describe()}, want 429 every time: the CA "
                "verified the password of a locked alias and let the right one unlock it "
                f"(no administrator did). Statuses/Retry-After: {trail}"
            )


# --------------------------------------------------------------------------------------
# CA-ENR-14: a login the CA fails to verify (its handler raises) must still end its
# reservation.
#
# A CA that reserves a login against its alias and address before the slow hash
# (CA-ENR-14) must release that reservation on every path out of the verification, not
# only on "right" and "wrong". The path forgotten in practice is the exception: a password
# the hash cannot take — a lone surrogate (`"\\ud800"`: valid JSON, no UTF-8 encoding, so
# `password.encode()` raises in Python) or a NUL (which some password-hash bindings refuse)
# — makes the hash raise, the handler answers 500 (or 400), and the reservation stays.
# After N such requests (N: the CA's threshold; never a failure, since nothing was
# verified) the address and the alias hold N "pending" attempts forever: every later login
# from that address, or for that alias, is answered `503 busy`, however long one waits.
# A denial of service any client can cause with N requests.
#
# The case: N such requests (sequential, one ghost alias, one fresh address), then wrong
# passwords for another ghost alias from that address, and for the first alias from
# another fresh address. Whatever the CA answered the hostile requests (400, 401, 500: an
# error answer, CA-ENR-9 judges its form elsewhere) and whether it counted them as
# failures or not, the next logins must be verified (401) once any backoff they earned has
# run (429 with its `Retry-After`, waited out within bounds); `503 busy` to a sequential
# login, still after its `Retry-After` has been waited out several times, means
# reservations nobody holds any more. Nothing is pending on our side: every earlier request
# was answered before the next was sent.
# --------------------------------------------------------------------------------------

_UNDECLARED_THRESHOLD = 10  # CA-ENR-7: a target without a declared N is judged as N <= 10
_PENDING_MAX_WAIT = 5.0  # the longest single Retry-After the case waits out
_WAIT_BUDGET = 15.0  # the longest it waits in all, per follow-up login
_BUSY_ROUNDS = 3  # 503 answers, each waited out, before a busy state is judged stuck

# Passwords a hash may raise on. JSON-escaped by json.dumps (ensure_ascii): the bodies
# are valid JSON and valid UTF-8.
_HOSTILE_PASSWORDS = {
    "lone-surrogate": "\ud800guess",
    "nul": "gue\u0000ss",
}


def _threshold(target: Target) -> int:
    declared = target.limits.ca_throttle_failures
    return _UNDECLARED_THRESHOLD if declared is None else max(1, declared)


def _follow_up(target: Target, alias: str, source: str | None, csr: str) -> tuple[int, list[str]]:
    """A wrong-password login, 429/503 waited out within bounds: its final status and the
    trail of answers."""
    trail: list[str] = []
    waited = 0.0
    busy = 0
    while True:
        answer = ca.enrol(target, alias, f"wrong-{secrets.token_hex(4)}", csr, source=source)
        retry = answer.headers.get("retry-after", "")
        trail.append(f"{answer.status} (Retry-After {retry or '-'})")
        if answer.status not in (429, 503):
            return answer.status, trail
        if answer.status == 503:
            busy += 1
            if busy >= _BUSY_ROUNDS:
                return 503, trail
        wait = float(retry) if retry.isdigit() else 1.0
        if wait > _PENDING_MAX_WAIT or waited + wait > _WAIT_BUDGET:
            pytest.skip(
                f"a login for {alias!r} is held off longer than this case waits "
                f"({_WAIT_BUDGET:g} s): {trail}"
            )
        time.sleep(wait + 0.2)  # the CA's Retry-After, which the SPEC says to honour
        waited += wait + 0.2


@pytest.mark.xdist_group("ca-pending-more")
@pytest.mark.req("CA-ENR-14")
@pytest.mark.parametrize("password", list(_HOSTILE_PASSWORDS))
def test_a_login_whose_hash_fails_leaves_nothing_pending(pki_target: Target, password: str) -> None:
    ca.ca_address(pki_target)
    hostile = _HOSTILE_PASSWORDS[password]
    first, second = ca.ghost_alias(), ca.ghost_alias()
    csr = ca.csr_pem(ca.CsrKey.ec("P-256"), ca.name((ca.OID_CN, "ghost")))
    address = ca.sources(pki_target).fresh()
    statuses: list[int] = []
    for _ in range(_threshold(pki_target)):
        answer = ca.enrol(pki_target, first, hostile, csr, source=address)
        statuses.append(answer.status)
        if answer.status in (429, 503):
            break  # throttled (counted) or busy: the follow-ups judge which it is
    what = (
        f"{len(statuses)} sequential logins of the unknown alias {first!r} from {address} "
        f"with a password holding a {password} (answered {statuses})"
    )
    for alias, source, which in (
        (second, address, f"another unknown alias {second!r} from the same address"),
        (first, ca.sources(pki_target).fresh(), f"{first!r} from a fresh address"),
    ):
        status, trail = _follow_up(pki_target, alias, source, csr)
        if status == 503:
            raise ConformanceFailure(
                f"CA-ENR-14: after {what}, a wrong password for {which} got 503 busy "
                f"{_BUSY_ROUNDS} times, each Retry-After waited out: {trail}. Nothing of "
                "ours is pending (every request was answered before the next): the "
                "requests whose password the hash could not take kept their reservation "
                "(the error path does not release it), so the address and the alias stay "
                "busy for everyone, for ever"
            )
        if status != 401:
            raise ConformanceFailure(
                f"CA-ENR-14: after {what}, a wrong password for {which} got {trail}, "
                "want 401 auth_failed once any backoff has run"
            )
