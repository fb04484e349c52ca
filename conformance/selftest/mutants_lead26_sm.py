"""Round 26 (helper B188): sequence bugs of the responder's application state machine,
for conformance/test_app_state_machine.py (the SPEC's machine checked with AALpy's
W-method against the target).

Each is a bug of the kind one-pair-per-case tests walk past: the state left behind by an
earlier request decides the answer to a later frame. Planted in reference/app.py's
ApplicationConnection, which both profiles share; the per-connection counters the bugs
consult (puts stored, gets served, gets refused) are kept by the patched `send`.

Round 26, second pass (helper B189), the whole suite's citing files without this one
(SFT_MUTANT_FILES=<citing files but test_app_state_machine.py>):
- caught ONLY by test_app_state_machine.py: done-after-refused-get-dropped,
  eror-after-put-kept, noop-after-get-skipped, putf-after-refused-get-unexpected,
  refused-get-after-put-ends-session, eror-after-refused-get-kept;
- also caught by other files (kept: the model catches them too): data-after-put-dropped
  (test_app_late_repeats.py, test_interop_refused_put_state.py), done-after-put-dropped
  (test_app_late_repeats.py, test_eke_stray_frames.py), rsfl-after-get-dropped
  (test_app_late_repeats.py), bye-after-put-ignored (test_app_bye_behind_requests.py,
  test_interop_answer_frames.py), later-put-unverified (test_app_later_put_checks.py,
  test_app_put_sequence.py).
"""

from __future__ import annotations

from typing import Any

from conformance.selftest.mutant import Mutant, _module

__all__ = ["MUTANTS"]

_GROUP = "lead26-sm"


def _patch(owner: Any, attr: str, *edits: tuple[str, str]) -> None:
    """Edits a method, copied at its indentation in the file."""
    from conformance.selftest.mutants_app import _patch_method

    _patch_method(owner, attr, *edits)


def _conn() -> Any:
    return _module("reference.app").ApplicationConnection


# `send` keeps the counters: a put stored (its DONE sent from STORING), a get served (its
# DONE sent from SENDING), a get refused (a non-fatal EROR sent from GET_REQUESTED).
_COUNT_STORED = (
    "                self._verified_put = None\n",
    "                self._verified_put = None\n"
    "                self._sm_stored = getattr(self, '_sm_stored', 0) + 1\n",
)
_COUNT_SERVED = (
    "                if self.role is RESPONDER:\n"
    "                    self._outgoing = None\n",
    "                if self.role is RESPONDER:\n"
    "                    self._outgoing = None\n"
    "                    self._sm_gets = getattr(self, '_sm_gets', 0) + 1\n",
)
_COUNT_REFUSED = (
    "        if isinstance(event, ErrorFrame):\n"
    "            self._incoming = self._outgoing = None\n",
    "        if isinstance(event, ErrorFrame):\n"
    "            if self.state is R.GET_REQUESTED:\n"
    "                self._sm_refused = getattr(self, '_sm_refused', 0) + 1\n"
    "            self._incoming = self._outgoing = None\n",
)

_LOOKUP = "        nxt = self._lookup(frame_type)\n"


def _skip_frame_when(condition: str) -> None:
    """`_next_event` drops a whole frame (header and payload) when `condition` holds."""
    _patch(
        _conn(),
        "_next_event",
        (
            _LOOKUP,
            f"        if {condition}:\n"
            "            if len(buf) < length:\n"
            "                return self._starved()\n"
            "            del buf[:length]\n"
            "            self._header = None\n"
            "            return self._next_event()\n" + _LOOKUP,
        ),
    )


def _data_after_put_dropped() -> None:
    _patch(_conn(), "send", _COUNT_STORED)
    _skip_frame_when(
        "self.state is R.IDLE and frame_type == T_DATA and getattr(self, '_sm_stored', 0)"
    )


def _done_after_put_dropped() -> None:
    _patch(_conn(), "send", _COUNT_STORED)
    _skip_frame_when(
        "self.state is R.IDLE and frame_type == T_DONE and getattr(self, '_sm_stored', 0)"
    )


def _rsfl_after_get_dropped() -> None:
    _patch(_conn(), "send", _COUNT_SERVED)
    _skip_frame_when(
        "self.state is R.IDLE and frame_type == T_RSFL and getattr(self, '_sm_gets', 0)"
    )


def _done_after_refused_get_dropped() -> None:
    _patch(_conn(), "send", _COUNT_REFUSED)
    _skip_frame_when(
        "self.state is R.IDLE and frame_type == T_DONE and getattr(self, '_sm_refused', 0)"
    )


def _eror_after_put_kept() -> None:
    _patch(_conn(), "send", _COUNT_STORED)
    _patch(
        _conn(),
        "_on_control",
        (
            "        if isinstance(message, ErrorFrame):\n",
            "        if (\n"
            "            isinstance(message, ErrorFrame)\n"
            "            and not message.fatal\n"
            "            and self.role is RESPONDER\n"
            "            and getattr(self, '_sm_stored', 0)\n"
            "        ):\n"
            "            return self._next_event()  # a stray refusal after a put: ignored\n"
            "        if isinstance(message, ErrorFrame):\n",
        ),
    )


def _bye_after_put_ignored() -> None:
    _patch(_conn(), "send", _COUNT_STORED)
    _patch(
        _conn(),
        "_on_control",
        (
            "        if isinstance(message, FileRequest | Bye):\n",
            "        if isinstance(message, Bye) and getattr(self, '_sm_stored', 0):\n"
            "            return self._next_event()  # stays for more puts\n"
            "        if isinstance(message, FileRequest | Bye):\n",
        ),
    )


def _noop_after_transfer_skipped() -> None:
    _patch(_conn(), "send", _COUNT_SERVED)
    _patch(
        _conn(),
        "_next_event",
        (
            "            self._header = self._check_header(\n"
            "                *parse_header(buf[:HEADER_SIZE], self.config.max_frame_payload)\n"
            "            )\n",
            "            _t, _n = parse_header(buf[:HEADER_SIZE], self.config.max_frame_payload)\n"
            "            if (\n"
            "                _t == b'NOOP'\n"
            "                and getattr(self, '_sm_gets', 0)\n"
            "                and len(buf) >= HEADER_SIZE + _n\n"
            "            ):\n"
            "                del buf[: HEADER_SIZE + _n]  # a keep-alive once a get was served\n"
            "                return self._next_event()\n"
            "            self._header = self._check_header(_t, _n)\n",
        ),
    )


def _later_put_unverified() -> None:
    _patch(_conn(), "send", _COUNT_STORED)
    _patch(
        _conn(),
        "_on_control",
        (
            "                self._incoming.check_done(message)\n"
            "                self._incoming = None\n",
            "                if not getattr(self, '_sm_stored', 0):\n"
            "                    self._incoming.check_done(message)\n"
            "                self._incoming = None\n",
        ),
    )


def _refuse_frame_when(condition: str, what: str) -> None:
    """`_next_event` answers a frame unexpected_frame, at its header, when `condition`."""
    _patch(
        _conn(),
        "_next_event",
        (
            _LOOKUP,
            f"        if {condition}:\n"
            "            raise RemoteProtocolError(\n"
            f"                ErrorCode.UNEXPECTED_FRAME, {what!r}\n"
            "            )\n" + _LOOKUP,
        ),
    )


def _putf_after_refused_get_unexpected() -> None:
    _patch(_conn(), "send", _COUNT_REFUSED)
    _refuse_frame_when(
        "self.state is R.IDLE and frame_type == T_PUTF and getattr(self, '_sm_refused', 0)",
        "a get is still being answered",
    )


def _refused_get_after_put_ends_session() -> None:
    _patch(_conn(), "send", _COUNT_STORED, _COUNT_REFUSED)
    _refuse_frame_when(
        "self.state is R.IDLE and getattr(self, '_sm_stored', 0)"
        " and getattr(self, '_sm_refused', 0)",
        "the session is over",
    )


def _eror_after_refused_get_kept() -> None:
    _patch(_conn(), "send", _COUNT_REFUSED)
    _patch(
        _conn(),
        "_on_control",
        (
            "        if isinstance(message, ErrorFrame):\n",
            "        if (\n"
            "            isinstance(message, ErrorFrame)\n"
            "            and not message.fatal\n"
            "            and self.role is RESPONDER\n"
            "            and getattr(self, '_sm_refused', 0)\n"
            "        ):\n"
            "            return self._next_event()  # the peer echoing our refusal: ignored\n"
            "        if isinstance(message, ErrorFrame):\n",
        ),
    )


def _m(
    name: str, requirement: str, description: str, apply: Any, profile: str, **kw: Any
) -> Mutant:
    return Mutant(
        name=f"lead26-sm-{name}",
        group=_GROUP,
        profile=profile,
        requirement=requirement,
        test_file="test_app_state_machine.py",
        description=description,
        apply=apply,
        **kw,
    )


MUTANTS: tuple[Mutant, ...] = (
    _m(
        "data-after-put-dropped",
        "FRM-6",
        "a DATA frame in IDLE is dropped silently once a put was stored on the connection "
        "(a late retransmission tolerated), not unexpected_frame",
        _data_after_put_dropped,
        "pki",
        default=True,
    ),
    _m(
        "done-after-put-dropped",
        "APP-1",
        "a DONE in IDLE is dropped silently once a put was stored on the connection (a "
        "repeated DONE of a retrying initiator), not unexpected_frame",
        _done_after_put_dropped,
        "eke",
    ),
    _m(
        "rsfl-after-get-dropped",
        "APP-1",
        "an RSFL from the initiator in IDLE is dropped once a get was served on the "
        "connection (taken for an echo of the get's answer), not unexpected_frame",
        _rsfl_after_get_dropped,
        "pki",
    ),
    _m(
        "done-after-refused-get-dropped",
        "APP-1",
        "a DONE in IDLE is dropped silently after a get was refused on the connection "
        "(the initiator ending the get it thought it had), not unexpected_frame",
        _done_after_refused_get_dropped,
        "eke",
    ),
    _m(
        "eror-after-put-kept",
        "APP-3",
        "a non-fatal EROR from the initiator is ignored once a put was stored on the "
        "connection: the connection stays open and serves what follows",
        _eror_after_put_kept,
        "pki",
    ),
    _m(
        "bye-after-put-ignored",
        "APP-BYE-1",
        "a BYE_ after a stored put is ignored (the connection kept for more puts): "
        "neither echoed nor closed",
        _bye_after_put_ignored,
        "eke",
    ),
    _m(
        "noop-after-get-skipped",
        "FRM-5",
        "a NOOP frame is skipped as a keep-alive once a get was served on the connection, "
        "not unexpected_frame",
        _noop_after_transfer_skipped,
        "pki",
    ),
    _m(
        "later-put-unverified",
        "APP-PUT-5",
        "only the first put of a connection is verified at its DONE: a later one whose "
        "DONE does not match the bytes (size or SHA-256) is stored and acknowledged",
        _later_put_unverified,
        "eke",
    ),
    _m(
        "putf-after-refused-get-unexpected",
        "ERR-3",
        "after a get refused with a non-fatal EROR, a PUTF on the same connection is "
        "answered unexpected_frame (the get taken for still in progress), not served: "
        "the refusal did not return the connection to IDLE",
        _putf_after_refused_get_unexpected,
        "pki",
    ),
    _m(
        "refused-get-after-put-ends-session",
        "ERR-3",
        "once a put was stored, a get refused with a non-fatal EROR leaves the connection "
        "unusable: the next frame, whatever it is, is answered unexpected_frame",
        _refused_get_after_put_ends_session,
        "eke",
    ),
    _m(
        "eror-after-refused-get-kept",
        "APP-3",
        "a non-fatal EROR from the initiator right after a refused get is ignored (taken "
        "for an echo of the refusal): the connection stays open and serves what follows",
        _eror_after_refused_get_kept,
        "eke",
    ),
)
