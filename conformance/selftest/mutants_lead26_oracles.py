"""Lead, round 26 (helper B193): the kit's SHARED oracles audited for leniency.

A shared helper that turns a target's violation into an outcome a case accepts (a
`Closed` where a case takes "a close or a fatal EROR") weakens every case that uses it at
once. Each mutant below exploits one such spot; the spot is then made to FAIL the
violation under its requirement, with evidence, whatever the case was checking.

- lead26-or-pki-type-eror-tail: the responder's EROR bad_frame for bad type bytes (the
  header parser's own error path) is followed by a CRLF its length does not count [FRM-1].
  `wire.expect_on` took any `Closed` after a fatal EROR as ERR-3's close, unfinished
  bytes before it included. Before: not detected (citing FRM-1); after: FAILs FRM-1.
- lead26-or-eke-type-eror-cut: the eke server's record carrying that EROR is cut after
  half its bytes (a `write(); destroy()` that drops the buffered tail), then the clean
  close [FRM-1]. `ExpectClose` matched a `Closed` holding the unfinished record. Before:
  not detected; after: FAILs FRM-1 (test_error_disclosure.py, bytes between frames).
- lead26-or-pki-idle-eror-beside-tls: the responder's idle-timeout EROR (in IDLE) is
  written on the TCP socket under the TLS stream, in clear, not through TLS [PKI-TLS-6].
  The suite's TLS stack then fails with a record-layer error, which `RawConnection` read
  as `Closed("tls_alert")`, i.e. as the close.
- lead26-or-eke-fatal-tag-first: the eke server's fatal-error path lays its record out as
  header | tag | ciphertext (the GCM tag first, a Node.js `getAuthTag()` habit), so the
  record never authenticates [EKE-REC-1]. `EkeChannel.recv_frame` read a record from a
  target server that opens under no diagnosed deviation as `Closed`. Detected before and
  after by test_eke_records.py's own checks; the shared spot is reported, not changed
  (test_eke_late_fatal_errors.py builds its EKE-REC-2 verdict on that `Closed`).
- lead26-or-pki-idle-eror-beside-tls: detected before by test_pki_tls.py's close_notify
  case (PKI-TLS-7 ending list); after the fix the same case FAILs it as PKI-TLS-6, and so
  would every case that meets such a frame on a path that list does not name.
"""

from __future__ import annotations

from typing import Any

from conformance.selftest.mutant import Mutant, _module

__all__ = ["MUTANTS"]

_GROUP = "lead26-oracles"


def _patch(owner: Any, attr: str, *edits: tuple[str, str]) -> None:
    """Edits a method, copied at its indentation in the file."""
    from conformance.selftest.mutants_app import _patch_method

    _patch_method(owner, attr, *edits)


_FAIL_LINE = "            self.stream.sendall(self.conn.send(ErrorFrame(code, exc.message)))\n"
_IDLE_TIMEOUT = (
    "            if code is ErrorCode.TIMEOUT and getattr(self.conn.state, 'name', '') == 'IDLE':\n"
)


_TYPE_BYTES = (
    "            if code is ErrorCode.BAD_FRAME and exc.message.startswith('frame type'):\n"
)


def _type_eror_tail() -> None:
    _patch(
        _module("reference.transfer")._Channel,
        "fail",
        (
            _FAIL_LINE,
            _TYPE_BYTES
            + "                self.stream.sendall(\n"
            "                    bytes(self.conn.send(ErrorFrame(code, exc.message))) + b'\\r\\n'\n"
            "                )\n"
            "                return\n" + _FAIL_LINE,
        ),
    )


def _type_eror_cut() -> None:
    server = _module("reference.eke.server")
    errors = _module("reference.errors")
    messages = _module("reference.messages")
    honest = server.EkeServer._send_fatal

    def send_fatal(self: Any, stream: Any, code: Any, message: str) -> None:
        if code is not errors.ErrorCode.BAD_FRAME or not message.startswith("frame type"):
            honest(self, stream, code, message)
            return
        try:  # write(); destroy(): the buffered tail of the record is dropped
            record = bytes(stream.channel.seal(stream.app.send(messages.ErrorFrame(code, message))))
            stream.sock.sendall(record[: len(record) // 2])
        except (OSError, errors.ProtocolError):
            pass

    server.EkeServer._send_fatal = send_fatal


def _idle_eror_beside_tls() -> None:
    transfer = _module("reference.transfer")
    transfer._or_socket = _module("socket")
    _patch(
        transfer._Channel,
        "fail",
        (
            _FAIL_LINE,
            _IDLE_TIMEOUT
            + "                under = _or_socket.socket(fileno=os.dup(self.stream.fileno()))\n"
            "                try:\n"
            "                    under.sendall(\n"
            "                        bytes(self.conn.send(ErrorFrame(code, exc.message)))\n"
            "                    )\n"
            "                finally:\n"
            "                    under.close()\n"
            "                return\n" + _FAIL_LINE,
        ),
    )


def _fatal_tag_first() -> None:
    server = _module("reference.eke.server")
    errors = _module("reference.errors")
    messages = _module("reference.messages")

    def send_fatal(self: Any, stream: Any, code: Any, message: str) -> None:
        if not code.fatal:
            code, message = errors.ErrorCode.INTERNAL, "internal error"
        try:
            record = bytes(stream.channel.seal(stream.app.send(messages.ErrorFrame(code, message))))
            stream.sock.sendall(record[:8] + record[-16:] + record[8:-16])
        except (OSError, errors.ProtocolError):
            pass

    server.EkeServer._send_fatal = send_fatal


def _m(
    name: str, profile: str, requirement: str, test_file: str, description: str, apply: Any
) -> Mutant:
    return Mutant(
        name=f"lead26-or-{name}",
        group=_GROUP,
        profile=profile,
        requirement=requirement,
        test_file=test_file,
        description=description,
        apply=apply,
    )


MUTANTS: tuple[Mutant, ...] = (
    _m(
        "pki-type-eror-tail",
        "pki",
        "FRM-1",
        "test_error_disclosure.py",
        "the responder's EROR bad_frame for bad type bytes (the header parser's own error "
        "path) is followed by a CRLF its length does not count, then the close",
        _type_eror_tail,
    ),
    _m(
        "eke-type-eror-cut",
        "eke",
        "FRM-1",
        "test_error_disclosure.py",
        "the eke server's record carrying EROR bad_frame for bad type bytes is cut after half "
        "its bytes (a write whose buffered tail the close drops), then the clean close",
        _type_eror_cut,
    ),
    _m(
        "pki-idle-eror-beside-tls",
        "pki",
        "PKI-TLS-6",
        "test_pki_tls.py",
        "the responder's idle-timeout EROR in IDLE is written in clear on the TCP socket "
        "under the TLS stream, not through TLS",
        _idle_eror_beside_tls,
    ),
    _m(
        "eke-fatal-tag-first",
        "eke",
        "EKE-REC-1",
        "test_eke_records.py",
        "the eke server's fatal-error record is laid out header | GCM tag | ciphertext (the "
        "tag first): the EROR never authenticates, and a case taking a close passes",
        _fatal_tag_first,
    ),
)
