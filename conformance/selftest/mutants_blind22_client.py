"""Blind red-team round 22: the sft-eke/1 CLIENT (`sft eke get` / `sft eke put`), helper B133.

Phase 1 (blind): written from docs/SPEC.md (§1-§3 client side: get, put, names, storage;
§5 client side; §6) and the reference's client code (reference/eke/client.py, handshake.py,
records.py, crypto.py, transport.py; reference/transfer.py, app.py, share.py, messages.py,
reference/cli/eke.py), before any case file, any conformance module or any independent
implementation was opened, through the round's six lenses (/work/briefs/s22/common.md).

The first list was checked against the names and descriptions of the registered mutants.
Nine candidates repeated a registered idea and were replaced (r) before they were written:
EKE2 hex in any case (b18b-cli-hex-any-case), EKE1 sent in upper-case hex
(b9cli-eke-eke1-upper-hex), DONE digest compared case-blind (b9cli-eke-done-upper-hex),
the temporary named after the final name without O_EXCL (partial-fixed-name), the stale
sweep listed before the login (b14cl3-sweep-listed-early), the temporary created 0644
(get-temp-mode-0644), the final name reserved by an empty placeholder
(placeholder-final-name), the user name NFC-normalised (user-normalised) and the
transcript taking the JSON-escaped user name (b17eke-th-user-json-escaped). Two of the
ideas below have a registered SERVER twin and are kept as client mutants (marked (t)).

L1 residue after an aborted request (the next session is the busy retry)
  b22cli-busy-retry-same-ephemeral  x, the sign bit and Na drawn once per client and
                                    reused by the retry after `busy`: its EKE1 repeats A
                                    (EKE-HS-10)
  b22cli-busy-retry-same-na         fresh x on the retry, but Na kept from the attempt
                                    refused busy (EKE-HS-10)
  b22cli-busy-then-auth-says-busy   the busy of the first attempt is remembered: a retry
                                    that then fails authentication is reported "busy",
                                    not "wrong password or unknown user" (EKE-HS-4)
L2 the peer's freedom
  b22cli-short-data-means-last      a DATA frame shorter than 1 MiB is taken as the last:
                                    a further DATA is answered unexpected_frame
  b22cli-data-frame-count-bound     "anti-DoS": more DATA frames than size/4096 + 16 is
                                    refused bad_frame (1-byte frames are legal)
  b22cli-put-accept-first-member    a put's RSFL is an acceptance only when its payload
                                    starts with {"accept": member order is the server's
  b22cli-eke2-member-order          EKE2 read as if "b" came before "c" (a streaming
                                    parser): {"c":..,"b":..} fails the login
L3 check-then-act between sessions
  b22cli-get-absent-at-start-replaced  the destination checked absent when the get
                                    starts, the verified file then renamed over whatever
                                    appeared meanwhile (os.replace) (APP-GET-6)
L4 two spellings of one value
  b22cli-z-minimal-bytes            Z fed to HKDF in its minimal big-endian form: a Z
                                    whose first byte is 0 gives other keys (EKE-KS-2)
  b22cli-store-under-rsfl-spelling  an RSFL.name equal to the request under NFC but
                                    spelled otherwise is taken as the server's canonical
                                    spelling and used for the saved file (APP-GET-7)
L5 half-done actions
  b22cli-commit-at-last-byte        the final name is linked once the announced size has
                                    arrived, before DONE; a bad DONE unlinks it again
  b22cli-commit-at-session-end      the verified get is renamed only once the server
                                    echoes BYE_ ("the session ended cleanly"): a server
                                    that closes without the (optional) echo loses it,
                                    while the client said "saved"
  b22cli-failed-get-kept-aside (t)  a failed get's temporary is renamed aside
                                    (.NAME.failed) for inspection instead of removed
L6 reflection and role confusion
  b22cli-record-key-fallback (t)    a record failing under the s2c key is tried under
                                    c2s (a peer of a draft with the labels swapped): the
                                    client's own records reflected back are opened
  b22cli-c4-under-kcc-accepted      EKE4 opened with Kcs, else with Kcc (the client's
                                    own confirmation key)
  b22cli-confirm-any-step-nonce     a confirmation is opened under its own step's
                                    nonce/AD, else under the other steps' (N2/N3/N4)
  b22cli-inner-handshake-ignored    a handshake frame (EKE2/EKE4) inside a record is
                                    skipped as a late duplicate, not unexpected_frame

Blind result (each mutant against the file first named, --only-req, --no-rerun): 6 of 17
detected by the file guessed — busy-retry-same-ephemeral, busy-retry-same-na
(test_eke_client_busy_retries.py), get-absent-at-start-replaced
(test_eke_client_get_doors.py), commit-at-last-byte (test_eke_client_transfer.py's
SIGKILL/SIGTERM at the last byte), commit-at-session-end (test_eke_client_get_outcomes.py's
close after DONE), record-key-fallback (test_interop_client_reflected_records.py) — and a
seventh, inner-handshake-ignored, by its guessed file test_eke_client_record_strays.py
once the requirement was corrected (FRM-6, not FRM-5: EKE2/EKE4 are types the profile
defines, out of place in a record). Against the other case files citing the requirement,
4 more were caught (test_file now names the file): short-data-means-last
(test_eke_client_get_outcomes.py, APP-GET-3: its honest get comes in frames of 1000 bytes),
eke2-member-order (test_client_encodings.py, VEC-2: members reversed),
z-minimal-bytes (test_eke_client_group_edges.py: a Z with a leading zero byte),
failed-get-kept-aside (test_client_lies.py: the directory watched after a bad DONE).
Missed by every file tried, and the cases that now catch their class (each PASSes the
reference three times and the independent clients listed in the report):
- busy-then-auth-says-busy (EKE-HS-4: 11 client files; EKE-THR-7: 5) ->
  test_eke_client_retry_verdicts.py: busy at EKE1, then the retried login fails (C2 that
  does not open; thorough: C4 that does not open, EKE-HS-7); what the client tells its user
  must hold what it tells for that failure without a busy before it.
- data-frame-count-bound (FRM-13: 4 eke client files, APP-GET-3: 7, FRM-4: 2) ->
  test_eke_client_get_frame_shapes.py: an honest get in DATA frames of every legal shape
  (300 frames of 1 byte, 1 byte then a full 1 MiB frame; thorough: uneven sizes, 1 MiB
  then 1 byte, a small frame between large ones): kept, exit 0. Also catches
  short-data-means-last.
- put-accept-first-member (APP-PUT-9: 4 files, APP-PUT-10: 8, FRM-10: 4; VEC-2:
  test_client_encodings.py) -> the put case of test_client_encodings.py skipped ("not
  acknowledged for reasons of its own") a client that refused the loosely written
  acceptance with bad_frame and sent nothing; it now skips only a client whose own DATA or
  DONE were wrong, and FAILs one that sent neither (a case defect, fixed).
- store-under-rsfl-spelling (APP-GET-7: 5 eke client files, APP-NAME-3: 7) ->
  test_eke_client_answer_name_spellings.py: RQFL answered with RSFL.name in another
  spelling of the request (NFC answered NFD; thorough: NFD answered NFC, a ligature answered
  NFKC, lower case answered upper): nothing under the server's spelling.
- c4-under-kcc-accepted (EKE-HS-7: 4 files, EKE-KS-4: 3) and confirm-any-step-nonce
  (EKE-HS-4: 9, EKE-HS-7: 4) -> test_eke_client_confirm_crossings.py: C2 and C4 holding the
  right nonce but sealed crossed — the other role's key, another step's nonce, associated
  data or both, the record key (default: C2 sealed as a C4, C4 under Kcc): C2 refused with
  auth_failed, C4 with no request and a close.
Post-blind siblings, written after the cases to show they take the class:
post-data-size-first-frame (the DATA size learnt from the first frame) ->
test_eke_client_get_frame_shapes.py; post-store-under-casefolded-rsfl (RSFL.name equal
case-blind taken as the server's spelling) -> test_eke_client_answer_name_spellings.py.
Final: 17 of 17 detected, and both siblings (test_mutants -k b22cli-: 19 passed).
"""

from __future__ import annotations

import os
import unicodedata
from pathlib import Path
from typing import Any

from conformance.selftest.mutant import Mutant, _module
from conformance.selftest.mutants_app import _patch_source

__all__ = ["MUTANTS"]

_GROUP = "blind22-client"
_MIB = 1024 * 1024


def _client() -> Any:
    return _module("reference.eke.client")


def _crypto() -> Any:
    return _module("reference.eke.crypto")


def _handshake() -> Any:
    return _module("reference.eke.handshake")


def _app() -> Any:
    return _module("reference.app")


def _unindent(text: str) -> str:
    return "".join(
        line[4:] if line.startswith("    ") else line for line in text.splitlines(keepends=True)
    )


def _patch_method(owner: Any, attr: str, *edits: tuple[str, str]) -> None:
    _patch_source(owner, attr, *((_unindent(old), _unindent(new)) for old, new in edits))


# -- L1: residue after an aborted request -------------------------------------------------------


def _kept_handshake(keep_x: bool) -> Any:
    def make(self: Any, user: str) -> Any:
        crypto = _crypto()
        hs_mod = _handshake()
        kept = getattr(self, "_b22_kept", None)
        if kept is None:
            kept = (
                crypto.new_ephemeral(),
                int.from_bytes(os.urandom(1), "big") & 1,
                crypto.new_nonce(),
            )
            self._b22_kept = kept
        eph, sign, na = kept
        if not keep_x:
            eph, sign = crypto.new_ephemeral(), int.from_bytes(os.urandom(1), "big") & 1
        return hs_mod.ClientHandshake._from_parts(
            user, self._pw, ephemeral=eph, sign_bit=sign, na=na
        )

    return make


def _busy_retry_keeps(keep_x: bool) -> Any:
    def apply() -> None:
        client = _client()
        client._b22_make_hs = _kept_handshake(keep_x)
        _patch_method(
            client.EkeClient,
            "_connect_once",
            (
                "hs = ClientHandshake(cfg.user, self._pw)",
                "hs = _b22_make_hs(self, cfg.user)  # mutant: drawn once per client",
            ),
        )

    return apply


def _busy_then_auth_says_busy() -> None:
    client = _client()

    def once(self: Any) -> Any:
        try:
            return self._b22_connect_once()
        except client.ServerBusy as exc:
            self._b22_busy = exc
            raise
        except client.ClientError:
            if getattr(self, "_b22_busy", None) is not None:
                # mutant: the first attempt's error is what the user hears
                raise client.TransferFailed(
                    "the server is busy: try again later", client.ErrorCode.BUSY
                ) from None
            raise

    client.EkeClient._b22_connect_once = client.EkeClient._connect_once
    client.EkeClient._connect_once = once


# -- L2: the peer's freedom -----------------------------------------------------------------------


def _data_hook(check: Any) -> None:
    """Calls check(self, stream, answer, data) on every DATA piece of a get."""
    client = _client()
    client._b22_check = check
    _patch_method(
        client.EkeClient,
        "_receive",
        (
            "                if isinstance(event, Data):\n",
            "                if isinstance(event, Data):\n"
            "                    _b22_check(self, stream, answer, event.data)\n",
        ),
    )


def _refuse(self: Any, stream: Any, code_name: str, text: str) -> Exception:
    client = _client()
    code = getattr(client.ErrorCode, code_name)
    try:
        stream.send(client.ErrorFrame(code, text))
    except Exception:  # the connection may be gone  # noqa: S110
        pass
    self._abandon()
    failed: Exception = client.TransferFailed(f"protocol error: {text}", code)
    return failed


def _short_data_means_last() -> None:
    def check(self: Any, stream: Any, answer: Any, data: Any) -> None:
        if getattr(self, "_b22_short_seen", False):
            raise _refuse(self, stream, "UNEXPECTED_FRAME", "DATA after the last DATA frame")
        self._b22_short_seen = len(data) < _MIB

    _data_hook(check)


def _data_frame_count_bound() -> None:
    def check(self: Any, stream: Any, answer: Any, data: Any) -> None:
        self._b22_frames = getattr(self, "_b22_frames", 0) + 1
        if self._b22_frames > answer.size // 4096 + 16:
            raise _refuse(self, stream, "BAD_FRAME", "too many DATA frames for the size")

    _data_hook(check)


def _put_accept_first_member() -> None:
    app = _app()
    messages = _module("reference.messages")
    errors = _module("reference.errors")
    original = messages.decode_message

    def decode(frame: Any, *, rsfl_for_put: bool = False) -> Any:
        if rsfl_for_put and frame.type == b"RSFL":
            head = bytes(frame.payload).lstrip()[:10].replace(b" ", b"")
            if not head.startswith(b'{"accept"'):
                raise errors.RemoteProtocolError(errors.ErrorCode.BAD_FRAME, "not an acceptance")
        return original(frame, rsfl_for_put=rsfl_for_put)

    app.decode_message = decode


def _eke2_member_order() -> None:
    _patch_method(
        _handshake().ClientHandshake,
        "_on_eke2",
        (
            '        b = _hex(obj, "b")\n',
            '        if list(obj)[:2] != ["b", "c"]:  # mutant: a streaming parser\n'
            "            raise AuthenticationFailed()\n"
            '        b = _hex(obj, "b")\n',
        ),
    )


# -- L3: check-then-act between sessions -----------------------------------------------------------


def _get_absent_at_start_replaced() -> None:
    _patch_method(
        _client().EkeClient,
        "_receive",
        (
            "partial.commit(overwrite=overwrite)",
            "partial.commit(overwrite=True)  # mutant: found absent when the get began",
        ),
    )


# -- L4: two spellings of one value ------------------------------------------------------------


def _z_minimal_bytes() -> None:
    _patch_source(
        _crypto(),
        "shared_secret",
        (
            'return z.to_bytes(ELEMENT_LEN, "big")',
            'return z.to_bytes((z.bit_length() + 7) // 8, "big")',
        ),
    )


def _store_under_rsfl_spelling() -> None:
    client = _client()

    def destination(name: str, answer: Any, dest: Path) -> Path:
        theirs = answer.name
        if theirs != name and unicodedata.normalize("NFC", theirs) == unicodedata.normalize(
            "NFC", name
        ):
            return dest.with_name(theirs.rsplit("/", 1)[-1])
        return dest

    client._b22_dest = destination
    _patch_method(
        client.EkeClient,
        "get",
        (
            "return self._receive(stream, answer, destination, overwrite, progress)",
            "return self._receive(\n"
            "                stream, answer, _b22_dest(name, answer, destination), overwrite,"
            " progress\n"
            "            )",
        ),
    )


# -- L5: half-done actions ------------------------------------------------------------


def _commit_at_last_byte() -> None:
    client = _client()

    def receive(
        self: Any, stream: Any, answer: Any, destination: Path, overwrite: bool, progress: Any
    ) -> Any:
        with client.PartialFile.create(destination, answer.size) as partial:
            received = 0
            committed = False
            while True:
                try:
                    event = self._next(stream)
                except BaseException:
                    if committed:
                        with _suppress():
                            os.unlink(destination)
                    raise
                if isinstance(event, client.Data):
                    partial.write(event.data)
                    received += len(event.data)
                    if received == answer.size and not committed:
                        partial.commit(overwrite=overwrite)  # mutant: before DONE
                        committed = True
                elif isinstance(event, client.Done):
                    if not committed:
                        partial.commit(overwrite=overwrite)
                    return event
                else:
                    raise client.TransferFailed("unexpected frame during a get")

    client.EkeClient._receive = receive


class _suppress:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> bool:
        return True


def _commit_at_session_end() -> None:
    client = _client()

    def receive(
        self: Any, stream: Any, answer: Any, destination: Path, overwrite: bool, progress: Any
    ) -> Any:
        partial = client.PartialFile.create(destination, answer.size)
        try:
            while True:
                event = self._next(stream)
                if isinstance(event, client.Data):
                    partial.write(event.data)
                elif isinstance(event, client.Done):
                    self._b22_pending = (partial, overwrite)  # mutant: renamed at BYE_
                    return event
                else:
                    raise client.TransferFailed("unexpected frame during a get")
        except BaseException:
            partial.abort()
            raise

    original_close = client.EkeClient.close

    def close(self: Any) -> None:
        pending = getattr(self, "_b22_pending", None)
        self._b22_pending = None
        stream = self._stream
        if pending is None or stream is None:
            original_close(self)
            if pending is not None:
                pending[0].abort()
            return
        partial, overwrite = pending
        ended = False
        try:
            stream.send(client.Bye())
            event = stream.next_event()
            ended = isinstance(event, client.Bye)
        except Exception:  # the server went away
            ended = False
        if ended:
            partial.commit(overwrite=overwrite)
        else:
            partial.abort()
        self._stream = None
        sock, self._sock = self._sock, None
        if sock is not None:
            with _suppress():
                sock.close()

    client.EkeClient._receive = receive
    client.EkeClient.close = close


def _failed_get_kept_aside() -> None:
    client = _client()
    real_create = client.PartialFile.create

    def create(destination: Path, limit: int) -> Any:
        partial = real_create(destination, limit)
        real_abort = partial.abort

        def abort() -> None:
            if not partial._done and partial._dir_fd >= 0:
                with _suppress():
                    if partial._file is not None:
                        partial._file.close()
                        partial._file = None
                    os.rename(
                        partial.temp_name,
                        f".{partial.final_name}.failed",
                        src_dir_fd=partial._dir_fd,
                        dst_dir_fd=partial._dir_fd,
                    )  # mutant: kept aside for inspection
            real_abort()

        partial.abort = abort
        return partial

    client.PartialFile.create = create


# -- L6: reflection and role confusion ------------------------------------------------


def _record_key_fallback() -> None:
    records = _module("reference.eke.records")
    crypto = _crypto()
    errors = _module("reference.errors")
    original_init = records.RecordChannel.__init__

    def init(self: Any, keys: Any, *, is_client: bool, **kw: Any) -> None:
        original_init(self, keys, is_client=is_client, **kw)
        send_key, send_iv = (
            (keys.key_c2s, keys.iv_c2s) if is_client else (keys.key_s2c, keys.iv_s2c)
        )
        opener = self.reader._opener
        alternate = crypto.RecordOpener(send_key, send_iv, len(opener._plains[0]))
        primary_open = opener.open

        def open_either(header: Any, sealed: Any) -> Any:
            try:
                return primary_open(header, sealed)
            except errors.AuthenticationFailed:
                # mutant: a peer of a draft with c2s/s2c swapped
                return alternate.open(header, sealed)

        opener.open = open_either

    records.RecordChannel.__init__ = init


def _c4_under_kcc_accepted() -> None:
    _patch_method(
        _handshake().ClientHandshake,
        "_on_eke4",
        (
            '            na = crypto.open_confirm(self._keys.kcs, 4, _hex(obj, "c"), self._th)\n'
            "        except AuthenticationFailed:\n",
            '            na = crypto.open_confirm(self._keys.kcs, 4, _hex(obj, "c"), self._th)\n'
            "        except AuthenticationFailed:\n"
            "            try:  # mutant: either confirmation key\n"
            "                na = crypto.open_confirm(\n"
            '                    self._keys.kcc, 4, _hex(obj, "c"), self._th\n'
            "                )\n"
            "            except AuthenticationFailed:\n"
            "                raise ServerNotAuthenticated() from None\n"
            "        except ValueError:\n",
        ),
    )


def _confirm_any_step_nonce() -> None:
    crypto = _crypto()
    original = crypto.open_confirm

    def open_any(key: bytes, step: int, sealed: bytes, th: bytes) -> bytes:
        for candidate in (step, *(s for s in (2, 3, 4) if s != step)):
            try:
                plain: bytes = original(key, candidate, sealed, th)
                return plain
            except crypto.AuthenticationFailed:
                continue
        raise crypto.AuthenticationFailed()

    crypto.open_confirm = open_any


def _inner_handshake_ignored() -> None:
    transport = _module("reference.eke.transport")
    _patch_method(
        transport.SecureStream,
        "next_event",
        (
            "            assert isinstance(frame, InnerFrame)\n",
            "            assert isinstance(frame, InnerFrame)\n"
            '            if frame.type in (b"EKE2", b"EKE4"):  # mutant: a late duplicate\n'
            "                continue\n",
        ),
    )


# -- post-blind siblings (written after the cases, to show they take the class) ----------------


def _data_size_first_frame() -> None:
    def check(self: Any, stream: Any, answer: Any, data: Any) -> None:
        first = getattr(self, "_b22_first", None)
        if first is None:
            self._b22_first = len(data)
        elif len(data) > first:
            raise _refuse(self, stream, "BAD_FRAME", "DATA frame larger than the first")

    _data_hook(check)


def _store_under_casefolded_rsfl() -> None:
    client = _client()

    def destination(name: str, answer: Any, dest: Path) -> Path:
        theirs = answer.name
        if theirs != name and theirs.casefold() == name.casefold():
            return dest.with_name(theirs.rsplit("/", 1)[-1])
        return dest

    client._b22_dest = destination
    _patch_method(
        client.EkeClient,
        "get",
        (
            "return self._receive(stream, answer, destination, overwrite, progress)",
            "return self._receive(\n"
            "                stream, answer, _b22_dest(name, answer, destination), overwrite,"
            " progress\n"
            "            )",
        ),
    )


def _m(name: str, requirement: str, test_file: str, description: str, apply: Any) -> Mutant:
    return Mutant(name, _GROUP, "eke", requirement, test_file, description, apply, client=True)


MUTANTS: tuple[Mutant, ...] = (
    # L1
    _m(
        "b22cli-busy-retry-same-ephemeral",
        "EKE-HS-10",
        "test_eke_client_busy_retries.py",
        "L1: x, the sign bit and Na drawn once per client: the EKE1 of the retry after busy "
        "repeats A",
        _busy_retry_keeps(keep_x=True),
    ),
    _m(
        "b22cli-busy-retry-same-na",
        "EKE-HS-10",
        "test_eke_client_busy_retries.py",
        "L1: fresh x on the retry after busy, but Na kept from the refused attempt",
        _busy_retry_keeps(keep_x=False),
    ),
    _m(
        "b22cli-busy-then-auth-says-busy",
        "EKE-HS-4",
        "test_eke_client_retry_verdicts.py",
        "L1: the first attempt's busy is remembered: a retry refused auth_failed is "
        "reported as busy, not wrong password or unknown user",
        _busy_then_auth_says_busy,
    ),
    # L2
    _m(
        "b22cli-short-data-means-last",
        "APP-GET-3",
        "test_eke_client_get_outcomes.py",
        "L2: a DATA frame under 1 MiB is taken as the last: another DATA is answered "
        "unexpected_frame",
        _short_data_means_last,
    ),
    _m(
        "b22cli-data-frame-count-bound",
        "APP-GET-3",
        "test_eke_client_get_frame_shapes.py",
        "L2: more DATA frames than size/4096 + 16 refused bad_frame (1-byte frames are legal)",
        _data_frame_count_bound,
    ),
    _m(
        "b22cli-put-accept-first-member",
        "VEC-2",
        "test_client_encodings.py",
        'L2: a put\'s RSFL is an acceptance only if its payload starts with {"accept": a '
        "server writing name first is refused bad_frame",
        _put_accept_first_member,
    ),
    _m(
        "b22cli-eke2-member-order",
        "VEC-2",
        "test_client_encodings.py",
        'L2: EKE2 must list "b" before "c" (streaming parser): the other order fails the login',
        _eke2_member_order,
    ),
    # L3
    _m(
        "b22cli-get-absent-at-start-replaced",
        "APP-GET-6",
        "test_eke_client_get_doors.py",
        "L3: the destination found absent when the get began; the verified file is then "
        "renamed over a file that appeared meanwhile",
        _get_absent_at_start_replaced,
    ),
    # L4
    _m(
        "b22cli-z-minimal-bytes",
        "EKE-KS-2",
        "test_eke_client_group_edges.py",
        "L4: Z given to HKDF in its minimal big-endian form: a Z with a leading zero byte "
        "gives other keys",
        _z_minimal_bytes,
    ),
    _m(
        "b22cli-store-under-rsfl-spelling",
        "APP-GET-7",
        "test_eke_client_answer_name_spellings.py",
        "L4: an RSFL.name equal to the request under NFC is the server's canonical spelling: "
        "the file is saved under it",
        _store_under_rsfl_spelling,
    ),
    # L5
    _m(
        "b22cli-commit-at-last-byte",
        "APP-GET-6",
        "test_eke_client_transfer.py",
        "L5: the final name is linked when the announced size has arrived, before DONE; a bad "
        "DONE unlinks it again",
        _commit_at_last_byte,
    ),
    _m(
        "b22cli-commit-at-session-end",
        "APP-BYE-2",
        "test_eke_client_get_outcomes.py",
        "L5: the verified get is renamed only when the server echoes BYE_: a server closing "
        "after DONE without the optional echo loses the file (the client said saved)",
        _commit_at_session_end,
    ),
    _m(
        "b22cli-failed-get-kept-aside",
        "APP-STORE-3",
        "test_client_lies.py",
        "L5: a failed get's temporary is renamed aside (.NAME.failed), not removed",
        _failed_get_kept_aside,
    ),
    # L6
    _m(
        "b22cli-record-key-fallback",
        "EKE-REC-4",
        "test_interop_client_reflected_records.py",
        "L6: a record failing under s2c is tried under c2s: the client's own records "
        "reflected back are opened",
        _record_key_fallback,
    ),
    _m(
        "b22cli-c4-under-kcc-accepted",
        "EKE-HS-7",
        "test_eke_client_confirm_crossings.py",
        "L6: EKE4 opened with Kcs, else with Kcc (the client's own confirmation key)",
        _c4_under_kcc_accepted,
    ),
    _m(
        "b22cli-confirm-any-step-nonce",
        "EKE-HS-4",
        "test_eke_client_confirm_crossings.py",
        "L6: a confirmation opened under its step's nonce/AD, else under the other steps'",
        _confirm_any_step_nonce,
    ),
    _m(
        "b22cli-inner-handshake-ignored",
        "FRM-6",
        "test_eke_client_record_strays.py",
        "L6: an EKE2/EKE4 frame inside a record is skipped as a late duplicate, not "
        "unexpected_frame",
        _inner_handshake_ignored,
    ),
    # post-blind siblings
    _m(
        "b22cli-post-data-size-first-frame",
        "APP-GET-3",
        "test_eke_client_get_frame_shapes.py",
        "sibling: the DATA size is learnt from the first frame: a later, larger frame is "
        "refused bad_frame",
        _data_size_first_frame,
    ),
    _m(
        "b22cli-post-store-under-casefolded-rsfl",
        "APP-GET-7",
        "test_eke_client_answer_name_spellings.py",
        "sibling: an RSFL.name equal to the request case-blind is the server's spelling: the "
        "file is saved under it",
        _store_under_casefolded_rsfl,
    ),
)
