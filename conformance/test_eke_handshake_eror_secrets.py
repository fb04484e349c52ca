"""sft-eke/1: the clear EROR that ends a handshake after EKE2 carries none of its secrets
(SPEC §2 ERR-5, §5.3 EKE-HS-9).

"Before the record phase, `EROR` frames travel in clear; they MUST NOT carry secrets" and
"An `EROR` message MUST NOT contain secrets (passwords, keys ...)". Once the server has
sent EKE2 it holds the session's secrets: Ns, Z, PRK and the six keys. An implementation
that names the session in its errors by what it has at hand — "handshake timeout (session
1a2b3c4d...)" with the first bytes of Ns, a confirmation key as a "key id", the expected C3
— puts on the wire, in clear, what EKE2 hides. Other cases look for keys in the auth_failed
of a bad EKE3; the handshake's other endings after EKE2 have their own messages.

The suite logs in as the victim account (it knows the password, so it derives every value
the server derived, and reads Ns from C2), then ends the handshake after EKE2 in one of
four ways: it waits for the handshake timeout (`timeout`), sends an EKE3 whose C3 seals a
wrong Ns (`auth_failed`), an EKE3 whose `c` is one byte short (`bad_frame` or
`auth_failed`, FRM-16), or a plaintext RQFL (`unexpected_frame`). The EROR's message (and
the whole payload) MUST NOT hold 8 bytes of the password, pw, Ns, Z, PRK or any key or IV,
as text, hex in either case or base64 (conformance/disclosure.py).
"""

from __future__ import annotations

import json
import time

import pytest

from conformance import eke
from conformance.disclosure import find_secret
from conformance.eke_support import SourceAddresses, Victim, start_handshake
from conformance.target import Target
from conformance.wire import Closed, ConformanceFailure, ReceivedFrame, deadline_after

pytestmark = pytest.mark.xdist_group("eke-victim")

_ENDINGS = ["handshake timeout", "wrong Ns in C3", "short C3", "plaintext RQFL"]


@pytest.mark.req("ERR-5", "EKE-HS-9")
@pytest.mark.parametrize("ending", _ENDINGS)
def test_a_clear_eror_after_eke2_holds_no_session_secret(
    eke_target: Target, eke_victim: Victim, eke_sources: SourceAddresses, ending: str
) -> None:
    limit = eke_target.limits.handshake_timeout
    if ending == "handshake timeout" and limit > 10:
        pytest.skip(f"the handshake timeout is {limit:g} s: too long to wait for")
    timeout = max(3.0, min(10.0, limit * 2))
    hs = start_handshake(
        eke_target, eke_victim.user, eke_victim.pw, source=eke_sources.fresh(), timeout=timeout
    )
    try:
        event = hs.receive_eke2(timeout)
        if hs.eke2 is None:
            raise ConformanceFailure(
                f"Expected EKE2 for an honest EKE1 of {eke_victim.user!r}\n"
                f"Actual: {event.describe()}",
                violates=("EKE-HS-9",),
            )
        good = hs.client.on_eke2(hs.eke2)  # verifies C2: Ns and every key are known now
        keys = hs.client.keys
        assert keys is not None
        secrets = {
            "password": eke_victim.account.password.encode("utf-8"),
            "pw": eke_victim.pw,
            "Ns": hs.client.ns,
            "Na": hs.client.na,
            "Z": keys.z,
            "PRK": keys.prk,
            "Kcs": keys.kcs,
            "Kcc": keys.kcc,
            "key c2s": keys.key_c2s,
            "iv c2s": keys.iv_c2s,
            "key s2c": keys.key_s2c,
            "iv s2c": keys.iv_s2c,
            "C3 (the valid one)": bytes.fromhex(good["c"]),
        }
        if ending == "wrong Ns in C3":
            wrong = bytes(b ^ 0xFF for b in hs.client.ns)
            c3 = eke.aead_seal(keys.kcc, eke.N3, hs.client.na + wrong, b"EKE3" + keys.th)
            hs.send_eke3({"c": c3.hex()})
        elif ending == "short C3":
            hs.send_eke3({"c": good["c"][:-2]})
        elif ending == "plaintext RQFL":
            hs.raw.send_frame(b"RQFL", {"name": "hello.txt"})
        # "handshake timeout": send nothing more.
        wait = limit * 1.5 + timeout if ending == "handshake timeout" else timeout
        started = time.monotonic()
        answer = hs.raw.recv_frame(deadline_after(wait))
        if isinstance(answer, Closed):
            return  # no EROR at all: nothing disclosed (its absence is other cases' to judge)
        if not isinstance(answer, ReceivedFrame) or answer.type != b"EROR":
            raise ConformanceFailure(
                f"{ending}: Expected an EROR or a close after EKE2\n"
                f"Actual: {answer.describe()} (after {time.monotonic() - started:.3f} s)",
                violates=("EKE-HS-9",),
            )
        payload = answer.payload.decode("utf-8", "replace")
        obj = answer.json() or {}
        message = obj.get("message") if isinstance(obj, dict) else None
        texts = [payload]
        if isinstance(message, str):
            texts.append(message)  # unescaped: \\u escapes of a JSON string undone
        for text in texts:
            found = find_secret(text, secrets)
            if found is not None:
                raise ConformanceFailure(
                    f"{ending}: the clear EROR after EKE2 carries {found}\n"
                    f"EROR payload: {json.dumps(payload[:300])}\n"
                    "ERR-5 / EKE-HS-9: an EROR before the record phase travels in clear and "
                    "MUST NOT carry secrets: the session's nonces and keys are what EKE2 "
                    "hides.",
                    violates=("ERR-5",),
                )
    finally:
        hs.close()
