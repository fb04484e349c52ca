"""Blind red-team round 20 (helper B113): the sft-pki/1 RESPONDER and the application
protocol it serves, through the six lenses of round 20 (/work/briefs/s20/common.md).

Phase 1 (blind): written from docs/SPEC.md (§0-§3, §4.1-§4.3, §6) and the reference's
responder code (reference/pki/peer.py, tls.py, alias.py, reference/app.py, transfer.py,
share.py, frames.py, messages.py, admission.py, closing.py) before any case file or
independent implementation was opened. Every idea was checked against the names and
descriptions of the 3 454 registered mutants while the list was drawn up; those that
repeated a registered idea were replaced before any code was written (dropped: RSA-1024 and
SHA-1/SHA-2-family certificates, ffdhe/x448/P-521 groups, CCM suites — all registered —;
integral floats and integers above 2^63-1; the whole name echoed beyond 512 characters; a
per-name RSFL digest or size cache; a malformed EROR ignored; the reserved prefix checked on
the whole name; the idle timeout answered without EROR; the ENOTDIR open answered internal;
a lone-surrogate name reaching the file system).

Lens 1 — weak parameters accepted:
  b20pki-partial-name-pid           the temporary's "random" part is the process id (a forking
                                    server's idiom in a threaded one): two puts in progress at
                                    once collide at O_EXCL and the second connection dies
  b20pki-rsa-bits-rounded-bytes     the RSA size is judged in whole bytes ((bits + 7) // 8 >=
                                    256) on a stack at OpenSSL security level 1 (a
                                    distribution's default): a client key of 2041..2047 bits
                                    passes
  b20pki-p384-client-accepted       "the NIST curves": P-384 client keys pass the key check and
                                    ecdsa_secp384r1_sha384 joins the signature algorithms
  b20pki-key-type-denylist          the key check refuses small RSA and non-P-256 ECDSA only;
                                    any other key type (Ed25519, Ed448) passes, and ed25519/ed448
                                    join the signature algorithms
Lens 2 — algorithmic complexity and depth:
  b20pki-json-depth-recursion       the control parser catches ValueError only: JSON nested a
                                    few thousand deep raises RecursionError, answered internal
  b20pki-name-regex-backtrack       the name's character rule is a regex with a nested
                                    quantifier, (?:[^/\\\\controls]+/?)+\\Z: a long component
                                    ending in a refused character backtracks exponentially and
                                    the GIL-holding thread freezes the whole responder
  b20pki-depth-guard-counts-brackets  a cheap depth guard before json.loads counts every '[' and
                                    '{' of the payload (> 256: bad_frame): a valid name holding
                                    many brackets is refused, fatally
Lens 3 — administrator actions while serving:
  b20pki-stored-names-remembered    a connection remembers the names it stored and answers a
                                    later PUTF of one `exists` although the administrator has
                                    removed the file meanwhile
  b20pki-get-fd-kept-per-connection  a connection keeps each served file open for a repeat get:
                                    a file removed (or replaced) in the share meanwhile is still
                                    served from the old descriptor
Lens 4 — peer-controlled bytes reflected:
  b20pki-dup-key-whole-key          the duplicate-key refusal quotes the whole key (up to the
                                    512-character cap), not 64 characters (ERR-5, strict)
  b20pki-utf8-error-quotes-bytes    the bad_frame message for a payload that is not UTF-8
                                    quotes its first bytes decoded with surrogateescape: the
                                    EROR cannot be encoded and the connection ends unanswered
  b20pki-type-error-quotes-value    a member of the wrong JSON type is quoted in full in the
                                    bad_frame message (ERR-5, strict)
Lens 5 — exception taxonomy:
  b20pki-dup-key-keyerror           the duplicate-key hook raises KeyError, which the parser's
                                    except clause does not list: answered internal
  b20pki-oserror-not-connection-is-disk  "an OSError that is not a ConnectionError is the disk":
                                    the idle timeout (TimeoutError is an OSError) is answered
                                    internal "cannot store" instead of timeout
  b20pki-int-digits-valueerror      the parser catches json.JSONDecodeError: Python's 4300-digit
                                    int limit raises a plain ValueError, so a size of 5000 digits
                                    is answered internal instead of bad_frame
  b20pki-exists-probe-eloop-escapes  the inbox's exists probe is an O_NOFOLLOW open catching
                                    FileNotFoundError only: a symbolic link of the put's name
                                    (ELOOP) ends the connection without an answer
Lens 6 — the MUST's later clauses:
  b20pki-fifo-open-blocks           a share file is opened without O_NONBLOCK ("check the type
                                    before reading" dropped): a get of a FIFO hangs its
                                    connection instead of not_found/forbidden
  b20pki-sweep-shreds-through-link  the start-up sweep "shreds" each .sft-partial-* (truncates it
                                    before unlinking) and judges it with a following stat(): a
                                    temporary that is a link empties the file it points to
  b20pki-dangling-link-cleared      a dangling symbolic link under a put's name is taken for
                                    debris: removed and the put accepted, instead of `exists`
                                    (or forbidden) with the link left as it is

Blind result (each mutant against the file first named, --only-req, --no-rerun): 12 of 19
detected — partial-name-pid (test_app_put_concurrent.py), p384-client-accepted
(test_pki_certs.py), json-depth-recursion, dup-key-keyerror (test_framing.py),
name-regex-backtrack (test_app_name_boundary_characters.py: the frozen responder refused
the next handshake), stored-names-remembered (test_app_inbox_now.py),
get-fd-kept-per-connection, fifo-open-blocks (test_app_share_files.py),
utf8-error-quotes-bytes (test_app_payload_encodings.py), oserror-not-connection-is-disk
(test_limits.py), exists-probe-eloop-escapes, dangling-link-cleared
(test_app_put_inbox_links.py).
Missed by the file named and by every other file citing the requirement, 7 (none of them
has the probe): rsa-bits-rounded-bytes and key-type-denylist (PKI-CERT-9:
test_pki_certs.py, test_pki_rsa_employees.py, test_pki_refusal_unprompted.py — no client
key of 2041..2047 bits, no Ed25519/Ed448 key; as first written, rsa-bits-rounded-bytes was
masked by OpenSSL's security level 2, which refuses a 2047-bit key by itself, so the mutant
now also runs the stack at level 1, a distribution default), depth-guard-counts-brackets
(APP-NAME-7: test_app_name_shapes.py and the five other files citing it — no name holds
more than a few brackets), dup-key-whole-key and type-error-quotes-value (ERR-5, strict:
test_error_disclosure.py checks secrets only; test_framing.py's one SHOULD case echoes a
refused name), int-digits-valueerror (FRM-11: test_framing.py's longest integer has 400
digits, under Python's 4300-digit limit), sweep-shreds-through-link (APP-STORE-3:
test_pki_restart_sweep.py plants regular temporaries only).
After (the cases of this round): all 19 detected, and the five class checks below; each new
file passed the reference three times, the independents pki1..pki7 and (the test_app_
files, both profiles) eke1..eke7 — see the report for the details:
- test_pki_client_key_kinds.py: client keys of another kind (Ed25519, Ed448, RSA-2047,
  P-521) refused; rsa-bits-rounded-bytes, key-type-denylist; class check
  b20pki-curve-allowlist-p521 caught;
- test_app_eror_echo_bounds.py: every bad_frame message (duplicate key, wrong member
  type, not UTF-8, not JSON) and every name refusal quotes at most 64 of 300 attacker
  characters (ERR-5, SHOULD); dup-key-whole-key, type-error-quotes-value; class check
  b20pki-syntax-error-quotes-text caught;
- test_app_name_structure_characters.py: names of up to 4095 bytes of [ ] { } " : , are
  not_found / stored; depth-guard-counts-brackets; class check b20pki-quote-count-guard
  caught;
- test_app_integer_digit_runs.py: PUTF.size of 4301 / 5000 digits, negative, 1e5000, and a
  DONE.size of 5000 digits are bad_frame; int-digits-valueerror; class check
  b20pki-size-infinity-too-large caught;
- test_app_restart_sweep_links.py: the start-up sweep across the declared restart leaves
  the targets of .sft-partial-* links alone (a file outside and inside the inbox, a
  directory outside); sweep-shreds-through-link; class check
  b20pki-sweep-empties-linked-directory caught.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import stat
from typing import Any

from conformance.selftest.mutant import Mutant, _module
from conformance.selftest.mutants_app import _patch_source

__all__ = ["MUTANTS"]

_GROUP = "blind20-pki"


def _transfer() -> Any:
    return _module("reference.transfer")


def _share() -> Any:
    return _module("reference.share")


def _tls() -> Any:
    return _module("reference.pki.tls")


def _peer() -> Any:
    return _module("reference.pki.peer")


def _frames() -> Any:
    return _module("reference.frames")


# --- lens 1: weak parameters accepted ---------------------------------------------------------


def _partial_name_pid() -> None:
    _patch_source(
        _share().PartialFile,
        "__init__",
        (
            'self.temp_name = f"{PARTIAL_PREFIX}{secrets.token_hex(12)}"',
            'self.temp_name = f"{PARTIAL_PREFIX}{os.getpid():x}"',
        ),
    )


def _rsa_bits_rounded_bytes() -> None:
    tls = _tls()
    original = tls.server_context

    def server_context(identity: Any, crl_der: bytes) -> Any:
        ctx = original(identity, crl_der)
        ctx.set_ciphers("DEFAULT:@SECLEVEL=1")  # the distribution's level (80-bit keys pass)
        return ctx

    tls.server_context = server_context
    _peer().server_context = server_context
    _patch_source(
        tls,
        "_check_algorithms",
        ("if key.key_size < 2048:", "if (key.key_size + 7) // 8 < 256:"),
    )


def _p384_client_accepted() -> None:
    tls = _tls()
    tls.TLS13_SIGALGS = tls.TLS13_SIGALGS + ":ecdsa_secp384r1_sha384"
    _patch_source(
        tls,
        "_check_algorithms",
        (
            "isinstance(key.curve, ec.SECP256R1)",
            "isinstance(key.curve, (ec.SECP256R1, ec.SECP384R1))",
        ),
    )


def _key_type_denylist() -> None:
    tls = _tls()
    tls.TLS13_SIGALGS = tls.TLS13_SIGALGS + ":ed25519:ed448"
    _patch_source(
        tls,
        "_check_algorithms",
        (
            "elif not (isinstance(key, ec.EllipticCurvePublicKey) and isinstance(key.curve, "
            "ec.SECP256R1)):",
            "elif isinstance(key, ec.EllipticCurvePublicKey) and not isinstance(key.curve, "
            "ec.SECP256R1):",
        ),
    )


# --- lens 2: complexity and depth -------------------------------------------------------------


def _json_depth_recursion() -> None:
    _patch_source(
        _frames(),
        "loads_control",
        ("except (ValueError, RecursionError) as exc:", "except ValueError as exc:"),
    )


def _name_regex_backtrack() -> None:
    share = _share()
    share._B20_NAME_RE = re.compile(r"(?:[^/\\\x00-\x1f\x7f-\x9f]+/?)+\Z")
    _patch_source(
        share,
        "check_name",
        (
            "if any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in name):",
            "if not _B20_NAME_RE.match(name):",
        ),
    )


def _depth_guard_counts_brackets() -> None:
    _patch_source(
        _frames(),
        "loads_control",
        (
            "    try:\n        text = bytes(payload).decode",
            '    if bytes(payload).count(b"[") + bytes(payload).count(b"{") > 256:\n'
            "        raise RemoteProtocolError(ErrorCode.BAD_FRAME, "
            '"JSON nested too deeply")\n'
            "    try:\n        text = bytes(payload).decode",
        ),
    )


# --- lens 3: administrator actions while serving ---------------------------------------------


def _stored_names_remembered() -> None:
    _patch_source(
        _transfer().Responder,
        "_put",
        (
            "final = inbox.target_name(request.name)\n",
            "final = inbox.target_name(request.name)\n"
            '        if final in self.__dict__.setdefault("_b20_stored", set()):\n'
            "            raise RemoteProtocolError(\n"
            '                ErrorCode.EXISTS, f"{final[:64]!r} was stored on this connection"\n'
            "            )\n",
        ),
        (
            "self.channel.send(self.channel.conn.stored_done())\n",
            "self.channel.send(self.channel.conn.stored_done())\n"
            '    self.__dict__.setdefault("_b20_stored", set()).add(final)\n',
        ),
    )


def _get_fd_kept_per_connection() -> None:
    transfer = _transfer()
    original_run = transfer.Responder.run

    def _get(self: Any, request: Any) -> None:
        share = self.policy.share
        if share is None:
            self._refuse(
                transfer.RemoteProtocolError(
                    transfer.ErrorCode.UNSUPPORTED, "this peer shares no files"
                )
            )
            return
        kept: dict[str, Any] = self.__dict__.setdefault("_b20_kept", {})
        shared = kept.get(request.name)
        if shared is None:
            try:
                shared = share.open(request.name)
            except transfer.RemoteProtocolError as exc:
                self._refuse(exc)
                return
            kept[request.name] = shared  # kept open for a repeat get of the same file
        shared.file.seek(0)
        shared.size = os.fstat(shared.file.fileno()).st_size
        if shared.size > self.policy.max_file_size:
            self._refuse(
                transfer.RemoteProtocolError(
                    transfer.ErrorCode.TOO_LARGE, "the file exceeds the limit"
                )
            )
            return
        self.channel.send(transfer.FileResponse(request.name, shared.size))
        self.channel.send_file(shared.file.readinto, shared.size, None)

    def run(self: Any) -> None:
        try:
            original_run(self)
        finally:
            for shared in self.__dict__.get("_b20_kept", {}).values():
                with contextlib.suppress(OSError):
                    shared.close()

    transfer.Responder._get = _get
    transfer.Responder.run = run


# --- lens 4: peer-controlled bytes reflected ---------------------------------------------------


def _dup_key_whole_key() -> None:
    _patch_source(
        _frames(),
        "_no_duplicates",
        ('f"duplicate key {key[:64]!r}"', 'f"duplicate key {key!r}"'),
    )


def _utf8_error_quotes_bytes() -> None:
    _patch_source(
        _frames(),
        "loads_control",
        (
            'raise RemoteProtocolError(ErrorCode.BAD_FRAME, "payload is not UTF-8") from None',
            "raise RemoteProtocolError(\n"
            "            ErrorCode.BAD_FRAME,\n"
            '            "payload is not UTF-8: "\n'
            '            + bytes(payload)[:48].decode("utf-8", "surrogateescape"),\n'
            "        ) from None",
        ),
    )


def _type_error_quotes_value() -> None:
    _patch_source(
        _frames(),
        "check_schema",
        (
            'f"{label}: member {name!r} must be {_describe(kind)}"',
            'f"{label}: member {name!r} must be {_describe(kind)}, not {obj[name]!r}"',
        ),
    )


# --- lens 5: exception taxonomy --------------------------------------------------------------


def _dup_key_keyerror() -> None:
    frames = _frames()

    def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key, value in pairs:
            if key in result:
                raise KeyError(f"duplicate key {key[:64]!r}")  # "a key error"
            result[key] = value
        return result

    frames._no_duplicates = _no_duplicates


def _oserror_not_connection_is_disk() -> None:
    _patch_source(
        _transfer().Responder,
        "run",
        (
            "    except TimeoutError:\n"
            '        self.log("idle timeout")\n'
            '        channel.fail(RemoteProtocolError(ErrorCode.TIMEOUT, "idle timeout"))\n',
            "",
        ),
        (
            "if (reason := storage_failure(exc)) is not None:",
            "if (reason := (None if isinstance(exc, ConnectionError)"
            ' else (exc.strerror or str(exc) or "I/O error"))) is not None:',
        ),
    )


def _int_digits_valueerror() -> None:
    frames = _frames()

    def _reject_constant(name: str) -> Any:
        raise json.JSONDecodeError(f"{name} is not allowed", name, 0)

    def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key, value in pairs:
            if key in result:
                raise json.JSONDecodeError(f"duplicate key {key[:64]!r}", key, 0)
            result[key] = value
        return result

    frames._reject_constant = _reject_constant
    frames._no_duplicates = _no_duplicates
    _patch_source(
        frames,
        "loads_control",
        (
            "except (ValueError, RecursionError) as exc:",
            "except (json.JSONDecodeError, RecursionError) as exc:",
        ),
    )


def _exists_probe_eloop_escapes() -> None:
    share = _share()

    def target_name(self: Any, name: str) -> str:
        base: str = share.check_name(name)[-1]
        if base.startswith(share.PARTIAL_PREFIX):
            raise share.NameRefused("names starting with .sft-partial- are reserved")
        try:
            fd = os.open(
                base, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, dir_fd=self._fd
            )
        except FileNotFoundError:
            return base
        os.close(fd)
        raise share.RemoteProtocolError(
            share.ErrorCode.EXISTS, f"{share._shown(base)} already exists in the inbox"
        )

    share.Inbox.target_name = target_name


# --- lens 6: the MUST's later clauses ----------------------------------------------------------


def _fifo_open_blocks() -> None:
    _share()._FILE_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC


def _sweep_shreds_through_link() -> None:
    transfer = _transfer()
    _patch_source(
        transfer,
        "remove_stale_partials",
        (
            "info = entry.stat(follow_symlinks=False)",
            "info = entry.stat()",
        ),
        (
            "os.unlink(entry.path)",
            'with open(entry.path, "r+b") as shred:  # it may hold a confidential upload\n'
            "                shred.truncate(0)\n"
            "            os.unlink(entry.path)",
        ),
    )
    _peer().remove_stale_partials = transfer.remove_stale_partials


def _dangling_link_cleared() -> None:
    share = _share()
    original = share.Inbox.target_name

    def target_name(self: Any, name: str) -> str:
        base = share.check_name(name)[-1]
        with contextlib.suppress(OSError):
            st = os.stat(base, dir_fd=self._fd, follow_symlinks=False)
            if stat.S_ISLNK(st.st_mode):
                try:
                    os.stat(base, dir_fd=self._fd)  # where does it lead?
                except FileNotFoundError:
                    os.unlink(base, dir_fd=self._fd)  # nowhere: debris of a removed file
        result: str = original(self, name)
        return result

    share.Inbox.target_name = target_name


# --- after the blind run: class checks of the new cases ------------------------------------


def _curve_allowlist_p521() -> None:
    tls = _tls()
    tls.TLS13_SIGALGS = tls.TLS13_SIGALGS + ":ecdsa_secp521r1_sha512"
    _patch_source(
        tls,
        "_check_algorithms",
        (
            "isinstance(key.curve, ec.SECP256R1)",
            "isinstance(key.curve, (ec.SECP256R1, ec.SECP521R1))",
        ),
    )


def _size_infinity_too_large() -> None:
    _patch_source(
        _frames(),
        "_has_kind",
        (
            'if kind == "int":\n',
            'if kind == "int" and value == float("inf"):  # a double: larger than any limit\n'
            "        return True\n"
            '    if kind == "int":\n',
        ),
    )


def _syntax_error_quotes_text() -> None:
    _patch_source(
        _frames(),
        "loads_control",
        (
            'f"payload is not valid JSON: {exc}"',
            'f"payload is not valid JSON: {exc}: {bytes(payload)[:200]!r}"',
        ),
    )


def _quote_count_guard() -> None:
    _patch_source(
        _frames(),
        "loads_control",
        (
            "    try:\n        text = bytes(payload).decode",
            "    if bytes(payload).count(b'\\\\\"') > 128:  # an escape bomb\n"
            "        raise RemoteProtocolError(ErrorCode.BAD_FRAME, "
            '"too many escapes")\n'
            "    try:\n        text = bytes(payload).decode",
        ),
    )


def _sweep_empties_linked_directory() -> None:
    transfer = _transfer()
    _patch_source(
        transfer,
        "remove_stale_partials",
        (
            "info = entry.stat(follow_symlinks=False)\n",
            "info = entry.stat(follow_symlinks=False)\n"
            "            if entry.is_dir():  # a temporary directory: empty it first\n"
            "                for inner in os.scandir(entry.path):\n"
            "                    os.unlink(inner.path)\n"
            "                os.unlink(entry.path)\n"
            "                removed += 1\n"
            "                continue\n",
        ),
    )
    _peer().remove_stale_partials = transfer.remove_stale_partials


def _m(
    name: str, requirement: str, test_file: str, description: str, apply: Any, **kw: Any
) -> Mutant:
    return Mutant(
        name=name,
        group=_GROUP,
        profile="pki",
        requirement=requirement,
        test_file=test_file,
        description=description,
        apply=apply,
        **kw,
    )


MUTANTS: tuple[Mutant, ...] = (
    # lens 1
    _m(
        "b20pki-partial-name-pid",
        "APP-STORE-1",
        "test_app_put_concurrent.py",
        "L1: the temporary's random part is the process id: two puts in progress at once "
        "collide at O_EXCL and the second connection ends unanswered",
        _partial_name_pid,
    ),
    _m(
        "b20pki-rsa-bits-rounded-bytes",
        "PKI-CERT-9",
        "test_pki_client_key_kinds.py",
        "L1: the client's RSA size judged in whole bytes ((bits + 7) // 8 >= 256), OpenSSL at "
        "security level 1: keys of 2041..2047 bits pass",
        _rsa_bits_rounded_bytes,
    ),
    _m(
        "b20pki-p384-client-accepted",
        "PKI-CERT-9",
        "test_pki_certs.py",
        "L1: 'the NIST curves': P-384 client keys pass, ecdsa_secp384r1_sha384 joins the "
        "signature algorithms",
        _p384_client_accepted,
    ),
    _m(
        "b20pki-key-type-denylist",
        "PKI-CERT-9",
        "test_pki_client_key_kinds.py",
        "L1: the key check refuses small RSA and non-P-256 ECDSA only: Ed25519/Ed448 client "
        "keys pass (ed25519, ed448 join the signature algorithms)",
        _key_type_denylist,
    ),
    # lens 2
    _m(
        "b20pki-json-depth-recursion",
        "FRM-9",
        "test_framing.py",
        "L2: the control parser catches ValueError only: JSON nested thousands deep raises "
        "RecursionError, answered internal",
        _json_depth_recursion,
    ),
    _m(
        "b20pki-name-regex-backtrack",
        "APP-NAME-2",
        "test_app_name_boundary_characters.py",
        "L2: the name's character rule is a nested-quantifier regex: a long component ending in "
        "a refused character backtracks exponentially and freezes the responder",
        _name_regex_backtrack,
    ),
    _m(
        "b20pki-depth-guard-counts-brackets",
        "APP-NAME-7",
        "test_app_name_structure_characters.py",
        "L2: a depth guard counts every '[' and '{' of a control payload (> 256: bad_frame): a "
        "valid name holding many brackets is refused, fatally",
        _depth_guard_counts_brackets,
    ),
    # lens 3
    _m(
        "b20pki-stored-names-remembered",
        "APP-PUT-1",
        "test_app_inbox_now.py",
        "L3: a connection remembers the names it stored: a later PUTF of one is answered exists "
        "although the administrator removed the file meanwhile",
        _stored_names_remembered,
    ),
    _m(
        "b20pki-get-fd-kept-per-connection",
        "APP-GET-2",
        "test_app_share_files.py",
        "L3: each served file is kept open for a repeat get on the connection: a file removed "
        "or replaced in the share meanwhile is still served from the old descriptor",
        _get_fd_kept_per_connection,
    ),
    # lens 4
    _m(
        "b20pki-dup-key-whole-key",
        "ERR-5",
        "test_app_eror_echo_bounds.py",
        "L4: the duplicate-key refusal quotes the whole key (to the 512-character cap), not 64 "
        "characters",
        _dup_key_whole_key,
        strict=True,
    ),
    _m(
        "b20pki-utf8-error-quotes-bytes",
        "FRM-9",
        "test_app_payload_encodings.py",
        "L4: the bad_frame message quotes a non-UTF-8 payload decoded with surrogateescape: the "
        "EROR cannot be encoded and the connection ends unanswered",
        _utf8_error_quotes_bytes,
    ),
    _m(
        "b20pki-type-error-quotes-value",
        "ERR-5",
        "test_app_eror_echo_bounds.py",
        "L4: a member of the wrong JSON type is quoted in full in the bad_frame message",
        _type_error_quotes_value,
        strict=True,
    ),
    # lens 5
    _m(
        "b20pki-dup-key-keyerror",
        "FRM-9",
        "test_framing.py",
        "L5: the duplicate-key hook raises KeyError, which the parser does not catch: answered "
        "internal instead of bad_frame",
        _dup_key_keyerror,
    ),
    _m(
        "b20pki-oserror-not-connection-is-disk",
        "LIM-2",
        "test_limits.py",
        "L5: an OSError that is not a ConnectionError is taken for the disk: the idle timeout "
        "(TimeoutError) is answered internal 'cannot store' instead of timeout",
        _oserror_not_connection_is_disk,
    ),
    _m(
        "b20pki-int-digits-valueerror",
        "FRM-11",
        "test_app_integer_digit_runs.py",
        "L5: the parser catches json.JSONDecodeError only: the 4300-digit int limit's plain "
        "ValueError escapes, a size of 5000 digits is answered internal",
        _int_digits_valueerror,
    ),
    _m(
        "b20pki-exists-probe-eloop-escapes",
        "APP-PUT-3",
        "test_app_put_inbox_links.py",
        "L5: the inbox's exists probe is an O_NOFOLLOW open catching FileNotFoundError only: a "
        "link of the put's name (ELOOP) ends the connection unanswered",
        _exists_probe_eloop_escapes,
    ),
    # lens 6
    _m(
        "b20pki-fifo-open-blocks",
        "APP-GET-2",
        "test_app_share_files.py",
        "L6: share files opened without O_NONBLOCK: a get of a FIFO hangs its connection "
        "instead of not_found or forbidden",
        _fifo_open_blocks,
    ),
    _m(
        "b20pki-sweep-shreds-through-link",
        "APP-STORE-3",
        "test_app_restart_sweep_links.py",
        "L6: the start-up sweep truncates each .sft-partial-* before unlinking it, judged by a "
        "following stat(): a temporary that is a link empties the file it points to",
        _sweep_shreds_through_link,
    ),
    _m(
        "b20pki-dangling-link-cleared",
        "APP-PUT-3",
        "test_app_put_inbox_links.py",
        "L6: a dangling link under a put's name is removed as debris and the put accepted, "
        "instead of exists (or forbidden) with the link left as it is",
        _dangling_link_cleared,
    ),
    # after the blind run: class checks of the new cases
    _m(
        "b20pki-curve-allowlist-p521",
        "PKI-CERT-9",
        "test_pki_client_key_kinds.py",
        "(post-blind class check) L1: P-521 client keys pass ('P-256 or stronger'), "
        "ecdsa_secp521r1_sha512 joins the signature algorithms",
        _curve_allowlist_p521,
    ),
    _m(
        "b20pki-size-infinity-too-large",
        "FRM-11",
        "test_app_integer_digit_runs.py",
        "(post-blind class check) L5: numbers read as doubles: 1e5000 is +inf, taken as an "
        "integer above every limit and answered too_large instead of bad_frame",
        _size_infinity_too_large,
    ),
    _m(
        "b20pki-syntax-error-quotes-text",
        "ERR-5",
        "test_app_eror_echo_bounds.py",
        "(post-blind class check) L4: the JSON syntax error's message quotes the first 200 "
        "bytes of the payload",
        _syntax_error_quotes_text,
        strict=True,
    ),
    _m(
        "b20pki-quote-count-guard",
        "APP-NAME-7",
        "test_app_name_structure_characters.py",
        "(post-blind class check) L2: an 'escape bomb' guard counts the escaped quotes of a "
        "control payload (> 128: bad_frame): a valid name of many double quotes is refused",
        _quote_count_guard,
    ),
    _m(
        "b20pki-sweep-empties-linked-directory",
        "APP-STORE-3",
        "test_app_restart_sweep_links.py",
        "(post-blind class check) L6: the start-up sweep empties a .sft-partial-* that "
        "is_dir() (following links) before removing it: a link to a directory outside the "
        "inbox loses that directory's files",
        _sweep_empties_linked_directory,
    ),
)
