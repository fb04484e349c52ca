"""Blind red-team round 23: the sft-eke/1 CLIENT (`sft eke get` / `sft eke put`), helper B144.

Phase 1 (blind): written from docs/SPEC.md (PWF-1; §1-§3 from the client's side; §5 the
client's duties; §6) and the reference's client code (reference/eke/client.py,
handshake.py, records.py, transport.py, crypto.py; reference/transfer.py, app.py, share.py;
reference/cli/eke.py, options.py), before any case file or independent implementation was
opened, through the round's six lenses (/work/briefs/s23/common.md).

The first list was checked against the names and descriptions of the 576 registered eke
client mutants. Repeats dropped (r) before they were written: the temporary made 0644, the
password file read into a short buffer, EKE1 carrying a key check value, the EROR quoting
bytes of pw, RSFL.sha256 never compared, EOF after the last byte kept, the busy retry
reusing x / Na, retry_after ignored or read as ms, the put's source read to EOF, the
partition attack of a fixed sign bit, records tried under the other direction's key, an
empty get kept whatever its digest, the 64 KiB control limit off by one.

L1 the seeds' flaws in disguise
  b23client-auth-eror-key-id     the EROR auth_failed after a bad C2 quotes a "key id", 16
                                 hex digits of SHA-256(Kcs): a fake server tests every
                                 password guess offline against it (EKE-PW-3)
  b23client-na-uuid1             Na is two uuid1() values (a clock and the host's MAC):
                                 unique, not random (EKE-HS-10)
L2 only the common case of a MUST
  b23client-rsfl-sha-one-frame   RSFL.sha256 compared only for a get of at most one DATA
                                 frame (1 MiB); a larger one checks DONE's only (APP-GET-3)
  b23client-put-c2-unchecked     the put command's login does not verify C2 (the get's
                                 does): EKE3 goes to a server that proved nothing, an
                                 offline test of the password for an impostor (EKE-HS-4)
  b23client-put-c4-unchecked     the put command's login does not verify C4: the file goes
                                 to an impostor (EKE-HS-7)
L3 cross-session replay and splicing
  b23client-eror-seq-rewound     the EROR the client sends inside the channel (e.g.
                                 integrity_failed) is sealed under the sequence number of
                                 its previous record: a nonce reused with another plaintext
                                 (EKE-REC-2)
L4 silent degradation
  b23client-busy-retry-c4-off    after a `busy` answer the retried login skips the C4 check
                                 ("the server is known to be there") (EKE-HS-7)
L5 the SPEC's numbers
  b23client-pw-bcrypt72          the password cut to its first 72 UTF-8 bytes before scrypt
                                 (the bcrypt limit, carried over): a longer one logs in as
                                 another password (EKE-PW-1)
  b23client-pw-cesu8             the password encoded from its UTF-16 code units (CESU-8,
                                 Java's habit): a character above U+FFFF becomes two 3-byte
                                 surrogates, not one 4-byte sequence (EKE-PW-1)
L6 misplaced trust in the layer below
  b23client-done-sha-trusts-records  for a get of more than 1 MiB DONE.sha256 is not
                                 compared ("the AEAD records guarantee the bytes"): only
                                 the sizes are checked (APP-GET-3)

Blind result (each mutant against the file first named, --only-req, --no-rerun): 1 of 10
detected — na-uuid1 (test_eke_client_nonce_fill.py: the constant parts of two Na). pw-bcrypt72
was first filed under EKE-PW-1 against test_client_password_length.py, which cites PWF-1
only (no report); refiled under PWF-1 it is caught there (its passwords of over 64 and over
256 bytes), so 2 of 10. Against every case file citing the requirement nothing more was
caught by the existing suite. Missed, and the cases that now catch their class (each
passes the reference three times and the independent clients eke1, eke2, eke6):
- auth-eror-key-id (EKE-PW-3: 4 client files; they look for the password and pw, not for
  what the client derives from them) -> test_eke_client_key_fingerprints.py: the suite
  derives the client's own keys (C2 random, honest B) and looks in every EROR (and any
  member EKE1/EKE3 carry beyond their schema) for Z, PRK, Kcs, Kcc, the record keys and
  IVs and eight digests of each: a 4-byte prefix in hex, 5 bytes in hex, 6 bytes raw or in
  base64 (slow: after a wrong EKE4, and inside the channel after a bad DONE, ERR-5).
- rsfl-sha-one-frame and done-sha-trusts-records (APP-GET-3: 10 client files, every lie
  on a small file in one DATA frame) -> test_eke_client_digest_paths.py: digest lies on a
  get of 1 MiB + 4 096 bytes in two frames and of 3 000 bytes in three frames.
- put-c2-unchecked (EKE-HS-4: 11 files) and put-c4-unchecked (EKE-HS-7: 6 files), all of
  them running the get command -> test_eke_client_put_login.py: the put command
  (client_put_cmd) against a C2 that does not open and a C4 around another Na (slow: C4
  random, Y' = 1 with C2 sealed from Z = 1).
- eror-seq-rewound (EKE-REC-2: test_eke_client.py, test_eke_client_keys.py,
  test_client_put_wire.py; no case reads a record the client sends after a fault) ->
  test_eke_client_error_records.py: after a bad DONE and an undefined inner type (slow:
  DATA beyond the size, a size as a string) every record of the client must open at its
  next sequence number; one that opens only under a used number is a reused nonce.
- busy-retry-c4-off (EKE-HS-7; test_eke_client_retry_verdicts.py's C4 variant is slow and
  compares the client's words only) -> test_eke_client_retry_login_proofs.py: busy, then
  the retried login gets a C4 around another Na: no record may follow (slow: C2 that does
  not open: no EKE3, EROR auth_failed).
- pw-cesu8 (EKE-PW-1: 6 files; every password of the suite is in the BMP) ->
  test_eke_client_password_planes.py: a password file holding U+1F511 and U+1F600 (slow:
  U+10000 and U+10FFFD) must log in.
Post-blind siblings, written after the cases to show they take the class:
  b23client-post-put-c4-tag-only      the put checks C4's tag, not its Na (put_login)
  b23client-post-done-sha-many-frames DONE.sha256 skipped once a get has two DATA frames
                                      (digest_paths: the 3 x 1 000-byte get)
  b23client-post-eror-seq-zero        the EROR record sealed under sequence number 0
                                      (error_records)
  b23client-post-eror-z-prefix        the EROR auth_failed quotes 5 bytes of Z
                                      (key_fingerprints)
  b23client-post-busy-retry-na-unchecked  after busy, C4's tag checked but not its Na
                                      (retry_login_proofs)
  b23client-post-pw-astral-dropped    characters above U+FFFF dropped from the password
                                      (password_planes)
Final: 10 of 10 blind mutants detected, and the 6 siblings (test_mutants -k b23client: 16).
"""

from __future__ import annotations

import sys
from typing import Any

from conformance.selftest.mutant import Mutant, _module
from conformance.selftest.mutants_app import _patch_method, _patch_source

__all__ = ["MUTANTS"]

_GROUP = "blind23-client"
_MIB = 1024 * 1024


def _client() -> Any:
    return _module("reference.eke.client")


def _handshake() -> Any:
    return _module("reference.eke.handshake")


def _app() -> Any:
    return _module("reference.app")


def _is_put() -> bool:
    """Whether this process runs `sft eke put` (launcher argv: NAME -- eke put ...)."""
    return "put" in sys.argv[3:5]


# -- L1 -----------------------------------------------------------------------------------


def _auth_eror_key_id() -> None:
    _patch_method(
        _handshake().ClientHandshake,
        "_on_eke2",
        (
            '        ns = crypto.open_confirm(keys.kcs, 2, _hex(obj, "c"), self._th)\n',
            "        try:\n"
            '            ns = crypto.open_confirm(keys.kcs, 2, _hex(obj, "c"), self._th)\n'
            "        except AuthenticationFailed:\n"
            "            import hashlib as _hl  # mutant: a key id helps debugging\n"
            "\n"
            "            key_id = _hl.sha256(keys.kcs).hexdigest()[:16]\n"
            "            self._outbox += encode_error(\n"
            "                ErrorCode.AUTH_FAILED, f'key confirmation failed (key id {key_id})'\n"
            "            )\n"
            "            self._failure = AuthenticationFailed()\n"
            "            raise\n",
        ),
    )


def _na_uuid1() -> None:
    _handshake()._b23_uuid = _module("uuid")
    _patch_method(
        _handshake().ClientHandshake,
        "__init__",
        (
            "na=crypto.new_nonce()",
            "na=_b23_uuid.uuid1().bytes + _b23_uuid.uuid1().bytes",  # mutant: unique
        ),
    )


# -- L2 -----------------------------------------------------------------------------------


def _rsfl_sha_one_frame() -> None:
    _patch_method(
        _app()._Transfer,
        "check_done",
        (
            "        if self.expected_sha256 is not None and self.expected_sha256 != sha:\n",
            "        if (\n"
            "            self.expected_sha256 is not None\n"
            f"            and self.count <= {_MIB}  # mutant: the one-frame path only\n"
            "            and self.expected_sha256 != sha\n"
            "        ):\n",
        ),
    )


def _lenient_eke2() -> Any:
    hs = _handshake().ClientHandshake
    original = hs._on_eke2
    _patch_method(
        hs,
        "_on_eke2",
        (
            '        ns = crypto.open_confirm(keys.kcs, 2, _hex(obj, "c"), self._th)\n',
            "        try:\n"
            '            ns = crypto.open_confirm(keys.kcs, 2, _hex(obj, "c"), self._th)\n'
            "        except AuthenticationFailed:\n"
            "            ns = bytes(crypto.NONCE_LEN)  # mutant: not checked here\n",
        ),
    )
    lenient = hs._on_eke2
    hs._on_eke2 = original
    return lenient


def _lenient_eke4() -> Any:
    hs = _handshake().ClientHandshake
    original = hs._on_eke4
    _patch_method(
        hs,
        "_on_eke4",
        (
            "        if not hmac.compare_digest(na, self._na):\n"
            "            raise ServerNotAuthenticated()\n",
            "",
        ),
        (
            "        try:\n"
            '            na = crypto.open_confirm(self._keys.kcs, 4, _hex(obj, "c"), self._th)\n'
            "        except AuthenticationFailed:\n"
            "            raise ServerNotAuthenticated() from None\n",
            "",
        ),
    )
    lenient = hs._on_eke4
    hs._on_eke4 = original
    return lenient


def _put_c2_unchecked() -> None:
    lenient = _lenient_eke2()
    if _is_put():
        _handshake().ClientHandshake._on_eke2 = lenient


def _put_c4_unchecked() -> None:
    lenient = _lenient_eke4()
    if _is_put():
        _handshake().ClientHandshake._on_eke4 = lenient


# -- L3 -----------------------------------------------------------------------------------


def _eror_seq_rewound() -> None:
    _patch_method(
        _client().EkeClient,
        "_next",
        (
            "            with contextlib.suppress(OSError, ProtocolError):\n"
            "                stream.send(\n",
            "            with contextlib.suppress(OSError, ProtocolError):\n"
            "                # mutant: the EROR takes the sequence number of our last record\n"
            "                sealer = stream.channel.sealer\n"
            "                sealer.sequence = max(0, sealer.sequence - 1)\n"
            "                stream.send(\n",
        ),
    )


# -- L4 -----------------------------------------------------------------------------------


def _busy_retry_c4_off() -> None:
    client = _client()
    lenient = _lenient_eke4()

    def c4_off() -> None:
        _handshake().ClientHandshake._on_eke4 = lenient

    client._b23_c4_off = c4_off
    _patch_method(
        client.EkeClient,
        "connect",
        (
            "            except ServerBusy as exc:\n",
            "            except ServerBusy as exc:\n"
            "                _b23_c4_off()  # mutant: the server is known to be there\n",
        ),
    )


# -- L5 -----------------------------------------------------------------------------------


def _pw_bcrypt72() -> None:
    _patch_source(
        _module("reference.eke.crypto"),
        "password_key",
        (
            "else bytes(password)\n",
            "else bytes(password)\n    secret = secret[:72]  # mutant: the bcrypt limit\n",
        ),
    )


def _pw_cesu8() -> None:
    crypto = _module("reference.eke.crypto")

    def cesu8(password: str) -> bytes:
        units = password.encode("utf-16-be")
        codes = (int.from_bytes(units[i : i + 2], "big") for i in range(0, len(units), 2))
        chars = "".join(map(chr, codes))
        return chars.encode("utf-8", "surrogatepass")

    crypto._b23_cesu8 = cesu8
    _patch_source(
        crypto,
        "password_key",
        (
            'password.encode("utf-8") if',
            "_b23_cesu8(password) if",  # mutant: UTF-16 code units, each as UTF-8
        ),
    )


# -- L6 -----------------------------------------------------------------------------------


def _done_sha_trusts_records() -> None:
    _patch_method(
        _app()._Transfer,
        "check_done",
        (
            "done.size == self.announced == self.count and done.sha256 == sha",
            "done.size == self.announced == self.count\n"
            f"            and (self.count > {_MIB} or done.sha256 == sha)  # mutant: AEAD did it\n",
        ),
    )


# -- post-blind siblings (written after the cases, to show they take the class) ------------


def _post_put_c4_tag_only() -> None:
    hs = _handshake().ClientHandshake
    original = hs._on_eke4
    _patch_method(
        hs,
        "_on_eke4",
        (
            "        if not hmac.compare_digest(na, self._na):\n"
            "            raise ServerNotAuthenticated()\n",
            "",
        ),
    )
    tag_only = hs._on_eke4
    hs._on_eke4 = tag_only if _is_put() else original


def _post_done_sha_many_frames() -> None:
    app = _app()
    app._b23_frames = {}  # DATA pieces per transfer (the class is slotted)
    _patch_method(
        app._Transfer,
        "add",
        (
            "        self.count += len(data)\n",
            "        self.count += len(data)\n"
            "        _b23_frames[id(self)] = _b23_frames.get(id(self), 0) + 1\n",
        ),
    )
    _patch_method(
        app._Transfer,
        "check_done",
        (
            "done.size == self.announced == self.count and done.sha256 == sha",
            "done.size == self.announced == self.count\n"
            "            and (_b23_frames.get(id(self), 0) > 1 or done.sha256 == sha)  # mutant\n",
        ),
    )


def _post_eror_seq_zero() -> None:
    _patch_method(
        _client().EkeClient,
        "_next",
        (
            "            with contextlib.suppress(OSError, ProtocolError):\n"
            "                stream.send(\n",
            "            with contextlib.suppress(OSError, ProtocolError):\n"
            "                stream.channel.sealer.sequence = 0  # mutant: errors count apart\n"
            "                stream.send(\n",
        ),
    )


def _post_eror_z_prefix() -> None:
    hs = _handshake()
    _patch_method(
        hs.ClientHandshake,
        "_on_eke2",
        (
            '        ns = crypto.open_confirm(keys.kcs, 2, _hex(obj, "c"), self._th)\n',
            "        try:\n"
            '            ns = crypto.open_confirm(keys.kcs, 2, _hex(obj, "c"), self._th)\n'
            "        except AuthenticationFailed:\n"
            "            self._outbox += encode_error(\n"
            "                ErrorCode.AUTH_FAILED, f'confirmation failed, Z={z[:5].hex()}...'\n"
            "            )\n"
            "            self._failure = AuthenticationFailed()\n"
            "            raise\n",
        ),
    )


def _post_busy_retry_na_unchecked() -> None:
    client = _client()
    hs = _handshake().ClientHandshake
    original = hs._on_eke4
    _patch_method(
        hs,
        "_on_eke4",
        (
            "        if not hmac.compare_digest(na, self._na):\n"
            "            raise ServerNotAuthenticated()\n",
            "",
        ),
    )
    tag_only = hs._on_eke4
    hs._on_eke4 = original

    def na_off() -> None:
        hs._on_eke4 = tag_only

    client._b23_na_off = na_off
    _patch_method(
        client.EkeClient,
        "connect",
        (
            "            except ServerBusy as exc:\n",
            "            except ServerBusy as exc:\n"
            "                _b23_na_off()  # mutant: a retry needs less proof\n",
        ),
    )


def _post_pw_astral_dropped() -> None:
    _patch_source(
        _module("reference.eke.crypto"),
        "password_key",
        (
            'password.encode("utf-8") if',
            '"".join(c for c in password if ord(c) <= 0xFFFF).encode("utf-8") if',
        ),
    )


def _m(name: str, requirement: str, test_file: str, description: str, apply: Any) -> Mutant:
    return Mutant(name, _GROUP, "eke", requirement, test_file, description, apply, client=True)


MUTANTS: tuple[Mutant, ...] = (
    _m(
        "b23client-auth-eror-key-id",
        "EKE-PW-3",
        "test_eke_client_key_fingerprints.py",
        "L1: the EROR auth_failed after a bad C2 quotes a key id, 16 hex digits of SHA-256(Kcs):"
        " a fake server tests password guesses offline against it",
        _auth_eror_key_id,
    ),
    _m(
        "b23client-na-uuid1",
        "EKE-HS-10",
        "test_eke_client_nonce_fill.py",
        "L1: Na is two uuid1() values (a clock and the host's MAC): unique, not random",
        _na_uuid1,
    ),
    _m(
        "b23client-rsfl-sha-one-frame",
        "APP-GET-3",
        "test_eke_client_digest_paths.py",
        "L2: RSFL.sha256 compared only for a get of at most one DATA frame (1 MiB)",
        _rsfl_sha_one_frame,
    ),
    _m(
        "b23client-put-c2-unchecked",
        "EKE-HS-4",
        "test_eke_client_put_login.py",
        "L2: the put command's login does not verify C2 (the get's does): EKE3 sent to a"
        " server that proved nothing",
        _put_c2_unchecked,
    ),
    _m(
        "b23client-put-c4-unchecked",
        "EKE-HS-7",
        "test_eke_client_put_login.py",
        "L2: the put command's login does not verify C4 (the get's does): the file goes to an"
        " impostor",
        _put_c4_unchecked,
    ),
    _m(
        "b23client-eror-seq-rewound",
        "EKE-REC-2",
        "test_eke_client_error_records.py",
        "L3: the client's EROR inside the channel (integrity_failed) sealed under the sequence"
        " number of its previous record: a nonce reused",
        _eror_seq_rewound,
    ),
    _m(
        "b23client-busy-retry-c4-off",
        "EKE-HS-7",
        "test_eke_client_retry_login_proofs.py",
        "L4: after a busy answer the retried login skips the C4 check",
        _busy_retry_c4_off,
    ),
    _m(
        "b23client-pw-bcrypt72",
        "PWF-1",
        "test_client_password_length.py",
        "L5: the password cut to its first 72 UTF-8 bytes before scrypt (the bcrypt limit)",
        _pw_bcrypt72,
    ),
    _m(
        "b23client-pw-cesu8",
        "EKE-PW-1",
        "test_eke_client_password_planes.py",
        "L5: the password encoded from its UTF-16 code units (CESU-8): a character above"
        " U+FFFF becomes two 3-byte surrogates",
        _pw_cesu8,
    ),
    _m(
        "b23client-done-sha-trusts-records",
        "APP-GET-3",
        "test_eke_client_digest_paths.py",
        "L6: for a get above 1 MiB DONE.sha256 is not compared (the AEAD records are trusted),"
        " only the sizes",
        _done_sha_trusts_records,
    ),
    # post-blind siblings
    _m(
        "b23client-post-put-c4-tag-only",
        "EKE-HS-7",
        "test_eke_client_put_login.py",
        "(post-blind) the put command checks C4's tag but not that it holds Na",
        _post_put_c4_tag_only,
    ),
    _m(
        "b23client-post-done-sha-many-frames",
        "APP-GET-3",
        "test_eke_client_digest_paths.py",
        "(post-blind) DONE.sha256 skipped once a get came in more than one DATA frame",
        _post_done_sha_many_frames,
    ),
    _m(
        "b23client-post-eror-seq-zero",
        "EKE-REC-2",
        "test_eke_client_error_records.py",
        "(post-blind) the client's EROR record sealed under sequence number 0 (errors counted"
        " apart)",
        _post_eror_seq_zero,
    ),
    _m(
        "b23client-post-eror-z-prefix",
        "EKE-PW-3",
        "test_eke_client_key_fingerprints.py",
        "(post-blind) the EROR auth_failed after a bad C2 quotes the first 5 bytes of Z",
        _post_eror_z_prefix,
    ),
    _m(
        "b23client-post-busy-retry-na-unchecked",
        "EKE-HS-7",
        "test_eke_client_retry_login_proofs.py",
        "(post-blind) after busy the retried login checks C4's tag, not its Na",
        _post_busy_retry_na_unchecked,
    ),
    _m(
        "b23client-post-pw-astral-dropped",
        "EKE-PW-1",
        "test_eke_client_password_planes.py",
        "(post-blind) characters above U+FFFF dropped from the password before scrypt",
        _post_pw_astral_dropped,
    ),
)
