"""Blind red-team round 20: the sft-eke/1 CLIENT (`sft eke get/put`), helper B114.

Written from docs/SPEC.md §0-§3, §5, §6 and the reference's eke client alone (client.py,
handshake.py, records.py, transport.py, crypto.py, closing.py, transfer.py, app.py,
frames.py, messages.py, share.py, cli/eke.py, cli/options.py), before any case file or
conformance module was read, through the round's six lenses. The first ideas were checked
against the ~1 060 registered client mutants; those repeating one (Y' >= p reduced mod p,
Na derived or reused, the sign bit fixed, an EKE1 key id, an EROR quoting pw or Kcs, the
whole payload echoed past 512 characters, the busy wait's OverflowError and None, the
source moved or made read-only by a put, an RSFL digest disagreement answered bad_frame,
an empty DATA skipped, NaN-only refusal) were dropped before writing and replaced by the
ones below. Lens 3 (administrator actions while serving) found nothing new on the client
side: what an administrator changes under a running client (a file made at the output
name, a concurrent sweep, the source changed during a put) is registered by rounds 9-19;
the lens belongs to the servers (B112, B113, B116, B117).

L1 weak parameters accepted
  b20cli-na-sizeof-pointer         Na filled through a pointer's size (C `RAND_bytes(na,
                                   sizeof na)` with `na` a pointer): 8 random bytes and 24
                                   zero bytes; every handshake's Na differs, but 24 of its
                                   32 bytes are the same constant
  b20cli-rsfl-zero-digest-placeholder  an RSFL.sha256 of 64 zeros is a server's
                                   "digest not computed" placeholder: not compared with the
                                   bytes (a get whose bytes match DONE but not RSFL's zero
                                   digest is kept)
L2 algorithmic complexity and depth
  b20cli-json-depth-crash          the control-payload parser catches ValueError only: JSON
                                   nested 1 500 deep (valid, 3 KB) raises RecursionError,
                                   the client ends with a traceback and no EROR
  b20cli-depth-answered-too-large  deep nesting refused as a size problem: EROR
                                   frame_too_large (code 2) for a 3 KB payload (FRM-9 allows
                                   bad_frame or parsing it, nothing else)
L4 peer-controlled bytes reflected (ERR-5 is a SHOULD: strict)
  b20cli-schema-error-got-value    the schema error says what it got (pydantic style:
                                   "member 'sha256' must be ..., got '...'"): a wrong member
                                   of 400 characters is quoted back up to the 512 cut
  b20cli-dup-key-quoted-whole      the duplicate-key error quotes the key without the
                                   64-character cut: a 300-character key comes back
L5 exception taxonomy
  b20cli-depth-caught-as-internal  RecursionError escapes the parser and the client's read
                                   loop has a catch-all: a deep payload is answered EROR
                                   internal (FRM-9: "a crash or an internal answer is not")
  b20cli-int-range-before-type     the integer check compares the range before the type,
                                   inside a handler for ValueError: a `size` that is a
                                   string, null or a list raises TypeError, a traceback and
                                   no EROR bad_frame
  b20cli-reset-after-bye-escapes   the lingering close after BYE_ suppresses only the
                                   timeout: a server that resets the connection after the
                                   client's BYE_ turns a completed get into a traceback and
                                   exit 1 (APP-BYE-2)
L6 the MUST's later clauses
  b20cli-json-minus-infinity       FRM-9's list "NaN, Infinity or -Infinity" lost its last
                                   item: -Infinity in an unknown member passes
  b20cli-empty-data-integrity      FRM-13's "an empty DATA frame MUST be answered with
                                   bad_frame": the client answers integrity_failed ("no
                                   bytes: the transfer ended short")
  b20cli-put-touches-source        APP-PUT-10's last sentence "Sending MUST NOT change the
                                   local file being sent": a stored put `touch`es its source
                                   (mtime now, a marker for a later sync)
  b20cli-auth-eror-lingers         EKE-HS-4 "send EROR auth_failed AND close": the close
                                   waits for the server's FIN (up to the handshake timeout)
                                   "so that the server reads the EROR" — ERR-3's "at once"

Blind run (each against the file named blind; for a miss, then against every other client
case file citing its requirement, or — for FRM-9's seventeen and APP-PUT-10's sixteen —
those a grep for nesting / for the source's times found): 4 of 13 detected by the file
named blind — reset-after-bye-escapes (test_eke_client_get_outcomes.py, reset-at-bye and
close-after-done), json-minus-infinity (test_eke_client_answers.py member-minus-infinity),
empty-data-integrity (test_eke_client_transfer.py, the empty DATA amid an honest get),
auth-eror-lingers (test_eke_client_login_frames.py). One more by another existing file:
int-range-before-type (test_client_lies.py size-null and size-string; the named
test_client_json_nulls.py sends nulls only in optional members). Missed: na-sizeof-pointer
(test_eke_client_login_repeats.py does not cite EKE-HS-10; test_eke_client.py and
test_eke_client_busy_retries.py look for a Na seen twice, and these differ),
rsfl-zero-digest-placeholder (test_eke_client_digest_forms.py does not cite APP-GET-3;
test_eke_client_transfer.py, test_client_run_get_lies.py, test_eke_client_get_outcomes.py,
test_eke_client_undecodable.py, test_eke_client_done_wait.py, test_eke_client.py announce
only digests of other bytes), json-depth-crash, depth-caught-as-internal (test_client_lies.py)
and depth-answered-too-large (test_client_run_control_limits.py) — no client case nests
JSON deeper than three levels —, schema-error-got-value and dup-key-quoted-whole
(test_client_error_content.py looks for file content; test_eke_client.py,
test_eke_client_confirm_tags.py, test_eke_client_undecodable.py for secrets; none for the
length of an echo), put-touches-source (test_client_run_put_source.py compares bytes and
mode only).

After the round's cases all 13 are detected:
  test_eke_client_deep_json.py      FRM-9 valid JSON nested 1 500 deep in an unknown member
                                    of RSFL and of EKE2 (slow: objects 10 000 deep, arrays
                                    30 000 deep, DONE): bad_frame or ignored, never a crash,
                                    `internal` or another code (json-depth-crash,
                                    depth-answered-too-large, depth-caught-as-internal)
  test_eke_client_nonce_fill.py     EKE-HS-10 the Na of two concurrent logins: no byte 8 times
                                    in a row, no 4-byte block twice within one or at one offset
                                    in both (na-sizeof-pointer)
  test_eke_client_eror_echo_bounds.py  ERR-5 (SHOULD, strict) the client's EROR for an RSFL
                                    whose sha256 is 400 characters of attacker text, or whose
                                    key of 400 characters comes twice (slow: size, not JSON,
                                    EKE2's b) quotes at most 64 of them
                                    (schema-error-got-value, dup-key-quoted-whole)
  test_eke_client_announced_digest_placeholders.py  APP-GET-3 an RSFL.sha256 of 64 zeros
                                    (slow: 64 f, the empty file's digest) with honest bytes and
                                    DONE: integrity_failed, nothing kept
                                    (rsfl-zero-digest-placeholder)
  test_client_put_source_unchanged.py  APP-PUT-10 both profiles: after a stored put (slow:
                                    refused exists, integrity_failed) the source's inode, links,
                                    mode, owner, size, mtime and ctime are those it had once the
                                    channel was up (put-touches-source)
"""

from __future__ import annotations

import contextlib
import socket
import time
from typing import Any

from conformance.selftest.mutant import Mutant, _module
from conformance.selftest.mutants_app import _patch_source

__all__ = ["MUTANTS", "NOT_OBSERVABLE"]

_GROUP = "blind20-client"


def _client() -> Any:
    return _module("reference.eke.client")


def _rebind(name: str, value: Any, *modules: str) -> None:
    for module in modules:
        setattr(_module(module), name, value)


def _loads_everywhere() -> None:
    """Makes the patched frames.loads_control the one every parser calls."""
    frames = _module("reference.frames")
    _rebind(
        "loads_control",
        frames.loads_control,
        "reference.messages",
        "reference.eke.handshake",
    )


# -- L1 ------------------------------------------------------------------------------------


def _na_sizeof_pointer() -> None:
    handshake = _module("reference.eke.handshake")
    crypto = _module("reference.eke.crypto")

    def _b20_na() -> bytes:
        # mutant: RAND_bytes(na, sizeof na) with na a pointer: 8 bytes drawn, 24 left zero
        return bytes(crypto.random_bytes(8)) + bytes(24)

    handshake._b20_na = _b20_na
    _patch_source(
        handshake.ClientHandshake,
        "__init__",
        ("na=crypto.new_nonce()", "na=_b20_na()"),
    )


def _rsfl_zero_digest_placeholder() -> None:
    app = _module("reference.app")
    _patch_source(
        app._Transfer,
        "check_done",
        (
            "if self.expected_sha256 is not None and self.expected_sha256 != sha:",
            "if self.expected_sha256 not in (None, '0' * 64) and self.expected_sha256 != sha:",
        ),
    )


# -- L2 ------------------------------------------------------------------------------------


def _json_depth_crash() -> None:
    frames = _module("reference.frames")
    _patch_source(
        frames,
        "loads_control",
        ("except (ValueError, RecursionError) as exc:", "except ValueError as exc:"),
    )
    _loads_everywhere()


def _depth_answered_too_large() -> None:
    frames = _module("reference.frames")
    _patch_source(
        frames,
        "loads_control",
        (
            "except (ValueError, RecursionError) as exc:",
            "except RecursionError:\n"
            "        raise RemoteProtocolError(\n"
            "            ErrorCode.FRAME_TOO_LARGE, 'payload nested too deeply'\n"
            "        ) from None  # mutant: depth is a size limit\n"
            "    except ValueError as exc:",
        ),
    )
    _loads_everywhere()


# -- L4 ------------------------------------------------------------------------------------


def _schema_error_got_value() -> None:
    frames = _module("reference.frames")
    _patch_source(
        frames,
        "check_schema",
        (
            'f"{label}: member {name!r} must be {_describe(kind)}"',
            'f"{label}: member {name!r} must be {_describe(kind)}, got {obj[name]!r}"',
        ),
    )
    _rebind("check_schema", frames.check_schema, "reference.messages", "reference.eke.handshake")


def _dup_key_quoted_whole() -> None:
    frames = _module("reference.frames")
    _patch_source(
        frames,
        "_no_duplicates",
        (
            'raise ValueError(f"duplicate key {key[:64]!r}")',
            'raise ValueError(f"duplicate key {key!r}")',
        ),
    )


# -- L5 ------------------------------------------------------------------------------------


def _depth_caught_as_internal() -> None:
    _json_depth_crash()
    client = _client()
    _patch_source(
        client.EkeClient,
        "_next",
        (
            '        raise TransferFailed(f"connection lost: {exc}") from None\n',
            '        raise TransferFailed(f"connection lost: {exc}") from None\n'
            "    except Exception as exc:  # mutant: whatever else went wrong is ours\n"
            "        with contextlib.suppress(OSError, ProtocolError):\n"
            '            stream.send(ErrorFrame(ErrorCode.INTERNAL, "internal error"))\n'
            "        self._abandon()\n"
            '        raise TransferFailed(f"internal error: {type(exc).__name__}") from None\n',
        ),
    )


def _int_range_before_type() -> None:
    frames = _module("reference.frames")
    _patch_source(
        frames,
        "_has_kind",
        (
            "return type(value) is int and 0 <= value <= MAX_INT",
            "return 0 <= value <= MAX_INT and type(value) is int  # mutant: range first",
        ),
    )


def _reset_after_bye_escapes() -> None:
    closing = _module("reference.closing")
    _patch_source(
        closing,
        "close_gracefully",
        # mutant: the drain ends at the peer's FIN or at the linger's timeout, nothing else
        ("with contextlib.suppress(OSError):", "with contextlib.suppress(TimeoutError):"),
    )
    _rebind(
        "close_gracefully",
        closing.close_gracefully,
        "reference.eke.transport",
        "reference.eke.client",
    )


# -- L6 ------------------------------------------------------------------------------------


def _json_minus_infinity() -> None:
    frames = _module("reference.frames")

    def _reject_constant(name: str) -> Any:
        if name in ("NaN", "Infinity"):  # mutant: the list lost its last item
            raise ValueError(f"{name} is not allowed")
        return float(name)

    frames._reject_constant = _reject_constant


def _empty_data_integrity() -> None:
    app = _module("reference.app")
    _patch_source(
        app.ApplicationConnection,
        "_check_header",
        (
            "if frame_type == T_DATA and not 1 <= length <= MAX_DATA_PAYLOAD:",
            "if frame_type == T_DATA and length == 0:  # mutant: no bytes, the get ended short\n"
            "        raise RemoteProtocolError(ErrorCode.INTEGRITY_FAILED, 'empty DATA')\n"
            "    if frame_type == T_DATA and not 1 <= length <= MAX_DATA_PAYLOAD:",
        ),
    )


def _put_touches_source() -> None:
    client = _client()
    _patch_source(
        client.EkeClient,
        "put",
        (
            "        return answer.name",
            "        os.utime(path)  # mutant: mark the source as sent (a sync skips it)\n"
            "        return answer.name",
        ),
    )


def _b20_linger(sock: socket.socket, seconds: float) -> None:
    """Reads until the server's FIN, at most `seconds`, before our own close."""
    deadline = time.monotonic() + seconds
    with contextlib.suppress(OSError):
        while (left := deadline - time.monotonic()) > 0:
            sock.settimeout(left)
            if not sock.recv(4096):
                return


def _auth_eror_lingers() -> None:
    client = _client()
    client._b20_linger = _b20_linger
    _patch_source(
        client.EkeClient,
        "_connect_once",
        (
            "    except AuthenticationFailed:\n        self.close()\n",
            "    except AuthenticationFailed:\n"
            "        _b20_linger(sock, cfg.handshake_timeout)  # mutant: let it read our EROR\n"
            "        self.close()\n",
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
        "b20cli-na-sizeof-pointer",
        "EKE-HS-10",
        "test_eke_client_nonce_fill.py",
        "L1: Na filled through a pointer's size: 8 random bytes and 24 zero bytes, the same "
        "24 in every handshake",
        _na_sizeof_pointer,
    ),
    _m(
        "b20cli-rsfl-zero-digest-placeholder",
        "APP-GET-3",
        "test_eke_client_announced_digest_placeholders.py",
        "L1: an RSFL.sha256 of 64 zeros taken as 'not computed': bytes that match DONE but not "
        "the zero digest are kept",
        _rsfl_zero_digest_placeholder,
    ),
    # L2
    _m(
        "b20cli-json-depth-crash",
        "FRM-9",
        "test_eke_client_deep_json.py",
        "L2: the control parser catches ValueError only: JSON nested 1 500 deep raises "
        "RecursionError, a traceback and a close without EROR",
        _json_depth_crash,
    ),
    _m(
        "b20cli-depth-answered-too-large",
        "FRM-9",
        "test_eke_client_deep_json.py",
        "L2: deep nesting refused as a size problem: EROR frame_too_large for a 3 KB payload",
        _depth_answered_too_large,
    ),
    # L4
    _m(
        "b20cli-schema-error-got-value",
        "ERR-5",
        "test_eke_client_eror_echo_bounds.py",
        "L4: the schema error quotes the value it got: a wrong member of 400 characters is "
        "echoed up to the 512 cut (SHOULD: at most 64)",
        _schema_error_got_value,
        strict=True,
    ),
    _m(
        "b20cli-dup-key-quoted-whole",
        "ERR-5",
        "test_eke_client_eror_echo_bounds.py",
        "L4: the duplicate-key error quotes the whole key: a 300-character key is echoed "
        "(SHOULD: at most 64)",
        _dup_key_quoted_whole,
        strict=True,
    ),
    # L5
    _m(
        "b20cli-depth-caught-as-internal",
        "FRM-9",
        "test_eke_client_deep_json.py",
        "L5: RecursionError escapes the parser into the read loop's catch-all: a deep payload "
        "is answered EROR internal",
        _depth_caught_as_internal,
    ),
    _m(
        "b20cli-int-range-before-type",
        "FRM-11",
        "test_client_lies.py",
        "L5: integers range-checked before type-checked: a size that is a string, null or a "
        "list raises TypeError (traceback, no EROR bad_frame)",
        _int_range_before_type,
    ),
    _m(
        "b20cli-reset-after-bye-escapes",
        "APP-BYE-2",
        "test_eke_client_get_outcomes.py",
        "L5: the close after BYE_ suppresses only the timeout: a reset after the client's "
        "BYE_ turns a completed get into a traceback, exit 1",
        _reset_after_bye_escapes,
    ),
    # L6
    _m(
        "b20cli-json-minus-infinity",
        "FRM-9",
        "test_eke_client_answers.py",
        "L6: NaN and Infinity refused, -Infinity (the list's last item) passes",
        _json_minus_infinity,
    ),
    _m(
        "b20cli-empty-data-integrity",
        "FRM-13",
        "test_eke_client_transfer.py",
        "L6: an empty DATA frame answered integrity_failed instead of bad_frame",
        _empty_data_integrity,
    ),
    _m(
        "b20cli-put-touches-source",
        "APP-PUT-10",
        "test_client_put_source_unchanged.py",
        "L6: a stored put touches its source (mtime now): sending changed the local file",
        _put_touches_source,
    ),
    _m(
        "b20cli-auth-eror-lingers",
        "ERR-3",
        "test_eke_client_login_frames.py",
        "L6: after its EROR auth_failed the client waits for the server's FIN (up to the "
        "handshake timeout) before closing",
        _auth_eror_lingers,
    ),
)

NOT_OBSERVABLE: tuple[Mutant, ...] = ()
