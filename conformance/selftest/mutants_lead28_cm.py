"""Round 28 (helper B225): sequence bugs of the sft-eke/1 CLIENT, for
conformance/test_eke_client_state_machine.py (the SPEC's client machine checked with AALpy's
word sets, the kit playing the server, one client run per word).

Each is a bug that a one-deviation-per-run client case walks past: the client's answer to a
server frame depends on where in the run it comes (the login's second half, a get whose
bytes have all arrived, a get that has not started its DATA). Planted in
reference/eke/handshake.py (the sans-IO login), reference/app.py (the initiator's table)
and reference/eke/client.py (the client's run).

  lead28-cm-eke2-again-reconfirms   EKE3 sent, a second (identical) EKE2 is taken as a
                                    retransmission and answered with EKE3 again (EKE-HS-9)
  lead28-cm-eke4-in-record-late     an EKE2/EKE4 inside a record is skipped once the get's
                                    DATA has begun ("a late duplicate of the login") (FRM-5)
  lead28-cm-done-before-data-unexpected  a DONE before any of the announced bytes is
                                    answered unexpected_frame, not integrity_failed (APP-GET-3)
  lead28-cm-done-before-rsfl-no-eror  a DONE in place of RSFL ends the get without an EROR
                                    (the client says BYE_ and leaves) (FRM-6)
  lead28-cm-login-eror-answered     a fatal EROR during the login (after EKE3) is answered
                                    with the client's own EROR auth_failed (ERR-3)

Added by helper B228:

  lead28-cm-rsfl-after-bytes-skipped  every announced byte received, a second RSFL is
                                    dropped as a stale answer, DONE still awaited (FRM-6)
  lead28-cm-clear-frame-before-eke4-skipped  awaiting EKE4, a plaintext frame that is not
                                    a login frame (an early RSFL) is skipped (EKE-HS-9)
  lead28-cm-clear-done-in-channel   after EKE4 a plaintext DONE is taken as if sealed: it
                                    completes the get (EKE-REC-5)
"""

from __future__ import annotations

from typing import Any

from conformance.selftest.mutant import Mutant, _module
from conformance.selftest.mutants_app import _patch_method

__all__ = ["MUTANTS"]

_GROUP = "lead28-cm"
_FILE = "test_eke_client_state_machine.py"


def _app() -> Any:
    return _module("reference.app").ApplicationConnection


def _client() -> Any:
    return _module("reference.eke.client").EkeClient


def _eke2_again_reconfirms() -> None:
    """Awaiting EKE4, an EKE2 is taken as the server's retransmission: confirmed again."""
    _patch_method(
        _module("reference.eke.handshake")._Handshake,
        "_read_frame",
        (
            "        step = _TRANSITIONS.get((self.state, frame_type))\n",
            "        step = _TRANSITIONS.get((self.state, frame_type))\n"
            "        if (\n"
            "            step is None\n"
            "            and frame_type == T_EKE2\n"
            "            and self.state is HandshakeState.CLIENT_AWAIT_EKE4\n"
            "        ):\n"
            '            step = ("_on_eke2", HandshakeState.CLIENT_AWAIT_EKE4)\n',
        ),
    )


def _eke4_in_record_late() -> None:
    """Once DATA has begun, a login frame inside a record is a late duplicate: skipped."""
    _patch_method(
        _app(),
        "_next_event",
        (
            "            self._header = self._check_header(\n"
            "                *parse_header(buf[:HEADER_SIZE], self.config.max_frame_payload)\n"
            "            )\n",
            "            _head = parse_header(buf[:HEADER_SIZE], self.config.max_frame_payload)\n"
            "            if (\n"
            '                _head[0] in (b"EKE2", b"EKE4")\n'
            "                and self.state is I.RECEIVING\n"
            "                and self._incoming is not None\n"
            "                and self._incoming.count > 0\n"
            "                and len(buf) >= HEADER_SIZE + _head[1]\n"
            "            ):\n"
            "                del buf[: HEADER_SIZE + _head[1]]\n"
            "                return self._next_event()\n"
            "            self._header = self._check_header(*_head)\n",
        ),
    )


def _done_before_data_unexpected() -> None:
    """A DONE with none of the announced bytes received is "out of order"."""
    _patch_method(
        _app(),
        "_on_control",
        (
            "                assert self._incoming is not None\n"
            "                self._incoming.check_done(message)\n",
            "                assert self._incoming is not None\n"
            "                if (\n"
            "                    self.role is not RESPONDER\n"
            "                    and self._incoming.count == 0\n"
            "                    and self._incoming.announced > 0\n"
            "                ):\n"
            "                    raise RemoteProtocolError(\n"
            '                        ErrorCode.UNEXPECTED_FRAME, "DONE before any DATA"\n'
            "                    )\n"
            "                self._incoming.check_done(message)\n",
        ),
    )


def _done_before_rsfl_no_eror() -> None:
    """A DONE awaiting RSFL is read (the table lets it pass to IDLE) and the get ends
    with 'unexpected answer', no EROR: the client says BYE_ and closes."""
    _patch_method(
        _app(),
        "_lookup",
        (
            "        nxt = _TRANSITIONS.get((self.state, frame_type))\n",
            "        nxt = _TRANSITIONS.get((self.state, frame_type))\n"
            "        if nxt is None and self.state is I.GET_SENT and frame_type == T_DONE:\n"
            "            nxt = I.IDLE\n",
        ),
    )
    _patch_method(
        _app(),
        "_on_control",
        (
            "                assert self._incoming is not None\n"
            "                self._incoming.check_done(message)\n"
            "                self._incoming = None\n",
            "                if self._incoming is not None:\n"
            "                    self._incoming.check_done(message)\n"
            "                self._incoming = None\n",
        ),
    )


def _login_eror_answered() -> None:
    """The login refused by the server's EROR: the client says so, EROR auth_failed."""
    _patch_method(
        _client(),
        "_connect_once",
        (
            "        except ClientError:\n            self.close()\n            raise\n",
            "        except ClientError:\n"
            "            with contextlib.suppress(OSError):\n"
            "                from reference.eke.handshake import encode_error as _enc\n"
            "\n"
            '                sock.sendall(_enc(ErrorCode.AUTH_FAILED, "login failed"))\n'
            "            self.close()\n"
            "            raise\n",
        ),
    )


def _rsfl_after_bytes_skipped() -> None:
    """All announced bytes in: an RSFL is a stale answer to our request, dropped."""
    _patch_method(
        _app(),
        "_next_event",
        (
            "        frame_type, length = self._header\n",
            "        frame_type, length = self._header\n"
            "        if (\n"
            "            frame_type == T_RSFL\n"
            "            and self.state is I.RECEIVING\n"
            "            and self._incoming is not None\n"
            "            and self._incoming.count >= self._incoming.announced\n"
            "            and len(buf) >= length\n"
            "        ):\n"
            "            del buf[:length]\n"
            "            self._header = None\n"
            "            return self._next_event()\n",
        ),
    )


def _clear_frame_before_eke4_skipped() -> None:
    """Awaiting EKE4, a plaintext non-login frame (the server's early answer) is skipped."""
    _patch_method(
        _module("reference.eke.handshake")._Handshake,
        "_read_frame",
        (
            "        step = _TRANSITIONS.get((self.state, frame_type))\n",
            "        step = _TRANSITIONS.get((self.state, frame_type))\n"
            "        if (\n"
            "            step is None\n"
            "            and self.state is HandshakeState.CLIENT_AWAIT_EKE4\n"
            '            and not frame_type.startswith(b"EKE")\n'
            "            and frame_type != T_EROR\n"
            "            and len(buf) >= HEADER_SIZE + length\n"
            "        ):\n"
            "            del buf[: HEADER_SIZE + length]\n"
            "            return self.next_event()\n",
        ),
    )


def _clear_done_in_channel() -> None:
    """After EKE4 a plaintext DONE header passes the record layer as if it were sealed."""
    reader = _module("reference.eke.records").RecordReader
    _patch_method(
        reader,
        "_parse_header",
        (
            "            if frame_type != RECORD_TYPE:\n",
            '            self._plain = frame_type == b"DONE"\n'
            "            if frame_type != RECORD_TYPE and not self._plain:\n",
        ),
    )
    _patch_method(
        reader,
        "_next_frame",
        (
            "        inner = self._opener.open(header, sealed)\n",
            '        if getattr(self, "_plain", False):\n'
            "            self._plain = False\n"
            "            inner = memoryview(bytes(self._view[: HEADER_SIZE + self._length]))\n"
            "        else:\n"
            "            inner = self._opener.open(header, sealed)\n",
        ),
    )


def _m(name: str, requirement: str, description: str, apply: Any) -> Mutant:
    return Mutant(name, _GROUP, "eke", requirement, _FILE, description, apply, client=True)


MUTANTS: tuple[Mutant, ...] = (
    _m(
        "lead28-cm-eke2-again-reconfirms",
        "EKE-HS-9",
        "EKE3 sent, a second identical EKE2 is a retransmission: answered with EKE3 again",
        _eke2_again_reconfirms,
    ),
    _m(
        "lead28-cm-eke4-in-record-late",
        "FRM-5",
        "an EKE2/EKE4 inside a record is skipped once the get's DATA has begun",
        _eke4_in_record_late,
    ),
    _m(
        "lead28-cm-done-before-data-unexpected",
        "APP-GET-3",
        "a DONE before any announced byte is answered unexpected_frame, not integrity_failed",
        _done_before_data_unexpected,
    ),
    _m(
        "lead28-cm-done-before-rsfl-no-eror",
        "FRM-6",
        "a DONE in place of RSFL ends the get without EROR (the client says BYE_ and leaves)",
        _done_before_rsfl_no_eror,
    ),
    _m(
        "lead28-cm-login-eror-answered",
        "ERR-3",
        "a fatal EROR during the login is answered with the client's own EROR auth_failed",
        _login_eror_answered,
    ),
    _m(
        "lead28-cm-rsfl-after-bytes-skipped",
        "FRM-6",
        "every announced byte received, a second RSFL is dropped as stale, DONE still awaited",
        _rsfl_after_bytes_skipped,
    ),
    _m(
        "lead28-cm-clear-frame-before-eke4-skipped",
        "EKE-HS-9",
        "awaiting EKE4, a plaintext non-login frame (an early RSFL) is skipped",
        _clear_frame_before_eke4_skipped,
    ),
    _m(
        "lead28-cm-clear-done-in-channel",
        "EKE-REC-5",
        "after EKE4 a plaintext DONE is taken as if sealed and completes the get",
        _clear_done_in_channel,
    ),
)
