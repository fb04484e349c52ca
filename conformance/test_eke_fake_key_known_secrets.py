"""sft-eke/1: an unknown user's key is not computable from any published or default secret
(SPEC §5.3 EKE-HS-3).

`pw = HMAC-SHA256(server_secret, "sft-eke/1 fake" ‖ user)` with `server_secret` "32 random
bytes kept by the server". A server whose secret is a value anyone has — the one of the
published test vectors (conformance/vectors/*.json: an implementer's fixture left in the
product), a default of its configuration ("changeme", "secret", the label itself), the
ASCII of a hex string of zeros — gives away the key of every name without an account: C2
verifies under it and the handshake completes, a login without an account. The suite
tries each such secret on a fresh unknown name (a fresh address each, abandoned after
EKE2 when C2 does not verify: nothing is throttled).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conformance import eke
from conformance.eke_support import SourceAddresses, ghost_user, start_handshake
from conformance.target import Target
from conformance.wire import ConformanceFailure, deadline_after

_VECTORS = Path(__file__).with_name("vectors")


def _vector_secrets() -> list[bytes]:
    """Every server_secret the published vectors hold."""
    found: set[str] = set()
    for path in sorted(_VECTORS.glob("eke_*.json")):
        for vector in json.loads(path.read_text(encoding="utf-8")).get("vectors", []):
            value = vector.get("server_secret")
            if isinstance(value, str):
                found.add(value)
    return [bytes.fromhex(value) for value in sorted(found)]


def _known_secrets() -> dict[str, bytes]:
    secrets_ = {f"the vectors' server_secret #{i}": s for i, s in enumerate(_vector_secrets())}
    for text in ("changeme", "secret", "server_secret", "sft-eke/1", "sft-eke/1 fake", "0" * 64):
        secrets_[f"the text {text!r}"] = text.encode("ascii")
    secrets_["32 bytes 0xff"] = b"\xff" * 32
    return secrets_


_SECRETS = _known_secrets()


def _timeout(target: Target) -> float:
    return max(3.0, min(10.0, target.limits.idle_timeout * 2))


@pytest.mark.req("EKE-HS-3")
def test_vectors_carry_a_server_secret() -> None:
    """Guards the case below against passing vacuously: the vectors do hold a secret."""
    assert _vector_secrets(), "conformance/vectors holds no server_secret any more"


@pytest.mark.req("EKE-HS-3")
@pytest.mark.parametrize("what", list(_SECRETS))
def test_unknown_users_key_is_not_from_a_known_secret(
    eke_target: Target, eke_sources: SourceAddresses, what: str
) -> None:
    timeout = _timeout(eke_target)
    ghost = ghost_user()
    key = eke.fake_password_key(_SECRETS[what], ghost)
    hs = start_handshake(eke_target, ghost, key, timeout=timeout, source=eke_sources.fresh())
    try:
        event = hs.receive_eke2(timeout)
        if hs.eke2 is None:
            raise ConformanceFailure(
                f"Expected: EKE2 for the unknown user {ghost!r} (EKE-HS-3)\n"
                f"Actual:   {event.describe()}"
            )
        try:
            eke3 = hs.client.on_eke2(hs.eke2)
        except eke.EkeError:
            return  # as it must be: C2 is noise under this key
        hs.send_eke3(eke3)
        answer = hs.raw.recv_frame(deadline_after(timeout))
        raise ConformanceFailure(
            f"EKE-HS-3: for the unknown user {ghost!r} the server's C2 verifies under "
            f"HMAC-SHA256({what}, label ‖ name) = {key.hex()}: its server_secret is {what},"
            " so every name without an account can log in\n"
            f"Answer to the EKE3 made with it: {answer.describe()}"
        )
    finally:
        hs.close()
