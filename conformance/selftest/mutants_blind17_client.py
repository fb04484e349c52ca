"""Blind red-team round 17: the sft-eke/1 CLIENT (`sft eke get/put`), helper B87.

Written from docs/SPEC.md §0-§3, §5, §6 and the reference's eke client alone (client.py,
records.py, transport.py, crypto.py, handshake.py, transfer.py, frames.py, app.py,
cli/eke.py), before any case file or conformance module was read. Of the first ideas,
many repeated registered client mutants (nested duplicate keys, a second RSFL restarting
the get, Na compared on a prefix, the 65 536-byte control payload, DATA of exactly 1 MiB,
user names and passwords trimmed or normalised, the BYE_ echo required after a transfer
(b16's, in close(): a put's too), plaintext frames after EKE4, unknown codes non-fatal,
retry_after read in ms / jittered both ways ...) and were replaced, still blind to the
case files, by the ones marked (r) below. Each mutant is the reference's client with one
plausible slip, seen through one lens of the round.

L1 boundaries and exact multiples
  b17cli-busy-wait-minus-one (r)   the busy wait counts the second already begun:
                                   retry_after - 1 (x jitter): retry_after 1 is retried at once
  b17cli-user-64-refused (r)       the user name limit read as < 64 bytes: a valid name of
                                   exactly 64 bytes is refused locally, no EKE1 is sent
  b17cli-y-range-too-tight (r)     EKE-X-3's range check written 2 < Y' < p - 2: the valid
                                   boundary values Y' = 2 and Y' = p - 2 are refused
                                   (retired by the lead after FP14: only y = 1, which
                                   EKE-X-1 forbids a server, gives them — NOT_OBSERVABLE)
L2 fatal vs recoverable
  b17cli-clear-eror-in-records (r) the login's "EROR travels in clear" kept in the record
                                   phase: a plaintext EROR after EKE4 is the server's answer
  b17cli-eror-timeout-nonfatal (r) EROR timeout read as a refusal of the request (retryable):
                                   the client stays on the connection and says BYE_ (withdrawn)
  b17cli-data-before-rsfl-integrity (r)  the DATA overflow check runs before the state check:
                                   a DATA no RSFL announced is integrity_failed ("more than 0
                                   bytes"), not unexpected_frame
L3 duplicates and repetition
  b17cli-second-accept-skipped (r) a second RSFL{accept} after the put's DONE is taken as a
                                   repeated acceptance and skipped; the DONE after it succeeds
  b17cli-second-rsfl-identical-skipped (r)  a second RSFL of the same size in the middle of a
                                   get is a duplicate answer, skipped (not unexpected_frame)
  b17cli-dup-unknown-member (r)    duplicate JSON keys refused only among the members the
                                   schemas define: {"x":1,"x":2} beside them passes
L4 cryptographic API misuse
  b17cli-c4-endswith-na (r)        C4's plaintext checked to END with Na (the server's Ns
                                   rule mirrored): a C4 over Ns || Na is taken (withdrawn)
  b17cli-z-minimal-bytes (r)       Z encoded in its minimal length, not I2OSP(Z, 384): one
                                   login in 256 (Z below 2^3064) derives other keys
L5 content that looks like structure
  b17cli-name-backslash-to-slash (r)  `\\` in a get's or put's name turned into `/` before
                                   the request (Windows paths): `a\\b` is asked as `a/b`
  b17cli-request-json-format (r)   RQFL and PUTF built by string formatting, the name not
                                   escaped: a name with `"` or `\\` makes another JSON value
  b17cli-eke1-json-format (r)      EKE1 built by string formatting: a user name holding `"`
                                   or `\\` gives an EKE1 that is not the user's
  b17cli-request-name-stripped (r) the name given on the command line strip()ped before the
                                   request (`" a.txt "` is asked as `a.txt`)
L6 lifecycle ends
  b17cli-done-grace-commit (r)     all announced bytes in and no DONE within 1 s: the get is
                                   taken as complete and committed (a server that stalls at
                                   the end of a file)

Withdrawn after the blind run, as not observable (kept out of MUTANTS):
  b17cli-c4-endswith-na   EKE4's `c` is exactly 96 hex characters (FRM-12, EKE-HS-6), so
                          C4's plaintext is 32 bytes: "ends with Na" IS "equals Na" there.
  b17cli-eror-timeout-nonfatal   a one-request client (every --client-cmd) that takes EROR
                          timeout for a refusal still fails the get, says BYE_ and sends
                          its FIN at once: test_client_fatal_errors.py tolerates a BYE_ on
                          the way out, and the "stays on the connection" part needs a
                          second request no CLI makes. (A case for the fatal codes that
                          file leaves out was written and dropped with it.)

Blind run (each against the file named blind, then every case file citing its
requirement): 4 of 16 detected — busy-wait-minus-one (test_eke_client_busy_retries.py),
data-before-rsfl-integrity (test_eke_client_answers.py), dup-unknown-member and
second-rsfl-identical-skipped (test_client_lies.py); 1 more by another existing file:
eke1-json-format (test_eke_client.py, its honest-get and user-name cases). Missed by
every file: user-64-refused, y-range-too-tight, z-minimal-bytes, clear-eror-in-records,
second-accept-skipped, name-backslash-to-slash, request-json-format,
request-name-stripped, done-grace-commit (and the two withdrawn above). Five of the nine
had a named file that does not cite the requirement at all (no report: a miss).
After the round's cases all 14 registered mutants are detected:
  test_eke_client_group_edges.py   EKE-X-3 Y' = 2 and p - 2 (y = 1); EKE-KS-2 a Z whose
                                   I2OSP has a leading zero byte (the suite picks y)
  test_eke_client_user_names.py    EKE-PW-1 user names of exactly 64 bytes (ASCII, 2-byte
                                   characters); EKE-HS-1 / FRM-14 `"` and `\\` in the name
  test_eke_client_name_literals.py APP-NAME-3 / FRM-14 names with spaces at an end, a `"`,
                                   a `\\` (and `\\u0041`): RQFL and PUTF carry them as given
  test_eke_client_clear_errors.py  EKE-REC-5 a plaintext EROR (non-fatal code) after EKE4
  test_eke_client_put_strays.py    FRM-6 a stray RSFL{accept} / get RSFL / BYE_ before the
                                   put's receipt DONE
  test_eke_client_done_wait.py     APP-GET-6 / APP-GET-3 every byte, 3 s of silence, then a
                                   wrong DONE: nothing under the final name meanwhile
"""

from __future__ import annotations

from typing import Any

from conformance.selftest.mutant import Mutant, _module
from conformance.selftest.mutants_app import _patch_source

__all__ = ["MUTANTS", "NOT_OBSERVABLE"]

_GROUP = "blind17-client"


def _client() -> Any:
    return _module("reference.eke.client")


# -- L1 ------------------------------------------------------------------------------------


def _busy_wait_minus_one() -> None:
    _patch_source(
        _client().EkeClient,
        "connect",
        ("time.sleep(max(1, wait) *", "time.sleep(max(0, wait - 1) *"),
    )


def _user_64_refused() -> None:
    crypto = _module("reference.eke.crypto")
    _patch_source(
        crypto,
        "check_user_name",
        ("if not 1 <= len(raw) <= MAX_USER_BYTES:", "if not 1 <= len(raw) < MAX_USER_BYTES:"),
    )


def _y_range_too_tight() -> None:
    crypto = _module("reference.eke.crypto")
    _patch_source(
        crypto,
        "pm_decode",
        ("if value in (0, 1, P - 1) or value >= P:", "if not 2 < value < P - 2:"),
    )


# -- L2 ------------------------------------------------------------------------------------


def _clear_eror_in_records() -> None:
    records = _module("reference.eke.records")
    _patch_source(
        records.RecordReader,
        "_parse_header",
        ("if frame_type != RECORD_TYPE:", "if frame_type not in (RECORD_TYPE, b'EROR'):"),
    )
    _patch_source(
        records.RecordReader,
        "_next_frame",
        (
            "inner = self._opener.open(header, sealed)",
            # mutant: an EROR travels in clear, as during the login
            "inner = self._b17_clear(header, sealed)",
        ),
    )

    def _b17_clear(self: Any, header: Any, sealed: Any) -> Any:
        if bytes(header[:4]) == b"EROR":
            return memoryview(bytes(header) + bytes(sealed))
        return self._opener.open(header, sealed)

    records.RecordReader._b17_clear = _b17_clear


def _data_before_rsfl_integrity() -> None:
    app = _module("reference.app")
    errors = _module("reference.errors")

    def _b17_data_check(self: Any, frame_type: bytes, length: int) -> None:
        if frame_type != b"DATA":
            return
        incoming = self._incoming
        announced = 0 if incoming is None else incoming.announced
        count = 0 if incoming is None else incoming.count
        if count + length > announced:  # mutant: judged before the state
            raise errors.RemoteProtocolError(
                errors.ErrorCode.INTEGRITY_FAILED,
                f"more data than the {announced} bytes announced",
            )

    app.ApplicationConnection._b17_data_check = _b17_data_check
    _patch_source(
        app.ApplicationConnection,
        "_next_event",
        (
            "# unexpected_frame as soon as the header arrives, before the payload [FRM-6]",
            "self._b17_data_check(frame_type, length)",
        ),
    )


# -- L3 ------------------------------------------------------------------------------------


def _second_accept_skipped() -> None:
    app = _module("reference.app")
    frames = _module("reference.frames")
    initiator = app.InitiatorState
    app._TRANSITIONS[(initiator.DONE_SENT, b"RSFL")] = initiator.DONE_SENT
    original = app.ApplicationConnection._on_control

    def _on_control(self: Any, frame: Any) -> Any:
        if self.state is initiator.DONE_SENT and frame.type == b"RSFL":
            obj = frames.loads_control(frame.payload)
            if obj.get("accept") is True:
                return self._next_event()  # mutant: a repeated acceptance, skipped
        return original(self, frame)

    app.ApplicationConnection._on_control = _on_control


def _second_rsfl_identical_skipped() -> None:
    app = _module("reference.app")
    frames = _module("reference.frames")
    errors = _module("reference.errors")
    initiator = app.InitiatorState
    app._TRANSITIONS[(initiator.RECEIVING, b"RSFL")] = initiator.RECEIVING
    original = app.ApplicationConnection._on_control

    def _on_control(self: Any, frame: Any) -> Any:
        if self.state is initiator.RECEIVING and frame.type == b"RSFL":
            obj = frames.loads_control(frame.payload)
            if self._incoming is not None and obj.get("size") == self._incoming.announced:
                return self._next_event()  # mutant: the same answer again, skipped
            raise errors.RemoteProtocolError(
                errors.ErrorCode.UNEXPECTED_FRAME, "RSFL is not allowed while receiving"
            )
        return original(self, frame)

    app.ApplicationConnection._on_control = _on_control


_SCHEMA_MEMBERS = frozenset(
    {"name", "size", "sha256", "accept", "code", "message", "retry_after", "user", "a", "b", "c"}
)


def _dup_unknown_member() -> None:
    frames = _module("reference.frames")

    def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key, value in pairs:
            # mutant: only the members the schemas read are guarded
            if key in result and key in _SCHEMA_MEMBERS:
                raise ValueError(f"duplicate key {key[:64]!r}")
            result[key] = value
        return result

    frames._no_duplicates = _no_duplicates


# -- L4 ------------------------------------------------------------------------------------


def _z_minimal_bytes() -> None:
    crypto = _module("reference.eke.crypto")
    _patch_source(
        crypto,
        "shared_secret",
        (
            'return z.to_bytes(ELEMENT_LEN, "big")',
            'return z.to_bytes((z.bit_length() + 7) // 8, "big")',
        ),
    )


# -- L5 ------------------------------------------------------------------------------------


def _name_backslash_to_slash() -> None:
    client = _client()
    _patch_source(
        client.EkeClient,
        "get",
        ("stream.send(FileRequest(name))", "stream.send(FileRequest(name.replace('\\\\', '/')))"),
    )
    _patch_source(
        client.EkeClient,
        "put",
        (
            "stream.send(PutRequest(name or path.name, size))",
            "stream.send(PutRequest((name or path.name).replace('\\\\', '/'), size))",
        ),
    )


def _request_json_format() -> None:
    app = _module("reference.app")
    messages = _module("reference.messages")
    frames = _module("reference.frames")
    original = messages.encode_message

    def encode_message(message: Any) -> bytes:
        # mutant: the two requests written by hand, the name not escaped
        if isinstance(message, messages.FileRequest):
            text = '{"name":"' + message.name + '"}'
            return bytes(frames.encode_frame(b"RQFL", text.encode()))
        if isinstance(message, messages.PutRequest):
            text = '{"name":"' + message.name + '","size":' + str(message.size) + "}"
            return bytes(frames.encode_frame(b"PUTF", text.encode()))
        result: bytes = original(message)
        return result

    messages.encode_message = encode_message
    app.encode_message = encode_message


def _eke1_json_format() -> None:
    handshake = _module("reference.eke.handshake")
    _patch_source(
        handshake.ClientHandshake,
        "_setup",
        (
            'self._outbox += _control(T_EKE1, {"user": user, "a": self._a.hex()})',
            "self._outbox += encode_frame(T_EKE1, "
            '(\'{"user":"%s","a":"%s"}\' % (user, self._a.hex())).encode())',
        ),
    )


def _request_name_stripped() -> None:
    client = _client()
    _patch_source(
        client.EkeClient,
        "get",
        ("stream.send(FileRequest(name))", "stream.send(FileRequest(name.strip()))"),
    )
    _patch_source(
        client.EkeClient,
        "put",
        (
            "stream.send(PutRequest(name or path.name, size))",
            "stream.send(PutRequest((name or path.name).strip(), size))",
        ),
    )


# -- L6 ------------------------------------------------------------------------------------


def _done_grace_commit() -> None:
    client = _client()
    messages = _module("reference.messages")
    share = _module("reference.share")

    def _receive(
        self: Any, stream: Any, answer: Any, destination: Any, overwrite: bool, progress: Any
    ) -> Any:
        with share.PartialFile.create(destination, answer.size) as partial:
            received = 0
            while True:
                if received == answer.size and self._sock is not None:
                    self._sock.settimeout(1.0)  # mutant: the DONE is a formality
                try:
                    event = self._next(stream)
                except client.TransferFailed as exc:
                    if received == answer.size and "idle timeout" in str(exc):
                        partial.commit(overwrite=overwrite)
                        return messages.Done(received, "0" * 64)
                    raise
                if isinstance(event, messages.Data):
                    partial.write(event.data)
                    received += len(event.data)
                    if progress is not None:
                        progress(received, answer.size)
                elif isinstance(event, messages.Done):
                    partial.commit(overwrite=overwrite)
                    return event
                else:
                    raise client.TransferFailed("unexpected frame during a get")

    client.EkeClient._receive = _receive


def _m(name: str, requirement: str, test_file: str, description: str, apply: Any) -> Mutant:
    return Mutant(name, _GROUP, "eke", requirement, test_file, description, apply, client=True)


MUTANTS: tuple[Mutant, ...] = (
    # L1
    _m(
        "b17cli-busy-wait-minus-one",
        "EKE-THR-7",
        "test_eke_client_busy_retries.py",
        "L1: the busy wait counts the second already begun: retry_after - 1 (jittered), so a "
        "busy with retry_after 1 is retried at once",
        _busy_wait_minus_one,
    ),
    _m(
        "b17cli-user-64-refused",
        "EKE-PW-1",
        "test_eke_client_user_names.py",
        "L1: the user name limit read as fewer than 64 bytes: a valid name of exactly 64 "
        "bytes is refused locally and no EKE1 is sent",
        _user_64_refused,
    ),
    # L2
    _m(
        "b17cli-clear-eror-in-records",
        "EKE-REC-5",
        "test_eke_client_clear_errors.py",
        "L2: a plaintext EROR after EKE4 is read as the server's answer (the login's clear "
        "EROR kept in the record phase): a clear not_found is a refusal, BYE_ follows",
        _clear_eror_in_records,
    ),
    _m(
        "b17cli-data-before-rsfl-integrity",
        "FRM-6",
        "test_eke_client_answers.py",
        "L2: the DATA overflow check runs before the state check: a DATA no RSFL announced "
        "(before RSFL, after DONE) is answered integrity_failed, not unexpected_frame",
        _data_before_rsfl_integrity,
    ),
    # L3
    _m(
        "b17cli-second-accept-skipped",
        "FRM-6",
        "test_eke_client_put_strays.py",
        "L3: a second RSFL{accept} after the put's DONE is taken as a repeated acceptance and "
        "skipped: the DONE after it is the receipt (exit 0)",
        _second_accept_skipped,
    ),
    _m(
        "b17cli-second-rsfl-identical-skipped",
        "FRM-6",
        "test_client_lies.py",
        "L3: a second RSFL of the same size in the middle of a get is a duplicate answer, "
        "skipped instead of answered unexpected_frame",
        _second_rsfl_identical_skipped,
    ),
    _m(
        "b17cli-dup-unknown-member",
        "FRM-9",
        "test_client_lies.py",
        "L3: duplicate JSON keys refused only among the members the schemas define: an "
        "unknown member given twice passes",
        _dup_unknown_member,
    ),
    # L4
    _m(
        "b17cli-z-minimal-bytes",
        "EKE-KS-2",
        "test_eke_client_group_edges.py",
        "L4: Z encoded in its minimal length instead of I2OSP(Z, 384): a login whose Z is "
        "below 2^3064 (one in 256) derives other keys and fails",
        _z_minimal_bytes,
    ),
    # L5
    _m(
        "b17cli-name-backslash-to-slash",
        "APP-NAME-3",
        "test_eke_client_name_literals.py",
        "L5: a backslash in a get's or put's name turned into '/' before the request: "
        "'a\\b' is asked as 'a/b'",
        _name_backslash_to_slash,
    ),
    _m(
        "b17cli-request-json-format",
        "FRM-14",
        "test_eke_client_name_literals.py",
        "L5: RQFL and PUTF built by string formatting without escaping: a name holding '\"' "
        "or '\\' gives invalid JSON or another name",
        _request_json_format,
    ),
    _m(
        "b17cli-eke1-json-format",
        "EKE-HS-1",
        "test_eke_client.py",
        "L5: EKE1 built by string formatting without escaping: a user name holding '\"' or "
        "'\\' gives invalid JSON or another user",
        _eke1_json_format,
    ),
    _m(
        "b17cli-request-name-stripped",
        "APP-NAME-3",
        "test_eke_client_name_literals.py",
        "L5: the name given on the command line is strip()ped before the request: ' a.txt ' "
        "is asked as 'a.txt'",
        _request_name_stripped,
    ),
    # L6
    _m(
        "b17cli-done-grace-commit",
        "APP-GET-6",
        "test_eke_client_done_wait.py",
        "L6: all announced bytes in and no DONE within 1 s: the get is taken as complete and "
        "committed under the final name",
        _done_grace_commit,
    ),
)

# Not observable against a conforming server (FP14, lead): Y' = 2 or p - 2 comes only from
# the exponent y = 1 (y ≡ 1 mod q), which EKE-X-1 forbids its sender ("1 < x < q"); EKE-X-3
# names what a receiver MUST refuse, and refusing more of what no conforming server sends
# costs no honest login. Kept here, out of MUTANTS: the self-test must not claim it.
NOT_OBSERVABLE: tuple[Mutant, ...] = (
    _m(
        "b17cli-y-range-too-tight",
        "EKE-X-3",
        "test_eke_client_group_edges.py",
        "L1: the range check on Y' written 2 < Y' < p - 2: the valid boundary values 2 and "
        "p - 2 are refused (auth_failed)",
        _y_range_too_tight,
    ),
)
