"""Blind red-team round 19: the sft-eke/1 CLIENT (`sft eke get/put`), helper B103.

Written from docs/SPEC.md §0-§3, §5, §6 and the reference's eke client alone (client.py,
handshake.py, records.py, transport.py, crypto.py, transfer.py, app.py, frames.py,
messages.py, share.py, cli/eke.py, cli/options.py), before any case file or conformance
module was read, through the round's six lenses. The first ideas were checked against the
~500 registered eke-client mutants (and the server and pki ones); those repeating one
(an EROR acted on by its name — cov-pki-client-code-from-name —, the schema loop that
returns after the first member — b14eke-schema-loop-returns-early —, the Ns length
check dropped — b14cl-c2-lengths-asserts —, a pid-named temporary swept by its pid,
json.loads given the payload's bytes — b14cl-json-bytes-autodetect) were replaced by the
ones marked (r). One was dropped as unobservable before the run (a fatal EROR's abandon
condition inverted: the core refuses the BYE_ after a fatal EROR anyway).

L1 library defaults
  b19cli-user-isprintable          the user name's "no control characters" checked with
                                   str.isprintable(): valid names holding U+00A0, a
                                   joiner (U+200D), U+2028 or an unassigned code point
                                   are refused locally, no EKE1 is sent
  b19cli-sha-dollar-newline        the sha256 and hex members matched with re.match(
                                   "...$"): `$` also matches before a final newline, so
                                   "<64 hex>\\n" passes as a digest; an EKE2 `b` of 767 hex
                                   digits and a newline reaches bytes.fromhex and crashes
  b19cli-name-surrogate-escaped (r) control payloads written with json.dumps' default
                                   ensure_ascii=True and no local UTF-8 check of names: a
                                   put of a file whose name is not UTF-8 offers a name
                                   holding a lone surrogate escape (\\udce9)
L2 porting idioms
  b19cli-digest-hex-no-leading-zeros  SHA-256 written as a big integer in hex (Java's
                                   new BigInteger(1, d).toString(16)): a digest starting
                                   with a 0 nibble has 63 digits — the put's DONE is
                                   malformed and a get of such a file fails
  b19cli-dup-key-msg-byte-cut      the duplicate-key message quotes the key cut at 64
                                   UTF-8 bytes (Go's s[:64]): a multibyte character cut in
                                   two puts invalid UTF-8 into the client's EROR
  b19cli-eke4-c-zero-value         EKE4's members read as Go zero values: an EKE4 without
                                   `c` is a confirmation that fails (close, "impostor"),
                                   not a malformed frame answered bad_frame
  b19cli-exit-status-wire-code     the CLI exits with the EROR's wire code ("scripts can
                                   tell what failed"): the status is that code mod 256, so
                                   an EROR of code 256 in place of a put's receipt exits 0
L3 feature interactions
  b19cli-rsfl-sha-early-commit     with RSFL.sha256 announced, the get is hashed as it
                                   arrives and committed once `size` bytes match it: the
                                   DONE is never waited for (a close or an EROR in its
                                   place still ends with the file kept, exit 0)
  b19cli-put-digest-second-pass    the put's DONE.sha256 is computed by reading the source
                                   again after the last DATA (a sendfile-style sender): a
                                   source changed meanwhile gets a digest of neither the
                                   bytes sent nor the source before sending
  b19cli-put-retry-exists-ok       a put whose connection ends before the receipt is
                                   retried once on a new connection, and an `exists`
                                   answering the retry is taken as proof that the first
                                   attempt was stored: exit 0
L4 trusting its own earlier state
  b19cli-own-output-replaced       each get records (path, SHA-256) of its output in a
                                   per-user cache file; a later get replaces without
                                   --force an output that still holds what it recorded
                                   ("our own file, unchanged since: an update")
  b19cli-sweep-future-mtime        the stale-temporary sweep takes the age regardless of
                                   its sign (abs(now - mtime)): a temporary dated in the
                                   future (another initiator's clock, NFS) is swept as
                                   stale although it may be live
  b19cli-sweep-own-uid-any-age (r) temporaries of the client's own uid with mode 0600 are
                                   taken for leftovers of its own killed runs and swept
                                   whatever their age: a live one of another run goes
L5 what the user and the peer are told
  b19cli-eke4-wait-failure-as-impostor  every failure while awaiting EKE4 (the server's
                                   FIN, a reset, the handshake timeout) is reported as a
                                   server that failed to prove it knows the password
  b19cli-rsfl-name-mismatch-forbidden  an RSFL.name that differs from the request is
                                   answered EROR forbidden (non-fatal: "the name is not
                                   acceptable"), not bad_frame, nor ignored
  b19cli-auth-eror-message-omitted  after a bad EKE2 the client's EROR auth_failed says
                                   nothing, and empty members are left out (omitempty):
                                   the EROR has no `message`
L6 refactoring slips
  b19cli-user-c1-upper-bound-lost  the user name's control check `0x7F <= c <= 0x9F` lost
                                   its upper bound: every non-ASCII user name is refused
                                   locally
  b19cli-sweep-age-inverted        the sweep's age test inverted (`<` for `>`): live
                                   temporaries are removed, stale ones kept
  b19cli-put-name-local-basename   PUTF's name taken from the source path, the --as name
                                   (the similarly named variable) ignored

Blind run (each against the file named blind; for a miss, then against the other case
files named below, not every file citing its requirement — time): 3 of 19 detected by the
file named blind —
digest-hex-no-leading-zeros (test_client_put.py: the digest of its 1 MiB put happens to
begin with a 0 nibble), sweep-age-inverted (test_client_sweep_idle_age.py) and
own-output-replaced, but the last only for the `.sft-gets` record its first planting left
beside the output ("no other file"): re-planted with the record in a per-user cache (as a
real client keeps one), test_eke_client_transfer.py missed it. 3 more by other existing
files: rsfl-sha-early-commit (test_eke_client_transfer.py close-after-all-bytes-no-done,
whose RSFL carries sha256; the named test_eke_client_get_outcomes.py does not cite
APP-GET-5), sweep-own-uid-any-age (test_client_sweep_idle_age.py plants its live
temporary 0600), put-name-local-basename (test_client_run_put_source.py; the named
test_client_put_renamed.py does not cite APP-NAME-3). Missed by the files tried:
user-isprintable and user-c1-upper-bound-lost (test_eke_client_user_names.py: its only
non-ASCII name is a slow variant), dup-key-msg-byte-cut (test_client_lies.py),
exit-status-wire-code (test_eke_client_put_unknown_codes.py: codes 0 and 15),
put-digest-second-pass (test_eke_client_put_source.py), put-retry-exists-ok
(test_eke_client_put_receipts.py; the embedded responder takes one connection),
own-output-replaced (re-planted), sweep-future-mtime (test_client_sweep_time_zones.py,
test_eke_client_transfer.py: its live temporary is only 2 minutes ahead),
eke4-wait-failure-as-impostor (test_client_login_closed.py closes after EKE1 only),
rsfl-name-mismatch-forbidden (test_client_store_server_names.py), auth-eror-message-omitted
(test_eke_client_clear_errors.py does not cite ERR-1), and the three withdrawn below.

Withdrawn (kept out of MUTANTS, in NOT_OBSERVABLE):
  b19cli-sha-dollar-newline     what a `$`-matched digest changes is a malformed DONE or
                                RSFL digest answered integrity_failed instead of
                                bad_frame (the suite accepts both, FRM-16), and a login
                                frame answered by a crash and a close (the suite accepts a
                                close for a malformed login frame).
  b19cli-eke4-c-zero-value      test_eke_client_login_strangers.py accepts a close (and
                                auth_failed) for an EKE4 lacking `c`: a conforming reading.
  b19cli-name-surrogate-escaped the SPEC does not say that a sender must not write a lone
                                surrogate escape (FRM-15 is the receiver's rule); the
                                independent eke2 does exactly this. SPEC sentence proposed
                                in test_eke_client_put_name_bytes.py's docstring.

After the round's cases all 16 registered mutants are detected:
  test_eke_client_user_name_characters.py  EKE-PW-1 / EKE-HS-1 valid user names beside the
                                control ranges: U+00A0 (the first code point after C1),
                                U+200D; slow: U+00FF with a 4-byte character, U+0378
  test_eke_client_put_exit_status_wraps.py APP-PUT-10 / ERR-4 a put answered by an EROR
                                whose code's low byte is 0 (256; slow 512, 2^32, 256 for
                                PUTF) exits non-zero
  test_eke_client_eror_quoted_text.py  FRM-14 / ERR-1 the client's EROR for an RSFL with a
                                duplicated non-ASCII key is UTF-8 JSON (a 64-byte cut lands
                                inside `é`; slow: 4-byte and 3-byte characters)
  test_eke_client_answer_name_codes.py APP-GET-7 an RSFL naming another file is refused
                                bad_frame or ignored, never `forbidden` (slow: case, ../)
  test_eke_client_put_digest_moment.py APP-PUT-4 / APP-PUT-10 a 6 MiB put whose first
                                byte (already sent) changes after the first DATA: the DONE
                                names the bytes sent, not the changed file
  test_eke_client_put_lost_receipt.py  APP-PUT-10 a put whose receipt was lost, and whose
                                retry is refused `exists`, is reported failed
  test_eke_client_second_get_output.py APP-GET-6 a second get does not replace the output
                                the client's own first get wrote (bytes and inode)
  test_eke_client_sweep_future_dated.py APP-STORE-3 a temporary dated an hour (slow: a
                                day) ahead of the client's clock is not swept
  test_eke_client_login_closed_late.py LIM-9 a FIN after the client's EKE3 (slow: a reset,
                                SHOULD; silence past the handshake timeout) is reported as
                                the server closing (as a time-out), not as an impostor
  test_eke_client_login_eror_members.py ERR-1 / EKE-HS-4 the client's EROR auth_failed after
                                a bad EKE2 carries code, name and message
  test_eke_client_put_name_bytes.py    FRM-14 a put given a name that is not UTF-8 offers
                                no PUTF that is not UTF-8 JSON with its `name` (catches no
                                registered mutant: the independent eke5 sends `{"size":…}`)
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from conformance.selftest.mutant import Mutant, _module
from conformance.selftest.mutants_app import _patch_source

__all__ = ["MUTANTS", "NOT_OBSERVABLE"]

_GROUP = "blind19-client"


def _client() -> Any:
    return _module("reference.eke.client")


def _rebind(name: str, value: Any, *modules: str) -> None:
    for module in modules:
        setattr(_module(module), name, value)


# -- L1 ------------------------------------------------------------------------------------


def _user_isprintable() -> None:
    crypto = _module("reference.eke.crypto")
    _patch_source(
        crypto,
        "check_user_name",
        (
            "if any(ord(ch) < 0x20 or 0x7F <= ord(ch) <= 0x9F for ch in user):",
            "if not user.isprintable():  # mutant: 'printable' taken for 'no controls'",
        ),
    )


def _sha_dollar_newline() -> None:
    frames = _module("reference.frames")
    _patch_source(
        frames,
        "_has_kind",
        (
            "return _SHA256_RE.fullmatch(value) is not None",
            'return re.match(r"[0-9a-f]{64}$", value) is not None',
        ),
        (
            "return len(value) == int(kind[4:]) and _HEX_RE.fullmatch(value) is not None",
            'return len(value) == int(kind[4:]) and re.match(r"[0-9a-f]*$", value) is not None',
        ),
    )


def _name_surrogate_escaped() -> None:
    cli = _module("reference.cli.eke")

    def dumps_control(obj: Any) -> bytes:
        # mutant: json.dumps as it comes (ensure_ascii=True): never an encoding error
        return json.dumps(obj, separators=(",", ":")).encode()

    def wire_name(name: str, *, hint: str = "") -> str:
        return name  # mutant: no local UTF-8 check (the encoder never complains)

    _rebind(
        "dumps_control",
        dumps_control,
        "reference.frames",
        "reference.messages",
        "reference.eke.handshake",
    )
    cli.wire_name = wire_name


# -- L2 ------------------------------------------------------------------------------------


def _digest_hex_no_leading_zeros() -> None:
    transfer = _module("reference.transfer")
    _patch_source(
        transfer.PipelinedSha256,
        "hexdigest",
        (
            "return self._sha.hexdigest()",
            "return format(int(self._sha.hexdigest(), 16), 'x')  # mutant: BigInteger hex",
        ),
    )


def _dup_key_msg_byte_cut() -> None:
    frames = _module("reference.frames")

    def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key, value in pairs:
            if key in result:
                # mutant: at most 64 bytes of the key, cut as a byte slice (Go's key[:64])
                shown = key.encode("utf-8", "surrogatepass")[:64]
                raise ValueError("duplicate key '" + shown.decode("utf-8", "surrogateescape") + "'")
            result[key] = value
        return result

    def dumps_control(obj: Any) -> bytes:
        # the bytes go out as they are (a Go string is bytes)
        text = json.dumps(obj, separators=(",", ":"), ensure_ascii=False)
        return text.encode("utf-8", "surrogateescape")

    frames._no_duplicates = _no_duplicates
    _rebind(
        "dumps_control",
        dumps_control,
        "reference.frames",
        "reference.messages",
        "reference.eke.handshake",
    )


def _eke4_c_zero_value() -> None:
    handshake = _module("reference.eke.handshake")

    def _b19_zero(frame_type: bytes, obj: dict[str, Any]) -> bool:
        # mutant: a Go struct: a missing `c` is "", and "" is a confirmation that fails
        if bytes(frame_type) == b"EKE4" and "c" not in obj:
            obj["c"] = ""
            return True
        return False

    handshake._b19_zero = _b19_zero
    _patch_source(
        handshake._Handshake,
        "_read_frame",
        (
            "check_schema(frame_type, obj, _SCHEMAS[frame_type])",
            "_b19_zero(frame_type, obj) or check_schema(frame_type, obj, _SCHEMAS[frame_type])",
        ),
    )


def _exit_status_wire_code() -> None:
    messages = _module("reference.messages")
    cli = _module("reference.cli.eke")
    frames = _module("reference.frames")
    seen: dict[str, int] = {}
    original = messages.decode_message

    def decode_message(frame: Any, *, rsfl_for_put: bool = False) -> Any:
        message = original(frame, rsfl_for_put=rsfl_for_put)
        if frame.type == b"EROR":
            seen["code"] = frames.loads_control(frame.payload)["code"]
        return message

    def _fail(exc: Any) -> Any:
        result = original_fail(exc)
        if exc.code is not None and "code" in seen:
            # mutant: the exit status tells scripts which error the server sent
            result.exit_code = seen["code"]
        return result

    original_fail = cli._fail
    _rebind("decode_message", decode_message, "reference.messages", "reference.app")
    cli._fail = _fail


# -- L3 ------------------------------------------------------------------------------------


def _rsfl_sha_early_commit() -> None:
    client = _client()
    running: dict[int, Any] = {}

    def _b19_early(partial: Any, answer: Any, data: Any, received: int, overwrite: bool) -> bool:
        if answer.sha256 is None:
            return False
        digest = running.setdefault(id(partial), hashlib.sha256())
        digest.update(bytes(data))
        if received == answer.size and digest.hexdigest() == answer.sha256:
            # mutant: the announced digest matches: the file is complete and verified
            partial.commit(overwrite=overwrite)
            return True
        return False

    client._b19_early = _b19_early
    _patch_source(
        client.EkeClient,
        "_receive",
        (
            "received += len(event.data)",
            "received += len(event.data)\n"
            "                if _b19_early(partial, answer, event.data, received, overwrite):\n"
            "                    return Done(answer.size, answer.sha256)",
        ),
    )


def _put_digest_second_pass() -> None:
    client = _client()
    messages = _module("reference.messages")

    def _b19_done(stream: Any, path: Path) -> None:
        # mutant: the bytes went out by the zero-copy path: hash the source afterwards
        digest = hashlib.sha256()
        with open(path, "rb") as source:
            size = 0
            while chunk := source.read(1 << 20):
                digest.update(chunk)
                size += len(chunk)
        bookkept = stream.app.outgoing_done()
        stream.app.send(bookkept)  # the core's state; the frame sent is ours
        done = messages.Done(bookkept.size, digest.hexdigest())
        stream.sock.sendall(stream.channel.seal(messages.encode_message(done)))

    client._b19_done = _b19_done
    _patch_source(
        client.EkeClient,
        "put",
        ("stream.send(stream.app.outgoing_done())", "_b19_done(stream, path)"),
    )


def _put_retry_exists_ok() -> None:
    client = _client()
    errors = _module("reference.errors")

    def _b19_after_loss(self: Any, path: Path, name: str | None, exc: Any) -> str:
        if exc.code is not None or getattr(self, "_b19_retried", False):
            raise exc
        self._b19_retried = True
        self.connect()  # the connection was lost before the receipt: once more
        try:
            result: str = self.put(path, name=name)
        except client.TransferRefused as refused:
            if refused.code is errors.ErrorCode.EXISTS:
                return name or path.name  # mutant: our first attempt stored it
            raise
        return result

    client._b19_after_loss = _b19_after_loss
    _patch_source(
        client.EkeClient,
        "put",
        (
            "        done = self._next(stream)",
            "        try:\n"
            "            done = self._next(stream)\n"
            "        except TransferFailed as exc:\n"
            "            return _b19_after_loss(self, path, name, exc)",
        ),
    )


# -- L4 ------------------------------------------------------------------------------------


def _b19_state_file() -> Path:
    # A per-user cache outside the output directory (as ~/.cache/sft/gets.json would be).
    tempfile = _module("tempfile")
    return Path(tempfile.gettempdir()) / f"sft-b19-gets-{_module('os').getuid()}.json"


def _b19_state(destination: Path) -> dict[str, str]:
    try:
        data: dict[str, str] = json.loads(_b19_state_file().read_text())
        return data
    except (OSError, ValueError):
        return {}


def _b19_ours(destination: Path) -> bool:
    recorded = _b19_state(destination).get(str(destination.absolute()))
    if recorded is None or not destination.is_file():
        return False
    return hashlib.sha256(destination.read_bytes()).hexdigest() == recorded


def _own_output_replaced() -> None:
    client = _client()

    def _b19_commit(partial: Any, destination: Path, overwrite: bool) -> None:
        # mutant: an output we wrote and nobody changed since is ours to update
        partial.commit(overwrite=overwrite or _b19_ours(destination))
        state = _b19_state(destination)
        state[str(destination.absolute())] = hashlib.sha256(destination.read_bytes()).hexdigest()
        _b19_state_file().write_text(json.dumps(state))

    client._b19_ours = _b19_ours
    client._b19_commit = _b19_commit
    _patch_source(
        client.EkeClient,
        "get",
        (
            "if destination.exists() and not overwrite:",
            "if destination.exists() and not overwrite and not _b19_ours(destination):",
        ),
    )
    _patch_source(
        client.EkeClient,
        "_receive",
        ("partial.commit(overwrite=overwrite)", "_b19_commit(partial, destination, overwrite)"),
    )


def _sweep_future_mtime() -> None:
    transfer = _module("reference.transfer")
    _patch_source(
        transfer,
        "remove_stale_partials",
        (
            "if cutoff is not None and info.st_mtime > cutoff:",
            "if older_than is not None and abs(time.time() - info.st_mtime) <= older_than:",
        ),
    )
    _module("reference.cli.eke").remove_stale_partials = transfer.remove_stale_partials


def _sweep_own_uid_any_age() -> None:
    transfer = _module("reference.transfer")
    _patch_source(
        transfer,
        "remove_stale_partials",
        (
            "if cutoff is not None and info.st_mtime > cutoff:",
            "if cutoff is not None and info.st_mtime > cutoff and not (\n"
            "                info.st_uid == os.getuid() and stat.S_IMODE(info.st_mode) == 0o600\n"
            "            ):  # mutant: ours (our uid, our mode): a killed run's leftover",
        ),
    )
    _module("reference.cli.eke").remove_stale_partials = transfer.remove_stale_partials


# -- L5 ------------------------------------------------------------------------------------


def _eke4_wait_failure_as_impostor() -> None:
    client = _client()
    transport = _module("reference.eke.transport")
    handshake = _module("reference.eke.handshake")
    errors = _module("reference.errors")

    def _b19_run(sock: Any, hs: Any, deadline: float, on_event: Any) -> Any:
        try:
            return transport.run_handshake(sock, hs, deadline, on_event)
        except handshake.ServerNotAuthenticated:
            raise
        except (transport.HandshakeTimeout, errors.ProtocolError, OSError):
            if getattr(hs, "_keys", None) is not None:
                # mutant: EKE3 was sent and no EKE4 came: the server did not prove itself
                raise handshake.ServerNotAuthenticated() from None
            raise

    client._b19_run = _b19_run
    _patch_source(
        client.EkeClient,
        "_connect_once",
        ("established = run_handshake(", "established = _b19_run("),
    )


def _rsfl_name_mismatch_forbidden() -> None:
    client = _client()
    messages = _module("reference.messages")
    errors = _module("reference.errors")

    def _b19_name(stream: Any, requested: str, answer: Any) -> None:
        if answer.name == requested:
            return
        # mutant: the answer's name is not acceptable: forbidden (a non-fatal refusal)
        code = errors.ErrorCode.FORBIDDEN
        refusal = messages.ErrorFrame(code, "the answer names another file")
        stream.sock.sendall(stream.channel.seal(messages.encode_message(refusal)))
        raise client.TransferRefused(code, "the server answered for another name")

    client._b19_name = _b19_name
    _patch_source(
        client.EkeClient,
        "get",
        (
            "    try:\n        return self._receive(",
            "    _b19_name(stream, name, answer)\n    try:\n        return self._receive(",
        ),
    )


def _auth_eror_message_omitted() -> None:
    handshake = _module("reference.eke.handshake")
    errors = _module("reference.errors")
    frames = _module("reference.frames")
    original = handshake.encode_error

    def encode_error(code: Any, message: str, retry_after: int | None = None) -> bytes:
        if code is not errors.ErrorCode.AUTH_FAILED:
            result: bytes = original(code, message, retry_after)
            return result
        # mutant: an authentication failure tells nothing; empty members are omitted
        obj: dict[str, Any] = {"code": int(code), "name": code.wire_name}
        return bytes(frames.encode_frame(b"EROR", frames.dumps_control(obj)))

    handshake.encode_error = encode_error


# -- L6 ------------------------------------------------------------------------------------


def _user_c1_upper_bound_lost() -> None:
    crypto = _module("reference.eke.crypto")
    _patch_source(
        crypto,
        "check_user_name",
        ("0x7F <= ord(ch) <= 0x9F", "0x7F <= ord(ch)"),
    )


def _sweep_age_inverted() -> None:
    transfer = _module("reference.transfer")
    _patch_source(
        transfer,
        "remove_stale_partials",
        (
            "if cutoff is not None and info.st_mtime > cutoff:",
            "if cutoff is not None and info.st_mtime < cutoff:",
        ),
    )
    _module("reference.cli.eke").remove_stale_partials = transfer.remove_stale_partials


def _put_name_local_basename() -> None:
    client = _client()
    _patch_source(
        client.EkeClient,
        "put",
        ("PutRequest(name or path.name, size)", "PutRequest(path.name or name, size)"),
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
        "b19cli-user-isprintable",
        "EKE-PW-1",
        "test_eke_client_user_name_characters.py",
        "L1: the user name's control check is str.isprintable(): valid names holding U+00A0, "
        "U+200D, U+2028 or an unassigned code point are refused locally, no EKE1 sent",
        _user_isprintable,
    ),
    # L2
    _m(
        "b19cli-digest-hex-no-leading-zeros",
        "APP-PUT-4",
        "test_client_put.py",
        "L2: SHA-256 written as a big integer in hex: a digest starting with a 0 nibble has "
        "63 digits (the put's DONE malformed, a get of such a file refused)",
        _digest_hex_no_leading_zeros,
    ),
    _m(
        "b19cli-dup-key-msg-byte-cut",
        "FRM-14",
        "test_eke_client_eror_quoted_text.py",
        "L2: the duplicate-key message quotes the key cut at 64 UTF-8 bytes: a multibyte "
        "character cut in two makes the client's EROR payload invalid UTF-8",
        _dup_key_msg_byte_cut,
    ),
    _m(
        "b19cli-exit-status-wire-code",
        "APP-PUT-10",
        "test_eke_client_put_exit_status_wraps.py",
        "L2: the CLI exits with the EROR's wire code: an EROR of code 256 in place of the "
        "put's receipt gives exit status 0",
        _exit_status_wire_code,
    ),
    # L3
    _m(
        "b19cli-rsfl-sha-early-commit",
        "APP-GET-5",
        "test_eke_client_transfer.py",
        "L3: with RSFL.sha256 announced the get is committed once `size` bytes match it; "
        "DONE is never read (a close in its place still keeps the file, exit 0)",
        _rsfl_sha_early_commit,
    ),
    _m(
        "b19cli-put-digest-second-pass",
        "APP-PUT-4",
        "test_eke_client_put_digest_moment.py",
        "L3: the put's DONE.sha256 from a second read of the source after the last DATA: a "
        "source changed meanwhile gets a digest of neither the bytes sent nor the source",
        _put_digest_second_pass,
    ),
    _m(
        "b19cli-put-retry-exists-ok",
        "APP-PUT-10",
        "test_eke_client_put_lost_receipt.py",
        "L3/L4: a put whose connection ends before the receipt is retried once; `exists` "
        "answering the retry is taken as the first attempt stored: exit 0",
        _put_retry_exists_ok,
    ),
    # L4
    _m(
        "b19cli-own-output-replaced",
        "APP-GET-6",
        "test_eke_client_second_get_output.py",
        "L4: gets record their output's SHA-256 in a per-user cache; a later get replaces without "
        "--force an output that still holds what was recorded",
        _own_output_replaced,
    ),
    _m(
        "b19cli-sweep-future-mtime",
        "APP-STORE-3",
        "test_eke_client_sweep_future_dated.py",
        "L4: the sweep takes a temporary's age regardless of its sign: one dated in the "
        "future (another initiator's clock) is swept as stale",
        _sweep_future_mtime,
    ),
    _m(
        "b19cli-sweep-own-uid-any-age",
        "APP-STORE-3",
        "test_client_sweep_idle_age.py",
        "L4: temporaries of the client's own uid and mode 0600 are taken for its own killed "
        "runs' leftovers and swept whatever their age: a live one of another run goes",
        _sweep_own_uid_any_age,
    ),
    # L5
    _m(
        "b19cli-eke4-wait-failure-as-impostor",
        "LIM-9",
        "test_eke_client_login_closed_late.py",
        "L5: a FIN, reset or timeout while awaiting EKE4 is reported as a server that failed "
        "to prove it knows the password, not as the server closing / a timeout",
        _eke4_wait_failure_as_impostor,
    ),
    _m(
        "b19cli-rsfl-name-mismatch-forbidden",
        "APP-GET-7",
        "test_eke_client_answer_name_codes.py",
        "L5: an RSFL.name other than the request is answered EROR forbidden (non-fatal), "
        "not bad_frame (nor ignored)",
        _rsfl_name_mismatch_forbidden,
    ),
    _m(
        "b19cli-auth-eror-message-omitted",
        "ERR-1",
        "test_eke_client_login_eror_members.py",
        "L5: after a bad EKE2 the client's EROR auth_failed has no `message` (tell nothing; "
        "empty members omitted)",
        _auth_eror_message_omitted,
    ),
    # L6
    _m(
        "b19cli-user-c1-upper-bound-lost",
        "EKE-PW-1",
        "test_eke_client_user_name_characters.py",
        "L6: the user name's control check lost its upper bound (0x7F <= c): every "
        "non-ASCII user name is refused locally",
        _user_c1_upper_bound_lost,
    ),
    _m(
        "b19cli-sweep-age-inverted",
        "APP-STORE-3",
        "test_client_sweep_idle_age.py",
        "L6: the sweep's age test inverted: live temporaries removed, stale ones kept",
        _sweep_age_inverted,
    ),
    _m(
        "b19cli-put-name-local-basename",
        "APP-NAME-3",
        "test_client_run_put_source.py",
        "L6: PUTF's name taken from the source path, the --as name ignored",
        _put_name_local_basename,
    ),
)

# Withdrawn after the blind run (see the docstring): the suite accepts a close without an
# EROR as the answer to a malformed login frame (test_eke_client_login_strangers.py, one
# independent client answers so), and what is left of them is a conforming reading.
NOT_OBSERVABLE: tuple[Mutant, ...] = (
    _m(
        "b19cli-sha-dollar-newline",
        "FRM-12",
        "test_eke_client_digest_forms.py",
        "L1: sha256 and hex members matched with re.match('...$'): a digest followed by a "
        "newline passes, an EKE2 b of 767 hex digits and a newline crashes the client",
        _sha_dollar_newline,
    ),
    _m(
        "b19cli-eke4-c-zero-value",
        "FRM-9",
        "test_eke_client_login_frames.py",
        "L2: EKE4 read into a Go struct: without `c` it is a confirmation that fails (close, "
        "no EROR), not a malformed frame answered bad_frame",
        _eke4_c_zero_value,
    ),
    _m(
        "b19cli-name-surrogate-escaped",
        "FRM-14",
        "test_eke_client_put_name_bytes.py",
        "L1: control payloads from json.dumps' default ensure_ascii=True, no local UTF-8 check "
        "of names: a put of a file whose name is not UTF-8 offers a lone surrogate escape",
        _name_surrogate_escaped,
    ),
)
