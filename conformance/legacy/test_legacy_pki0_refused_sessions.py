"""Profile pki-legacy: a refused request costs the requester nothing (§7.1.3).

A responder session ends with a bare close whenever the request cannot be served: the
file does not exist (LEG-PKI-FMT-7), the RQFL does not decrypt. The seed gives every
connection its own thread and keeps no state between them. A responder that bounds its
resources — N sessions per requester alias, N threads, a per-peer "busy" flag — takes a
slot at the start of a session and may give it back only on the happy path (after the
last RSFL, before the `goto out` / `defer` of the refusals): each refused request then
holds its slot for ever, and after N of them the requester's next, honest, request is
refused (RSCI, or a close at SECE) — where a SECE certificate signed by the root MUST be
answered RSCV (LEG-PKI-FMT-4) and the file sent (LEG-PKI-FMT-6). The other cases make a
few refused requests each, interleaved with honest ones; here one requester makes many
in a row — each taken to its bare close — then asks for a file that exists.

In lab mode (`--ca-key`) the requester is an alias minted for this case alone, so that a
responder that leaks does not refuse the suite's identity in the cases that follow.
"""

from __future__ import annotations

import datetime
import hashlib
import os

import pytest
from Crypto.PublicKey import RSA

from conformance.legacy import der, pki0
from conformance.legacy.conftest import SuiteIdentity
from conformance.legacy.embedded import LegacyPkiTarget
from conformance.legacy.stream import Closed, LegacyStream, TimedOut

pytestmark = pytest.mark.xdist_group("pki-legacy")

# Refused requests in a row: more than any bound a responder would put on one peer's
# concurrent sessions (the cases in test_legacy_pki0_connections.py open a few at once).
REFUSED = 40
# How long a refused session may take to close (bounded; a responder that keeps it open
# is LEG-PKI-8's finding, not this case's).
PATIENCE = 3.0


def _fail(ids: str, evidence: str) -> None:
    pytest.fail(f"{ids} violated: {evidence}", pytrace=False)


def _requester(target: LegacyPkiTarget, identity: SuiteIdentity) -> tuple[str, RSA.RsaKey, bytes]:
    """(alias, key, certificate PEM): a fresh alias in lab mode, else the suite's identity."""
    if target.ca_key is not None and target.root is not None:
        key = pki0.suite_key(5)
        alias = f"refused-{os.urandom(3).hex()}"
        now = datetime.datetime.now(datetime.UTC)
        pem = der.mint_under_root(
            target.root.read_bytes(),
            RSA.import_key(target.ca_key.read_bytes()),
            alias,
            key,
            not_before=now - datetime.timedelta(minutes=5),
            not_after=now + datetime.timedelta(days=1),
        )
        return alias, key, pem
    return identity.alias, identity.key, identity.certificate_pem


def _refused_session(target: LegacyPkiTarget, pem: bytes, how: int) -> str:
    """SECE, then (after RSCV) an RQFL that cannot be served — `how` 0: a name that does
    not exist, 1: 256 random bytes (no OAEP block) — or, `how` 2, the requester's close
    instead of an RQFL; '' when it ended in a close with no RSFL, else what happened (the
    refusal's form is not judged here)."""
    with LegacyStream(target.host, target.port, 10.0) as stream:
        stream.send(pki0.frame(b"SECE", pem))
        answer = pki0.read_frame(stream, lenient=[])
        if answer.type != b"RSCV":
            return f"SECE answered {answer.type!r}"
        if how == 2:
            return ""
        rqfl = os.urandom(256) if how == 1 else None
        payload = rqfl if rqfl is not None else pki0.oaep_encrypt(
            der.read_certificate_leniently(answer.payload).public_key,
            f"no-such-file-{os.urandom(4).hex()}.bin".encode(),
        )  # fmt: skip
        stream.send(pki0.frame(b"RQFL", payload))
        try:
            while True:
                pki0.read_frame(stream, PATIENCE, lenient=[])
        except (Closed, TimedOut, ValueError):
            return ""


@pytest.mark.req("LEG-PKI-FMT-4", "LEG-PKI-FMT-6")
def test_many_refused_requests_leave_the_next_one_served(
    pki_legacy: LegacyPkiTarget, suite_identity: SuiteIdentity
) -> None:
    """REFUSED sessions of one requester, one after another — a name that does not exist,
    an RQFL of 256 random bytes (no OAEP block), or the requester's close right after
    RSCV — then the same requester's SECE: RSCV, and the known file (when the target file
    names one) whole."""
    alias, key, pem = _requester(pki_legacy, suite_identity)
    try:
        first = pki0.run_session(pki_legacy.host, pki_legacy.port, pem, key, None)
    except (Closed, TimedOut, OSError) as exc:
        pytest.skip(f"not judged: the requester's first SECE got {exc!r}")
    if first.answer is None or first.answer.type != b"RSCV":
        pytest.skip(f"not judged: the requester {alias!r} is not served at all "
                    f"({first.answer.type if first.answer else 'no answer'!r})")  # fmt: skip
    for number in range(REFUSED):
        try:
            odd = _refused_session(pki_legacy, pem, number % 3)
        except (Closed, TimedOut, ValueError, OSError) as exc:
            odd = f"{type(exc).__name__}: {exc}"
        if odd:
            _fail(
                "LEG-PKI-FMT-4 (a SECE certificate signed by the root is answered RSCV)",
                f"after {number} refused requests of {alias!r} (a name that does not exist, "
                "an RQFL that does not decrypt, or the requester's close after RSCV, in "
                f"turn), its next SECE: {odd}; its first was answered RSCV",
            )
    known = pki_legacy.known_file
    session = pki0.run_session(
        pki_legacy.host, pki_legacy.port, pem, key, known.name if known else None
    )
    if session.answer is None or session.answer.type != b"RSCV":
        got = session.answer.type if session.answer is not None else b"a close"
        _fail(
            "LEG-PKI-FMT-4 (a SECE certificate signed by the root is answered RSCV)",
            f"after {REFUSED} refused requests of {alias!r} its honest request got {got!r} "
            "at SECE, where its first was answered RSCV: each refusal kept something",
        )
    if known is not None:
        content = session.content
        if len(content) != known.size or hashlib.sha256(content).hexdigest() != known.sha256:
            _fail(
                "LEG-PKI-FMT-6 (the file is sent in RSFL pieces, then the close)",
                f"after {REFUSED} refused requests of {alias!r} its request for "
                f"{known.name!r} ({known.size} bytes) got {len(content)} bytes in "
                f"{len(session.rsfl_payloads)} RSFL",
            )
