"""sft-pki/1: a responder serves an employee whatever legal layout of its chain the client
sends: its own certificate alone, or followed by the root (docs/SPEC.md §4.2 PKI-CERT-10,
§4.1 PKI-TLS-3, PKI-TLS-4).

PKI-CERT-10: "The peer's chain MUST be exactly the employee certificate issued directly by
the organisation root". TLS 1.3 (RFC 8446 §4.4.2) lets the sender leave out the
certificate of the trust anchor, and stacks differ: OpenSSL builds the chain from its
trust store and sends the root along (the reference, Python's ssl, the suite's own
channels), while Go's crypto/tls, rustls, Java's default key managers and an identity file
holding only the leaf send the employee certificate alone. Both are "exactly the employee
certificate issued directly by the root"; the responder holds the root itself (PKI-TLS-4:
its only trust anchor), so it never needs the client to send it. A responder that looks
for the client's issuer in the chain the client sent — to check "issued directly by the
root" by hand, or to pick the certificate to verify against — refuses every client that
leaves the root out; one that takes "exactly one certificate" literally refuses every
OpenSSL client. Since every other case connects with OpenSSL's layout, only this case
shows the first.

Each layout connects with the suite's own employee identity (the one every other case
uses) and asks for a known file (or a name no file has, without the `get` feature): the
first answer MUST be the answer to that request — RSFL, or a non-fatal `not_found` /
`unsupported` — never a refused handshake, `auth_failed` or the close. The leaf-only
client's context trusts nothing (no root to build a chain from, so OpenSSL sends the leaf
alone) and does not verify the responder: what it checks is the responder's judgement of
the client, which the other cases judge with verification on.
"""

from __future__ import annotations

import ssl
from pathlib import Path

import pytest

from conformance._wire_fixtures import TranscriptBook, fresh_name, suite_identity
from conformance.pki_channel import ALPN, PkiChannel, client_context, connect_pki
from conformance.plugin import unsupported
from conformance.target import Target
from conformance.wire import ConformanceFailure, ExpectError, ExpectFrame

__all__: list[str] = []


def _leaf_only(cert: Path, key: Path) -> ssl.SSLContext:
    """A TLS 1.3 client context with no trust store: OpenSSL finds no issuer to add, so
    the Certificate message carries the employee certificate alone."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE  # this case judges the responder's view of the client
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    ctx.maximum_version = ssl.TLSVersion.TLSv1_3
    ctx.load_cert_chain(str(cert), str(key))
    ctx.set_alpn_protocols([ALPN])
    return ctx


def _with_root(root: Path, cert: Path, key: Path, workdir: Path) -> ssl.SSLContext:
    """The employee certificate followed by the root, as OpenSSL and most stacks send it
    (written explicitly into the chain file, whatever the store would add)."""
    chain = workdir / "leaf-and-root.pem"
    chain.write_bytes(cert.read_bytes().rstrip(b"\n") + b"\n" + root.read_bytes())
    return client_context(root, chain, key)


@pytest.mark.req("PKI-CERT-10", "PKI-TLS-3")
@pytest.mark.parametrize("layout", ["leaf-only", "leaf-then-root"])
def test_employee_served_whatever_chain_layout(
    target: Target, transcripts: TranscriptBook, tmp_path: Path, layout: str
) -> None:
    if target.profile != "pki":
        unsupported("sft-pki/1 only")
    if target.root is None:
        unsupported("the target declares no organisation root (--root)")
        return
    cert, key = suite_identity(target, tmp_path)
    if layout == "leaf-only":
        ctx = _leaf_only(cert, key)
    else:
        ctx = _with_root(target.root, cert, key, tmp_path)
    known = next((f for f in target.files if f.size > 0), None) if target.has("get") else None
    name = known.name if known is not None else fresh_name("sft-chain-layout")
    context = (
        f"PKI-CERT-10: the suite's employee certificate sent as {layout} "
        f"({'its certificate alone' if layout == 'leaf-only' else 'its certificate, then the root'}"
        f"), then RQFL {name!r}"
    )
    expected = (
        "the request answered (RSFL, or a non-fatal not_found/unsupported): a chain of the "
        "employee certificate issued directly by the root, with or without the root, is "
        "a valid client (the responder holds the root itself)"
    )
    result = connect_pki(target.host, target.port, ctx, name=f"client chain {layout}")
    if not isinstance(result, PkiChannel):
        transcripts.add(result.transcript)
        raise ConformanceFailure.evidence(context, expected, f"handshake refused: {result}")
    transcripts.add(result)
    try:
        result.send_frame("RQFL", {"name": name})
        outcome = result.expect([ExpectFrame("RSFL"), ExpectError("not_found", "unsupported")])
        if not outcome.ok:
            raise ConformanceFailure.evidence(context, expected, outcome.describe())
    finally:
        result.close()
