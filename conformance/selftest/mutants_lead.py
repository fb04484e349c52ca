"""Mutants planted while settling the spec's ambiguities (docs/SPEC.md FRM-16, APP-NAME-9).

Each is a plausible implementer's bug, planted by monkeypatching the reference inside the
mutant's own subprocess (see conformance/selftest/mutants.py).
"""

from __future__ import annotations

from conformance.selftest.mutant import Mutant, _module
from conformance.selftest.mutants_app import _patch_source

__all__ = ["MUTANTS"]


def _reserved_prefix_accepted() -> None:
    """The inbox stores a put under `.sft-partial-…`: the next start's sweep deletes it."""
    _patch_source(
        _module("reference.share").Inbox,
        "target_name",
        ("if base.startswith(PARTIAL_PREFIX):", "if False:  # mutant: no reserved prefix"),
    )


def _invalid_names_matched() -> None:
    """Any name accepted at EKE1, then "cleaned" before the lookup: control characters
    dropped and the name cut to 64 bytes — so `alice\x01` is alice."""
    crypto = _module("reference.eke.crypto")
    store = _module("reference.eke.store")

    def check_user_name(user: str) -> bytes:
        return user.encode("utf-8")

    original = store.PasswordStore.key_for

    def key_for(self: object, name: str) -> bytes:
        cleaned = "".join(ch for ch in name if ch.isprintable() or ch == " ")
        cleaned = cleaned.encode("utf-8")[:64].decode("utf-8", "ignore").rstrip("\x00")
        return bytes(original(self, cleaned))

    crypto.check_user_name = check_user_name
    store.PasswordStore.key_for = key_for


_RESERVED = tuple(
    Mutant(
        name=f"{profile}-reserved-prefix-stored",
        group="app",
        profile=profile,
        requirement="APP-NAME-9",
        test_file="test_app_reserved_names.py",
        description="a put named .sft-partial-… is stored (and swept away at the next start)",
        apply=_reserved_prefix_accepted,
    )
    for profile in ("eke", "pki")
)


def _eke_fatal_reaped_by_idle() -> None:
    """After a fatal EROR of the record phase the server stops serving the connection but
    leaves the close to its idle timer ("the reaper closes dead connections"): no close
    at once (ERR-3), invisible whenever the idle timeout is shorter than the suite's
    default wait."""
    server = _module("reference.eke.server")
    original = server.EkeServer._send_fatal

    def send_fatal(self: object, stream: object, code: object, message: str) -> None:
        original(self, stream, code, message)
        sock = stream.sock  # type: ignore[attr-defined]
        sock.settimeout(self.config.idle_timeout)  # type: ignore[attr-defined]
        try:
            while sock.recv(65536):  # processed no more, just drained
                pass
        except OSError:
            pass

    server.EkeServer._send_fatal = send_fatal


def _eke_handshake_refusal_left_to_deadline() -> None:
    """A failed handshake's connection is left open until the handshake deadline ("the
    deadline closes it anyway"), reading and dropping what the client sends: the EROR is
    out, the close is not at once (ERR-3)."""
    _patch_source(
        _module("reference.eke.server").EkeServer,
        "_handshake",
        (
            "        with contextlib.suppress(OSError):\n            sock.close()",
            "            with contextlib.suppress(OSError):\n"
            "                sock.settimeout(max(0.01, deadline - time.monotonic()))\n"
            "                while sock.recv(65536):\n"
            "                    pass\n"
            "        with contextlib.suppress(OSError):\n            sock.close()",
        ),
    )


MUTANTS: tuple[Mutant, ...] = (
    *_RESERVED,
    Mutant(
        name="lead-eke-refusal-close-left-to-deadline",
        group="eke",
        profile="eke",
        requirement="ERR-3",
        test_file="test_eke_handshake.py",
        description="after auth_failed the connection stays open until the handshake deadline",
        apply=_eke_handshake_refusal_left_to_deadline,
    ),
    Mutant(
        name="lead-eke-fatal-close-left-to-idle",
        group="app",
        profile="eke",
        requirement="ERR-3",
        test_file="test_framing.py",
        description="after a fatal EROR the server stops reading frames; the idle timer closes",
        apply=_eke_fatal_reaped_by_idle,
    ),
    Mutant(
        name="eke-invalid-user-names-matched",
        group="eke",
        profile="eke",
        requirement="EKE-PW-5",
        test_file="test_eke_user_names_invalid.py",
        description="control characters dropped and names cut to 64 bytes before the lookup",
        apply=_invalid_names_matched,
    ),
)
