"""ERR-6 / CA-ENR-12: the ENROLMENT CLIENT explains an answer whose HTTP head it cannot
parse — a status line that is not HTTP's, a thousand header lines, one header line of
70 000 bytes — with a message, never a stack trace.

"An endpoint MUST NOT answer any input with a stack trace, a debug dump …" (ERR-6); the
enrolment client keeps a certificate only from a `200` answer (CA-ENR-12). The other
enrolment cases bend the answer's status code, its body and the TLS under it; its HTTP
head is always well formed. An HTTP library refuses a head it cannot parse with an
exception of its own, and that exception is often not the one the client's "cannot reach
the CA" path catches: Python's http.client raises `BadStatusLine`, `LineTooLong` or "got
more than 100 headers" — `HTTPException`s, which are not `OSError`s nor
`ConnectionError`s (a client that guards its request with `except (ConnectionError,
ssl.SSLError)`, or with `URLError` alone, dies on them); other libraries have their own
(a Go `malformed HTTP response`, a Java `ProtocolException`).

The suite's CA (test_enroll_client.py's) completes the TLS handshake, reads the enrolment
request and answers it with an honest body under a broken head:

- `status-line-not-http`: `SFT/1.0 200 OK` in place of `HTTP/1.1 200 OK` (no HTTP answer
  at all): the client must fail — non-zero exit, no certificate stored — and explain it;
- slow run: `HTTP/1.1 2OO OK` (a status code that is not digits), a thousand
  `X-Pad: 1` header lines before the real ones (a header repeated thousands of times), one
  header line of 70 000 bytes. A client whose HTTP library takes those heads may enrol
  (its CA answered 200 with a certificate for its key); one that refuses them fails. Either
  way its output holds no stack trace.

Fixtures (conformance/plugin.py): `target` (pki, lab mode, the target file's `enroll_cmd`),
`tmp_path`.
"""

from __future__ import annotations

import ssl
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from conformance._wire_fixtures import lab_pki
from conformance.target import Target
from conformance.test_enroll_client import (
    HostileCa,
    _ca_certificate,
    _fail,
    _honest,
    _server_context,
    _stored,
    run_against,
)
from conformance.test_error_disclosure import stack_trace_in

__all__: list[str] = []

pytestmark = [pytest.mark.profile("pki"), pytest.mark.side("initiator")]

Rewrite = Callable[[bytes], bytes]


def _first_line(replacement: bytes) -> Rewrite:
    def rewrite(head: bytes) -> bytes:
        return replacement + head[head.index(b"\r\n") :]

    return rewrite


def _after_status(extra: bytes) -> Rewrite:
    def rewrite(head: bytes) -> bytes:
        cut = head.index(b"\r\n") + 2
        return head[:cut] + extra + head[cut:]

    return rewrite


# kind -> (how the answer's head is broken, whether the client must fail)
_HEADS: dict[str, tuple[Rewrite, bool]] = {
    "status-line-not-http": (_first_line(b"SFT/1.0 200 OK"), True),
    "status-code-not-digits": (_first_line(b"HTTP/1.1 2OO OK"), True),
    "thousand-header-lines": (_after_status(b"X-Pad: 1\r\n" * 1000), False),
    "header-line-70000-bytes": (_after_status(b"X-Pad: " + b"a" * 70_000 + b"\r\n"), False),
}
_KINDS = [
    pytest.param(k, id=k, marks=[] if k == "status-line-not-http" else [pytest.mark.slow])
    for k in _HEADS
]


class _HeadRewriter:
    """The TLS socket of one CA connection, whose answer's head goes out rewritten."""

    def __init__(self, tls: ssl.SSLSocket, rewrite: Rewrite) -> None:
        self._tls = tls
        self._rewrite = rewrite

    def sendall(self, data: bytes) -> None:
        if data.startswith(b"HTTP/1.1 ") and b"\r\n\r\n" in data:
            head, _, body = data.partition(b"\r\n\r\n")
            data = self._rewrite(head) + b"\r\n\r\n" + body
        self._tls.sendall(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._tls, name)


class _RewritingContext:
    """A server context whose sockets send their answers' heads rewritten."""

    def __init__(self, context: ssl.SSLContext, rewrite: Rewrite) -> None:
        self._context = context
        self._rewrite = rewrite

    def wrap_socket(self, sock: Any, server_side: bool = True) -> _HeadRewriter:
        return _HeadRewriter(
            self._context.wrap_socket(sock, server_side=server_side), self._rewrite
        )


@pytest.mark.req("ERR-6", "CA-ENR-12")
@pytest.mark.parametrize("kind", _KINDS)
def test_enrolment_client_explains_an_unparsable_answer_head(
    target: Target, tmp_path: Path, kind: str
) -> None:
    lab = lab_pki(target)
    assert target.root is not None
    rewrite, must_fail = _HEADS[kind]
    context = _RewritingContext(_server_context(tmp_path, _ca_certificate(lab)), rewrite)
    ca = HostileCa(context, _honest(lab), lab.root.crl_der(), target.root.read_bytes())  # type: ignore[arg-type]
    run = run_against(target, tmp_path, ca)
    if not ca.enrolments():
        pytest.fail(f"the enrolment client never sent its request: {run.describe()}")
    what = (
        f"ERR-6: the CA answers the enrolment with an honest body under a broken HTTP head ({kind})"
    )
    trace = stack_trace_in(run.output)
    if trace is not None:
        _fail(what, "a message, never a stack trace or crash dump", run, trace, req="ERR-6")
    if must_fail and (run.returncode == 0 or _stored(run.out).certs):
        _fail(
            what,
            "the enrolment fails (non-zero exit, no certificate kept): this is no HTTP 200",
            run,
            f"exit {run.returncode}",
            req="CA-ENR-12",
        )
