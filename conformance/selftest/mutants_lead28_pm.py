"""Round 28 (helper B234): sequence bugs of the sft-pki/1 INITIATOR, for
conformance/test_pki_client_state_machine.py (the SPEC's initiator machine checked with
AALpy's word sets, the kit playing an honest TLS responder, one `sft get` per word).

Each is a bug that a one-deviation-per-run initiator case walks past: the initiator's
answer to a responder frame depends on where in the get it comes (before RSFL, before the
first byte, once every announced byte is in). Planted in
reference/app.py (the initiator's half of the table: I.* states only) and
reference/transfer.py (the initiator's receive loop).

  lead28-pm-rsfl-after-bytes-skipped  every announced byte received, a second RSFL is
                                     dropped as a stale answer, DONE still awaited (FRM-6)
  lead28-pm-data-before-rsfl-skipped  DATA before the answer to RQFL is a stale chunk of an
                                     earlier transfer: dropped, RSFL still awaited (FRM-6)
  lead28-pm-done-before-bytes-unexpected  a DONE after RSFL and before the first byte is
                                     a frame out of its place: answered unexpected_frame, not
                                     integrity_failed (APP-GET-3)
  lead28-pm-bye-after-fatal-at-size  a fatal EROR once every announced byte is in is
                                     answered with a BYE_ before the close (ERR-3)
  lead28-pm-bye-after-fatal-before-bytes  a fatal EROR after RSFL and before the first
                                     byte is taken as the refusal of the get: the initiator
                                     says BYE_ before it closes (ERR-3)
  lead28-pm-fatal-at-size-answered   a fatal EROR once every announced byte is in is
                                     answered with the initiator's own EROR integrity_failed
                                     (no DONE came) before the close (ERR-3)
"""

from __future__ import annotations

from typing import Any

from conformance.selftest.mutant import Mutant, _module
from conformance.selftest.mutants_app import _patch_method

__all__ = ["MUTANTS"]

_GROUP = "lead28-pm"
_FILE = "test_pki_client_state_machine.py"

_OWED = (
    "        if self.state in _ANSWER_OWED and frame_type != T_EROR:\n"
    "            return PAUSED  # pipelined: judged once we are idle again\n"
)


def _app() -> Any:
    return _module("reference.app").ApplicationConnection


def _skip_control_when(condition: str) -> None:
    """A frame whose header meets `condition` (in ApplicationConnection._next_event) is
    dropped whole, payload included, and the next one read."""
    _patch_method(
        _app(),
        "_next_event",
        (
            _OWED,
            _OWED + f"        if {condition}:\n"
            "            if len(buf) < length:\n"
            "                return self._starved()\n"
            "            del buf[:length]\n"
            "            self._header = None\n"
            "            return self._next_event()\n",
        ),
    )


def _rsfl_after_bytes_skipped() -> None:
    """Every announced byte in, an RSFL is a late duplicate of the answer: dropped."""
    _skip_control_when(
        "self.state is I.RECEIVING and frame_type == T_RSFL and self._incoming is not None"
        " and self._incoming.count == self._incoming.announced"
    )


def _data_before_rsfl_skipped() -> None:
    """DATA while RSFL is awaited is a stale chunk of an aborted earlier get: dropped."""
    _skip_control_when("self.state is I.GET_SENT and frame_type == T_DATA")


def _done_before_bytes_unexpected() -> None:
    """A DONE before the first byte of a non-empty get: not allowed there yet."""
    _patch_method(
        _app(),
        "_on_control",
        (
            "                assert self._incoming is not None\n"
            "                self._incoming.check_done(message)\n",
            "                assert self._incoming is not None\n"
            "                if self._incoming.count == 0 < self._incoming.announced:\n"
            "                    raise RemoteProtocolError(\n"
            "                        ErrorCode.UNEXPECTED_FRAME, 'DONE before any DATA'\n"
            "                    )\n"
            "                self._incoming.check_done(message)\n",
        ),
    )


def _fatal_at_size_answered() -> None:
    """Every byte in, a fatal EROR leaves the get without its DONE: the initiator says
    integrity_failed before it closes."""
    _patch_method(
        _module("reference.transfer")._Channel,
        "receive_file",
        (
            "            elif isinstance(event, ErrorFrame):\n",
            "            elif isinstance(event, ErrorFrame):\n"
            "                if received >= size and event.fatal:\n"
            "                    _body = (\n"
            "                        b'{\"code\": 8, \"name\": \"integrity_failed\", '\n"
            "                        b'\"message\": \"the get ended without DONE\"}'\n"
            "                    )\n"
            "                    try:\n"
            "                        self.stream.sendall(\n"
            "                            b'EROR' + len(_body).to_bytes(4, 'big') + _body\n"
            "                        )\n"
            "                    except OSError:\n"
            "                        pass\n",
        ),
    )


def _bye_after_fatal_at_size() -> None:
    """Every byte in, a fatal EROR is the responder's failure after the fact: the
    initiator still says goodbye before it closes."""
    _patch_method(
        _module("reference.transfer")._Channel,
        "receive_file",
        (
            "            elif isinstance(event, ErrorFrame):\n",
            "            elif isinstance(event, ErrorFrame):\n"
            "                if received >= size and event.fatal:\n"
            "                    try:\n"
            "                        self.stream.sendall(b'BYE_\\x00\\x00\\x00\\x02{}')\n"
            "                    except OSError:\n"
            "                        pass\n",
        ),
    )


def _bye_after_fatal_before_bytes() -> None:
    """A fatal EROR before the first byte: the get never began, so it is the refusal of
    the request and the initiator still says goodbye before it closes."""
    _patch_method(
        _module("reference.transfer")._Channel,
        "receive_file",
        (
            "            elif isinstance(event, ErrorFrame):\n",
            "            elif isinstance(event, ErrorFrame):\n"
            "                if received == 0 and event.fatal:\n"
            "                    try:\n"
            "                        self.stream.sendall(b'BYE_\\x00\\x00\\x00\\x02{}')\n"
            "                    except OSError:\n"
            "                        pass\n",
        ),
    )


def _m(name: str, requirement: str, description: str, apply: Any) -> Mutant:
    return Mutant(
        name=f"lead28-pm-{name}",
        group=_GROUP,
        profile="pki",
        requirement=requirement,
        test_file=_FILE,
        description=description,
        apply=apply,
        client=True,
    )


MUTANTS: tuple[Mutant, ...] = (
    _m(
        "rsfl-after-bytes-skipped",
        "FRM-6",
        "pki get: every announced byte received, a second RSFL is dropped as a stale "
        "answer and DONE still awaited (no EROR unexpected_frame)",
        _rsfl_after_bytes_skipped,
    ),
    _m(
        "data-before-rsfl-skipped",
        "FRM-6",
        "pki get: DATA before the answer to RQFL is dropped as a stale chunk of an earlier "
        "get, RSFL still awaited (no EROR unexpected_frame)",
        _data_before_rsfl_skipped,
    ),
    _m(
        "done-before-bytes-unexpected",
        "APP-GET-3",
        "pki get: a DONE after RSFL and before the first byte of a non-empty file is "
        "answered unexpected_frame, not integrity_failed",
        _done_before_bytes_unexpected,
    ),
    _m(
        "bye-after-fatal-at-size",
        "ERR-3",
        "pki get: a fatal EROR once every announced byte is in is answered with a BYE_ "
        "before the close",
        _bye_after_fatal_at_size,
    ),
    _m(
        "bye-after-fatal-before-bytes",
        "ERR-3",
        "pki get: a fatal EROR after RSFL and before the first byte is taken as the refusal "
        "of the get: the initiator sends BYE_ before it closes",
        _bye_after_fatal_before_bytes,
    ),
    _m(
        "fatal-at-size-answered",
        "ERR-3",
        "pki get: a fatal EROR once every announced byte is in is answered with the "
        "initiator's own EROR integrity_failed before the close",
        _fatal_at_size_answered,
    ),
)
