"""Blind red-team round 23, second pass (helper B150): the sft-eke/1 CLIENT as a program
people run (`sft eke get` / `sft eke put`), through the six lenses of
/work/briefs/s23/common.md. Phase 1 (blind): written from docs/SPEC.md (§0 PWF-1, §1-3
from the client's side, §5, §6) and the reference's client code (reference/eke/client.py,
transport.py, records.py, handshake.py, reference/cli/eke.py, options.py, transfer.py,
app.py's _Transfer) before any case file was opened. Checked against the 592 registered
eke client mutants (names and descriptions); ideas found there (Na/x per process, busy
retry C4/C2 off, RSFL.sha256 ignored, the overrun judged at DONE, the password file
trims, the Z minimal bytes ...) were dropped.

L1 the seeds' flaws in disguise
  b23bclient-c4-na-prefix8       C4's plaintext compared with Na on its first 8 bytes (a
                                 memcmp of sizeof(pointer)): a confirmation around another
                                 nonce that shares those 8 bytes is taken (EKE-HS-7)
L2 only the common case of a MUST
  b23bclient-overrun-with-digest the per-frame overrun bound (core and disk) skipped when
                                 RSFL announced a sha256 ("the digest catches it at
                                 DONE"): DATA beyond the size is written (APP-GET-4)
  b23bclient-put-auth-silent     the put command's login closes on a C2 that does not open
                                 without EROR auth_failed (the get's answers it) (EKE-HS-4)
L3 cross-session replay and splicing
  (b23bclient-sign-per-process, the sign bit of X' drawn once per process so that the
  logins retried after busy share it (EKE-X-2), was written, judged missed by every file
  citing EKE-X-2, and dropped: one process makes at most busy_retries + 1 logins, and a
  fresh bit repeats over 11 logins with probability 2^-10, too often for a verdict.)
L4 silent degradation
  b23bclient-retry-y-unchecked   after busy the retried login skips the range checks of Y'
                                 and Z (the server "is known"): Y' = 1, Z = 1 taken
                                 (EKE-X-3)
L5 the SPEC's numbers
  b23bclient-done-sha-half       DONE.sha256 compared on its first 32 hex digits (the
                                 digest's size in bytes taken as a count of hex digits):
                                 bytes whose digest differs only in its second half are
                                 kept (APP-GET-3)

Judged (named file, then every file citing the requirement): put-auth-silent caught by
test_eke_client_put_login.py; c4-na-prefix8 caught by test_eke_client.py (wrong EKE4, the
last byte of Na flipped); done-sha-half caught by test_eke_client_transfer.py and
test_interop_empty_transfers.py. Missed by the whole suite, and the cases now catching
their class: overrun-with-digest (APP-GET-4) -> test_eke_client_overrun_paths.py (more
DATA than announced with RSFL.sha256, with the digest of the longer bytes, after a 1 MiB
frame, on a file announced empty: EROR integrity_failed before any DONE);
retry-y-unchecked (EKE-X-3) -> test_eke_client_retry_elements.py (busy, then Y' = 1,
p - 1; slow: 0, p, each with C2 sealed from the Z a careless client derives).
Post-blind siblings: post-overrun-first-mib (overrun_paths, after-a-mib-frame) and
post-retry-y-minus-one (retry_elements, y-is-p-minus-1). Final: 7 of 7 detected.
"""

from __future__ import annotations

import secrets
import sys
from typing import Any

from conformance.selftest.mutant import Mutant, _module
from conformance.selftest.mutants_app import _patch_method, _patch_source

__all__ = ["MUTANTS"]

_GROUP = "blind23b-client"


def _client() -> Any:
    return _module("reference.eke.client")


def _handshake() -> Any:
    return _module("reference.eke.handshake")


def _crypto() -> Any:
    return _module("reference.eke.crypto")


def _app() -> Any:
    return _module("reference.app")


def _is_put() -> bool:
    """Whether this process runs `sft eke put` (launcher argv: NAME -- eke put ...)."""
    return "put" in sys.argv[3:5]


# -- L1 -----------------------------------------------------------------------------------


def _c4_na_prefix8() -> None:
    _patch_method(
        _handshake().ClientHandshake,
        "_on_eke4",
        (
            "        if not hmac.compare_digest(na, self._na):\n",
            "        if not hmac.compare_digest(na[:8], self._na[:8]):  # mutant: sizeof(ptr)\n",
        ),
    )


# -- L2 -----------------------------------------------------------------------------------


def _overrun_with_digest() -> None:
    _patch_method(
        _app().ApplicationConnection,
        "_next_event",
        (
            "            if self._incoming.count + length > self._incoming.announced:\n",
            "            if (\n"
            "                self._incoming.expected_sha256 is None  # mutant: DONE catches it\n"
            "                and self._incoming.count + length > self._incoming.announced\n"
            "            ):\n",
        ),
    )
    _patch_method(
        _client().EkeClient,
        "_receive",
        (
            "        with PartialFile.create(destination, answer.size) as partial:\n",
            "        limit = answer.size if answer.sha256 is None else 2**62  # mutant\n"
            "        with PartialFile.create(destination, limit) as partial:\n",
        ),
    )


def _put_auth_silent() -> None:
    if not _is_put():
        return
    _patch_method(
        _handshake().ClientHandshake,
        "_should_answer",
        (
            "        return not isinstance(exc, ServerNotAuthenticated) and exc.code is not "
            "ErrorCode.TIMEOUT\n",
            "        # mutant (put's login): a failed login says nothing, it closes\n"
            "        return exc.code not in (ErrorCode.TIMEOUT, ErrorCode.AUTH_FAILED)\n",
        ),
    )


# -- L3 -----------------------------------------------------------------------------------


def _sign_per_process() -> None:
    crypto = _crypto()
    crypto._b23b_sign = secrets.randbits(1)
    _patch_source(
        crypto,
        "hide_element",
        (
            "sign_bit=secrets.randbits(1)",
            "sign_bit=_b23b_sign",  # mutant: one random mask per process
        ),
    )


# -- L4 -----------------------------------------------------------------------------------


def _retry_y_unchecked() -> None:
    crypto = _crypto()
    strict_decode, strict_secret = crypto.pm_decode, crypto.shared_secret
    _patch_source(
        crypto,
        "pm_decode",
        ("    if value in (0, 1, P - 1) or value >= P:\n", "    if value >= P:\n"),
    )
    _patch_source(
        crypto,
        "shared_secret",
        ("    if not 1 < peer_element < P - 1:\n", "    if False:\n"),
        ("    if z in (0, 1, P - 1):\n", "    if False:\n"),
    )
    lenient_decode, lenient_secret = crypto.pm_decode, crypto.shared_secret
    crypto.pm_decode, crypto.shared_secret = strict_decode, strict_secret

    def known_server() -> None:
        crypto.pm_decode, crypto.shared_secret = lenient_decode, lenient_secret

    client = _client()
    client._b23b_known_server = known_server
    _patch_method(
        client.EkeClient,
        "connect",
        (
            "            except ServerBusy as exc:\n",
            "            except ServerBusy as exc:\n"
            "                _b23b_known_server()  # mutant: it answered, it is validated\n",
        ),
    )


# -- L5 -----------------------------------------------------------------------------------


def _done_sha_half() -> None:
    _patch_method(
        _app()._Transfer,
        "check_done",
        (
            "        if not (done.size == self.announced == self.count and done.sha256 == sha):\n",
            "        n = hashlib.sha256().digest_size  # mutant: 32 (bytes) taken as hex digits\n"
            "        if not (\n"
            "            done.size == self.announced == self.count and done.sha256[:n] == sha[:n]\n"
            "        ):\n",
        ),
    )


# -- post-blind siblings ------------------------------------------------------------------


def _post_overrun_first_mib() -> None:
    _patch_method(
        _app().ApplicationConnection,
        "_next_event",
        (
            "            if self._incoming.count + length > self._incoming.announced:\n",
            "            if (\n"
            "                self._incoming.count < 1 << 20  # mutant: bounded on the first MiB\n"
            "                and self._incoming.count + length > self._incoming.announced\n"
            "            ):\n",
        ),
    )
    _patch_method(
        _module("reference.share").PartialFile,
        "write",
        (
            "        if self.written + len(view) > self.limit:\n",
            "        if self.written < 1 << 20 and self.written + len(view) > self.limit:\n",
        ),
    )


def _post_retry_y_minus_one() -> None:
    crypto = _crypto()
    strict_decode, strict_secret = crypto.pm_decode, crypto.shared_secret
    _patch_source(
        crypto,
        "pm_decode",
        (
            "    if value in (0, 1, P - 1) or value >= P:\n",
            "    if value in (0, 1) or value >= P:\n",
        ),
    )
    _patch_source(
        crypto,
        "shared_secret",
        ("    if not 1 < peer_element < P - 1:\n", "    if not 0 < peer_element < P:\n"),
        ("    if z in (0, 1, P - 1):\n", "    if z == 0:\n"),
    )
    lenient_decode, lenient_secret = crypto.pm_decode, crypto.shared_secret
    crypto.pm_decode, crypto.shared_secret = strict_decode, strict_secret

    def reconnect_path() -> None:
        crypto.pm_decode, crypto.shared_secret = lenient_decode, lenient_secret

    client = _client()
    client._b23b_reconnect_path = reconnect_path
    _patch_method(
        client.EkeClient,
        "connect",
        (
            "            except ServerBusy as exc:\n",
            "            except ServerBusy as exc:\n"
            "                _b23b_reconnect_path()  # mutant: the reconnect helper's decoder\n",
        ),
    )


def _m(name: str, requirement: str, test_file: str, description: str, apply: Any) -> Mutant:
    return Mutant(name, _GROUP, "eke", requirement, test_file, description, apply, client=True)


MUTANTS: tuple[Mutant, ...] = (
    _m(
        "b23bclient-c4-na-prefix8",
        "EKE-HS-7",
        "test_eke_client.py",
        "L1: C4's plaintext compared with Na on its first 8 bytes (sizeof a pointer): a"
        " confirmation around another nonce sharing those 8 bytes is taken",
        _c4_na_prefix8,
    ),
    _m(
        "b23bclient-overrun-with-digest",
        "APP-GET-4",
        "test_eke_client_overrun_paths.py",
        "L2: the per-frame overrun bound (core and disk) skipped when RSFL announced a sha256:"
        " DATA beyond the size is written, judged only at DONE",
        _overrun_with_digest,
    ),
    _m(
        "b23bclient-put-auth-silent",
        "EKE-HS-4",
        "test_eke_client_put_login.py",
        "L2: the put command's login closes on a C2 that does not open without EROR"
        " auth_failed (the get's answers it)",
        _put_auth_silent,
    ),
    _m(
        "b23bclient-retry-y-unchecked",
        "EKE-X-3",
        "test_eke_client_retry_elements.py",
        "L4: after busy the retried login skips the range checks of Y' and Z: Y' = 1 (Z = 1)"
        " is taken",
        _retry_y_unchecked,
    ),
    _m(
        "b23bclient-done-sha-half",
        "APP-GET-3",
        "test_eke_client_transfer.py",
        "L5: DONE.sha256 compared on its first 32 hex digits (the digest size in bytes read as"
        " hex digits): bytes whose digest differs in its second half are kept",
        _done_sha_half,
    ),
    _m(
        "b23bclient-post-overrun-first-mib",
        "APP-GET-4",
        "test_eke_client_overrun_paths.py",
        "(post-blind) the overrun bound (core and disk) kept while the first MiB comes in"
        " only: DATA beyond the size of a larger get is written, judged at DONE",
        _post_overrun_first_mib,
    ),
    _m(
        "b23bclient-post-retry-y-minus-one",
        "EKE-X-3",
        "test_eke_client_retry_elements.py",
        "(post-blind) after busy the reconnect path's checks refuse 0 and values >= p only:"
        " Y' = p - 1 (mapped to Y = 1) and Z = 1 taken (Y' = 1 still refused)",
        _post_retry_y_minus_one,
    ),
)
