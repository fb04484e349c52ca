"""Blind red-team round 27, third pass (helper B216): the sft-pki/1 initiator (`sft get`,
`sft put`), through the lenses of /work/briefs/s27/common.md, aimed at what the earlier
passes found weakest (checks applied on one path and not on its twin: lens 3 and 5).

Phase 1 (blind): written from docs/SPEC.md (§1-§3 client side, §4.1-§4.2 initiator side)
and the reference's initiator (reference/pki/client.py, transfer.py, app.py), before any
case file was opened; then checked against the registered mutants. Replaced as repeats
(r): a 100-continue timer on PUTF (b26ini-put-continue-timeout), a copy at commit
(b26ini-commit-careful-copy), a get in place with --force (the class of
b27bini-large-get-in-place), the get's DONE header unbounded (b26bini-done-header-unbounded),
the type syntax lax while receiving a get (b26bini-type-lax-while-receiving).

Lens 3 — cross-references ("as for gets": the get's checks not applied to the put's twin):
- b27cini-receipt-header-unbounded (FRM-3): awaiting the put's receipt DONE, the header's
  length is judged neither against the frame limit nor the 64 KiB control limit ("a
  receipt is small"): a header announcing 4 GiB is waited for.
- b27cini-receipt-type-lax (FRM-2): awaiting the put's receipt, the type syntax is not
  checked (the frame can only be DONE or EROR): bad type bytes are unexpected_frame.
- b27cini-put-answer-unknown-skipped (FRM-5): awaiting the answer to PUTF (a slow
  responder may send keep-alives), a frame of an undefined type is skipped.
Lens 5 — two faults at once (a refusal before the handshake, then a second fault):
- b27cini-retry-no-hs-deadline (LIM-9): the handshake timeout is set on the first
  connection only; the retry after a close before the handshake waits without a deadline.
Dropped (r) after the check against the registered mutants: b27cini-retry-no-crl (the
  retry made without the CRL check) repeats b14cl2-crl-dropped-on-busy-retry (PKI-CERT-7,
  caught by test_client_pki_retry_checks.py).
Post-blind siblings (phase 3, proving the new cases catch the class):
- b27cini-post-answer-type-lax (FRM-2): the type syntax unchecked awaiting the answer to
  PUTF.
- b27cini-post-retry-hs-idle (LIM-9): the retry's handshake runs under the idle timeout.
  (A third, the receipt's 64 KiB control limit skipped, was dropped: the reference checks
  that limit again when it decodes the payload, so the mutant changed nothing.)

Phase 2 (judge): all four missed by the named file and by every file citing the
requirement (SFT_MUTANT_FILES=citing): the put's two waits were never sent a frame of bad
type bytes, an undefined type or an oversize header (only the get's were), and no case
made the retry's connection silent.
Phase 3: test_pki_client_put_wait_frames.py (the three L3 mutants and the FRM-2 sibling:
bad type bytes, NOOP/PING, a 4 GiB header in place of the answer to PUTF and of the
receipt, and a receipt padded past 64 KiB) and test_pki_client_retry_then_silent.py
(first connection closed before TLS, the retry's held silent: the client must give up in
its own time and say it timed out).
"""

from __future__ import annotations

from typing import Any

from conformance.selftest.mutant import Mutant, _module

__all__ = ["MUTANTS"]

_GROUP = "blind27c-ini"


def _patch_method(owner: Any, attr: str, *edits: tuple[str, str]) -> None:
    from conformance.selftest.mutants_app import _patch_method as patch

    patch(owner, attr, *edits)


def _patch_source(owner: Any, attr: str, *edits: tuple[str, str]) -> None:
    from conformance.selftest.mutants_app import _patch_source as patch

    patch(owner, attr, *edits)


_HEADER_CHECK = (
    "            self._header = self._check_header(\n"
    "                *parse_header(buf[:HEADER_SIZE], self.config.max_frame_payload)\n"
    "            )\n"
)


def _receipt_header_unbounded() -> None:
    _patch_method(
        _module("reference.app").ApplicationConnection,
        "_next_event",
        (
            _HEADER_CHECK,
            "            if self.state is I.DONE_SENT:  # a receipt is small\n"
            "                self._header = parse_header(buf[:HEADER_SIZE], 2**32)\n"
            "            else:\n"
            "                self._header = self._check_header(\n"
            "                    *parse_header(buf[:HEADER_SIZE], self.config.max_frame_payload)\n"
            "                )\n",
        ),
    )


def _receipt_type_lax() -> None:
    _patch_method(
        _module("reference.app").ApplicationConnection,
        "_next_event",
        (
            _HEADER_CHECK,
            "            if self.state is I.DONE_SENT:  # only DONE or EROR can come\n"
            "                _t = bytes(buf[:4])\n"
            "                _n = int.from_bytes(buf[4:HEADER_SIZE], 'big')\n"
            "                if _n > self.config.max_frame_payload:\n"
            "                    parse_header(buf[:HEADER_SIZE], self.config.max_frame_payload)\n"
            "                if _t not in _KNOWN_TYPES:\n"
            "                    raise RemoteProtocolError(\n"
            "                        ErrorCode.UNEXPECTED_FRAME, 'unexpected frame type'\n"
            "                    )\n"
            "                self._header = self._check_header(_t, _n)\n"
            "            else:\n"
            "                self._header = self._check_header(\n"
            "                    *parse_header(buf[:HEADER_SIZE], self.config.max_frame_payload)\n"
            "                )\n",
        ),
    )


def _put_answer_unknown_skipped() -> None:
    _patch_method(
        _module("reference.app").ApplicationConnection,
        "_next_event",
        (
            _HEADER_CHECK,
            "            _t, _n = parse_header(buf[:HEADER_SIZE], self.config.max_frame_payload)\n"
            "            if self.state is I.PUT_SENT and _t not in _KNOWN_TYPES:\n"
            "                if len(buf) < HEADER_SIZE + _n:  # a keep-alive: skipped\n"
            "                    return self._starved()\n"
            "                del buf[: HEADER_SIZE + _n]\n"
            "                return self._next_event()\n"
            "            self._header = self._check_header(_t, _n)\n",
        ),
    )


def _retry_no_hs_deadline() -> None:
    _patch_method(
        _module("reference.pki.client").PkiSession,
        "_connect_once",
        (
            "        raw.settimeout(self.config.handshake_timeout)\n",
            "        raw.settimeout(None if reached else self.config.handshake_timeout)\n",
        ),
    )


def _post_answer_type_lax() -> None:
    _patch_method(
        _module("reference.app").ApplicationConnection,
        "_next_event",
        (
            _HEADER_CHECK,
            "            if self.state is I.PUT_SENT:  # only RSFL or EROR can come\n"
            "                _t = bytes(buf[:4])\n"
            "                _n = int.from_bytes(buf[4:HEADER_SIZE], 'big')\n"
            "                if _n > self.config.max_frame_payload:\n"
            "                    parse_header(buf[:HEADER_SIZE], self.config.max_frame_payload)\n"
            "                if _t not in _KNOWN_TYPES:\n"
            "                    raise RemoteProtocolError(\n"
            "                        ErrorCode.UNEXPECTED_FRAME, 'unexpected frame type'\n"
            "                    )\n"
            "                self._header = self._check_header(_t, _n)\n"
            "            else:\n"
            "                self._header = self._check_header(\n"
            "                    *parse_header(buf[:HEADER_SIZE], self.config.max_frame_payload)\n"
            "                )\n",
        ),
    )


def _post_retry_hs_idle() -> None:
    _patch_method(
        _module("reference.pki.client").PkiSession,
        "_connect_once",
        (
            "        raw.settimeout(self.config.handshake_timeout)\n",
            "        raw.settimeout(\n"
            "            self.config.idle_timeout if reached else self.config.handshake_timeout\n"
            "        )\n",
        ),
    )


MUTANTS: tuple[Mutant, ...] = (
    Mutant(
        name="b27cini-receipt-header-unbounded",
        group=_GROUP,
        profile="pki",
        requirement="FRM-3",
        test_file="test_pki_client_put_wait_frames.py",
        description=(
            "L3: awaiting the put's receipt DONE, the header's length is judged against "
            "neither the frame limit nor the control limit ('a receipt is small'): a "
            "header announcing 4 GiB is waited for"
        ),
        apply=_receipt_header_unbounded,
        client=True,
    ),
    Mutant(
        name="b27cini-receipt-type-lax",
        group=_GROUP,
        profile="pki",
        requirement="FRM-2",
        test_file="test_pki_client_put_wait_frames.py",
        description=(
            "L3: awaiting the put's receipt the type syntax is not checked (only DONE or "
            "EROR can come): bad type bytes there are answered unexpected_frame"
        ),
        apply=_receipt_type_lax,
        client=True,
    ),
    Mutant(
        name="b27cini-put-answer-unknown-skipped",
        group=_GROUP,
        profile="pki",
        requirement="FRM-5",
        test_file="test_pki_client_put_wait_frames.py",
        description=(
            "L3: awaiting the answer to PUTF, a frame of an undefined type (a keep-alive of "
            "a slow responder) is skipped, not answered unexpected_frame"
        ),
        apply=_put_answer_unknown_skipped,
        client=True,
    ),
    Mutant(
        name="b27cini-retry-no-hs-deadline",
        group=_GROUP,
        profile="pki",
        requirement="LIM-9",
        test_file="test_pki_client_retry_then_silent.py",
        description=(
            "L5: the handshake timeout is set on the first connection only: the retry "
            "after a close before the TLS handshake waits for the responder without a "
            "deadline"
        ),
        apply=_retry_no_hs_deadline,
        client=True,
    ),
    Mutant(
        name="b27cini-post-answer-type-lax",
        group=_GROUP,
        profile="pki",
        requirement="FRM-2",
        test_file="test_pki_client_put_wait_frames.py",
        description=(
            "(post-blind) L3: awaiting the answer to PUTF the type syntax is not checked "
            "(only RSFL or EROR can come): bad type bytes there are answered unexpected_frame"
        ),
        apply=_post_answer_type_lax,
        client=True,
    ),
    Mutant(
        name="b27cini-post-retry-hs-idle",
        group=_GROUP,
        profile="pki",
        requirement="LIM-9",
        test_file="test_pki_client_retry_then_silent.py",
        description=(
            "(post-blind) L5: the retry after a close before the TLS handshake runs its "
            "handshake under the idle timeout (60 s), not the handshake timeout"
        ),
        apply=_post_retry_hs_idle,
        client=True,
    ),
)
