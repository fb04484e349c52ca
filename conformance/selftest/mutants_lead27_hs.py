"""Round 27 (helper B207): sequence bugs of the sft-eke/1 SERVER's handshake machine, for
conformance/test_eke_handshake_state_machine.py (the SPEC's §5.3 machine checked with
AALpy's W-method words against the target).

Each is a bug that a one-deviation-per-connection case walks past: the answer to a frame
depends on what came before it on the same connection (a second EKE1 under another name,
a record before EKE3, a clear frame once the channel has carried a request, a handshake
frame inside the channel once a request was served). Planted in reference/eke/
handshake.py (the sans-IO handshake), reference/eke/records.py (the record reader) and
reference/eke/transport.py (the record phase's dispatch).

Checked (round 27): each is detected by test_eke_handshake_state_machine.py alone, and by
no other case file citing its requirement (SFT_MUTANT_FILES=<the citing files but that
one>). Tried and dropped, as existing cases catch them: an EKE4 from the client skipped
while the server waits for EKE3, any RECD before EKE3 held, the client's EROR after EKE2
ignored (test_eke_handshake.py), every handshake type inside a record skipped after a get
(test_eke_login_inside_channel.py).
"""

from __future__ import annotations

from typing import Any

from conformance.selftest.mutant import Mutant, _module
from conformance.selftest.mutants_app import _patch_method

__all__ = ["MUTANTS"]

_GROUP = "lead27-hs"
_FILE = "test_eke_handshake_state_machine.py"


def _handshake() -> Any:
    return _module("reference.eke.handshake")


def _records() -> Any:
    return _module("reference.eke.records")


def _transport() -> Any:
    return _module("reference.eke.transport")


_LOOKUP = "        step = _TRANSITIONS.get((self.state, frame_type))\n"


def _eke1_other_user_restarts() -> None:
    """Waiting for EKE3, an EKE1 naming ANOTHER user restarts the login ("the user switched
    accounts"); the same name again is still unexpected_frame."""
    _patch_method(
        _handshake()._Handshake,
        "_read_frame",
        (
            _LOOKUP,
            _LOOKUP
            + "        if (\n"
            "            step is None\n"
            "            and frame_type == T_EKE1\n"
            "            and self.state is HandshakeState.SERVER_AWAIT_EKE3\n"
            "        ):\n"
            "            if len(buf) < HEADER_SIZE + length:\n"
            "                return self._need_more()\n"
            "            again = loads_control(bytes(buf[HEADER_SIZE : HEADER_SIZE + length]))\n"
            "            if again.get('user') != self.user:\n"
            "                step = _TRANSITIONS[(HandshakeState.SERVER_AWAIT_EKE1, T_EKE1)]\n",
        ),
    )


def _authentic_early_record_held() -> None:
    """A RECD that arrives before EKE3 and authenticates as record #0 under the keys of
    the EKE2 just sent is kept for the record phase ("the client pipelines its first
    request") and served once EKE4 is out; any other RECD is still unexpected_frame."""
    handshake = _handshake()
    _patch_method(
        handshake._Handshake,
        "_read_frame",
        (
            _LOOKUP,
            "        if frame_type == b'RECD' and self.state is HandshakeState.SERVER_AWAIT_EKE3:\n"
            "            if len(buf) < HEADER_SIZE + length:\n"
            "                return self._need_more()\n"
            "            from cryptography.hazmat.primitives.ciphers.aead import AESGCM\n"
            "\n"
            "            record = bytes(buf[: HEADER_SIZE + length])\n"
            "            try:\n"
            "                AESGCM(self._keys.key_c2s).decrypt(\n"
            "                    self._keys.iv_c2s, record[HEADER_SIZE:], record[:HEADER_SIZE]\n"
            "                )\n"
            "            except Exception:\n"
            "                pass\n"
            "            else:\n"
            "                self._l27_held = record\n"
            "                del buf[: HEADER_SIZE + length]\n"
            "                return self._read_frame()\n" + _LOOKUP,
        ),
    )
    _patch_method(
        handshake._Handshake,
        "trailing_data",
        (
            "        out = bytes(self._inbox)\n",
            "        out = getattr(self, '_l27_held', b'') + bytes(self._inbox)\n",
        ),
    )


def _clear_after_first_record() -> None:
    """The "nothing in clear" check guards only the first record after EKE4 (where a
    confused client's late handshake frame would come): once one record has opened, a
    plaintext frame is taken as if it had come sealed."""
    records = _records()
    _patch_method(
        records.RecordReader,
        "_parse_header",
        (
            "            if frame_type != RECORD_TYPE:\n",
            "            self._l27_clear = frame_type != RECORD_TYPE\n"
            "            if frame_type != RECORD_TYPE and not getattr(self, '_l27_opened', 0):\n",
        ),
    )
    _patch_method(
        records.RecordReader,
        "_next_frame",
        (
            "        inner = self._opener.open(header, sealed)\n",
            "        if getattr(self, '_l27_clear', False):\n"
            "            self._l27_clear = False\n"
            "            frame = InnerFrame(bytes(header[:4]), memoryview(bytes(sealed)))\n"
            "            self._have, self._length = 0, None\n"
            "            return frame\n"
            "        inner = self._opener.open(header, sealed)\n"
            "        self._l27_opened = getattr(self, '_l27_opened', 0) + 1\n",
        ),
    )


def _sealed_confirmation_after_request_skipped() -> None:
    """Inside the channel an EKE1 (a renegotiation) is refused, but once a request was
    served an EKE2, EKE3 or EKE4 in a record is skipped as a stray retransmission."""
    _patch_method(
        _transport().SecureStream,
        "next_event",
        (
            "            if frame.type == T_DATA:\n",
            "            if (\n"
            "                frame.type in (b'EKE2', b'EKE3', b'EKE4')\n"
            "                and getattr(self, '_l27_served', 0)\n"
            "            ):\n"
            "                continue\n"
            "            self._l27_served = getattr(self, '_l27_served', 0) + 1\n"
            "            if frame.type == T_DATA:\n",
        ),
    )


def _clear_skipped_after_request(types: tuple[bytes, ...]) -> None:
    """Once a record has opened, a plaintext frame of one of `types` is skipped (a late
    retransmission, a peer's farewell), not a failure; before it, it still is."""
    records = _records()
    _patch_method(
        records.RecordReader,
        "_parse_header",
        (
            "            if frame_type != RECORD_TYPE:\n",
            "            self._l27_skip = bool(\n"
            "                frame_type != RECORD_TYPE\n"
            "                and getattr(self, '_l27_opened', 0)\n"
            f"                and bytes(frame_type) in {types!r}\n"
            "            )\n"
            "            if frame_type != RECORD_TYPE and not self._l27_skip:\n",
        ),
    )
    _patch_method(
        records.RecordReader,
        "_next_frame",
        (
            "        inner = self._opener.open(header, sealed)\n",
            "        if getattr(self, '_l27_skip', False):\n"
            "            self._l27_skip = False\n"
            "            self._have, self._length = 0, None\n"
            "            return self._next_frame()\n"
            "        inner = self._opener.open(header, sealed)\n"
            "        self._l27_opened = getattr(self, '_l27_opened', 0) + 1\n",
        ),
    )


def _clear_eke3_after_request_skipped() -> None:
    _clear_skipped_after_request((b"EKE3",))


def _clear_eror_after_request_skipped() -> None:
    _clear_skipped_after_request((b"EROR",))


def _m(name: str, requirement: str, description: str, apply: Any) -> Mutant:
    return Mutant(
        name=f"lead27-hs-{name}",
        group=_GROUP,
        profile="eke",
        requirement=requirement,
        test_file=_FILE,
        description=description,
        apply=apply,
    )


MUTANTS: tuple[Mutant, ...] = (
    _m(
        "eke1-other-user-restarts",
        "EKE-HS-9",
        "waiting for EKE3, an EKE1 of another user name restarts the login (EKE2 again)",
        _eke1_other_user_restarts,
    ),
    _m(
        "authentic-early-record-held",
        "EKE-HS-9",
        "a RECD before EKE3 that opens under the pending keys is held and served after EKE4",
        _authentic_early_record_held,
    ),
    _m(
        "clear-after-first-record",
        "EKE-REC-5",
        "a plaintext frame after EKE4 is refused only before the first record: later it is served",
        _clear_after_first_record,
    ),
    _m(
        "sealed-confirmation-after-request-skipped",
        "FRM-5",
        "an EKE2-EKE4 inside a record is skipped once a request was served (EKE1 still refused)",
        _sealed_confirmation_after_request_skipped,
    ),
    _m(
        "clear-eke3-after-request-skipped",
        "EKE-REC-5",
        "a plaintext EKE3 after EKE4 is skipped once a record has opened (a retransmission)",
        _clear_eke3_after_request_skipped,
    ),
    _m(
        "clear-eror-after-request-skipped",
        "EKE-REC-5",
        "a plaintext EROR after EKE4 is skipped once a record has opened, not a failure",
        _clear_eror_after_request_skipped,
    ),
)
