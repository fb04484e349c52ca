"""A login's throttle does not depend on how its request is spelled (docs/SPEC.md §4.4,
CA-ENR-7, CA-ENR-2).

CA-ENR-2 makes several spellings of one enrolment request the same request: the target in
absolute form (`POST https://HOST:PORT/v1/enroll`, RFC 9112 §3.2.2, its scheme in any
case), an `Expect: 100-continue`, a `Content-Type` of `application/json` with parameters
and in any letter case, and any JSON text of the object (member order, escapes such as
`\\u0067`). CA-ENR-7 then throttles failed logins per alias and per address: a login is
a login whichever spelling it came in. A CA whose throttle is wired to one route, one
header path or one spelling of the alias (a middleware matched on the path as written, an
interim-answer path that calls the password check directly, a key taken from the raw
JSON) gives an attacker unlimited guesses by changing a byte of the head.

Each variant sends wrong passwords for a fresh unknown alias (unknown aliases are counted
like known ones) from one fresh address, all in that spelling: with the declared
threshold N (`[limits] ca_throttle_failures`) the first N MUST be `401` and the next
`429` (undeclared: a `429` within 12 logins). Then one login in the ordinary spelling
(origin-form target, plain JSON) is sent at once: the backoff the variant's failures
started (the declared `ca_throttle_base`, else the SPEC's 1 s) still runs, so it MUST be
`429` too — the variant's failures are the same alias's and address's. That probe is
judged only when its answer came less than one base after the last failure was sent (the
backoff cannot have ended); a slower machine retries with a fresh alias, up to three
times, and SKIPs if it never is.
"""

from __future__ import annotations

import socket
import ssl
import time

import pytest

from conformance import ca_support as ca
from conformance.target import Target
from conformance.wire import ConformanceFailure

pytestmark = [
    pytest.mark.profile("pki"),
    pytest.mark.side("ca"),
    pytest.mark.xdist_group("ca-throttle"),
]

_WAIT = 10.0
_UNDECLARED = 12
_TRIES = 3

_VARIANTS = (
    "absolute-form-target",
    "absolute-form-upper-case-scheme",
    "expect-100-continue",
    "content-type-with-parameters",
    "escaped-reordered-members",
)


def _escaped(text: str) -> str:
    """`text` as a JSON string with every character escaped (\\u00XX...)."""
    return '"' + "".join(f"\\u{ord(c):04x}" for c in text) + '"'


def _login(
    target: Target, variant: str, alias: str, password: str, csr: str, source: str | None
) -> tuple[int, float]:
    """One login in `variant`'s spelling ("plain": the ordinary one): the final status
    (after any 1xx; 0 when none came) and the monotonic time the request was sent."""
    host, port = ca.ca_address(target)
    authority = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    request_target = "/v1/enroll"
    content_type = "application/json"
    extra: list[str] = []
    body = ca.enrol_body(alias, password, csr)
    if variant == "absolute-form-target":
        request_target = f"https://{authority}/v1/enroll"
    elif variant == "absolute-form-upper-case-scheme":
        request_target = f"HTTPS://{authority}/v1/enroll"
    elif variant == "expect-100-continue":
        extra.append("Expect: 100-continue")
    elif variant == "content-type-with-parameters":
        content_type = "Application/JSON; charset=UTF-8"
    elif variant == "escaped-reordered-members":
        body = (
            "{ " + '"csr" : ' + _escaped(csr) + ", " + '"password": ' + _escaped(password)
            + ", " + '"\\u0061lias": ' + _escaped(alias) + " }"
        ).encode("ascii")
    head = "\r\n".join(
        [
            f"POST {request_target} HTTP/1.1",
            f"Host: {authority}",
            f"Content-Type: {content_type}",
            f"Content-Length: {len(body)}",
            *extra,
        ]
    )
    data = (head + "\r\n\r\n").encode("ascii") + body
    deadline = time.monotonic() + _WAIT
    received = b""
    with (
        socket.create_connection(
            (host, port), timeout=_WAIT, source_address=(source, 0) if source else None
        ) as raw,
        ca.tls_context(target).wrap_socket(raw) as tls,
    ):
        sent = time.monotonic()
        tls.sendall(data)
        while time.monotonic() < deadline:
            tls.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                chunk = tls.recv(65536)
            except (TimeoutError, ssl.SSLError, OSError):
                break
            if not chunk:
                break
            received += chunk
            answers, _rest = ca.split_answers(received)
            final = next((status for status, _ in answers if status >= 200), None)
            if final is not None:
                return final, sent
    return 0, sent


@pytest.mark.req("CA-ENR-7")
@pytest.mark.parametrize("variant", _VARIANTS)
def test_logins_in_another_spelling_are_throttled_alike(pki_target: Target, variant: str) -> None:
    ca.ca_address(pki_target)
    n = pki_target.limits.ca_throttle_failures
    if n is not None and not 1 <= n <= 20:
        pytest.skip(f"a declared threshold of {n} takes too many logins")
    base = pki_target.limits.ca_throttle_base or 1.0
    sources = ca.sources(pki_target)
    most = n + 1 if n is not None else _UNDECLARED
    for _attempt in range(_TRIES):
        alias = ca.ghost_alias()
        address = sources.fresh()
        csr = ca.csr_pem(ca.CsrKey.ec("P-256"), ca.name((ca.OID_CN, alias)))
        context = (
            f"CA-ENR-7: wrong passwords for the unknown alias {alias!r} from one address, "
            f"each login spelled {variant} (declared threshold {n})"
        )
        statuses: list[int] = []
        last_failure = 0.0
        for i in range(most):
            status, sent = _login(pki_target, variant, alias, f"wrong-{i}-{alias}", csr, address)
            statuses.append(status)
            if status != 401:
                break
            last_failure = sent
        if statuses[-1] not in (401, 429):
            pytest.skip(f"the CA answered {statuses[-1]} (not a throttle's answer): {statuses}")
        if n is not None and statuses[:n] != [401] * n:
            pytest.skip(
                f"the CA did not answer the first {n} failures 401: {statuses} (judged elsewhere)"
            )
        if statuses[-1] == 401:
            raise ConformanceFailure.evidence(
                context,
                (f"{n} times 401, then 429" if n is not None else "429 within 12 logins")
                + ": a login spelled so is a login (CA-ENR-2), and its failures count",
                f"answers {statuses}",
                note="a throttle wired to one spelling of the request never meets this one",
            )
        if last_failure == 0.0:
            pytest.skip(f"the CA answered 429 before any failure: {statuses} (judged elsewhere)")
        status, _sent = _login(pki_target, "plain", alias, f"probe-{alias}", csr, address)
        answered = time.monotonic()
        if status == 429:
            return
        if answered - last_failure >= base:
            continue  # the backoff may have ended: try again with a fresh alias
        raise ConformanceFailure.evidence(
            f"{context}; then at once one login in the ordinary spelling",
            f"429: the backoff the failures above started ({base:g} s) still runs, for the "
            "same alias and address",
            f"{status} {answered - last_failure:.2f} s after the last failure was sent",
            note="the failures were counted under another key than the ordinary login's",
        )
    pytest.skip(f"no probe came within {base:g} s of the last failure in {_TRIES} tries")
