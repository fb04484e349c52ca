"""sft-pki/1: the ENROLMENT client under test reads the CA's answer whole, however the CA's
TLS records cut it (docs/SPEC.md §4.4 CA-ENR-2, CA-ENR-12; RFC 9112 §6.3: the body is the
`Content-Length` bytes after the head, in however many pieces they come).

test_enroll_client.py's hostile CA writes each answer (head and body) in one write, one TLS
record: a client that reads the body with a single read (`read1`, one `SSL_read`, one
`recv`) of "whatever is there", or that expects the head in one read, gets it whole from
that CA and from its author's. A CA behind another TLS stack, a proxy or a slow link sends
the same answer in several records. Here the suite plays an honest CA (a root-issued
certificate for the CSR's own key, CN = the alias asked for, as test_enroll_client.py's
`honest`) that writes each answer in pieces, each piece its own TLS record, with nothing
else changed:

- `growing`: pieces of 1, 1, 2, 3, 5, 8, ... bytes (Fibonacci), so that the status line,
  the header lines, the blank line and the body are all cut, the body into several records;
- (slow run) `body_bytewise`: the head in one record, the body one byte per record.

The enrolment MUST succeed (exit 0) with the key and the certificate the CA answered
stored, as at test_enroll_client.py's honest CA [CA-ENR-12]: a client that loses or cuts
the body reports a JSON or PEM error for a valid answer and is left without its identity.

Fixtures (conformance/plugin.py): `target` (pki, lab mode), `tmp_path`.
"""

from __future__ import annotations

import ssl
from pathlib import Path
from typing import Any

import pytest

from conformance._wire_fixtures import lab_pki
from conformance.target import Target
from conformance.test_enroll_client import (
    HostileCa,
    _ca_certificate,
    _honest,
    _judge_own_key,
    _server_context,
    run_against,
)

pytestmark = [pytest.mark.profile("pki"), pytest.mark.side("initiator")]

_MAX_PIECES = 4096  # bounds every split (an answer of a few KiB)


def _growing(data: bytes) -> list[bytes]:
    pieces: list[bytes] = []
    a, b, at = 1, 1, 0
    while at < len(data) and len(pieces) < _MAX_PIECES:
        pieces.append(data[at : at + a])
        at += a
        a, b = b, a + b
    if at < len(data):
        pieces.append(data[at:])
    return pieces


def _body_bytewise(data: bytes) -> list[bytes]:
    head, sep, body = data.partition(b"\r\n\r\n")
    pieces = [head + sep]
    pieces += [body[i : i + 1] for i in range(min(len(body), _MAX_PIECES))]
    if len(body) > _MAX_PIECES:
        pieces.append(body[_MAX_PIECES:])
    return pieces


_SPLITS = {"growing": _growing, "body_bytewise": _body_bytewise}
_SLOW = frozenset({"body_bytewise"})


def _piecewise_socket(split: Any) -> type[ssl.SSLSocket]:
    class PiecewiseSocket(ssl.SSLSocket):
        """Each piece of an answer written on its own: one TLS record per piece."""

        def sendall(self, data: Any, flags: int = 0) -> None:
            for piece in split(bytes(data)):
                super().sendall(piece, flags)

    return PiecewiseSocket


@pytest.mark.req("CA-ENR-12")
@pytest.mark.parametrize(
    "split", [pytest.param(k, marks=pytest.mark.slow) if k in _SLOW else k for k in _SPLITS]
)
def test_enrolment_client_reads_an_answer_cut_into_records(
    target: Target, tmp_path: Path, split: str
) -> None:
    lab = lab_pki(target)
    assert target.root is not None
    context = _server_context(tmp_path, _ca_certificate(lab))
    context.sslsocket_class = _piecewise_socket(_SPLITS[split])
    ca = HostileCa(context, _honest(lab), lab.root.crl_der(), target.root.read_bytes())
    run = run_against(target, tmp_path, ca)
    _judge_own_key(
        run,
        f"CA-ENR-12: enrolment at an honest CA whose answers come in TLS records of "
        f"{'1, 1, 2, 3, 5, 8, ... bytes' if split == 'growing' else 'one byte of body each'} "
        f"({split}; the same answer in one record is test_enroll_client.py's honest case)",
        must_succeed=True,
    )
