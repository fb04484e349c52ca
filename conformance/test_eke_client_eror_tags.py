"""An sft-eke/1 CLIENT's `EROR auth_failed` for a C2 that does not verify says nothing computed
from the password (SPEC EKE-PW-3, ERR-5, EKE-HS-9).

The suite plays a server that knows the password: B is honest (so the suite holds the
client's Z and every key of EKE-KS-3), but C2's tag is altered (one bit, or C2 sealed
over another Ns with a wrong key). The client answers `EROR auth_failed` (or closes). Its
message (and every other member) is searched for a value only the password's holder can
compute — hexadecimal (either case) or base64 of any 6 consecutive bytes, or of their
SHA-256 — among:

* the GCM tag the client computed over the C2 it received (a "tag mismatch: expected …"
  debugging line: with it, a fake server checks password guesses offline, one per
  guess, without another login),
* the tag an honest C2 would carry, and the plaintext the client decrypted,
* Z, PRK, Kcs, Kcc and the record keys and IVs.

(test_eke_client_eror_nonces.py searches the client's EROR for Ns and Na,
test_eke_client_key_fingerprints.py its output for key digests.)
"""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path
from typing import Any

import pytest
from Crypto.Cipher import AES

from conformance import eke
from conformance.eke_hostile import (
    ClientCase,
    ServerView,
    eke_pw,
    fresh_password,
    read_frame,
    run_case,
)
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.wire import ConformanceFailure, RawConnection, ReceivedFrame

pytestmark = [
    pytest.mark.profile("eke"),
    pytest.mark.side("initiator"),
    pytest.mark.xdist_group("eke-client"),
]

_TIMEOUT = 5.0
_NAME = "eror-tags.bin"
_USER = "alice"
_TAG = 16
_WINDOW = 6  # bytes: a run this long of a secret value, in any encoding named above


def _gcm_parts(key: bytes, nonce: bytes, sealed: bytes, ad: bytes) -> tuple[bytes, bytes]:
    """(the plaintext under `key`, unverified; the tag `key` gives that ciphertext)."""
    body = sealed[:-_TAG]
    ctr = AES.new(key, AES.MODE_CTR, nonce=nonce, initial_value=2)
    plain = ctr.decrypt(body)
    gcm = AES.new(key, AES.MODE_GCM, nonce=nonce)
    gcm.update(ad)
    _, tag = gcm.encrypt_and_digest(plain)
    return plain, tag


def _forms(value: bytes) -> set[str]:
    """Every window of `value` (and of its SHA-256) as hex (lower case) and base64."""
    out: set[str] = set()
    for data in (value, hashlib.sha256(value).digest()):
        for i in range(max(1, len(data) - _WINDOW + 1)):
            part = data[i : i + _WINDOW]
            if len(part) < _WINDOW:
                continue
            out.add(part.hex())
            for offset in range(3):  # base64 of the window at any alignment
                text = base64.b64encode(data[max(0, i - offset) : i + _WINDOW]).decode()
                out.add(text[4 : len(text) - 4] if len(text) > 12 else text)
    return {f for f in out if len(f) >= 8}


def _bad_c2(pw: bytes, kind: str, seen: dict[str, Any]) -> Any:
    def behaviour(raw: RawConnection, view: ServerView) -> None:
        event = read_frame(raw, view, _TIMEOUT)
        if not isinstance(event, ReceivedFrame) or event.type != b"EKE1":
            return
        server = eke.ServerHandshake(pw=pw)
        try:
            eke2 = server.on_eke1(event.json() or {})
        except eke.EkeError:
            return
        keys = server.keys
        if keys is None:
            return
        honest = bytes.fromhex(eke2["c"])
        if kind == "tag-bit":
            c2 = honest[:-1] + bytes((honest[-1] ^ 0x01,))
        else:  # another Ns sealed under a key the client does not hold
            c2 = eke.aead_seal(bytes(32), eke.N2, bytes(range(32)), b"EKE2" + keys.th)
        ad = b"EKE2" + keys.th
        plain, expected = _gcm_parts(keys.kcs, eke.N2, c2, ad)
        seen["secrets"] = {
            "the tag the client computes over this C2": expected,
            "the honest C2's tag": honest[-_TAG:],
            "the C2 plaintext under Kcs": plain,
            **{name: getattr(keys, name) for name in keys.as_hex() if name != "th"},
        }
        raw.send_frame(b"EKE2", {"b": eke2["b"], "c": c2.hex()})
        seen["sent"] = True
        answer = read_frame(raw, view, _TIMEOUT)
        seen["answer"] = answer

    return behaviour


def _fail(what: str, expected: str, got: str, case: ClientCase) -> None:
    failure = ConformanceFailure.evidence(what, expected, got, note=case.describe())
    failure.violates = ("EKE-PW-3",)
    raise failure


@pytest.mark.req("EKE-PW-3")
@pytest.mark.parametrize("kind", ["tag-bit", "other-key"])
def test_client_eror_for_a_bad_c2_holds_no_value_of_the_password(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook, kind: str
) -> None:
    """C2 that does not verify (`kind`): the client's EROR quotes no window of the tag it
    expected, of Z, PRK or any key (hex or base64, or of their SHA-256)."""
    password = fresh_password()
    seen: dict[str, Any] = {}
    case = run_case(
        eke_target,
        tmp_path,
        transcripts,
        _bad_c2(eke_pw(_USER, password), kind, seen),
        name=_NAME,
        password=password,
        user=_USER,
    )
    if not seen.get("sent"):
        pytest.skip(f"the login did not reach EKE2 (judged elsewhere): {case.describe()}")
    answer = seen.get("answer")
    if not isinstance(answer, ReceivedFrame):
        return  # a close without EROR: nothing said
    text = answer.payload.decode("utf-8", "replace").lower()
    raw_text = answer.payload.decode("utf-8", "replace")
    for name, value in seen.get("secrets", {}).items():
        for form in _forms(value):
            hit = form.lower() in text if all(c in "0123456789abcdef" for c in form) else (
                form in raw_text
            )
            if hit:
                _fail(
                    f"the client's {answer.type.decode('latin-1')} after an EKE2 whose C2 does "
                    f"not verify ({kind})",
                    "auth_failed with a message that holds nothing computed from the password",
                    f"{name} (or its SHA-256) appears as {form!r} in {answer.payload[:300]!r}",
                    case,
                )
