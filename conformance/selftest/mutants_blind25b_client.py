"""Blind red-team round 25, second pass (helper B178): the sft-eke/1 CLIENT (`sft eke get` /
`sft eke put`) through the six lenses of /work/briefs/s25/common.md. Phase 1 (blind): written
from docs/SPEC.md (PWF-1/2, §1-3 from the client's side, §5's client duties) and the
reference's client code (reference/eke/client.py, handshake.py, transport.py, records.py,
crypto.py, share.py, reference/cli/eke.py, options.py) before any case file was opened.
Checked against the registered eke client mutants and the first pass's file
(mutants_blind25_client.py): ideas found there (the u32 size, the placeholder of the final
name, the 32-bit exponent, the sweep's clocks, the clear EROR/BYE_ in the record phase, the
EOF inside the DONE record, the busy jitter, the record trailing bytes ...) were dropped.

L1 the thin MUSTs (FRM-7, FRM-1, APP-STORE-5, EKE-PW-3, PWF-2)
  b25bclient-frm7-hs-eof-payload  EOF inside a clear login frame: the payload bytes that came
                                  are taken as the frame (a peer announcing too long a
                                  length): a cut EKE2 is answered with EKE3 (FRM-7)
L2 the first draft
  b25bclient-rec5-put-receipt-clear  awaiting the put's receipt (one of two readers), a
                                  plaintext frame is read as is: a clear DONE is the receipt,
                                  the put reported stored (EKE-REC-5)
L3 compatibility shims
  b25bclient-frm1-len-le          a login frame whose big-endian length is above the control
                                  limit is read again as little-endian (a peer that wrote its
                                  lengths LE) (FRM-1)
  b25bclient-put-bye-receipt      a BYE_ in place of the put's receipt DONE is "the server is
                                  done": the put is reported stored, exit 0 (APP-PUT-10)
L5 the platform underneath
  b25bclient-store5-commit-copy   the commit copies the verified temporary into the final
                                  name (created O_EXCL, no symlink followed) and unlinks the
                                  temporary (no hard links on FAT/SMB): the final name exists
                                  half-written while the copy runs (APP-STORE-5)
L6 what the wire shows
  b25bclient-frm1-eror-lf         the client's clear EROR (auth_failed after a bad C2,
                                  bad_frame) is written with a line end after it (FRM-1)
  b25bclient-pw3-expected-tag     a C2 that does not verify is answered EROR auth_failed whose
                                  message carries the tag the client expected: a fake server
                                  tests the password offline against it (EKE-PW-3)
  b25bclient-pwf2-nonascii-note   a password that is not ASCII is noted on stderr with its
                                  escaped form (Python ascii(): its ASCII runs shown) (PWF-2)
Dropped after judging: an L2 exponent of 40 random bits (EXPONENT_BITS // 8 used as bits)
escapes the 2^32 search of test_eke_client_login_values.py, and a search to 2^41 costs
about 2^21 3072-bit products (minutes in Python): not planted.

Judged (named file, then every file citing the requirement): pwf2-nonascii-note caught by
test_client_output_secrets.py (the kit's passwords are not ASCII), put-bye-receipt by
test_interop_put_receipt_frames.py (its named test_eke_client_put_receipts.py missed it).
Missed by the whole suite, and the cases now catching their class:
  frm7-hs-eof-payload, frm1-len-le,  -> test_eke_client_login_cuts.py (EKE2/EKE4 cut by
  frm1-eror-lf                          the FIN; lengths LE or u16+zeros; nothing after the
                                        client's login EROR)
  rec5-put-receipt-clear             -> test_eke_client_put_receipt_forms.py (clear DONE as
                                        the receipt, clear RSFL accept, RSFL accept again)
  store5-commit-copy                 -> test_eke_client_commit_rename.py (the output's inode
                                        is the temporary's seen before DONE)
  pw3-expected-tag                   -> test_eke_client_eror_tags.py (expected/honest tag,
                                        plaintext, Z, PRK, keys: hex or base64 windows)
Post-blind siblings: post-frm1-len-u16, post-rec5-put-accept-clear, post-store5-copy-small,
post-pw3-tag-base64. Final: 12 of 12 detected (-k b25bclient).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from conformance.selftest.mutant import Mutant, _module
from conformance.selftest.mutants_app import _patch_method, _patch_source

__all__ = ["MUTANTS"]

_GROUP = "blind25b-client"


def _client() -> Any:
    return _module("reference.eke.client")


def _handshake() -> Any:
    return _module("reference.eke.handshake")


def _crypto() -> Any:
    return _module("reference.eke.crypto")


# -- L1 -----------------------------------------------------------------------------------


def _frm7_hs_eof_payload() -> None:
    _patch_method(
        _handshake()._Handshake,
        "_read_frame",
        (
            "        if len(buf) < HEADER_SIZE + length:\n"
            "            return self._need_more()\n",
            "        if len(buf) < HEADER_SIZE + length:\n"
            "            if not self._eof or len(buf) == HEADER_SIZE:\n"
            "                return self._need_more()\n"
            "            length = len(buf) - HEADER_SIZE  # mutant: what came is the frame\n",
        ),
    )


# -- L2 -----------------------------------------------------------------------------------


def _clear_parse_header(self: Any) -> None:
    records = _module("reference.eke.records")
    try:
        header = self._view[: records.HEADER_SIZE]
        frame_type, length = records.parse_header(header, self.max_record)
        if frame_type != records.RECORD_TYPE:
            if getattr(self, "_b25b_clear_ok", False):
                self._b25b_clear = True  # mutant: a plaintext frame read as is
            else:
                raise records.RemoteProtocolError(
                    records.ErrorCode.UNEXPECTED_FRAME, "plaintext frame after the handshake"
                )
    except records.RemoteProtocolError as exc:
        self._failed = exc.detached()
        raise
    self._length = length


def _rec5_put_receipt_clear() -> None:
    records = _module("reference.eke.records")
    records.RecordReader._parse_header = _clear_parse_header
    _patch_method(
        records.RecordReader,
        "_next_frame",
        (
            "        inner = self._opener.open(header, sealed)\n",
            "        if getattr(self, '_b25b_clear', False):\n"
            "            self._b25b_clear = False\n"
            "            inner = memoryview(bytes(self._view[: HEADER_SIZE + self._length]))\n"
            "        else:\n"
            "            inner = self._opener.open(header, sealed)\n",
        ),
    )
    _patch_method(
        _client().EkeClient,
        "put",
        (
            "                stream.send(stream.app.outgoing_done())\n",
            "                stream.send(stream.app.outgoing_done())\n"
            "                stream.reader._b25b_clear_ok = True  # mutant: the receipt's reader\n",
        ),
    )


# -- L3 -----------------------------------------------------------------------------------


def _fallback_header(reread: Callable[[bytes], int]) -> Callable[[Any, int], Any]:
    """A header parser that, when the big-endian length is too large, takes the length
    `reread` gives from the raw header instead (a peer of another framing)."""

    def parse(header: Any, max_payload: int) -> Any:
        frames = _module("reference.frames")
        try:
            return frames.parse_header(header, max_payload)
        except frames.RemoteProtocolError as exc:
            raw = bytes(header)
            other = reread(raw)
            if exc.code is not frames.ErrorCode.FRAME_TOO_LARGE or other > max_payload:
                raise
            return frames.parse_header(raw[:4] + other.to_bytes(4, "big"), max_payload)

    return parse


def _read_frame_with(parse: Callable[[Any, int], Any]) -> None:
    """The client's handshake reads its frame headers with `parse`."""
    handshake = _handshake()
    handshake._b25b_le_header = parse
    _patch_method(
        handshake._Handshake,
        "_read_frame",
        (
            "        frame_type, length = parse_header(buf[:HEADER_SIZE], MAX_CONTROL_PAYLOAD)\n",
            "        frame_type, length = _b25b_le_header(\n"
            "            buf[:HEADER_SIZE], MAX_CONTROL_PAYLOAD\n"
            "        )\n",
        ),
    )


def _frm1_len_le() -> None:
    # mutant: a peer that wrote its length little-endian
    _read_frame_with(_fallback_header(lambda raw: int.from_bytes(raw[4:8], "little")))


def _put_bye_receipt() -> None:
    client = _client()
    _patch_method(
        client.EkeClient,
        "put",
        (
            "            done = self._next(stream)\n",
            "            try:\n"
            "                done = self._next(stream)\n"
            "            except TransferFailed as exc:\n"
            "                if exc.code is ErrorCode.UNEXPECTED_FRAME and 'BYE_' in str(exc):\n"
            "                    return answer.name  # mutant: the server is done\n"
            "                raise\n",
        ),
    )


# -- L5 -----------------------------------------------------------------------------------


def _copy_commit(self: Any, *, overwrite: bool = False) -> None:
    share = _module("reference.share")
    if self._file is None:
        raise ValueError("the partial file is closed")
    os.fsync(self._file.fileno())
    self._file.close()
    self._file = None
    try:
        if overwrite:
            os.replace(
                self.temp_name, self.final_name, src_dir_fd=self._dir_fd, dst_dir_fd=self._dir_fd
            )
        else:
            # mutant: no hard links on every filesystem: copy, then drop the temporary
            out = os.open(
                self.final_name,
                os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC,
                0o600,
                dir_fd=self._dir_fd,
            )
            src = os.open(self.temp_name, os.O_RDONLY | os.O_CLOEXEC, dir_fd=self._dir_fd)
            try:
                while True:
                    chunk = os.read(src, 65536)
                    if not chunk:
                        break
                    view = memoryview(chunk)
                    while view:
                        view = view[os.write(out, view) :]
                os.fsync(out)
            finally:
                os.close(src)
                os.close(out)
            os.unlink(self.temp_name, dir_fd=self._dir_fd)
    except FileExistsError:
        self.abort()
        raise share.RemoteProtocolError(
            share.ErrorCode.EXISTS, f"{self.final_name} already exists"
        ) from None
    except BaseException:
        self.abort()
        raise
    self._done = True
    self._untrack()
    os.fsync(self._dir_fd)
    self._release_dir()


def _store5_commit_copy() -> None:
    _module("reference.share").PartialFile.commit = _copy_commit


# -- L6 -----------------------------------------------------------------------------------


def _frm1_eror_lf() -> None:
    _patch_method(
        _handshake()._Handshake,
        "_fail",
        (
            "                self._outbox += encode_error(exc.code, _public_message(exc))\n",
            "                self._outbox += (\n"
            "                    encode_error(exc.code, _public_message(exc)) + b'\\n'\n"
            "                )\n",
        ),
    )


def _expected_tag(key: bytes, sealed: bytes, th: bytes) -> str:
    """The GCM tag the client computes over the C2 it received (a debugging leftover)."""
    crypto = _crypto()
    ciphers = _module("cryptography.hazmat.primitives.ciphers")
    nonce, ad = crypto._confirm_nonce_and_ad(2, th)
    body = sealed[: -crypto.TAG_LEN]
    ctr = ciphers.Cipher(
        ciphers.algorithms.AES(key), ciphers.modes.CTR(nonce + b"\x00\x00\x00\x02")
    ).decryptor()
    plain = ctr.update(body) + ctr.finalize()
    aead = _module("cryptography.hazmat.primitives.ciphers.aead")
    return bytes(aead.AESGCM(key).encrypt(nonce, plain, ad)[-crypto.TAG_LEN :]).hex()


def _pw3_expected_tag() -> None:
    handshake = _handshake()
    handshake._b25b_expected_tag = _expected_tag
    _pw3_expected_tag_patch(handshake)


def _pw3_expected_tag_patch(handshake: Any) -> None:
    _patch_method(
        handshake.ClientHandshake,
        "_on_eke2",
        (
            '        ns = crypto.open_confirm(keys.kcs, 2, _hex(obj, "c"), self._th)\n',
            "        try:\n"
            '            ns = crypto.open_confirm(keys.kcs, 2, _hex(obj, "c"), self._th)\n'
            "        except AuthenticationFailed:\n"
            "            self._b25b_detail = (\n"
            '                " (C2 tag mismatch, expected "\n'
            '                + _b25b_expected_tag(keys.kcs, _hex(obj, "c"), self._th)\n'
            '                + ")"\n'
            "            )\n"
            "            raise\n",
        ),
    )
    _patch_method(
        handshake._Handshake,
        "_fail",
        (
            "                self._outbox += encode_error(exc.code, _public_message(exc))\n",
            "                self._outbox += encode_error(\n"
            "                    exc.code,\n"
            "                    _public_message(exc) + getattr(self, '_b25b_detail', ''),\n"
            "                )\n",
        ),
    )


def _pwf2_nonascii_note() -> None:
    cli = _module("reference.cli.eke")
    _patch_source(
        cli,
        "_client",
        (
            "    password = _read_password(args)\n",
            "    password = _read_password(args)\n"
            "    if not password.isascii():\n"
            "        print(\n"
            '            f"sft: note: the password {ascii(password)} is not ASCII: it is used as"\n'
            '            " UTF-8, unnormalised",\n'
            "            file=sys.stderr,\n"
            "        )\n",
        ),
    )


# -- post-blind siblings ----------------------------------------------------------------


def _post_frm1_len_u16() -> None:
    # mutant: a 16-bit length (a peer of the 2-byte framing), two bytes of padding
    _read_frame_with(_fallback_header(lambda raw: int.from_bytes(raw[4:6], "big")))


def _post_rec5_put_accept_clear() -> None:
    records = _module("reference.eke.records")
    records.RecordReader._parse_header = _clear_parse_header
    _patch_method(
        records.RecordReader,
        "_next_frame",
        (
            "        inner = self._opener.open(header, sealed)\n",
            "        if getattr(self, '_b25b_clear', False):\n"
            "            self._b25b_clear = False\n"
            "            inner = memoryview(bytes(self._view[: HEADER_SIZE + self._length]))\n"
            "        else:\n"
            "            inner = self._opener.open(header, sealed)\n",
        ),
    )
    _patch_method(
        _client().EkeClient,
        "put",
        (
            "            answer = self._next(stream)\n",
            "            stream.reader._b25b_clear_ok = True  # mutant: the answer to PUTF\n"
            "            answer = self._next(stream)\n"
            "            stream.reader._b25b_clear_ok = False\n",
        ),
    )


def _small_copy_commit(self: Any, *, overwrite: bool = False) -> None:
    if os.fstat(self._file.fileno()).st_size < (1 << 20) and not overwrite:
        _copy_commit(self, overwrite=overwrite)  # mutant: small files copied
    else:
        _ORIGINAL_COMMIT[0](self, overwrite=overwrite)


_ORIGINAL_COMMIT: list[Any] = []


def _post_store5_copy_small() -> None:
    partial = _module("reference.share").PartialFile
    _ORIGINAL_COMMIT[:] = [partial.commit]
    partial.commit = _small_copy_commit


def _post_pw3_tag_base64() -> None:
    handshake = _handshake()
    handshake._b25b_expected_tag = lambda key, sealed, th: (
        __import__("base64").b64encode(bytes.fromhex(_expected_tag(key, sealed, th))).decode()
    )
    _pw3_expected_tag_patch(handshake)


def _m(
    name: str, requirement: str, test_file: str, description: str, apply: Any, **kw: Any
) -> Mutant:
    return Mutant(
        name, _GROUP, "eke", requirement, test_file, description, apply, client=True, **kw
    )


MUTANTS: tuple[Mutant, ...] = (
    _m(
        "b25bclient-frm7-hs-eof-payload",
        "FRM-7",
        "test_eke_client_login_cuts.py",
        "L1: EOF inside a clear login frame: the payload bytes that arrived are taken as the"
        " frame (a peer announcing too long a length): an EKE2 cut by the server's close is"
        " answered with EKE3",
        _frm7_hs_eof_payload,
    ),
    _m(
        "b25bclient-rec5-put-receipt-clear",
        "EKE-REC-5",
        "test_eke_client_put_receipt_forms.py",
        "L2: awaiting the put's receipt (its own reader), a plaintext frame is read as is: a"
        " clear DONE after the records is the receipt and the put is reported stored",
        _rec5_put_receipt_clear,
    ),
    _m(
        "b25bclient-frm1-len-le",
        "FRM-1",
        "test_eke_client_login_cuts.py",
        "L3: a login frame whose big-endian length exceeds the control limit is read again as"
        " little-endian (a peer that wrote its lengths LE): an EKE2 with an LE length is"
        " answered with EKE3",
        _frm1_len_le,
    ),
    _m(
        "b25bclient-put-bye-receipt",
        "APP-PUT-10",
        "test_interop_put_receipt_frames.py",
        "L3: a BYE_ in place of the put's receipt DONE is 'the server is done': the put is"
        " reported stored, exit 0",
        _put_bye_receipt,
    ),
    _m(
        "b25bclient-store5-commit-copy",
        "APP-STORE-5",
        "test_eke_client_commit_rename.py",
        "L5: the commit copies the verified temporary into the final name (created O_EXCL,"
        " no symlink followed) and unlinks the temporary (no hard links on FAT/SMB): the"
        " final name exists half-written while the copy runs, not through a rename",
        _store5_commit_copy,
    ),
    _m(
        "b25bclient-frm1-eror-lf",
        "FRM-1",
        "test_eke_client_login_cuts.py",
        "L6: the client's clear EROR of the login (auth_failed after a bad C2, bad_frame) is"
        " written with a line end after it",
        _frm1_eror_lf,
    ),
    _m(
        "b25bclient-pw3-expected-tag",
        "EKE-PW-3",
        "test_eke_client_eror_tags.py",
        "L6: a C2 that does not verify is answered EROR auth_failed whose message carries the"
        " GCM tag the client expected (its Kcs over the C2 received): a fake server tests"
        " password guesses offline against it",
        _pw3_expected_tag,
    ),
    _m(
        "b25bclient-pwf2-nonascii-note",
        "PWF-2",
        "test_client_output_secrets.py",
        "L6: a password that is not ASCII is noted on stderr in its escaped form (Python"
        " ascii()): its ASCII runs are shown",
        _pwf2_nonascii_note,
    ),
    _m(
        "b25bclient-post-frm1-len-u16",
        "FRM-1",
        "test_eke_client_login_cuts.py",
        "(post-blind) a login frame whose 32-bit length exceeds the control limit is read"
        " again as a 16-bit length and two bytes of padding",
        _post_frm1_len_u16,
    ),
    _m(
        "b25bclient-post-rec5-put-accept-clear",
        "EKE-REC-5",
        "test_eke_client_put_receipt_forms.py",
        "(post-blind) awaiting the answer to PUTF, a plaintext frame is read as is: a clear"
        " RSFL {accept} starts the put's DATA",
        _post_rec5_put_accept_clear,
    ),
    _m(
        "b25bclient-post-store5-copy-small",
        "APP-STORE-5",
        "test_eke_client_commit_rename.py",
        "(post-blind) a verified temporary under 1 MiB is copied into the final name (read"
        " whole, written out), a larger one linked",
        _post_store5_copy_small,
    ),
    _m(
        "b25bclient-post-pw3-tag-base64",
        "EKE-PW-3",
        "test_eke_client_eror_tags.py",
        "(post-blind) the EROR auth_failed for a bad C2 carries the expected tag in base64",
        _post_pw3_tag_base64,
    ),
)
