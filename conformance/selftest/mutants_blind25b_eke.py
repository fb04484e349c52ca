"""Blind red-team round 25, second pass (helper B176): the sft-eke/1 SERVER through the six
lenses of /work/briefs/s25/common.md, by new hands. Phase 1 (blind): written from
docs/SPEC.md (§1-3 as the eke server runs them, §5, §6) and reference/eke/{server,handshake,
records,crypto,transport}.py, reference/share.py and reference/app.py before any case file
was opened. The first list was checked against the names and descriptions of the 4,143
registered mutants and the first pass's docstring (mutants_blind25_eke.py); the ideas found
there were dropped: min(Y, p - Y) as the sign choice (b23eke-y-prime-smaller-half), a
refused PUTF's DATA skipped (b17eke/b22eke), a throttled EKE1 extending the lock
(b8eke-thr6-throttled-counts), a user name cut at white space (a sibling of the first
pass's NUL cut), IPv4 per /24, the reserved prefix on the whole name, a lone surrogate
replaced by '?', retry_after as float or string, an EROR timeout replaced by auth_failed.

Lens 1 — the thin MUSTs:
- b25beke-eror-after-data-commits: an initiator's EROR that arrives during a put once every
  announced byte is in commits the put ("the data is complete, its error was its own")
  instead of discarding the partial file and closing [APP-3].
Lens 2 — the first draft:
- (dropped, unjudged) b25beke-invalid-x-no-dh: an A whose decryption is no valid X' (>= p,
  0, 1, p - 1) answered at once with a random b and c, no exponentiation. EKE2 comes sooner
  only for an A crafted for one password (a random password's D_pw(A) is invalid with
  probability ~2^-64): the one guess per handshake EKE-SEC-3 allows, like the "far shorter
  than p" dependence EKE-SEC-4 tolerates. Not planted; a SPEC sentence is proposed instead.
Lens 3 — compatibility shims:
- b25beke-hs-skip-line-ends: the handshake reader skips CR, LF, NUL, space and tab before a
  frame header (line-mode clients, telnet tests): EKE1 LF EKE3 logs in [FRM-1].
- b25beke-record-padding-accepted: a record whose plaintext is one frame followed by zero
  bytes is accepted, the zeros dropped (TLS 1.3-style length-hiding padding) [EKE-REC-1].
Lens 5 — the platform underneath:
- b25beke-put-verify-reread: at DONE the temporary file is read back whole to hash what is
  on disk before the commit: memory the size of the file per put [LIM-6].
Lens 6 — what the wire shows:
- b25beke-record-padding-sent: the server pads every control frame's record plaintext with
  zeros to a multiple of 64 bytes, to hide name lengths: a record is not exactly one frame
  [EKE-REC-1].
- b25beke-restart-clear-eror: a stop or restart tells every established connection
  `EROR internal "server restarting"` in clear, on the raw socket (the record layer belongs
  to the connection's thread) [EKE-REC-4].
Post-blind siblings (after the cases, to show they take the class):
- b25beke-record-skip-line-ends, b25beke-fatal-after-data-commits,
  b25beke-restart-clear-bye.

Blind result (6 judged): 3 detected by the file first named (record-padding-accepted,
record-padding-sent: test_eke_records.py; put-verify-reread: test_app_memory_bound.py),
none more by the whole suite (every file citing the requirement). New cases:
test_eke_frame_gaps.py (FRM-1: CR LF, LF, NUL, space, tab, four NULs before EKE1, between
EKE1 and EKE3, between EKE3 and the first record, between records), test_eke_put_unfinished_
ends.py (APP-3/APP-PUT-5: a put with every byte and PUTF.sha256 ended by EROR of four
codes, BYE_, RQFL, PUTF or FIN is not stored: no DONE, a new PUTF of the name not
`exists`), test_eke_restart_open_sessions.py (EKE-REC-4: sessions open across the declared
restart receive records only). Final: 9 of 9 detected (-k b25beke).
"""

from __future__ import annotations

from conformance.selftest.mutant import Mutant, _module
from conformance.selftest.mutants_app import _patch_method, _patch_source

__all__ = ["MUTANTS"]

_GROUP = "blind25b-eke"
_LARGE = 256 * 1024 * 1024  # the LIM-6 mutants' max file size (as mutants_lead18.py)


# -- lens 1 ------------------------------------------------------------------------------


def _eror_after_data_commits() -> None:
    server = _module("reference.eke.server")
    _patch_method(
        server.EkeServer,
        "_serve_records",
        (
            "                if event is CLOSED or isinstance(event, ErrorFrame):\n"
            "                    return\n",
            "                if (\n"
            "                    isinstance(event, ErrorFrame)\n"
            "                    and partial is not None\n"
            "                    and partial.written == partial.limit\n"
            "                ):  # every byte is here: the client's error was its own\n"
            "                    current, partial = partial, None\n"
            "                    current.commit()\n"
            "                    return\n"
            "                if event is CLOSED or isinstance(event, ErrorFrame):\n"
            "                    return\n",
        ),
    )


# -- lens 3 ------------------------------------------------------------------------------


def _hs_skip_line_ends() -> None:
    handshake = _module("reference.eke.handshake")
    _patch_method(
        handshake._Handshake,
        "_read_frame",
        (
            "        buf = self._inbox\n",
            "        buf = self._inbox\n"
            '        while buf[:1] in (b"\\r", b"\\n", b"\\x00", b" ", b"\\t"):'
            "  # line-mode clients\n"
            "            del buf[:1]\n",
        ),
    )


def _record_padding_accepted() -> None:
    records = _module("reference.eke.records")
    _patch_source(
        records,
        "_split_inner",
        (
            "    if length != len(inner) - HEADER_SIZE:\n",
            "    if length > len(inner) - HEADER_SIZE or any(inner[HEADER_SIZE + length :]):\n",
        ),
        (
            "    return InnerFrame(frame_type, inner[HEADER_SIZE:])\n",
            "    return InnerFrame(frame_type, inner[HEADER_SIZE : HEADER_SIZE + length])\n",
        ),
    )


# -- lens 5 ------------------------------------------------------------------------------


def _put_verify_reread() -> None:
    share = _module("reference.share")
    _patch_method(
        share.PartialFile,
        "commit",
        (
            "        os.fsync(self._file.fileno())\n",
            "        fd = os.open(self.temp_name, os.O_RDONLY, dir_fd=self._dir_fd)\n"
            '        with open(fd, "rb") as stored:  # hash what is on disk, not what came\n'
            '            self.b25b_stored = __import__("hashlib").sha256(stored.read())'
            ".hexdigest()\n"
            "        os.fsync(self._file.fileno())\n",
        ),
    )


# -- lens 6 ------------------------------------------------------------------------------


def _record_padding_sent() -> None:
    transport = _module("reference.eke.transport")
    _patch_method(
        transport.SecureStream,
        "send",
        (
            "        self.sock.sendall(self.channel.seal(self.app.send(message)))\n",
            "        frame = bytes(self.app.send(message))\n"
            "        frame += bytes(-len(frame) % 64)  # hide the lengths of names\n"
            "        self.sock.sendall(self.channel.seal(frame))\n",
        ),
    )


def _restart_clear_eror() -> None:
    server = _module("reference.eke.server")
    _patch_method(
        server.EkeServer,
        "shutdown",
        (
            "                if conn_id not in self._receiving:\n"
            "                    with contextlib.suppress(OSError):\n"
            "                        sock.shutdown(socket.SHUT_RD)\n",
            "                if conn_id not in self._receiving:\n"
            "                    with contextlib.suppress(OSError):\n"
            "                        sock.sendall(\n"
            '                            encode_error(ErrorCode.INTERNAL, "server restarting")\n'
            "                        )\n"
            "                        sock.shutdown(socket.SHUT_RD)\n",
        ),
    )


# -- post-blind siblings -------------------------------------------------------------------


def _record_skip_line_ends() -> None:
    records = _module("reference.eke.records")
    _patch_method(
        records.RecordReader,
        "_parse_header",
        (
            "        try:\n"
            "            frame_type, length = parse_header("
            "self._view[:HEADER_SIZE], self.max_record)\n",
            "        while self._have and bytes(self._view[:1]) in"
            ' (b"\\r", b"\\n", b"\\x00", b" ", b"\\t"):\n'
            "            self._view[: self._have - 1] = bytes(self._view[1 : self._have])\n"
            "            self._have -= 1  # line ends between records: a line-mode peer\n"
            "        if self._have < HEADER_SIZE:\n"
            "            return\n"
            "        try:\n"
            "            frame_type, length = parse_header("
            "self._view[:HEADER_SIZE], self.max_record)\n",
        ),
    )


def _fatal_after_data_commits() -> None:
    server = _module("reference.eke.server")
    _patch_method(
        server.EkeServer,
        "_serve_records",
        (
            "                except RemoteProtocolError as exc:\n"
            "                    self._send_fatal(stream, exc.code, exc.message)\n"
            "                    return\n",
            "                except RemoteProtocolError as exc:\n"
            "                    if partial is not None and partial.written == partial.limit:\n"
            "                        current, partial = partial, None\n"
            "                        current.commit()  # the put itself was complete\n"
            "                    self._send_fatal(stream, exc.code, exc.message)\n"
            "                    return\n",
        ),
    )


def _restart_clear_bye() -> None:
    server = _module("reference.eke.server")
    _patch_method(
        server.EkeServer,
        "shutdown",
        (
            "                if conn_id not in self._receiving:\n"
            "                    with contextlib.suppress(OSError):\n"
            "                        sock.shutdown(socket.SHUT_RD)\n",
            "                if conn_id not in self._receiving:\n"
            "                    with contextlib.suppress(OSError):\n"
            '                        sock.sendall(b"BYE_\\x00\\x00\\x00\\x02{}")  # goodbye\n'
            "                        sock.shutdown(socket.SHUT_RD)\n",
        ),
    )


def _m(name: str, requirement: str, test_file: str, description: str, apply: object,
       **extra: object) -> Mutant:
    return Mutant(
        name=name,
        group=_GROUP,
        profile="eke",
        requirement=requirement,
        test_file=test_file,
        description=description,
        apply=apply,  # type: ignore[arg-type]
        **extra,  # type: ignore[arg-type]
    )


MUTANTS: tuple[Mutant, ...] = (
    _m(
        "b25beke-eror-after-data-commits",
        "APP-3",
        "test_eke_put_unfinished_ends.py",
        "L1: an initiator's EROR arriving during a put once every announced byte is in"
        " commits the put (its error taken as its own) instead of discarding the partial"
        " file and closing",
        _eror_after_data_commits,
    ),
    _m(
        "b25beke-hs-skip-line-ends",
        "FRM-1",
        "test_eke_frame_gaps.py",
        "L3: the handshake reader skips CR, LF, NUL, space and tab before a frame header"
        " (line-mode clients): EKE1, a line end, EKE3 logs in",
        _hs_skip_line_ends,
    ),
    _m(
        "b25beke-record-padding-accepted",
        "EKE-REC-1",
        "test_eke_records.py",
        "L3: a record whose plaintext is one frame followed by zero bytes is accepted and the"
        " zeros dropped (TLS 1.3-style padding)",
        _record_padding_accepted,
    ),
    _m(
        "b25beke-put-verify-reread",
        "LIM-6",
        "test_app_memory_bound.py",
        "L5: at DONE the put's temporary file is read back whole to hash what is on disk"
        " before the commit: memory the size of the file",
        _put_verify_reread,
        max_file_size=_LARGE,
    ),
    _m(
        "b25beke-record-padding-sent",
        "EKE-REC-1",
        "test_eke_records.py",
        "L6: every control frame's record plaintext is padded with zero bytes to a multiple"
        " of 64 (to hide name lengths): the record is not exactly one frame",
        _record_padding_sent,
    ),
    _m(
        "b25beke-restart-clear-eror",
        "EKE-REC-4",
        "test_eke_restart_open_sessions.py",
        "L6: a stop or restart writes `EROR internal` in clear on every established"
        " connection's socket before closing it",
        _restart_clear_eror,
    ),
    _m(
        "b25beke-record-skip-line-ends",
        "FRM-1",
        "test_eke_frame_gaps.py",
        "(post-blind) the record reader skips CR, LF, NUL, space and tab before a record"
        " header: a line end between two records is dropped and the next record served",
        _record_skip_line_ends,
    ),
    _m(
        "b25beke-fatal-after-data-commits",
        "APP-3",
        "test_eke_put_unfinished_ends.py",
        "(post-blind) a put whose announced bytes all arrived is committed when the"
        " connection then ends on a protocol error (an RQFL, PUTF or BYE_ in place of DONE:"
        " unexpected_frame)",
        _fatal_after_data_commits,
    ),
    _m(
        "b25beke-restart-clear-bye",
        "EKE-REC-4",
        "test_eke_restart_open_sessions.py",
        "(post-blind) a stop or restart writes a clear BYE_ on every established"
        " connection's socket before closing it",
        _restart_clear_bye,
    ),
)
