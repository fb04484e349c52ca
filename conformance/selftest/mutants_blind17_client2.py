"""Blind red-team round 17 (client2, helper B88): the sft-pki/1 initiator (`sft get/put`)
and the enrolment client (`sft enroll`), planted through the six lenses of round 17.

Written blind, from docs/SPEC.md §0-§4 and §6 and the reference's pki/client.py,
enroll.py, tls.py, alias.py, transfer.py, frames.py, app.py, messages.py and cli/pki.py
only, before any case file was opened. Each idea was then checked against the names and
descriptions of the 477 registered pki client mutants (and the eke client's and the
servers'); ideas found there were dropped before the run: an exists-renamed retry,
top-level-only duplicate keys, a 2xx enrolment answer, a followed redirect, rstrip of a
password file's line ends (eke client), leading zeros taken by strtoll (pki responder),
an integrity failure told `internal`, an EROR quoting file content (eke client).

lens 1 (boundaries and exact multiples):
    alias-max-63            PKI-CERT-2  the target's alias checked with {0,62}: a 64-character
                                        alias (the longest allowed) is refused before
                                        connecting
    name-limits-exclusive   APP-NAME-7  the initiator's own name check uses >= for the 4096 /
                                        255 byte limits
    eror-message-bytes      ERR-1       ERR-1's 512-character message limit counted in UTF-8
                                        bytes (Go's len): a conforming non-fatal EROR is
                                        answered bad_frame
    limit-after-type-checks FRM-3       type and DATA-range checks before the frame limit: a
                                        DATA header announcing 4 GiB is answered bad_frame
    enr-alias-max-63        PKI-CERT-2  the enrolment client's alias check allows 63 characters
lens 2 (fatal vs recoverable):
    state-error-bad-frame   FRM-6       a frame its state does not allow answered bad_frame
    json-error-internal     FRM-9       a JSON syntax error answered EROR internal
    own-fatal-then-bye      ERR-3       after its own fatal EROR the initiator still writes BYE_
lens 3 (duplicates and repetition):
    dup-key-raw-text        FRM-9       duplicate keys judged on the raw key text: "size" and
                                        "s\\u0069ze" are two keys, the last one wins
    eror-dup-code-first     ERR-8       an EROR parsed leniently, the first of two `code`s wins
lens 4 (cryptographic API misuse):
    alias-from-chain-tail   PKI-ID-1    alias and PKI-CERT checks read from the last non-CA
                                        certificate the responder sent, not the verified leaf
    eku-oid-prefix          PKI-CERT-5  serverAuth looked for by dotted-OID prefix (.3.17)
    eku-any-is-server       PKI-CERT-5  anyExtendedKeyUsage taken for serverAuth
lens 5 (content that looks like structure):
    json-double-decoded     FRM-9       a payload that is a JSON string holding an object is
                                        decoded a second time
    rqfl-cesu8              FRM-14      control payloads in Java's modified UTF-8 (CESU-8)
    name-dotdot-substring   APP-NAME-2  any name containing `..` refused locally
    enr-json-escape-partial PWF-1       the enrolment body is JSON written by hand: controls
                                        other than LF/CR (a TAB in a password) written raw
lens 6 (lifecycle ends):
    sigpipe-default         APP-BYE-2   SIGPIPE at its default action: a completed transfer
                                        whose responder closed before BYE_ dies by signal
    handshake-close-bare    LIM-9       (strict) a close before the handshake reported with
                                        the TLS library's last error once retries are spent
    enr-key-checked-from-disk CA-ENR-12 the answer's key compared with key.pem on disk (a
                                        renewal): a re-enrolment answered for the OLD key is
                                        kept beside the new key

Blind measure (20 written, each against the case file named blind): 3 caught —
state-error-bad-frame (test_pki_initiator_transfer.py), json-error-internal
(test_client_pki_json_tails.py), sigpipe-default (test_client_pki_get_endings.py). Two
more were caught by existing files once aimed at them: rqfl-cesu8 by
test_pki_initiator_transfer.py (its 4-byte-character RQFL, FRM-14) and
handshake-close-bare by test_client_login_closed.py (pki, strict).

Eight are not registered (NOT_JUDGED below):
  - no MUST the suite may FAIL: alias-max-63 and enr-alias-max-63 (PKI-CERT-2 is a
    definition), name-limits-exclusive and name-dotdot-substring (the SPEC says what a
    receiver refuses, not that an initiator must send every valid name; the request-name
    cases count a local refusal as an ERROR), own-fatal-then-bye (ERR-3 and PKI-TLS-7 do
    not say that nothing but the close may follow one's OWN fatal EROR);
  - conforming: limit-after-type-checks (FRM-16: a frame breaking FRM-3 and FRM-13, or
    FRM-3 and FRM-5, MAY be answered with the code of either rule);
  - masked in the reference's configuration: eku-any-is-server and eku-oid-prefix (the
    initiator's OpenSSL purpose check, X509_PURPOSE_SSL_SERVER, refuses an EKU without
    serverAuth before the mutated check runs; test_pki_certs.py's clientAuth+anyEKU
    case passes the mutant).

The remaining seven were missed by every existing file citing their requirement, and the
round's new case files catch them (12 of 12 registered blind mutants caught after the
round, each confirmed with `SFT_SELFTEST=all pytest conformance/selftest/test_mutants.py`):
  test_client_pki_chain_extras.py        alias-from-chain-tail (no case sent extra,
                                         valid certificates after the leaf)
  test_client_pki_escaped_duplicates.py  dup-key-raw-text, eror-dup-code-first (no case
                                         spelt a duplicate with an escape, or duplicated
                                         an EROR's code)
  test_client_pki_eror_message_lengths.py eror-message-bytes (no EROR message of 512
                                         multi-byte characters)
  test_client_pki_wrapped_payloads.py    json-double-decoded (no top-level string or
                                         array holding the object)
  test_enroll_password_controls.py       enr-json-escape-partial (no password with TAB,
                                         C0/C1 controls, DEL, U+2028)
  test_enroll_renewal_answers.py         enr-key-checked-from-disk (no re-enrolment
                                         answered for the first run's key)
Three class checks written after the blind run (marked so in their descriptions) are
caught by the same files' default cases: eror-message-utf16, eror-message-exclusive
(test_client_pki_eror_message_lengths.py) and alias-from-first-extra
(test_client_pki_chain_extras.py). The six files add about 9 s to the default run.
"""

from __future__ import annotations

import json
import signal
from collections.abc import Callable
from pathlib import Path
from typing import Any

from conformance.selftest.mutant import Mutant, _module
from conformance.selftest.mutants_app import _patch_source

__all__ = ["MUTANTS"]


def _tls() -> Any:
    return _module("reference.pki.tls")


def _client() -> Any:
    return _module("reference.pki.client")


def _enroll() -> Any:
    return _module("reference.pki.enroll")


def _app() -> Any:
    return _module("reference.app")


def _frames() -> Any:
    return _module("reference.frames")


def _messages() -> Any:
    return _module("reference.messages")


def _transfer() -> Any:
    return _module("reference.transfer")


def _wrap_check_name(extra: Callable[[str], str | None]) -> None:
    """The initiator's own name check (reference.transfer.check_name) with one more rule:
    `extra` returns a reason to refuse, or None."""
    transfer = _transfer()
    share = _module("reference.share")
    original = transfer.check_name

    def check_name(name: str) -> list[str]:
        parts: list[str] = original(name)
        reason = extra(name)
        if reason is not None:
            raise share.NameRefused(reason)
        return parts

    transfer.check_name = check_name


# --- lens 1 ---------------------------------------------------------------------------


def _alias_max_63() -> None:
    _patch_source(
        _client(),
        "parse_target",
        (
            "if not ALIAS_RE.fullmatch(alias):",
            'if not re.fullmatch(r"[a-z0-9][a-z0-9._-]{0,62}", alias):',
        ),
    )


def _limits_exclusive(name: str) -> str | None:
    if len(name.encode("utf-8")) >= 4096:
        return "a name must be shorter than 4096 bytes"
    if any(len(part.encode("utf-8")) >= 255 for part in name.split("/")):
        return "a name component must be shorter than 255 bytes"
    return None


def _name_limits_exclusive() -> None:
    _wrap_check_name(_limits_exclusive)


def _eror_message_bytes() -> None:
    messages = _messages()
    _patch_source(
        messages,
        "decode_message",
        (
            '        message = obj.get("message", "")\n',
            '        message = obj.get("message", "")\n'
            "        if isinstance(message, str) and len(\n"
            '            message.encode("utf-8", "surrogatepass")\n'
            "        ) > MAX_MESSAGE_CHARS:  # ERR-1: at most 512\n"
            "            raise RemoteProtocolError(\n"
            '                ErrorCode.BAD_FRAME, "EROR message longer than 512"\n'
            "            )\n",
        ),
    )
    _app().decode_message = messages.decode_message


def _limit_after_type_checks() -> None:
    _patch_source(
        _app().ApplicationConnection,
        "_next_event",
        (
            "        self._header = self._check_header(\n"
            "            *parse_header(buf[:HEADER_SIZE], self.config.max_frame_payload)\n"
            "        )\n",
            "        self._header = self._check_header(\n"
            "            *parse_header(buf[:HEADER_SIZE], 0xFFFFFFFF)\n"
            "        )\n"
            "        parse_header(buf[:HEADER_SIZE], self.config.max_frame_payload)\n",
        ),
    )


def _enr_alias_max_63() -> None:
    _patch_source(
        _module("reference.pki.ca"),
        "check_alias",
        (
            "if not ALIAS_RE.fullmatch(alias):",
            'if not __import__("re").fullmatch(r"[a-z0-9][a-z0-9._-]{0,62}", alias):',
        ),
    )


# --- lens 2 ---------------------------------------------------------------------------


def _state_error_bad_frame() -> None:
    _patch_source(
        _app().ApplicationConnection,
        "_lookup",
        ("ErrorCode.UNEXPECTED_FRAME,", "ErrorCode.BAD_FRAME,"),
    )


def _json_error_internal() -> None:
    frames = _frames()
    _patch_source(
        frames,
        "loads_control",
        (
            "        raise RemoteProtocolError(\n"
            '            ErrorCode.BAD_FRAME, f"payload is not valid JSON: {exc}"\n'
            "        ) from None\n",
            "        raise RemoteProtocolError(\n"
            '            ErrorCode.INTERNAL, f"cannot decode the payload: {exc}"\n'
            "        ) from None\n",
        ),
    )
    _messages().loads_control = frames.loads_control


def _own_fatal_then_bye() -> None:
    transfer = _transfer()
    messages = _messages()
    original = transfer.Initiator.bye

    def bye(self: Any) -> None:
        conn = self.channel.conn
        if conn._error is not None:  # we failed the connection ourselves: still say goodbye
            try:
                self.channel.stream.sendall(messages.encode_message(messages.Bye()))
            except OSError:
                pass
            return
        original(self)

    transfer.Initiator.bye = bye


# --- lens 3 ---------------------------------------------------------------------------


def _raw_keys_unique(text: str) -> None:
    """Raises ValueError when one object holds the same key twice, compared on its raw
    text (escapes not decoded), as a tokenizer that never decodes keys would."""
    stack: list[set[str] | None] = []
    i, n = 0, len(text)
    for _ in range(n + 1):
        if i >= n:
            return
        c = text[i]
        if c == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            token = text[i + 1 : j]
            k = j + 1
            while k < n and text[k] in " \t\r\n":
                k += 1
            if k < n and text[k] == ":" and stack and stack[-1] is not None:
                keys = stack[-1]
                if token in keys:
                    raise ValueError(f"duplicate key {token[:64]!r}")
                keys.add(token)
            i = j + 1
            continue
        if c == "{":
            stack.append(set())
        elif c == "[":
            stack.append(None)
        elif c in "}]" and stack:
            stack.pop()
        i += 1


def _dup_key_raw_text() -> None:
    frames = _frames()
    frames._raw_keys_unique = _raw_keys_unique
    _patch_source(
        frames,
        "loads_control",
        (
            "        value = json.loads(\n"
            "            text, object_pairs_hook=_no_duplicates, parse_constant=_reject_constant\n"
            "        )\n",
            "        _raw_keys_unique(text)\n"
            "        value = json.loads(text, parse_constant=_reject_constant)\n",
        ),
    )
    _messages().loads_control = frames.loads_control


def _first_wins(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        result.setdefault(key, value)
    return result


def _lenient_eror(payload: bytes) -> dict[str, Any]:
    frames = _frames()
    errors = _module("reference.errors")
    try:
        value = json.loads(bytes(payload).decode("utf-8"), object_pairs_hook=_first_wins)
    except ValueError:
        strict: dict[str, Any] = frames.loads_control(payload)  # the strict parser says why
        return strict
    if not isinstance(value, dict):
        raise errors.RemoteProtocolError(errors.ErrorCode.BAD_FRAME, "EROR is not an object")
    result: dict[str, Any] = value
    return result


def _eror_dup_code_first() -> None:
    messages = _messages()
    messages._lenient_eror = _lenient_eror
    _patch_source(
        messages,
        "decode_message",
        (
            "    obj = loads_control(frame.payload)\n",
            "    obj = (\n"
            "        _lenient_eror(frame.payload)\n"
            "        if t == T_EROR\n"
            "        else loads_control(frame.payload)\n"
            "    )\n",
        ),
    )
    _app().decode_message = messages.decode_message


# --- lens 4 ---------------------------------------------------------------------------


def _alias_from_chain_tail() -> None:
    tls = _tls()
    ssl = _module("ssl")
    x509 = _module("cryptography.x509")
    original = tls.peer_alias

    def peer_alias(sock: Any, *, as_server: bool) -> str:
        if as_server:
            result: str = original(sock, as_server=as_server)
            return result
        if sock.selected_alpn_protocol() != tls.ALPN:
            raise tls.CertificateRefused(f"the peer did not negotiate ALPN {tls.ALPN}")
        chain = sock._sslobj.get_unverified_chain() or []
        ders = [c.public_bytes(ssl._ssl.ENCODING_DER) for c in chain]
        own = None
        for der in ders:  # the peer's own certificate: the last one that is not a CA
            try:
                bc = x509.load_der_x509_certificate(der).extensions.get_extension_for_class(
                    x509.BasicConstraints
                )
                is_ca = bool(bc.value.ca)
            except (ValueError, x509.ExtensionNotFound):
                is_ca = False  # no BasicConstraints: not a CA
            if not is_ca:
                own = der
        alias: str = tls.check_peer_certificate(
            own or sock.getpeercert(binary_form=True), as_server=False
        )
        return alias

    tls.peer_alias = peer_alias
    _client().peer_alias = peer_alias


def _eku_oid_prefix() -> None:
    _patch_source(
        _tls(),
        "check_peer_certificate",
        (
            "if wanted not in eku:",
            "if not any(o.dotted_string.startswith(wanted.dotted_string) for o in eku):",
        ),
    )


def _eku_any_is_server() -> None:
    _patch_source(
        _tls(),
        "check_peer_certificate",
        (
            "if wanted not in eku:",
            "if wanted not in eku and ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE not in eku:",
        ),
    )


# --- lens 5 ---------------------------------------------------------------------------


def _json_double_decoded() -> None:
    frames = _frames()
    _patch_source(
        frames,
        "loads_control",
        (
            "    if not isinstance(value, dict):\n",
            "    if isinstance(value, str):  # a sender that encoded its JSON twice\n"
            "        try:\n"
            "            value = json.loads(\n"
            "                value, object_pairs_hook=_no_duplicates,"
            " parse_constant=_reject_constant\n"
            "            )\n"
            "        except ValueError:\n"
            "            pass\n"
            "    if not isinstance(value, dict):\n",
        ),
    )
    _messages().loads_control = frames.loads_control


def _cesu8(text: str) -> bytes:
    out = bytearray()
    for ch in text:
        code = ord(ch)
        if code > 0xFFFF:
            code -= 0x10000
            for half in (0xD800 | (code >> 10), 0xDC00 | (code & 0x3FF)):
                out += chr(half).encode("utf-8", "surrogatepass")
        else:
            out += ch.encode("utf-8", "surrogatepass")
    return bytes(out)


def _rqfl_cesu8() -> None:
    frames = _frames()

    def dumps_control(obj: Any) -> bytes:
        return _cesu8(json.dumps(obj, separators=(",", ":"), ensure_ascii=False))

    frames.dumps_control = dumps_control
    _messages().dumps_control = dumps_control


def _dotdot_substring(name: str) -> str | None:
    return "names with '..' are not allowed" if ".." in name else None


def _name_dotdot_substring() -> None:
    _wrap_check_name(_dotdot_substring)


_HAND_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r"}


def _hand_json(body: dict[str, str]) -> bytes:
    def escape(value: str) -> str:
        return "".join(_HAND_ESCAPES.get(c, c) for c in value)

    return ("{" + ", ".join(f'"{k}": "{escape(v)}"' for k, v in body.items()) + "}").encode()


def _enr_json_escape_partial() -> None:
    enroll = _enroll()
    enroll._hand_json = _hand_json
    _patch_source(
        enroll.CaClient,
        "request",
        (
            "payload = json.dumps(body).encode() if body is not None else None",
            "payload = _hand_json(body) if body is not None else None",
        ),
    )


# --- lens 6 ---------------------------------------------------------------------------


def _sigpipe_default() -> None:
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # as a C program starts


def _handshake_close_bare() -> None:
    tls = _tls()
    del tls._ALERT_MESSAGES["UNEXPECTED_EOF"]
    _patch_source(
        _client().PkiSession,
        "_connect",
        (
            "                if refused == 1:\n                    raise exc.error from None",
            "                if True:  # the last attempt's own reason\n"
            "                    raise exc.error from None",
        ),
    )


def _disk_key(out_dir: Path) -> Any:
    """The public key of key.pem in `out_dir`, or None."""
    serialization = _module("cryptography.hazmat.primitives.serialization")
    try:
        return serialization.load_pem_private_key(
            (Path(out_dir) / "key.pem").read_bytes(), None
        ).public_key()
    except (OSError, ValueError, TypeError):
        return None


def _enr_key_checked_from_disk() -> None:
    enroll = _enroll()
    enroll._disk_key = _disk_key
    _patch_source(
        enroll,
        "enroll",
        (
            "    if cert.public_key() != key.public_key():\n",
            "    ours = _disk_key(out_dir) or key.public_key()  # a renewal: the key on disk\n"
            "    if cert.public_key() != ours:\n",
        ),
    )


# --- after the blind run: class checks of the new cases (not blind) ---------------------


def _eror_message_counted(count: str) -> Callable[[], None]:
    """ERR-1's limit on an EROR message enforced with `count` (a Python expression on
    `message`) in place of the character count."""

    def apply() -> None:
        messages = _messages()
        _patch_source(
            messages,
            "decode_message",
            (
                '        message = obj.get("message", "")\n',
                '        message = obj.get("message", "")\n'
                f"        if isinstance(message, str) and {count}:\n"
                "            raise RemoteProtocolError(\n"
                '                ErrorCode.BAD_FRAME, "EROR message longer than 512"\n'
                "            )\n",
            ),
        )
        _app().decode_message = messages.decode_message

    return apply


def _alias_from_first_extra() -> None:
    tls = _tls()
    ssl = _module("ssl")
    original = tls.peer_alias

    def peer_alias(sock: Any, *, as_server: bool) -> str:
        if as_server:
            result: str = original(sock, as_server=as_server)
            return result
        original(sock, as_server=False)  # the leaf's own checks, as before
        chain = sock._sslobj.get_unverified_chain() or []
        ders = [c.public_bytes(ssl._ssl.ENCODING_DER) for c in chain]
        # "the issuer-side copy": the alias read from the certificate after the leaf
        alias: str = tls.check_peer_certificate(
            ders[1] if len(ders) > 1 else ders[0], as_server=False
        )
        return alias

    tls.peer_alias = peer_alias
    _client().peer_alias = peer_alias


# --- registry -------------------------------------------------------------------------


def _m(
    name: str,
    lens: int,
    requirement: str,
    test_file: str,
    apply: Callable[[], None],
    description: str,
    *,
    enroll: bool = False,
    strict: bool = False,
) -> Mutant:
    prefix = "b17enr" if enroll else "b17ini"
    return Mutant(
        name=f"{prefix}-{name}",
        group="blind17-client2",
        profile="pki",
        requirement=requirement,
        test_file=test_file,
        description=f"L{lens}: {description}",
        apply=apply,
        client=True,
        enroll=enroll,
        strict=strict,
    )


_WRITTEN: tuple[Mutant, ...] = (
    _m(
        "alias-max-63",
        1,
        "PKI-CERT-2",
        "test_client_pki_alias_forms.py",
        _alias_max_63,
        "the target's alias is checked with [a-z0-9][a-z0-9._-]{0,62}: a 64-character alias "
        "(the longest PKI-CERT-2 allows) is refused before connecting",
    ),
    _m(
        "name-limits-exclusive",
        1,
        "APP-NAME-7",
        "test_client_pki_request_names.py",
        _name_limits_exclusive,
        "the initiator's own name check uses >= for APP-NAME-1's limits: a name of exactly "
        "4096 bytes or a component of exactly 255 bytes is refused locally, never asked for",
    ),
    _m(
        "eror-message-bytes",
        1,
        "ERR-1",
        "test_client_pki_eror_message_lengths.py",
        _eror_message_bytes,
        "ERR-1's 512-character limit on an EROR message is counted in UTF-8 bytes (Go's "
        "len): a conforming EROR whose message holds 300 two-byte characters is taken as "
        "malformed and answered bad_frame instead of acted on by its code",
    ),
    _m(
        "limit-after-type-checks",
        1,
        "FRM-3",
        "test_client_pki_data_bounds.py",
        _limit_after_type_checks,
        "the header's type and DATA-range checks run before the frame limit: a DATA header "
        "announcing more than the frame limit is answered bad_frame, an unknown type above it "
        "unexpected_frame, not frame_too_large",
    ),
    _m(
        "alias-max-63",
        1,
        "PKI-CERT-2",
        "test_enroll_client.py",
        _enr_alias_max_63,
        "the enrolment client checks the alias with {0,62}: a 64-character alias (valid, and "
        "accepted by the account store) is refused before the request",
        enroll=True,
    ),
    _m(
        "state-error-bad-frame",
        2,
        "FRM-6",
        "test_pki_initiator_transfer.py",
        _state_error_bad_frame,
        "a well-formed frame of a known type that the initiator's state does not allow (a "
        "second RSFL, a DONE before RSFL, DATA after DONE) is answered bad_frame, not "
        "unexpected_frame",
    ),
    _m(
        "json-error-internal",
        2,
        "FRM-9",
        "test_client_pki_json_tails.py",
        _json_error_internal,
        "an exception of the JSON parser (a syntax error) reaches the generic handler and is "
        "answered EROR internal; only the schema's own errors are bad_frame",
    ),
    _m(
        "own-fatal-then-bye",
        2,
        "ERR-3",
        "test_client_pki_eror_fatality.py",
        _own_fatal_then_bye,
        "close() always says goodbye: after its own fatal EROR (integrity_failed, bad_frame, "
        "unexpected_frame) the initiator still writes BYE_ before it closes",
    ),
    _m(
        "dup-key-raw-text",
        3,
        "FRM-9",
        "test_client_pki_escaped_duplicates.py",
        _dup_key_raw_text,
        'duplicate keys are judged on the raw key text (escapes not decoded): "size" and '
        '"s\\u0069ze" in one RSFL are two keys, and the last one wins',
    ),
    _m(
        "eror-dup-code-first",
        3,
        "ERR-8",
        "test_client_pki_escaped_duplicates.py",
        _eror_dup_code_first,
        "an EROR is parsed leniently (an error must always get through): of a duplicated "
        '`code` the first wins, so {"code": 6, ..., "code": 11} is a non-fatal not_found '
        "and the initiator stays and says BYE_",
    ),
    _m(
        "alias-from-chain-tail",
        4,
        "PKI-ID-1",
        "test_client_pki_chain_extras.py",
        _alias_from_chain_tail,
        "the alias and the PKI-CERT checks are read from the last non-CA certificate the "
        "responder sent, not from the leaf OpenSSL verified: a responder sending [its own "
        "certificate, alice's] passes for alice",
    ),
    _m(
        "eku-oid-prefix",
        4,
        "PKI-CERT-5",
        "test_pki_certs.py",
        _eku_oid_prefix,
        "serverAuth is looked for by dotted-OID prefix: an EKU of clientAuth and "
        "1.3.6.1.5.5.7.3.17 (ipsecIKE) passes as serverAuth (1.3.6.1.5.5.7.3.1)",
    ),
    _m(
        "eku-any-is-server",
        4,
        "PKI-CERT-5",
        "test_pki_certs.py",
        _eku_any_is_server,
        "anyExtendedKeyUsage is taken to stand for serverAuth: a responder certificate whose "
        "EKU is clientAuth and anyExtendedKeyUsage passes",
    ),
    _m(
        "json-double-decoded",
        5,
        "FRM-9",
        "test_client_pki_wrapped_payloads.py",
        _json_double_decoded,
        'a control payload that is a JSON string holding an object ("{\\"name\\": ...}", a '
        "sender that encoded twice) is decoded a second time and used",
    ),
    _m(
        "rqfl-cesu8",
        5,
        "FRM-14",
        "test_pki_initiator_transfer.py",
        _rqfl_cesu8,
        "control payloads are encoded as Java's modified UTF-8 (CESU-8): a character above "
        "U+FFFF in a requested name goes out as two 3-byte surrogates, which is not UTF-8",
    ),
    _m(
        "name-dotdot-substring",
        5,
        "APP-NAME-2",
        "test_client_pki_request_names.py",
        _name_dotdot_substring,
        "the initiator refuses any name containing `..` (a substring test, not a component "
        "test): a..b, ..x and x.. are never asked for",
    ),
    _m(
        "json-escape-partial",
        5,
        "PWF-1",
        "test_enroll_password_controls.py",
        _enr_json_escape_partial,
        'the enrolment body is JSON written by hand: `"`, `\\`, LF and CR escaped, other '
        "control characters written raw: a password holding a TAB makes the body invalid JSON",
        enroll=True,
    ),
    _m(
        "sigpipe-default",
        6,
        "APP-BYE-2",
        "test_client_pki_get_endings.py",
        _sigpipe_default,
        "SIGPIPE is left at its default action (a C client): a completed get or put whose "
        "responder closed before BYE_ is killed while writing its goodbye (exit by signal)",
    ),
    _m(
        "handshake-close-bare",
        6,
        "LIM-9",
        "test_client_login_closed.py",
        _handshake_close_bare,
        "once its retries are spent, a responder's close before the TLS handshake is reported "
        "with the TLS library's last error (UNEXPECTED_EOF_WHILE_READING), not as the "
        "responder closing or busy (a SHOULD: judged strict)",
        strict=True,
    ),
    _m(
        "key-checked-from-disk",
        6,
        "CA-ENR-12",
        "test_enroll_renewal_answers.py",
        _enr_key_checked_from_disk,
        "the answer's key is compared with key.pem as found on disk when there is one (a "
        "renewal reads its key back): a re-enrolment answered with a certificate for the OLD "
        "key is kept, beside the new key then written",
        enroll=True,
    ),
    _m(
        "eror-message-utf16",
        1,
        "ERR-1",
        "test_client_pki_eror_message_lengths.py",
        _eror_message_counted("len(message.encode('utf-16-le', 'surrogatepass')) // 2 > 512"),
        "(after the blind run, a class check) ERR-1's 512-character limit counted in UTF-16 "
        "code units (Java's and JavaScript's length): a conforming EROR of 512 characters "
        "above U+FFFF is answered bad_frame",
    ),
    _m(
        "eror-message-exclusive",
        1,
        "ERR-1",
        "test_client_pki_eror_message_lengths.py",
        _eror_message_counted("len(message) >= 512"),
        "(after the blind run, a class check) ERR-1's limit checked with >=: an EROR "
        "message of exactly 512 characters is answered bad_frame",
    ),
    _m(
        "alias-from-first-extra",
        4,
        "PKI-ID-1",
        "test_client_pki_chain_extras.py",
        _alias_from_first_extra,
        "(after the blind run, a class check) the leaf passes the PKI-CERT checks, but the "
        "alias is read from the certificate after it in the responder's Certificate message",
    ),
)

# Written blind and measured, then judged no MUST violation the suite may FAIL, or masked
# in the reference's own configuration (see the top docstring): not registered.
_NOT_JUDGED_NAMES = frozenset(
    {
        "b17ini-alias-max-63",
        "b17enr-alias-max-63",
        "b17ini-name-limits-exclusive",
        "b17ini-name-dotdot-substring",
        "b17ini-limit-after-type-checks",
        "b17ini-own-fatal-then-bye",
        "b17ini-eku-any-is-server",
        "b17ini-eku-oid-prefix",
    }
)
MUTANTS: tuple[Mutant, ...] = tuple(m for m in _WRITTEN if m.name not in _NOT_JUDGED_NAMES)
NOT_JUDGED: tuple[Mutant, ...] = tuple(m for m in _WRITTEN if m.name in _NOT_JUDGED_NAMES)
