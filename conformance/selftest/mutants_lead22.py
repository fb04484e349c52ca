"""Round 22 (lead): what breaks after a verified C2, and an administrator's unlock.

B131's eke4-sealed-kcc and c4-own-ns broke every login at EKE4, and the suite said
"target down or misconfigured": no requirement, no verdict. A C2 that verifies proves the
password and the session keys right, so what the server does wrong after the suite's
honest EKE3 is its own fault: conformance/eke_diagnosis.py's diagnose_c4 now names it, and
an honest EKE3 refused with auth_failed is EKE-HS-6. These mutants are two more members of
that class (each breaks every login: the sanity conversation must judge, not give up):

- lead22-eke-c4-nonce-n3            C4 sealed with N3 (EKE3's nonce) instead of N4
- lead22-eke-c3-ns-first            the server looks for its Ns at the front of C3's
                                    plaintext (Ns ‖ Na): every honest EKE3 is refused

B136's eke-unlock-in-memory-only waited for a target key: `[eke] unlock_cmd` now exists
(the embedded reference declares `sft eke user unlock {user}`), and
test_eke_unlock_while_serving.py judges it. The other half of the class:

- lead22-eke-locks-trusted-in-memory  the running server never looks whether an
                                    administrator removed a hard lock from its store: the
                                    unlock is seen at the next restart only

B138 found that no case sent a TLS KeyUpdate after the handshake (SPEC PKI-TLS-1 now says
either endpoint MAY, and the other MUST process it); its case judges responders. The
initiator's side (test_pki_initiator_key_updates.py):

- lead22-ini-keyupdate-refused      the initiator's TLS message hook takes a KeyUpdate from
                                    the responder for a renegotiation and aborts the get
"""

from __future__ import annotations

from collections.abc import Callable

from conformance.selftest.mutant import Mutant, _module
from conformance.selftest.mutants_app import _patch_source

__all__ = ["MUTANTS"]

_GROUP = "lead22"


def _c4_nonce_n3() -> None:
    _patch_source(
        _module("reference.eke.handshake").ServerHandshake,
        "_on_eke3",
        (
            "crypto.seal_confirm(self._keys.kcs, 4, plain[: crypto.NONCE_LEN], self._th)",
            "crypto.seal_confirm(self._keys.kcs, 3, plain[: crypto.NONCE_LEN], self._th)",
        ),
    )


def _c3_ns_first() -> None:
    _patch_source(
        _module("reference.eke.handshake").ServerHandshake,
        "_on_eke3",
        (
            "ok = hmac.compare_digest(plain[crypto.NONCE_LEN :], self._ns)",
            "ok = hmac.compare_digest(plain[: crypto.NONCE_LEN], self._ns)",
        ),
    )


def _locks_trusted_in_memory() -> None:
    throttle = _module("reference.eke.throttle")
    entries = next(
        cls for cls in vars(throttle).values() if isinstance(cls, type) and "unlocked" in vars(cls)
    )

    def unlocked(self: object, key: tuple[str, str]) -> bool:
        return False

    setattr(entries, "unlocked", unlocked)  # noqa: B010


def _ini_keyupdate_refused() -> None:
    import ssl

    client = _module("reference.pki.client")
    original = client.client_context

    def hook(
        conn: object, direction: str, version: object, kind: object, msg: object, data: object
    ) -> None:
        if (
            direction == "read"
            and kind == ssl._TLSContentType.HANDSHAKE  # type: ignore[attr-defined]
            and msg == ssl._TLSMessageType.KEY_UPDATE  # type: ignore[attr-defined]
        ):
            raise ssl.SSLError("handshake message after the handshake: renegotiation refused")

    def client_context(*args: object, **kwargs: object) -> ssl.SSLContext:
        context: ssl.SSLContext = original(*args, **kwargs)
        context._msg_callback = hook  # type: ignore[attr-defined]
        return context

    client.client_context = client_context


def _eke(
    name: str, requirement: str, test_file: str, description: str, apply: Callable[[], None]
) -> Mutant:
    return Mutant(
        name=name,
        group=_GROUP,
        profile="eke",
        requirement=requirement,
        test_file=test_file,
        description=description,
        apply=apply,
    )


MUTANTS: tuple[Mutant, ...] = (
    _eke(
        "lead22-eke-c4-nonce-n3",
        "EKE-HS-6",
        "test_eke_handshake.py",
        "C4 sealed with N3 instead of N4: every login fails at EKE4",
        _c4_nonce_n3,
    ),
    _eke(
        "lead22-eke-c3-ns-first",
        "EKE-HS-6",
        "test_eke_handshake.py",
        "the server looks for its Ns at the front of C3's plaintext: every honest EKE3 refused",
        _c3_ns_first,
    ),
    _eke(
        "lead22-eke-locks-trusted-in-memory",
        "EKE-THR-11",
        "test_eke_unlock_while_serving.py",
        "the running server never sees an administrator's unlock (its loaded locks trusted)",
        _locks_trusted_in_memory,
    ),
    Mutant(
        name="lead22-ini-keyupdate-refused",
        group=_GROUP,
        profile="pki",
        requirement="PKI-TLS-1",
        test_file="test_pki_initiator_key_updates.py",
        description="the initiator takes the responder's KeyUpdate for a renegotiation and aborts",
        apply=_ini_keyupdate_refused,
        client=True,
    ),
)
