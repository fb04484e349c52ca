"""The 64 KiB body limit is per request, however many requests a connection carries
(docs/SPEC.md §4.4: CA-ENR-9).

CA-ENR-9: bodies over 64 KiB (65536 bytes) are answered `413`; a body of at most 65536
bytes is read and answered as what it is. HTTP/1.1 keeps connections alive: one TLS
connection may carry many requests. A CA that turns the limit into a budget of the
connection (set once when the connection starts, spent by each body: "no client sends
more than 64 KiB") answers `413` to a later request that is itself under the limit.

On one kept-alive connection: logins (a made-up alias, a wrong password padded to the
size wanted, a valid CSR) whose bodies are each at most 65536 bytes and together more:
a small one then one of exactly 65536 bytes (the boundary), and two of 40 000 bytes.
Every answer must be the login's own (`401`, or `429`/`503` from the throttle), never
`413`. A CA that closes the connection after an answer cannot be judged this way: SKIP.
"""

from __future__ import annotations

import http.client
import json
import secrets

import pytest

from conformance import ca_support as ca
from conformance.target import Target
from conformance.wire import ConformanceFailure

pytestmark = [
    pytest.mark.profile("pki"),
    pytest.mark.side("ca"),
    pytest.mark.xdist_group("ca-body-limit-per-request"),
]

_SIZES = {
    "small-then-65536": (1000, 65536),
    "two-of-40000": (40000, 40000),
}


def _login_body(size: int) -> bytes:
    """A JSON login of exactly `size` bytes: a made-up alias, a wrong password padded."""
    alias = ca.ghost_alias()
    csr = ca.csr_pem(ca.CsrKey.ec("P-256"), ca.name((ca.OID_CN, alias)))
    stem = f"wrong-{secrets.token_hex(4)}-"
    base = len(json.dumps({"alias": alias, "password": stem, "csr": csr}).encode())
    body = json.dumps({"alias": alias, "password": stem + "p" * (size - base), "csr": csr})
    data = body.encode()
    assert len(data) == size, (len(data), size)
    return data


@pytest.mark.req("CA-ENR-9")
@pytest.mark.parametrize("sizes", list(_SIZES))
def test_each_body_on_a_kept_alive_connection_has_the_whole_limit(
    pki_target: Target, sizes: str
) -> None:
    host, port = ca.ca_address(pki_target)
    source = ca.sources(pki_target).fresh()
    conn = http.client.HTTPSConnection(
        host,
        port,
        timeout=ca.TIMEOUT,
        context=ca.tls_context(pki_target),
        source_address=(source, 0) if source else None,
    )
    seen: list[str] = []
    try:
        for n, size in enumerate(_SIZES[sizes]):
            body = _login_body(size)
            try:
                conn.request(
                    "POST", "/v1/enroll", body=body, headers={"Content-Type": "application/json"}
                )
                response = conn.getresponse()
                answer = response.read()
            except (http.client.HTTPException, OSError) as exc:
                if n == 0:
                    raise
                pytest.skip(
                    f"the CA ended the connection after {seen[-1]} ({type(exc).__name__}): "
                    "no second request on it to judge"
                )
            seen.append(f"HTTP {response.status} for a {size}-byte body {answer[:120]!r}")
            if response.status == 413:
                raise ConformanceFailure.evidence(
                    "CA-ENR-9: on one kept-alive TLS connection, logins (a made-up alias, a "
                    f"wrong password padded, a valid CSR) with bodies of {_SIZES[sizes]} "
                    "bytes, each at most 65536",
                    "each answered as its own login (401, or 429/503 from the throttle): "
                    "the 64 KiB limit is per request",
                    "; ".join(seen),
                    note="the body limit kept as a budget of the connection: a later body "
                    "under 64 KiB is refused 413",
                )
            if response.status not in (401, 429, 503):
                pytest.skip(f"a wrong password for a made-up alias: {seen[-1]}")
            if response.getheader("Connection", "").lower() == "close":
                if n + 1 < len(_SIZES[sizes]):
                    pytest.skip(f"the CA closes after {seen[-1]}: no second request to judge")
    finally:
        conn.close()
