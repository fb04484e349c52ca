"""Blind red-team round 21: the sft-eke/1 CLIENT (`sft eke get` / `sft eke put`), helper B123.

Phase 1 (blind): written from docs/SPEC.md (§1-§3 client side: get, put, names, storage;
§5 client side; §6) and the reference's client code (reference/eke/client.py, handshake.py,
records.py, crypto.py, transport.py; reference/transfer.py, app.py, share.py, frames.py,
messages.py, closing.py, reference/cli/eke.py, cli/options.py), before any case file, any
conformance module or any independent implementation was opened, through the round's six
lenses (/work/briefs/s21/common.md).

The first list was checked against the names and descriptions of the 538 registered eke
client mutants. Eleven candidates repeated a registered idea and were replaced (r) before
they were written: the connection answered busy kept open during the wait
(b13cl-busy-socket-kept), every busy retry waiting the first retry_after
(b14cl-busy-first-retry-after), a non-fatal EROR mid-get leaving the temporary
(b12cl3-eke-cleanup-known-errors), a temporary made before RQFL (b9cl2-eke-tmp-before-request),
a handshake frame or record header split across reads (b11cli-hs-one-read-per-frame,
b11cli-record-header-one-read), records coalesced in one read lost
(b11cli-records-coalesced-lost), DONE.size compared with the count only
(b2cli-eke-rsfl-size-ignored and three more), the integrity failure closed without EROR
(b9clo-eke-get-no-eror), a RECD header judged once its body is in (b14cl-record-limit-plus-
overhead, b16cli-rec-limit-get-only), the BYE_ echo awaited after a put (the get's twin
b16cli-get-eof-before-bye-fails), EROR code 0 as "no error" (b15cl-eror-code0-put-ok).

L1 released on every exit path
  b21cli-framing-error-exits       a frame the client refuses mid-get (bad_frame,
                                   unexpected_frame, frame_too_large: not integrity) is
                                   answered EROR and then the program ends with _exit(1)
                                   ("fatal()"): its temporary file stays (APP-STORE-3)
  b21cli-hash-thread-kept          the SHA-256 helper thread is a non-daemon thread ended
                                   only by hexdigest(): a get that fails after a large DATA
                                   frame (truncation, an EROR, a bad record) never ends the
                                   thread, the process never exits (APP-GET-5)
L2 the network's freedom
  b21cli-put-send-unchecked        the put's DATA records written in 64 KiB steps with
                                   socket.send(), its count ignored: under back-pressure
                                   (a server reading slowly) the tail of a step is lost and
                                   the record stream is corrupt (EKE-REC-1)
  b21cli-small-record-one-read     a record body of at most 4 KiB (every control record) is
                                   read with one recv and taken as complete: a control
                                   record split across segments is garbage (FRM-4)
  b21cli-hs-deadline-per-read      the login's handshake timeout is per read: every byte
                                   that arrives restarts it, so a server trickling EKE2
                                   holds the client far beyond its handshake timeout (LIM-9)
L3 which identity is checked
  b21cli-rsfl-name-as-basename     RSFL.name compared with the basename of the request (the
                                   put's RSFL{accept} names the stored basename: the get was
                                   written the same way): an honest get of `dir/f` fails
                                   bad_frame (APP-GET-7)
  b21cli-th-user-as-json           the transcript hash takes the user name as JSON spells it
                                   by default (\\uXXXX escapes, ensure_ascii), EKE1 carries
                                   it as UTF-8: a non-ASCII user never logs in (EKE-KS-1)
  b21cli-eror-code-by-name         an EROR is identified by its `name` when that names a
                                   code (Enum.valueOf(name.upper())), by `code` otherwise:
                                   {"code": 4, "name": "busy"} is retried as busy (ERR-1)
L4 the right checks in the wrong order
  b21cli-overrun-old-count         DATA beyond the announced size judged on the count BEFORE
                                   the frame (count > size, core and disk): the frame that
                                   overruns is written, and the overrun is found only at the
                                   next DATA or at DONE (APP-GET-4)
  b21cli-rsfl-digest-form-late     RSFL.sha256's form is not checked when the RSFL arrives;
                                   it is compared (as a string) with the bytes' digest at
                                   DONE: a malformed one costs the whole file and is answered
                                   integrity_failed, not bad_frame (FRM-12)
L5 absent, empty, null, zero
  b21cli-size-zero-unknown         RSFL {size: 0} read as "size not known": DATA accepted
                                   without bound, DONE's size taken (APP-GET-4)
  b21cli-done-size-zero-default    DONE {size: 0} read as "size not given": the count stands
                                   in for it (APP-GET-3)
  b21cli-rsfl-empty-digest-absent  an RSFL.sha256 of "" dropped as absent before the schema
                                   check (FRM-12)
  b21cli-put-stored-name-empty     RSFL{accept} with name "" taken as no acceptance: the put
                                   fails (APP-PUT-9: the name is for display only)
  b21cli-put-empty-digest-zeros    the put of an empty file ends with DONE {0, 64 zeros}
                                   (no chunk, no digest object) (APP-PUT-4)
  b21cli-empty-record-keepalive    a RECD of length 0 skipped as a keep-alive: a record that
                                   cannot authenticate is not a failure (EKE-REC-4)
L6 only the first one checked
  b21cli-eke4-length-unchecked     the exact hex length is checked on EKE2 (the first frame
                                   the server sends), not on EKE4: a c of 94 or 98 digits
                                   fails as an impostor's tag, a close without EROR
                                   bad_frame (FRM-12)
  b21cli-put-accept-strict         the put's RSFL{accept} decoded into a struct that denies
                                   unknown members (the get's RSFL is lenient): a member the
                                   schema does not define fails the put (FRM-10)
  b21cli-data-max-first-frame      the 1 MiB bound of a DATA payload checked on a transfer's
                                   first DATA frame only: a later one of 1 MiB + 1 is taken
                                   (FRM-13)

Blind run (each against the file named blind; for a miss, then against every other eke
client case file citing its requirement — 112 runs): 3 of 19 detected by the file named
blind — th-user-as-json (test_eke_client_user_name_characters.py), overrun-old-count
(test_eke_client_transfer.py, data-beyond-size-next-frame), rsfl-digest-form-late
(test_eke_client_digest_forms.py). Four more by another existing file, where test_file now
points: framing-error-exits (test_eke_client_transfer.py; also test_client_lies.py,
test_client_run_record_frames.py, test_eke_client_get_stray_ends.py,
test_eke_client_undecodable.py, test_interop_get_stray_frames.py), hs-deadline-per-read
(test_eke_client_login_rules.py), put-empty-digest-zeros (test_client_put.py, its put of
0 bytes), empty-record-keepalive (test_eke_client_undecodable.py, empty-record). Missed
by every file: hash-thread-kept (every failing get sends kilobytes; no helper thread is
ever started), put-send-unchecked, small-record-one-read (test_eke_client_segments.py
splits headers, never a body), rsfl-name-as-basename (no honest get of a nested name),
eror-code-by-name (test_client_fatal_errors.py's integrity_failed-named-not_found allows
the BYE_ the name-reading client sends), size-zero-unknown and done-size-zero-default
(no size of 0 contradicted), rsfl-empty-digest-absent (test_client_json_nulls.py: null,
never ""), put-stored-name-empty and put-accept-strict (the put's acceptance is always
{accept, offered name}), eke4-length-unchecked, data-max-first-frame (the oversize DATA
comes first).

Judged after the run (not registered): put-send-unchecked is NOT_OBSERVABLE on loopback —
the client's send buffer autotunes to MiBs, so a 64 KiB step (even a whole 1 MiB record,
tried) never meets a short write, whatever the responder's stall and receive buffer
(a 4 MiB put to a responder that stalled 0.3-0.6 s with a 16 KiB receive buffer: every
write whole). WITHDRAWN, conforming on the wire: eke4-length-unchecked (a malformed EKE4
ends in a close without EROR, which test_eke_client_login_frames.py and FRM-9/EKE-HS-7
allow: the client never goes on with the login) and eror-code-by-name (what it changes is
a BYE_ before the close, allowed after a fatal EROR, and a retry after an EROR whose code
is auth_failed or throttled, which no sentence forbids — SPEC proposal in the report).

After the round's cases the 16 registered are all detected:
  test_eke_client_zero_sizes.py        APP-GET-3/4 RSFL {size 0} then 1 byte and its DONE;
                                       every byte then DONE {size 0} (slow: the whole file
                                       after size 0, no DATA and DONE 1, DONE 0 with no
                                       byte for sizes 1 and 5120): integrity_failed
                                       (size-zero-unknown, done-size-zero-default)
  test_client_empty_string_members.py  FRM-12/FRM-9 RSFL.sha256 "" and DONE.sha256 ""
                                       (slow: of an empty file): refused; APP-PUT-9 both
                                       profiles: RSFL {accept, name ""} (slow: " ") goes
                                       on and is stored (rsfl-empty-digest-absent,
                                       put-stored-name-empty)
  test_eke_client_data_frame_bounds.py FRM-13 DATA of 1 byte then 1 MiB + 1 (slow: after
                                       1 MiB; third of three): bad_frame|frame_too_large
                                       (data-max-first-frame)
  test_eke_client_large_get_failures.py APP-GET-5 a get of 2 MiB + 5 that fails after one
                                       1 MiB frame by a close (slow: EROR internal, a broken
                                       tag): the client ends, exit non-zero, nothing kept
                                       (hash-thread-kept)
  test_client_put_unknown_members.py   FRM-10 both profiles: RSFL {accept} with a member no
                                       schema defines (slow: the receipt DONE; both): the put
                                       goes on and is stored (put-accept-strict)
  test_eke_client_get_nested_names.py  APP-GET-7 an honest get of sub/nested.bin (slow: three
                                       directories; a directory named like a file): kept
                                       (rsfl-name-as-basename)
  test_eke_client_record_body_splits.py FRM-4 every record of an honest get in two segments
                                       cut after the body's first byte (slow: mid-body; one
                                       byte before the end): kept (small-record-one-read)
"""

from __future__ import annotations

import json
from typing import Any

from conformance.selftest.mutant import Mutant, _module
from conformance.selftest.mutants_app import _patch_source

__all__ = ["MUTANTS", "NOT_OBSERVABLE", "WITHDRAWN"]

_GROUP = "blind21-client"


def _client() -> Any:
    return _module("reference.eke.client")


def _app() -> Any:
    return _module("reference.app")


def _decode_everywhere() -> None:
    """Makes the patched messages.decode_message the one the core calls."""
    _app().decode_message = _module("reference.messages").decode_message


# -- L1 ------------------------------------------------------------------------------------


def _framing_error_exits() -> None:
    client = _client()
    _patch_source(
        client.EkeClient,
        "_next",
        (
            "        self._abandon()\n        if exc.code is ErrorCode.INTEGRITY_FAILED:",
            "        self._abandon()\n"
            "        if exc.code is not ErrorCode.INTEGRITY_FAILED:  # mutant: fatal()\n"
            "            os.write(2, f'sft: protocol error: {exc.message}\\n'.encode())\n"
            "            os._exit(1)\n"
            "        if exc.code is ErrorCode.INTEGRITY_FAILED:",
        ),
    )


def _hash_thread_kept() -> None:
    transfer = _module("reference.transfer")
    _patch_source(
        transfer.PipelinedSha256,
        "update",
        ("daemon=True", "daemon=False"),  # mutant: ended by hexdigest() only
    )

    def __del__(self: Any) -> None:
        pass

    transfer.PipelinedSha256.__del__ = __del__


# -- L2 ------------------------------------------------------------------------------------


def _b21_send_steps(stream: Any, data: Any) -> None:
    view = memoryview(data).cast("B")
    step = 64 * 1024
    for start in range(0, len(view), step):
        stream.send(view[start : start + step])  # mutant: send() may write less


def _put_send_unchecked() -> None:
    _module("reference.eke.transport").send_progressing = _b21_send_steps


def _small_record_one_read() -> None:
    transport = _module("reference.eke.transport")
    _patch_source(
        transport.SecureStream,
        "_next_record",
        (
            "        n = self.sock.recv_into(reader.get_buffer())\n"
            "        if n == 0:\n"
            "            reader.eof_received()\n"
            "        else:\n"
            "            reader.buffer_updated(n)",
            "        view = reader.get_buffer()\n"
            "        n = self.sock.recv_into(view)\n"
            "        if n == 0:\n"
            "            reader.eof_received()\n"
            "        elif reader._length is not None and reader._length <= 4096:\n"
            "            reader.buffer_updated(len(view))  # mutant: a small record comes whole\n"
            "        else:\n"
            "            reader.buffer_updated(n)",
        ),
    )


def _hs_deadline_per_read() -> None:
    transport = _module("reference.eke.transport")
    _patch_source(
        transport,
        "run_handshake",
        (
            "    _flush(sock, hs)\n    while True:",
            "    _b21_budget = deadline - time.monotonic()\n    _flush(sock, hs)\n    while True:",
        ),
        (
            "            hs.receive_data(data)\n",
            "            hs.receive_data(data)\n"
            "            if data:  # mutant: the timeout is per read\n"
            "                deadline = time.monotonic() + _b21_budget\n",
        ),
    )
    _client().run_handshake = transport.run_handshake


# -- L3 ------------------------------------------------------------------------------------


def _rsfl_name_as_basename() -> None:
    client = _client()
    _patch_source(
        client.EkeClient,
        "get",
        (
            "    if not isinstance(answer, FileResponse):\n"
            '        raise TransferFailed("unexpected answer from the server")\n',
            "    if not isinstance(answer, FileResponse):\n"
            '        raise TransferFailed("unexpected answer from the server")\n'
            '    if answer.name != name.rsplit("/", 1)[-1]:  # mutant: the stored (base) name\n'
            "        with contextlib.suppress(OSError, ProtocolError):\n"
            '            stream.send(ErrorFrame(ErrorCode.BAD_FRAME, "RSFL names another file"))\n'
            "        self._abandon()\n"
            '        raise TransferFailed("the server answered for another file")\n',
        ),
    )


def _th_user_as_json() -> None:
    handshake = _module("reference.eke.handshake")
    handshake._b21_json = json
    _patch_source(
        handshake.ClientHandshake,
        "_on_eke2",
        (
            "self._th = crypto.transcript_hash(self.user, self._a, b)",
            # mutant: the user as the wire spells it (json's default ensure_ascii)
            "self._th = crypto.transcript_hash(_b21_json.dumps(self.user)[1:-1], self._a, b)",
        ),
    )


def _b21_code(obj: dict[str, Any]) -> Any:
    codes = _module("reference.errors").ErrorCode
    name = obj.get("name")
    if isinstance(name, str) and name.upper() in codes.__members__:
        return codes[name.upper()]  # mutant: Enum.valueOf(name)
    return codes.from_wire(obj["code"])


def _eror_code_by_name() -> None:
    messages = _module("reference.messages")
    handshake = _module("reference.eke.handshake")
    messages._b21_code = _b21_code
    handshake._b21_code = _b21_code
    _patch_source(
        messages, "decode_message", ('ErrorCode.from_wire(obj["code"])', "_b21_code(obj)")
    )
    _patch_source(
        handshake._Handshake, "_on_error", ('ErrorCode.from_wire(obj["code"])', "_b21_code(obj)")
    )
    _decode_everywhere()


# -- L4 ------------------------------------------------------------------------------------


def _overrun_old_count() -> None:
    app = _app()
    share = _module("reference.share")
    _patch_source(
        app.ApplicationConnection,
        "_next_event",
        (
            "if self._incoming.count + length > self._incoming.announced:",
            "if self._incoming.count > self._incoming.announced:  # mutant: before the frame",
        ),
    )
    _patch_source(
        share.PartialFile,
        "write",
        (
            "if self.written + len(view) > self.limit:",
            "if self.written > self.limit:  # mutant: before the write",
        ),
    )


def _rsfl_digest_form_late() -> None:
    messages = _module("reference.messages")
    schema = dict(messages._SCHEMAS["RSFL-get"])
    schema["sha256"] = ("str", False)  # mutant: its form judged when compared, at DONE
    messages._SCHEMAS["RSFL-get"] = schema


# -- L5 ------------------------------------------------------------------------------------


def _size_zero_unknown() -> None:
    app = _app()
    client = _client()
    _patch_source(
        app.ApplicationConnection,
        "_next_event",
        (
            "if self._incoming.count + length > self._incoming.announced:",
            "if self._incoming.announced and (  # mutant: size 0 = not known\n"
            "                self._incoming.count + length > self._incoming.announced\n"
            "            ):",
        ),
    )
    _patch_source(
        app._Transfer,
        "check_done",
        (
            "if not (done.size == self.announced == self.count and done.sha256 == sha):",
            "if not (done.size == (self.announced or done.size) == self.count\n"
            "        and done.sha256 == sha):",
        ),
    )
    _patch_source(
        client.EkeClient,
        "_receive",
        (
            "PartialFile.create(destination, answer.size)",
            "PartialFile.create(destination, answer.size or 2**62)",
        ),
    )


def _done_size_zero_default() -> None:
    _patch_source(
        _app()._Transfer,
        "check_done",
        (
            "if not (done.size == self.announced == self.count and done.sha256 == sha):",
            "if not ((done.size or self.count) == self.announced == self.count\n"
            "        and done.sha256 == sha):  # mutant: size 0 = not given",
        ),
    )


def _rsfl_empty_digest_absent() -> None:
    messages = _module("reference.messages")
    _patch_source(
        messages,
        "decode_message",
        (
            "    check_schema(t, obj, schema)\n",
            '    if key != "DONE" and obj.get("sha256") == "":  # mutant: empty = absent\n'
            '        del obj["sha256"]\n'
            "    check_schema(t, obj, schema)\n",
        ),
    )
    _decode_everywhere()


def _put_stored_name_empty() -> None:
    client = _client()
    _patch_source(
        client.EkeClient,
        "put",
        (
            "        if not isinstance(answer, PutAccepted):\n"
            '            raise TransferFailed("unexpected answer from the server")\n',
            "        if not isinstance(answer, PutAccepted):\n"
            '            raise TransferFailed("unexpected answer from the server")\n'
            "        if not answer.name:  # mutant: no stored name, no acceptance\n"
            "            self._abandon()\n"
            '            raise TransferFailed("the server did not say where it stores the file")\n',
        ),
    )


def _put_empty_digest_zeros() -> None:
    app = _app()
    _patch_source(
        app.ApplicationConnection,
        "outgoing_done",
        (
            "return Done(self._outgoing.count, self._outgoing.digest.hexdigest())",
            "return Done(  # mutant: no chunk, no digest\n"
            "        self._outgoing.count,\n"
            "        self._outgoing.digest.hexdigest() if self._outgoing.count else '0' * 64,\n"
            "    )",
        ),
    )
    _patch_source(
        app.ApplicationConnection,
        "send",
        (
            "if event.sha256 != transfer.digest.hexdigest():",
            "if transfer.count and event.sha256 != transfer.digest.hexdigest():",
        ),
    )


def _empty_record_keepalive() -> None:
    records = _module("reference.eke.records")
    _patch_source(
        records.RecordReader,
        "_parse_header",
        (
            "    self._length = length",
            "    if length == 0:  # mutant: an empty record is a keep-alive\n"
            "        self._have = 0\n"
            "        return\n"
            "    self._length = length",
        ),
    )


# -- L6 ------------------------------------------------------------------------------------


def _eke4_length_unchecked() -> None:
    handshake = _module("reference.eke.handshake")
    handshake._SCHEMAS[handshake.T_EKE4] = {"c": ("str", True)}
    _patch_source(
        handshake.ClientHandshake,
        "_on_eke4",
        (
            "    try:\n",
            "    c = obj['c']\n"
            "    if len(c) % 2 or c.strip('0123456789abcdef'):  # mutant: hex, any length\n"
            "        raise RemoteProtocolError(ErrorCode.BAD_FRAME, 'EKE4: c must be hex')\n"
            "    try:\n",
        ),
    )


def _put_accept_strict() -> None:
    messages = _module("reference.messages")
    _patch_source(
        messages,
        "decode_message",
        (
            "    check_schema(t, obj, schema)\n",
            "    check_schema(t, obj, schema)\n"
            '    if key == "RSFL-put" and set(obj) - set(schema):  # mutant: deny unknown\n'
            "        raise RemoteProtocolError(ErrorCode.BAD_FRAME, 'RSFL: unknown member')\n",
        ),
    )
    _decode_everywhere()


def _data_max_first_frame() -> None:
    app = _app()
    _patch_source(
        app.ApplicationConnection,
        "_check_header",
        (
            "if frame_type == T_DATA and not 1 <= length <= MAX_DATA_PAYLOAD:",
            "if frame_type == T_DATA and length < 1:  # mutant: the bound moved below",
        ),
    )
    _patch_source(
        app.ApplicationConnection,
        "_next_event",
        (
            "if self._incoming.count + length > self._incoming.announced:",
            "if self._incoming.count == 0 and length > MAX_DATA_PAYLOAD:  # mutant: first\n"
            "            raise RemoteProtocolError(\n"
            "                ErrorCode.BAD_FRAME, f'DATA payload of {length} bytes'\n"
            "            )\n"
            "        if self._incoming.count + length > self._incoming.announced:",
        ),
    )


def _m(
    name: str,
    requirement: str,
    test_file: str,
    description: str,
    apply: Any,
    *,
    strict: bool = False,
) -> Mutant:
    return Mutant(
        name, _GROUP, "eke", requirement, test_file, description, apply, client=True, strict=strict
    )


MUTANTS: tuple[Mutant, ...] = (
    # L1
    _m(
        "b21cli-framing-error-exits",
        "APP-STORE-3",
        "test_eke_client_transfer.py",
        "L1: a frame refused mid-get (not integrity) is answered EROR, then _exit(1): the "
        "temporary file stays",
        _framing_error_exits,
    ),
    _m(
        "b21cli-hash-thread-kept",
        "APP-GET-5",
        "test_eke_client_large_get_failures.py",
        "L1: the SHA-256 helper is a non-daemon thread ended by hexdigest() only: a get that "
        "fails after a large DATA frame never exits",
        _hash_thread_kept,
    ),
    # L2
    _m(
        "b21cli-small-record-one-read",
        "FRM-4",
        "test_eke_client_record_body_splits.py",
        "L2: a record body of at most 4 KiB is read with one recv and taken as complete: a "
        "control record split across segments is garbage",
        _small_record_one_read,
    ),
    _m(
        "b21cli-hs-deadline-per-read",
        "LIM-9",
        "test_eke_client_login_rules.py",
        "L2: the handshake timeout restarts at every byte received: a server trickling EKE2 "
        "holds the client beyond its handshake timeout",
        _hs_deadline_per_read,
    ),
    # L3
    _m(
        "b21cli-rsfl-name-as-basename",
        "APP-GET-7",
        "test_eke_client_get_nested_names.py",
        "L3: RSFL.name compared with the request's basename (as the put's acceptance names "
        "it): an honest get of dir/f fails bad_frame",
        _rsfl_name_as_basename,
    ),
    _m(
        "b21cli-th-user-as-json",
        "EKE-KS-1",
        "test_eke_client_user_name_characters.py",
        "L3: the transcript hash takes the user name JSON-escaped (ensure_ascii), EKE1 the "
        "UTF-8: a non-ASCII user never logs in",
        _th_user_as_json,
    ),
    # L4
    _m(
        "b21cli-overrun-old-count",
        "APP-GET-4",
        "test_eke_client_transfer.py",
        "L4: DATA beyond the announced size judged on the count before the frame: the "
        "overrunning frame is taken, the overrun found at the next DATA or at DONE",
        _overrun_old_count,
    ),
    _m(
        "b21cli-rsfl-digest-form-late",
        "FRM-12",
        "test_eke_client_digest_forms.py",
        "L4: RSFL.sha256's form not checked at RSFL, only compared at DONE: a malformed one "
        "is answered integrity_failed after the whole file, not bad_frame",
        _rsfl_digest_form_late,
    ),
    # L5
    _m(
        "b21cli-size-zero-unknown",
        "APP-GET-4",
        "test_eke_client_zero_sizes.py",
        "L5: RSFL {size: 0} read as a size not known: DATA taken without bound, DONE's size taken",
        _size_zero_unknown,
    ),
    _m(
        "b21cli-done-size-zero-default",
        "APP-GET-3",
        "test_eke_client_zero_sizes.py",
        "L5: DONE {size: 0} read as a size not given: the count stands in for it",
        _done_size_zero_default,
    ),
    _m(
        "b21cli-rsfl-empty-digest-absent",
        "FRM-12",
        "test_client_empty_string_members.py",
        'L5: an RSFL.sha256 of "" dropped as absent before the schema check',
        _rsfl_empty_digest_absent,
    ),
    _m(
        "b21cli-put-stored-name-empty",
        "APP-PUT-9",
        "test_client_empty_string_members.py",
        'L5: RSFL{accept} whose name is "" taken as no acceptance: the put fails',
        _put_stored_name_empty,
    ),
    _m(
        "b21cli-put-empty-digest-zeros",
        "APP-PUT-4",
        "test_client_put.py",
        "L5: the put of an empty file ends with DONE {0, 64 zeros} (no chunk, no digest)",
        _put_empty_digest_zeros,
    ),
    _m(
        "b21cli-empty-record-keepalive",
        "EKE-REC-4",
        "test_eke_client_undecodable.py",
        "L5: a RECD of length 0 skipped as a keep-alive, not a record that fails to authenticate",
        _empty_record_keepalive,
    ),
    # L6
    _m(
        "b21cli-put-accept-strict",
        "FRM-10",
        "test_client_put_unknown_members.py",
        "L6: the put's RSFL{accept} denies unknown members (the get's RSFL is lenient): an "
        "extra member fails the put",
        _put_accept_strict,
    ),
    _m(
        "b21cli-data-max-first-frame",
        "FRM-13",
        "test_eke_client_data_frame_bounds.py",
        "L6: the 1 MiB bound of DATA checked on a transfer's first DATA frame only: a later "
        "one of 1 MiB + 1 is taken",
        _data_max_first_frame,
    ),
)

NOT_OBSERVABLE: tuple[Mutant, ...] = (
    _m(
        "b21cli-put-send-unchecked",
        "EKE-REC-1",
        "test_client_put_wire.py",
        "L2: the put's DATA records written in 64 KiB steps with send(), its count ignored: "
        "under back-pressure part of a record is lost",
        _put_send_unchecked,
    ),
)

# Written blind, then found to break no MUST the wire can show (module docstring): not
# registered.
WITHDRAWN: tuple[Mutant, ...] = (
    _m(
        "b21cli-eror-code-by-name",
        "ERR-1",
        "test_eke_client_login_eror_members.py",
        "L3: an EROR identified by its name when that names a code, by its code otherwise "
        "({code 4, name busy} retried as busy)",
        _eror_code_by_name,
    ),
    _m(
        "b21cli-eke4-length-unchecked",
        "FRM-12",
        "test_eke_client_login_frames.py",
        "L6: the hex length checked on EKE2, not on EKE4: a c of 94 or 98 digits fails as an "
        "impostor's tag (close, no EROR bad_frame)",
        _eke4_length_unchecked,
    ),
)
