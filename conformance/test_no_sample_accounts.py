"""No account the administrator did not add: no default, sample or test login (docs/SPEC.md
§5.3 EKE-HS-2, §4.4 CA-ENR-6).

A server built against the SPEC's vectors, or tried out with `admin`/`admin`, can keep
that account when it ships: an interop test's user left in the store's creation, a
"demo" login behind a flag nobody turned off. Whoever reads the SPEC (or guesses the
usual names) then logs in. The suite tries each user and password of the published
vectors (conformance/vectors/eke_password_key.json, the password text too) and a few
usual defaults, each once and from a fresh address, skipping the names the target
declares as its accounts:
- eke: EKE1 with that user and its password key; a C2 that verifies under it proves
  the server holds that password for that user (the attempt stops there: no EKE3);
- CA: `POST /v1/enroll` with that alias and password and a valid CSR; a `200` issued a
  certificate to a login nobody added.
A refusal of any kind (`EROR`, `401`, `429`, `400` for an alias the CA does not allow)
passes; only a login that works fails.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conformance import ca_support as ca
from conformance import eke
from conformance.eke_channel import password_key_cached
from conformance.eke_support import SourceAddresses, start_handshake
from conformance.target import Target
from conformance.wire import ConformanceFailure, ReceivedFrame

__all__: list[str] = []

_VECTORS = Path(__file__).parent / "vectors" / "eke_password_key.json"
_DEFAULTS = (
    ("admin", "admin"),
    ("admin", "password"),
    ("test", "test"),
    ("demo", "demo"),
    ("user", "password"),
    ("sft", "sft"),
    ("guest", "guest"),
    ("root", "changeme"),
)


def _vector_logins() -> list[tuple[str, str, bytes]]:
    """(user, password, pw) of every valid scrypt vector."""
    data = json.loads(_VECTORS.read_text(encoding="utf-8"))
    found = []
    for v in data["vectors"]:
        if v.get("kind") != "scrypt" or not v.get("valid"):
            continue
        try:
            password = bytes.fromhex(v["password_hex"]).decode("utf-8")
        except UnicodeDecodeError:
            continue
        found.append((str(v["user"]), password, bytes.fromhex(v["pw"])))
    return found


def _logins() -> list[tuple[str, str, bytes | None]]:
    """Vector logins first (their pw given), then the defaults (pw derived when needed)."""
    return [*_vector_logins(), *((u, p, None) for u, p in _DEFAULTS)]


@pytest.mark.req("EKE-HS-2", "CA-ENR-6")
def test_the_vectors_hold_logins_to_try() -> None:
    """A guard: the cases below are empty if the vectors stop holding user and password."""
    assert len(_vector_logins()) >= 2


@pytest.mark.profile("eke")
@pytest.mark.req("EKE-HS-2")
def test_eke_server_has_no_sample_account(eke_target: Target, eke_sources: SourceAddresses) -> None:
    declared = {a.user for a in eke_target.accounts}
    timeout = max(5.0, eke_target.limits.handshake_timeout or 5.0)
    tried = 0
    for user, password, pw in _logins():
        if user in declared:
            continue  # the administrator's own account: its password is the target's
        key = pw if pw is not None else password_key_cached(password, user)
        source = eke_sources.fresh() if eke_sources.loopback else None
        hs = start_handshake(eke_target, user, key, source=source, timeout=timeout)
        try:
            event = hs.receive_eke2(timeout)
            if hs.eke2 is None:
                if isinstance(event, ReceivedFrame) and event.type == b"EROR":
                    continue  # refused (throttled, busy): nothing logged in
                continue
            tried += 1
            try:
                hs.client.on_eke2(hs.eke2)
            except eke.EkeError:
                continue  # C2 does not verify under that password: no such login
        finally:
            hs.close()
        raise ConformanceFailure.evidence(
            f"EKE-HS-2: EKE1 as {user!r} with the password key of {password!r} (a published "
            "vector's or a usual default), an account the target does not declare",
            "a C2 that does not verify: no account but those the administrator added",
            "the server's C2 verified under that password key: it holds that login",
        )
    if tried == 0:
        pytest.skip("every sample login was refused before EKE2 (throttled or busy)")


@pytest.mark.profile("pki")
@pytest.mark.side("ca")
@pytest.mark.req("CA-ENR-6")
def test_ca_has_no_sample_account(pki_target: Target) -> None:
    declared = {a.user for a in pki_target.enroll}
    answered = []
    for alias, password, _pw in _logins():
        if alias in declared:
            continue
        key = ca.CsrKey.ec()
        csr = ca.csr_pem(key, ca.name((ca.OID_CN, alias)))
        answer = ca.enrol(pki_target, alias, password, csr)
        answered.append(f"{alias}: {answer.status}")
        if answer.status == 200:
            raise ConformanceFailure.evidence(
                f"CA-ENR-6: POST /v1/enroll as {alias!r} with the password {password!r} (a "
                "published vector's or a usual default), an alias the target does not declare",
                "a refusal (401, or 429/400): no account but those the administrator added",
                f"HTTP 200: a certificate was issued ({answer.body[:120]!r})",
            )
    if not answered:
        pytest.skip("every sample alias is one the target declares")
