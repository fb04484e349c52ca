"""Blind red-team round 25 (helper B167): the sft-eke/1 CLIENT (`sft eke get` / `sft eke put`)
through the six lenses of /work/briefs/s25/common.md. Phase 1 (blind): written from
docs/SPEC.md (PWF-1/2, §1-3 from the client's side, §5's client duties, §6) and the
reference's client code (reference/eke/client.py, handshake.py, records.py, transport.py,
crypto.py, reference/app.py, share.py, reference/cli/eke.py) before any case file was
opened. Checked against the registered eke client mutants (names and descriptions): ideas
found there (an integral float accepted as an integer, the busy jitter, the placeholder of
the pki initiator, the temporary named after the final name without a random part, the
clear EROR after a bad record ...) were dropped or moved to another path.

L1 the thin MUSTs (FRM-1, FRM-7, APP-STORE-4, EKE-X-1, PWF-2, EKE-HS-5, APP-STORE-5, EKE-REC-1)
  b25client-frm1-len-chars       control frames' length counted in characters of the JSON
                                 text (a JavaScript `str.length`): EKE1 of a non-ASCII user,
                                 RQFL/PUTF of a non-ASCII name announce too few bytes (FRM-1)
  b25client-hs5-ns-any-length    C2's length unchecked and its plaintext taken as Ns whatever
                                 its length: C3 seals Na ‖ (all of it), a `c` of other than
                                 160 hex (EKE-HS-5)
L2 the first draft
  b25client-x1-int32             the exponent x is a 32-bit random integer (Java nextInt,
                                 a Uint32Array): fresh, but 32 bits, not 320 (EKE-X-1)
L3 compatibility shims
  b25client-frm7-eof-in-done     a get whose announced bytes all arrived is kept when the
                                 connection ends inside the next record (the DONE cut by a
                                 middlebox) (FRM-7)
  b25client-store4-size0-stream  RSFL size 0 read as "size unknown" (a streaming server):
                                 DATA is written until DONE, whose size is believed (APP-STORE-4)
L4 aging and wrap
  b25client-rec2-open-seq16      the record opener's sequence number kept in 16 bits: the
                                 65 537th record of the server is opened under seq 0 (EKE-REC-2)
L5 the platform underneath
  b25client-store5-placeholder   the final name reserved (an empty file, O_EXCL) before the
                                 get, replaced by the rename; removed on every failure the
                                 client survives: SIGKILL leaves it (APP-STORE-5)
  b25client-store1-temp-has-name the temporary is .sft-partial-<8 hex>-<final name>: a final
                                 name of 255 bytes cannot be got: ENAMETOOLONG (APP-STORE-1)
L6 what the wire shows
  b25client-pwf2-url-in-error    a failed connection or transfer is reported with the URL the
                                 client was using, eke://user:password@host:port (PWF-2)
  b25client-rec1-bye-in-clear    the closing BYE_ is written in clear (the session is "over")
                                 after a get or a put (EKE-REC-1)
  b25client-rec1-eror-in-clear   the client's EROR after a bad inner frame or a DONE that does
                                 not match (integrity_failed) is written in clear, with the
                                 login's encoder (EKE-REC-1)

Judged (named file, then every file citing the requirement): pwf2-url-in-error caught by
test_client_output_secrets.py, rec1-eror-in-clear by test_eke_client_transfer.py (the
channel's clear-frame check), store5-placeholder by test_eke_client_transfer.py (SIGKILL
mid-get), store4-size0-stream by test_eke_client_overrun_paths.py (announced-empty; its
named file test_eke_client_transfer.py missed it). Missed by the whole suite, and the cases
now catching their class:
  frm1-len-chars, hs5-ns-any-length,  -> test_eke_client_login_values.py (EKE1 of non-ASCII
  x1-int32                               users, RQFL of non-ASCII names; C2 sealing 0-64
                                         bytes; x recovered by baby-step giant-step below
                                         2^32, also under a fixed top bit 2^320 / 2^319)
  frm7-eof-in-done, store1-temp-has-  -> test_eke_client_get_ends.py (EOF inside the DONE
  name, rec1-bye-in-clear,               record after every byte; size 0 then data; the
  rec2-open-seq16                        client's tail after an honest get sealed; outputs
                                         named with 255 bytes; 65 602 records, slow)
rec2-open-seq16 is caught only by a `slow` case (about 20 s: the reference client opens
65 602 records): the mutant is marked `slow`, so the self-test runs its file with
`-m "slow or not slow"`. Post-blind siblings: post-frm1-len-utf16, post-x1-top-bit-32.
"""

from __future__ import annotations

import os
import secrets
from typing import Any

from conformance.selftest.mutant import Mutant, _module
from conformance.selftest.mutants_app import _patch_method, _patch_source

__all__ = ["MUTANTS"]

_GROUP = "blind25-client"


def _client() -> Any:
    return _module("reference.eke.client")


def _handshake() -> Any:
    return _module("reference.eke.handshake")


def _crypto() -> Any:
    return _module("reference.eke.crypto")


# -- L1 -----------------------------------------------------------------------------------


def _encode_frame_chars(frame_type: bytes, payload: Any) -> bytes:
    frames = _module("reference.frames")
    data = bytes(payload)
    try:
        length = len(data.decode("utf-8"))  # mutant: characters, not bytes
    except UnicodeDecodeError:
        length = len(data)
    return bytes(frames.encode_header(frame_type, length)) + data


def _encode_frame_utf16(frame_type: bytes, payload: Any) -> bytes:
    frames = _module("reference.frames")
    data = bytes(payload)
    try:
        length = len(data.decode("utf-8").encode("utf-16-le")) // 2  # Java String.length()
    except UnicodeDecodeError:
        length = len(data)
    return bytes(frames.encode_header(frame_type, length)) + data


def _post_frm1_len_utf16() -> None:
    _module("reference.messages").encode_frame = _encode_frame_utf16
    _handshake().encode_frame = _encode_frame_utf16


def _frm1_len_chars() -> None:
    _module("reference.messages").encode_frame = _encode_frame_chars
    _handshake().encode_frame = _encode_frame_chars


def _hs5_ns_any_length() -> None:
    handshake = _handshake()
    schema = dict(handshake._SCHEMAS[handshake.T_EKE2])
    schema["c"] = ("str", True)  # mutant: C2's length not checked (its tag is)
    handshake._SCHEMAS[handshake.T_EKE2] = schema
    _patch_method(
        handshake.ClientHandshake,
        "_on_eke2",
        (
            "        if len(ns) != crypto.NONCE_LEN:\n            raise AuthenticationFailed()\n",
            "",
        ),
    )


# -- L2 -----------------------------------------------------------------------------------


def _x1_int32() -> None:
    crypto = _crypto()

    def new_ephemeral() -> Any:
        # mutant: a 32-bit random integer (above 1)
        return crypto._ephemeral_from_parts(exponent=2 + secrets.randbits(32))

    crypto.new_ephemeral = new_ephemeral


def _post_x1_top_bit_32() -> None:
    crypto = _crypto()

    def new_ephemeral() -> Any:
        # mutant: bit 320 set as the reference does, above only 32 random bits
        return crypto._ephemeral_from_parts(exponent=(1 << 320) | secrets.randbits(32))

    crypto.new_ephemeral = new_ephemeral


# -- L3 -----------------------------------------------------------------------------------


def _frm7_eof_in_done() -> None:
    client = _client()
    _patch_method(
        client.EkeClient,
        "_next",
        (
            "        except (AuthenticationFailed, TruncatedStream):\n",
            "        except TruncatedStream:\n"
            "            self._abandon()\n"
            '            raise TransferFailed("b25: truncated record") from None\n'
            "        except AuthenticationFailed:\n",
        ),
    )
    _patch_method(
        client.EkeClient,
        "_receive",
        (
            "                event = self._next(stream)\n",
            "                try:\n"
            "                    event = self._next(stream)\n"
            "                except TransferFailed as exc:\n"
            '                    if str(exc) != "b25: truncated record":\n'
            "                        raise\n"
            "                    if received != answer.size:\n"
            '                        raise TransferFailed("connection broken: nothing was saved")'
            " from None\n"
            "                    partial.commit(overwrite=overwrite)  # mutant: the DONE was cut\n"
            '                    return Done(received, "")\n',
        ),
    )


def _store4_size0_stream() -> None:
    app = _module("reference.app")
    _patch_method(
        app.ApplicationConnection,
        "_next_event",
        (
            "            if self._incoming.count + length > self._incoming.announced:\n",
            "            if self._incoming.announced and (\n"
            "                self._incoming.count + length > self._incoming.announced\n"
            "            ):\n",
        ),
    )
    _patch_method(
        app._Transfer,
        "check_done",
        (
            "done.size == self.announced == self.count",
            "done.size == (self.announced or self.count) == self.count",
        ),
    )
    _patch_method(
        _client().EkeClient,
        "_receive",
        (
            "PartialFile.create(destination, answer.size)",
            "PartialFile.create(destination, answer.size or (1 << 62))",
        ),
    )


# -- L4 -----------------------------------------------------------------------------------


def _rec2_open_seq16() -> None:
    _patch_method(
        _crypto().RecordOpener,
        "open",
        (
            '        nonce = (self._iv ^ seq).to_bytes(IV_LEN, "big")\n',
            '        nonce = (self._iv ^ (seq & 0xFFFF)).to_bytes(IV_LEN, "big")\n',
        ),
    )


# -- L5 -----------------------------------------------------------------------------------


def _store5_placeholder() -> None:
    client = _client()
    base = client.PartialFile

    class _Reserved(base):  # type: ignore[misc, valid-type]
        placeholder: str | None = None

        @classmethod
        def create(cls, destination: Any, limit: int) -> Any:
            partial = super().create(destination, limit)
            try:
                fd = os.open(destination, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            except FileExistsError:
                pass
            else:
                os.close(fd)
                partial.placeholder = str(destination)
            return partial

        def commit(self, *, overwrite: bool = False) -> None:
            # mutant: the rename replaces the placeholder
            super().commit(overwrite=overwrite or self.placeholder is not None)
            self.placeholder = None

        def abort(self) -> None:
            super().abort()
            if self.placeholder is not None:
                name, self.placeholder = self.placeholder, None
                try:
                    os.unlink(name)
                except FileNotFoundError:
                    pass

    client.PartialFile = _Reserved


def _store1_temp_has_name() -> None:
    _patch_method(
        _module("reference.share").PartialFile,
        "__init__",
        (
            '        self.temp_name = f"{PARTIAL_PREFIX}{secrets.token_hex(12)}"\n',
            '        self.temp_name = f"{PARTIAL_PREFIX}{secrets.token_hex(4)}-{final_name}"\n',
        ),
    )


# -- L6 -----------------------------------------------------------------------------------


def _pwf2_url_in_error() -> None:
    cli = _module("reference.cli.eke")
    cli._B25_URL = ""
    _patch_source(
        cli,
        "_client",
        (
            "    del password\n",
            '    globals()["_B25_URL"] = f"eke://{args.user}:{password}@{host}:{port}"\n'
            "    del password\n",
        ),
    )
    _patch_source(
        cli,
        "_fail",
        (
            "        return CommandError(text, 2)\n    return CommandError(text, 1)\n",
            '        return CommandError(f"{text} ({_B25_URL})", 2)\n'
            '    return CommandError(f"{text} ({_B25_URL})", 1)\n',
        ),
    )


def _rec1_bye_in_clear() -> None:
    client = _client()
    client._b25_encode = _module("reference.messages").encode_message
    _patch_method(
        client.EkeClient,
        "close",
        (
            "                stream.send(Bye())\n",
            "                stream.app.send(Bye())\n"
            "                sock.sendall(_b25_encode(Bye()))  # mutant: in clear\n",
        ),
    )


def _rec1_eror_in_clear() -> None:
    client = _client()
    client._b25_encode = _module("reference.messages").encode_message
    _patch_method(
        client.EkeClient,
        "_next",
        (
            "                stream.send(\n"
            "                    ErrorFrame(exc.code if exc.code.fatal else ErrorCode.INTERNAL,"
            " exc.message)\n"
            "                )\n",
            "                stream.sock.sendall(\n"
            "                    _b25_encode(\n"
            "                        ErrorFrame(\n"
            "                            exc.code if exc.code.fatal else ErrorCode.INTERNAL,"
            " exc.message\n"
            "                        )\n"
            "                    )\n"
            "                )\n",
        ),
    )


def _m(
    name: str, requirement: str, test_file: str, description: str, apply: Any, **kw: Any
) -> Mutant:
    return Mutant(
        name, _GROUP, "eke", requirement, test_file, description, apply, client=True, **kw
    )


MUTANTS: tuple[Mutant, ...] = (
    _m(
        "b25client-frm1-len-chars",
        "FRM-1",
        "test_eke_client_login_values.py",
        "L1/L2: control frames' length is the number of characters of the JSON text (a"
        " JavaScript str.length): EKE1 of a non-ASCII user and RQFL/PUTF of a non-ASCII name"
        " announce fewer bytes than they carry",
        _frm1_len_chars,
    ),
    _m(
        "b25client-hs5-ns-any-length",
        "EKE-HS-5",
        "test_eke_client_login_values.py",
        "L1/L3: C2's length is not checked (only its tag) and its plaintext is taken as Ns"
        " whatever its length: C3 seals Na and all of it, an EKE3 `c` of other than 160 hex"
        " characters",
        _hs5_ns_any_length,
    ),
    _m(
        "b25client-x1-int32",
        "EKE-X-1",
        "test_eke_client_login_values.py",
        "L2: the exponent x is a fresh 32-bit random integer (Java nextInt, a Uint32Array):"
        " g^x gives x away by a baby-step giant-step search",
        _x1_int32,
    ),
    _m(
        "b25client-frm7-eof-in-done",
        "FRM-7",
        "test_eke_client_get_ends.py",
        "L3: a get whose announced bytes all arrived is kept when the connection ends inside"
        " the next record (a DONE cut by a middlebox taken as complete)",
        _frm7_eof_in_done,
    ),
    _m(
        "b25client-store4-size0-stream",
        "APP-STORE-4",
        "test_eke_client_overrun_paths.py",
        "L3: an RSFL of size 0 is read as size unknown (a streaming server): DATA is written"
        " to disk until DONE, whose size is believed",
        _store4_size0_stream,
    ),
    _m(
        "b25client-store5-placeholder",
        "APP-STORE-5",
        "test_eke_client_transfer.py",
        "L5: the final name is reserved (an empty file made O_EXCL) before the get and"
        " replaced by the rename; every failure the client survives removes it, SIGKILL"
        " leaves it",
        _store5_placeholder,
    ),
    _m(
        "b25client-store1-temp-has-name",
        "APP-STORE-1",
        "test_eke_client_get_ends.py",
        "L5: the temporary is .sft-partial-<8 hex>-<final name>: a get of a name of 255 (or"
        " 240) bytes fails with ENAMETOOLONG",
        _store1_temp_has_name,
    ),
    _m(
        "b25client-pwf2-url-in-error",
        "PWF-2",
        "test_client_output_secrets.py",
        "L6: a failed connection or transfer is reported with the URL the client used,"
        " eke://user:password@host:port",
        _pwf2_url_in_error,
    ),
    _m(
        "b25client-rec1-bye-in-clear",
        "EKE-REC-1",
        "test_eke_client_get_ends.py",
        "L6: the closing BYE_ after a get or a put is written in clear",
        _rec1_bye_in_clear,
    ),
    _m(
        "b25client-rec1-eror-in-clear",
        "EKE-REC-1",
        "test_eke_client_transfer.py",
        "L6: the client's EROR after a bad inner frame or a DONE that does not match"
        " (integrity_failed) is written in clear with the login's encoder",
        _rec1_eror_in_clear,
    ),
    _m(
        "b25client-post-frm1-len-utf16",
        "FRM-1",
        "test_eke_client_login_values.py",
        "(post-blind) control frames' length counted in UTF-16 code units (Java's"
        " String.length()): a non-ASCII user or name announces too few bytes",
        _post_frm1_len_utf16,
    ),
    _m(
        "b25client-post-x1-top-bit-32",
        "EKE-X-1",
        "test_eke_client_login_values.py",
        "(post-blind) bit 320 of the exponent set as the reference does, above only 32 random"
        " bits: every exponent is 321 bits long, with 32 bits of randomness",
        _post_x1_top_bit_32,
    ),
    _m(
        "b25client-rec2-open-seq16",
        "EKE-REC-2",
        "test_eke_client_get_ends.py",
        "L4: the record opener's sequence number kept in 16 bits: record 65,536 of a get is"
        " opened under the nonce of record 0, so an honest get of more records fails",
        _rec2_open_seq16,
        slow=True,
    ),
)
