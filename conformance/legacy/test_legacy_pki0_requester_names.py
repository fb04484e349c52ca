"""Profile pki-legacy: the requester's RQFL carries the file name in UTF-8 (docs/SPEC.md
§7.1.3).

RQFL is `OAEP(responder public key, name)`, `name` in UTF-8 (LEG-PKI-FMT-5). Every other
requester case asks for an ASCII name ('report.bin'), whose bytes are the same in UTF-8,
ISO-8859-1, Windows-1252 and US-ASCII. A requester can pass them and still encode the
name in its platform's charset (Java's `String.getBytes()`, Python 2's `str`, a C
`wchar_t` conversion under the C locale): 'é' as one byte 0xE9, or '?' for what the
charset lacks. Here the requester is asked, on its command line, for a name with a
Latin-1 letter and Cyrillic ones; the suite's responder (a second certified key, as in
test_legacy_pki0_requester.py) decrypts the RQFL and compares it with the UTF-8 bytes
of that name.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from conformance.legacy.conftest import SuiteIdentity
from conformance.legacy.embedded import LegacyPkiTarget
from conformance.legacy.test_legacy_pki0 import _run_requester, _wanted_alias
from conformance.legacy.test_legacy_pki0_requester import _responder, _whole
from conformance.legacy.test_legacy_pki0_responder import another_identity

pytestmark = pytest.mark.xdist_group("pki-legacy")

NAME = "caf\u00e9-\u043e\u0442\u0447\u0451\u0442.bin"  # 'café-отчёт.bin', 20 bytes in UTF-8


@pytest.mark.req("LEG-PKI-FMT-5")
def test_rqfl_carries_the_name_in_utf8(
    pki_legacy: LegacyPkiTarget, suite_identity: SuiteIdentity, tmp_path: Path
) -> None:
    content = os.urandom(150)
    key, certificate = another_identity(pki_legacy, 3, _wanted_alias(pki_legacy))
    listener, seen, thread = _responder(key, certificate, content, [100, 50], _whole)
    try:
        done, _ = _run_requester(
            pki_legacy, suite_identity, tmp_path, listener.getsockname()[1], NAME
        )
    finally:
        listener.close()
        thread.join(timeout=30)
    if "misframed" in seen:
        pytest.skip(f"not judged: the requester's frames deviate ({seen['misframed']!r})")
    if "rqfl" not in seen:
        pytest.skip(
            f"not judged: the requester sent no RQFL ({done.describe()}; "
            f"{seen.get('error', b'')!r}); the format cases say why"
        )
    want = NAME.encode("utf-8")
    if seen["rqfl type"] != b"RQFL" or not seen["name"]:
        pytest.skip(
            "not judged: the requester's RQFL does not decrypt under the RSCV key "
            "(test_legacy_pki0_requester.py reports it)"
        )
    if seen["name"] == want:
        return
    pytest.fail(
        "LEG-PKI-FMT-5 (RQFL is OAEP(responder public key, name), `name` in UTF-8) "
        f"violated: the requester was asked for {NAME!r} (UTF-8: {want.hex()}, {len(want)} "
        f"bytes); its RQFL decrypts to {seen['name']!r} ({seen['name'].hex()}, "
        f"{len(seen['name'])} bytes): not the UTF-8 of the name",
        pytrace=False,
    )
