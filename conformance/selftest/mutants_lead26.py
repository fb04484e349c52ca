"""Lead, round 26: the reference bug B184 found, planted back.

- lead26-eke-client-echo-shown: `sft eke get/put` printed a server's EROR message as it
  came, so a server that echoes the login made it print the password [PWF-2]
  (test_eke_client_eror_password_echo.py; fixed in reference/cli/eke.py with
  reference/redact.py, the enrolment client's check made common).
- lead26-eke-fatal-eror-in-clear: after EKE4 the eke server sends its fatal EROR (a bad
  frame, a timeout, a refused record) as a plaintext frame, not a record [EKE-REC-4].
  Cases that expect "a close or a fatal EROR" read the plaintext frame as the close: the
  kit's eke channel (conformance/eke_channel.py) now FAILs any plaintext frame from a
  target server after EKE4 under EKE-REC-4, whatever the case checks. B182 saw the gap.
"""

from __future__ import annotations

import contextlib
from typing import Any

from conformance.selftest.mutant import Mutant, _module
from conformance.selftest.mutants_app import _patch_source


def _echo_shown() -> None:
    _patch_source(
        _module("reference.cli.eke"),
        "_fail",
        ("    if quotes(text):", "    if False:"),
    )


def _fatal_in_clear() -> None:
    server = _module("reference.eke.server")
    messages = _module("reference.messages")
    errors = _module("reference.errors")

    def send_fatal(self: Any, stream: Any, code: Any, message: str) -> None:
        if not code.fatal:
            code, message = errors.ErrorCode.INTERNAL, "internal error"
        with contextlib.suppress(OSError):
            stream.sock.sendall(messages.encode_message(messages.ErrorFrame(code, message)))

    server.EkeServer._send_fatal = send_fatal


MUTANTS: tuple[Mutant, ...] = (
    Mutant(
        name="lead26-eke-client-echo-shown",
        group="lead26",
        profile="eke",
        requirement="PWF-2",
        test_file="test_eke_client_eror_password_echo.py",
        description="the eke client prints a server's EROR message as it came: a server "
        "whose not_found message quotes the password makes `sft eke get` print it",
        apply=_echo_shown,
        client=True,
    ),
    Mutant(
        name="lead26-eke-fatal-eror-in-clear",
        group="lead26",
        profile="eke",
        requirement="EKE-REC-4",
        test_file="test_eke_ends_in_records.py",
        description="after EKE4 the eke server sends its fatal EROR (bad frame, timeout, "
        "unexpected frame) in clear, not sealed in a record",
        apply=_fatal_in_clear,
    ),
)
