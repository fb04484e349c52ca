"""Lead, round 26 (helper B198): the kit's SHARED oracles audited for leniency, part 2.

A shared helper that turns a target's violation into an outcome a case accepts (a
`Closed` where a case takes "a close or a fatal EROR") weakens every case that uses it at
once. Each mutant below exploits one such spot; the spot is then made to FAIL the
violation under its requirement, with evidence, whatever the case was checking.

- lead26-or2-eke-type-eror-le-length: the eke server's record carrying EROR bad_frame for
  bad type bytes has its header written by hand, the length little-endian [FRM-1]. The
  suite's reader stops at a length above 64 MiB and `wire.RawConnection.recv_frame`
  returned `Closed("local")`, which `ExpectClose` took as the target's close. Before: not
  detected; after: FAILs FRM-14/EKE-REC-6/FRM-1 (`wire._oversize_failure`, raised by
  recv_frame).
- lead26-or2-eke-bad-record-eror-tag-first: the eke server answers a record that does not
  authenticate with a fatal EROR whose record is laid out header | GCM tag | ciphertext
  [EKE-REC-3]. `EkeChannel.recv_frame` noted a target record that opens under no diagnosed
  deviation in `violations` and returned `Closed`; test_eke_record_ad_forms.py ("a fatal
  EROR or a close", `violations` unread) passed. Before: detected only by a case that
  reads `violations` (test_eke_records.py, 1 case); after: also the 7 ad-forms cases
  (`EkeChannel.judge_close`, called by `wire.expect_on` when a close is accepted).
- lead26-or2-eke-client-bye-tag-first: the eke CLIENT's closing BYE_ record is laid out
  tag first [EKE-REC-1]. The hostile server's `EkeChannel(role="server")` read it as a
  close; cases judging the client's file and exit code passed. Before: 2 cases (those
  reading `violations`); after: 4 (`eke_hostile._record_faults` in `run_case`).
- lead26-or2-pki-unknown-type-eror-lf: the responder's fatal EROR unexpected_frame for an
  undefined type is followed by a line end [ERR-3]. `scenario.expect_prompt_close` took
  any `Closed` as ERR-3's close, unfinished bytes included (B193 fixed this in
  `wire.expect_on` only). Before: not detected; after: FAILs FRM-1/ERR-3 (test_framing.py).
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


def _type_eror_le_length() -> None:
    server = _module("reference.eke.server")
    errors = _module("reference.errors")
    messages = _module("reference.messages")
    honest = server.EkeServer._send_fatal

    def send_fatal(self: Any, stream: Any, code: Any, message: str) -> None:
        if code is not errors.ErrorCode.BAD_FRAME or not message.startswith("frame type"):
            honest(self, stream, code, message)
            return
        try:  # the error path writes the record header by hand, its length little-endian
            record = bytes(stream.channel.seal(stream.app.send(messages.ErrorFrame(code, message))))
            stream.sock.sendall(record[:4] + record[4:8][::-1] + record[8:])
        except (OSError, errors.ProtocolError):
            pass

    server.EkeServer._send_fatal = send_fatal


_AUTH_FAILED = (
    "                except (AuthenticationFailed, TruncatedStream):\n"
    "                    return  # [EKE-REC-4]: close, deliver nothing, send nothing\n"
)


def _bad_record_eror_tag_first() -> None:
    server = _module("reference.eke.server")
    errors = _module("reference.errors")
    messages = _module("reference.messages")

    def send_tag_first(stream: Any, code: Any, message: str) -> None:
        try:  # the tag where a Node.js getAuthTag() habit puts it: before the ciphertext
            record = bytes(stream.channel.seal(stream.app.send(messages.ErrorFrame(code, message))))
            stream.sock.sendall(record[:8] + record[-16:] + record[8:-16])
        except (OSError, errors.ProtocolError):
            pass

    server._or2_send_tag_first = send_tag_first
    _patch(
        server.EkeServer,
        "_serve_records",
        (
            _AUTH_FAILED,
            "                except AuthenticationFailed:\n"
            "                    _or2_send_tag_first(stream, ErrorCode.BAD_FRAME, 'bad record')\n"
            "                    return\n" + _AUTH_FAILED,
        ),
    )


def _client_bye_tag_first() -> None:
    from conformance.selftest.mutants_app import _patch_method

    client = _module("reference.eke.client")

    def send_tag_first(stream: Any, message: Any) -> None:
        record = bytes(stream.channel.seal(stream.app.send(message)))
        stream.sock.sendall(record[:8] + record[-16:] + record[8:-16])

    client._or2_send_tag_first = send_tag_first
    _patch_method(
        client.EkeClient,
        "close",
        (
            "                stream.send(Bye())\n",
            "                _or2_send_tag_first(stream, Bye())\n",
        ),
    )


_FAIL_LINE = "            self.stream.sendall(self.conn.send(ErrorFrame(code, exc.message)))\n"
_UNKNOWN_TYPE = (
    "            if code is ErrorCode.UNEXPECTED_FRAME"
    " and exc.message.startswith('unknown frame'):\n"
)


def _unknown_type_eror_lf() -> None:
    from conformance.selftest.mutants_app import _patch_method

    _patch_method(
        _module("reference.transfer")._Channel,
        "fail",
        (
            _FAIL_LINE,
            _UNKNOWN_TYPE
            + "                self.stream.sendall(\n"
            "                    bytes(self.conn.send(ErrorFrame(code, exc.message))) + b'\\n'\n"
            "                )\n"
            "                return\n" + _FAIL_LINE,
        ),
    )


def _m(
    name: str,
    profile: str,
    requirement: str,
    test_file: str,
    description: str,
    apply: Any,
    **kw: Any,
) -> Mutant:
    return Mutant(
        name=f"lead26-or2-{name}",
        group=_GROUP,
        profile=profile,
        requirement=requirement,
        test_file=test_file,
        description=description,
        apply=apply,
        **kw,
    )


MUTANTS: tuple[Mutant, ...] = (
    _m(
        "eke-type-eror-le-length",
        "eke",
        "FRM-1",
        "test_error_disclosure.py",
        "the eke server's record carrying EROR bad_frame for bad type bytes has its header "
        "written by hand, the length little-endian: a record announcing over 64 MiB",
        _type_eror_le_length,
    ),
    _m(
        "eke-bad-record-eror-tag-first",
        "eke",
        "EKE-REC-3",
        "test_eke_record_ad_forms.py",
        "the eke server answers a record that does not authenticate with a fatal EROR "
        "bad_frame whose record is laid out header | GCM tag | ciphertext (the tag first): it "
        "never authenticates, and a case taking 'a fatal EROR or a close' passed",
        _bad_record_eror_tag_first,
    ),
    _m(
        "eke-client-bye-tag-first",
        "eke",
        "EKE-REC-1",
        "test_eke_client.py",
        "the eke CLIENT's closing BYE_ record is laid out header | GCM tag | ciphertext (the "
        "tag first): it never authenticates; a case judging only the file and exit code passed",
        _client_bye_tag_first,
        client=True,
    ),
    _m(
        "pki-unknown-type-eror-lf",
        "pki",
        "ERR-3",
        "test_framing.py",
        "the responder's fatal EROR unexpected_frame for an undefined type is followed by a "
        "line end (a log-style writeln), then the close",
        _unknown_type_eror_lf,
    ),
)
