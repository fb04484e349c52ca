"""Lead, round 26 (helper B198): the kit's SHARED oracles audited for leniency, part 2.

A shared helper that turns a target's violation into an outcome a case accepts (a
`Closed` where a case takes "a close or a fatal EROR") weakens every case that uses it at
once. Each mutant below exploits one such spot; the spot is then made to FAIL the
violation under its requirement, with evidence, whatever the case was checking.

- lead26-or2-pki-type-eror-le-length: the responder's EROR bad_frame for bad type bytes
  (the header parser's own error path, a hand-written header) carries its length
  little-endian [FRM-1]. The suite's reader stops at a length above 64 MiB and
  `wire.RawConnection.recv_frame` returned `Closed("local")`, which `ExpectClose` took as
  the target's close. Before: not detected; after: FAILs FRM-14/FRM-8/FRM-1
  (`wire._oversize_failure`).
- lead26-or2-eke-rec1-eror-tag-first: the eke server's fatal EROR for a record whose
  plaintext is not exactly one frame (its EKE-REC-1 refusal) is laid out header | GCM tag |
  ciphertext [EKE-REC-1]. `EkeChannel.recv_frame` recorded a record from a target server
  that opens under no diagnosed deviation in `violations` and returned `Closed`; a case
  that does not read `violations` (test_framing.py's truncated-frame case, "EROR
  bad_frame or a close") passed. Before: not detected; after: FAILs EKE-REC-1/2/3
  (`EkeChannel.undiagnosed_violates`).
"""

from __future__ import annotations

from typing import Any

from conformance.selftest.mutant import Mutant, _module

__all__ = ["MUTANTS"]

_GROUP = "lead26-oracles2"


def _patch(owner: Any, attr: str, *edits: tuple[str, str]) -> None:
    """Edits a method, copied at its indentation in the file."""
    from conformance.selftest.mutants_app import _patch_method

    _patch_method(owner, attr, *edits)


_FAIL_LINE = "            self.stream.sendall(self.conn.send(ErrorFrame(code, exc.message)))\n"
_TYPE_BYTES = (
    "            if code is ErrorCode.BAD_FRAME and exc.message.startswith('frame type'):\n"
)


def _type_eror_le_length() -> None:
    _patch(
        _module("reference.transfer")._Channel,
        "fail",
        (
            _FAIL_LINE,
            _TYPE_BYTES
            + "                frame = bytes(self.conn.send(ErrorFrame(code, exc.message)))\n"
            "                self.stream.sendall(frame[:4] + frame[4:8][::-1] + frame[8:])\n"
            "                return\n" + _FAIL_LINE,
        ),
    )


def _rec1_eror_tag_first() -> None:
    server = _module("reference.eke.server")
    errors = _module("reference.errors")
    messages = _module("reference.messages")
    honest = server.EkeServer._send_fatal

    def send_fatal(self: Any, stream: Any, code: Any, message: str) -> None:
        if "not exactly one frame" not in message:
            honest(self, stream, code, message)
            return
        try:  # the tag where a Node.js getAuthTag() habit puts it: before the ciphertext
            record = bytes(stream.channel.seal(stream.app.send(messages.ErrorFrame(code, message))))
            stream.sock.sendall(record[:8] + record[-16:] + record[8:-16])
        except (OSError, errors.ProtocolError):
            pass

    server.EkeServer._send_fatal = send_fatal


def _m(
    name: str, profile: str, requirement: str, test_file: str, description: str, apply: Any
) -> Mutant:
    return Mutant(
        name=f"lead26-or2-{name}",
        group=_GROUP,
        profile=profile,
        requirement=requirement,
        test_file=test_file,
        description=description,
        apply=apply,
    )


MUTANTS: tuple[Mutant, ...] = (
    _m(
        "pki-type-eror-le-length",
        "pki",
        "FRM-1",
        "test_error_disclosure.py",
        "the responder's EROR bad_frame for bad type bytes (a hand-written header) carries its "
        "length little-endian: a frame announcing over 64 MiB, then the close",
        _type_eror_le_length,
    ),
    _m(
        "eke-rec1-eror-tag-first",
        "eke",
        "EKE-REC-1",
        "test_framing.py",
        "the eke server's fatal EROR for a record whose plaintext is not one frame is laid out "
        "header | GCM tag | ciphertext (the tag first): it never authenticates",
        _rec1_eror_tag_first,
    ),
)
