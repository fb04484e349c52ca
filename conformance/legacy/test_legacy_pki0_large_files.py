"""Profile pki-legacy: the responder serves a file past the sizes of a quick test (§7.1.3).

LEG-PKI-FMT-6: the responder reads the file in pieces of 100 bytes and sends each as one
`RSFL`, then closes; the file is the concatenation of the pieces. The audit's other cases
ask for the configured file (a few KiB at most) and an empty one: a responder that reads
the whole file into one fixed buffer first (64 KiB, a 1 MiB read), counts its pieces in a
narrow integer, or stops after a budget of frames passes them all and cuts every real file
short — its requester sees a close, which is the end of the file (LEG-PKI-7), and keeps a
shorter file as complete.

The share holds no such file unless the auditor put one there; the seed's responder opens
any name as sent, absolute ones too (LEG-PKI-5). So the suite writes a file of random bytes
just past 64 KiB in the machine's temporary directory (the target listens on loopback: it
runs on this machine), readable by every user, and asks for it by its absolute name. A
responder that does not serve that name (it confines names, LEG-PKI-5's case reports the
fix, or runs where the file is not) is not judged here; one that serves it MUST serve all
of it, in order.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from conformance.legacy import pki0
from conformance.legacy.conftest import SuiteIdentity
from conformance.legacy.embedded import LegacyPkiTarget

pytestmark = pytest.mark.xdist_group("pki-legacy")

PATIENCE = 3.0  # as test_legacy_pki0.py's: a silent, open connection after the request
SIZE = 64 * 1024 + 137  # past a 64 KiB buffer; 657 pieces, the last one of 37 bytes


@pytest.fixture
def large_file() -> Iterator[tuple[Path, bytes]]:
    content = os.urandom(SIZE)
    fd, name = tempfile.mkstemp(prefix="sft-legacy-large-", suffix=".bin")
    path = Path(name)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(content)
        path.chmod(0o644)
        yield path, content
    finally:
        path.unlink(missing_ok=True)


@pytest.mark.req("LEG-PKI-FMT-6")
def test_a_file_past_64_kib_is_served_whole(
    pki_legacy: LegacyPkiTarget,
    suite_identity: SuiteIdentity,
    large_file: tuple[Path, bytes],
) -> None:
    path, content = large_file
    name = str(path)
    if len(name.encode()) > 190:
        pytest.skip(f"not judged: the temporary file's name is over 190 bytes ({name!r})")
    session = pki0.run_session(
        pki_legacy.host,
        pki_legacy.port,
        suite_identity.certificate_pem,
        suite_identity.key,
        name,
        timeout=60.0,
        patience=PATIENCE,
    )
    if session.answer is None or session.answer.type != b"RSCV":
        pytest.skip(
            f"not judged: the suite's certificate got {session.answer!r}, not RSCV (the "
            "format cases say how)"
        )
    if session.undecryptable or session.misframed or session.header_deviations:
        pytest.skip(
            "not judged: the pieces are not RSA-OAEP SHA-256 '!4sL' RSFL frames under the "
            "suite's key (the format cases of LEG-PKI-FMT-1/FMT-6 report it)"
        )
    if not session.rsfl_payloads:
        pytest.skip(
            f"not judged: the responder served nothing for the absolute name {name!r} "
            "(it confines names, LEG-PKI-5's case says so, or cannot read the file)"
        )
    got = session.content
    if got == content:
        return
    sizes = [len(p) for p in session.pieces]
    wrong_sizes = [i for i, n in enumerate(sizes[:-1]) if n != 100]
    first = next(
        (i for i, (a, b) in enumerate(zip(got, content, strict=False)) if a != b),
        min(len(got), len(content)),
    )
    pytest.fail(
        "LEG-PKI-FMT-6 (the responder sends the file in 100-byte pieces, each one RSFL, "
        "then closes; the file is their concatenation) violated: asked for a file of "
        f"{len(content)} bytes (SHA-256 {hashlib.sha256(content).hexdigest()[:16]}…, "
        f"{-(-len(content) // 100)} pieces), received {len(session.pieces)} pieces, "
        f"{len(got)} bytes, differing from offset {first}"
        + (f"; pieces not of 100 bytes before the last: {wrong_sizes[:5]}" if wrong_sizes else "")
        + ("" if session.closed else "; the connection was not closed"),
        pytrace=False,
    )
