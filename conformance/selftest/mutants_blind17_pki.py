"""Blind red-team round 17 (helper B86): the sft-pki/1 RESPONDER and the application
protocol it serves (TLS 1.3 set-up and identity, allow list, get/put, names, storage,
endings, limits), through the six lenses of round 17.

Phase 1 (blind): written from docs/SPEC.md (§0-§4.3, §6) and the reference's responder
code (reference/pki/peer.py, tls.py, alias.py, reference/app.py, frames.py, share.py,
transfer.py, admission.py, closing.py, messages.py) before any case file or independent
implementation was opened. The ideas were checked against the names and descriptions of
the 3 056 registered mutants while the list was drawn up, and those that repeated a
registered idea were replaced before any code was written — all 20 below are such
replacements or first picks (the ones dropped: an empty file answered not_found, SHA-384
certificates accepted, a KeyUsage refusal not raised, the reserved prefix compared
case-blind, the read buffer cleared after a put, a temporary name from a counter, and the
EKU purpose of the other role, not observable either: OpenSSL's own ssl_client purpose
check refuses such a certificate first).

Lens 1 — boundaries and exact multiples:
  b17pki-name-limit-sum-components  the 4096-byte name limit counts the components' bytes,
                                    not the separators: a 4097..4111-byte name of many
                                    components is looked up (not_found), not forbidden
  b17pki-data-fills-frame-limit     a get's DATA payloads fill the frame limit
                                    (1 MiB + 256), not the 1 MiB DATA limit: files above
                                    1 MiB go out in oversize DATA frames
  (dropped) alias-length-bounds     the alias pattern's repeat written {1,62}: employees
                                    whose alias has 1 or 64 characters are refused
Lens 2 — fatal vs recoverable, the wrong code:
  b17pki-name-type-forbidden        a `name` that is not a string (number, array, null,
                                    object) answered forbidden (non-fatal) instead of
                                    bad_frame
  b17pki-allow-auth-failed          an employee not on the allow list answered auth_failed
                                    (fatal) instead of forbidden
  b17pki-dir-rsfl-then-not-found    a get stats the name for its size first: a directory
                                    gets RSFL {size} and then EROR not_found
  (dropped) inbox-link-forbidden    a symbolic link of a put's name in the inbox answered
                                    forbidden (the share's rule) instead of exists
Lens 3 — duplicates and repetition:
  b17pki-dup-keys-raw-text          duplicate keys looked for in the raw JSON text: a key
                                    spelt with an escape (`n\\u0061me`, `x\\/y`) is not a
                                    duplicate, the last value wins
  b17pki-dup-keys-schema-only       duplicate keys refused only among the members the
                                    schemas define: `{"name":..,"x":1,"x":2}` accepted
  b17pki-put-dedup-content          a put whose verified bytes equal a file already in the
                                    inbox is answered exists (a deduplicating inbox)
  b17pki-own-put-replaced           a connection may replace the files it stored itself:
                                    a second put of a name stored earlier on the same
                                    connection overwrites it
Lens 4 — cryptographic API misuse:
  b17pki-alias-from-last-chain-cert the client's certificates are taken as a bundle with
                                    the employee's own certificate last: the checks and the
                                    alias use the last certificate the client sent, not
                                    the one OpenSSL verified
  b17pki-cn-regex-on-dn             the alias read with a regular expression `CN=([^,]+)`
                                    from the subject's RFC 4514 string: an O `x,CN=alice`
                                    (escaped comma) names alice
Lens 5 — content that looks like structure:
  b17pki-name-splitlines            names must be one line (str.splitlines()): U+2028 and
                                    U+2029 inside a name are refused forbidden
  b17pki-share-glob                 gets with `*`, `?` or `[` are wildcard look-ups
                                    (glob): `report[1].txt` serves report1.txt or nothing
  b17pki-dotdot-substring           any `..` in a name refused: `a..b.txt`, `v1..2` are
                                    forbidden although no component is `..`
  b17pki-json-by-template           control frames built by a string template without
                                    escaping: a `"` in an echoed name (RSFL.name, EROR
                                    message) breaks the JSON
Lens 6 — lifecycle ends:
  b17pki-done-wait-half-idle        once a put's last announced byte is in, DONE must come
                                    within half the idle timeout
  b17pki-bye-drains-pipeline        BYE_ closes after the requests already received: an
                                    RQFL pipelined behind BYE_ is still answered
  b17pki-not-before-grace           5 minutes of grace on notBefore (a CA whose clock runs
                                    ahead): a certificate valid from 2 minutes from now is
                                    accepted

Blind result: 4 of 20 detected in the file first named (name-limit-sum-components,
data-fills-frame-limit, dir-rsfl-then-not-found, put-dedup-content). Run against every
other case file citing the same requirement, 7 more were caught by existing cases
(test_file now names the first): name-type-forbidden and dup-keys-schema-only
(test_framing.py: `name` of the wrong type, the nested duplicate), own-put-replaced
(test_app_put.py), json-by-template (test_app_error_frames.py: refusals of unusual names),
allow-auth-failed (test_pki_certs.py's allow-list case), cn-regex-on-dn
(test_pki_identity.py: two CNs, the suite's last — the reversed RFC 4514 string puts it
first), alias-from-last-chain-cert (test_interop_pki_chain_alias.py, under PKI-ID-2: the
blind pick cited PKI-ID-4, which that file does not cite; under PKI-ID-4 only
test_pki_identity.py failed it, incidentally: its look-alike clients got auth_failed);
and dotdot-substring by a file another helper added this round (test_app_put_dot_runs.py).
8 missed: the 6 the cases below catch, and 2 dropped after the blind run as not a MUST
violation the suite may judge:
- alias-length-bounds: no requirement says an endpoint MUST accept a valid employee
  certificate of any alias PKI-CERT-2 allows (PKI-CERT-2 only defines the syntax;
  PKI-CERT-9's "MUST NOT be refused" is about the key). Proposed for PKI-CERT-2: "An
  endpoint MUST NOT refuse a peer certificate that PKI-CERT-1 allows for its alias: an
  alias of 1 to 64 characters of this set is valid whatever its length."
- inbox-link-forbidden: test_app_put_inbox_links.py accepts `forbidden` for a link in the
  inbox on purpose (as APP-NAME-4 lets the share refuse links), while APP-PUT-3 says a link
  of that name is an existing name (`exists`); left to the lead (a SPEC sentence either
  way: "a link of that name in the inbox MUST be answered exists (or forbidden, as
  APP-NAME-4)").
After (the cases of this round): 18 of 18 —
- test_app_duplicate_key_escape_forms.py: dup-keys-raw-text (a key given twice, once
  through `\\/`, a non-ASCII `\\u00e9`, a surrogate pair, in a nested object: bad_frame;
  test_app_duplicate_key_spellings.py, added this round by another helper, catches it too);
- test_app_name_separators.py: name-splitlines (puts of names holding U+2028, U+2029,
  U+3000, U+1680, U+205F, U+00AD, U+200B, U+2060, U+FEFF, U+180E are stored);
- test_app_name_wildcards.py: share-glob (gets of `*`, `hel*`, `hello.tx?`, `[h]ello.txt`,
  `%` ... are never served; files named with `[1]`, `*`, `?` serve their own bytes);
- test_app_put_done_pause.py: done-wait-half-idle (a DONE 0.8 x idle after the acceptance
  of a 0-byte put, or after the last DATA, is acknowledged);
- test_app_bye_pipelined.py: bye-drains-pipeline (BYE_ + RQFL/PUTF in one write: the
  connection ends without an answer to the request);
- test_pki_validity_seconds.py: not-before-grace (client certificates 20 s before their
  notBefore or 20 s after their notAfter are refused);
- test_pki_subject_injection.py: cn-regex-on-dn's own class (an O/OU value `CN=suite`,
  `x,CN=suite`, `x/CN=suite`, `x+CN=suite`, after or before the CN: never served).
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import glob
import hashlib
import os
import re
import stat
from typing import Any

from conformance.selftest.mutant import Mutant, _module
from conformance.selftest.mutants_app import _patch_source

__all__ = ["MUTANTS"]

_GROUP = "blind17-pki"
_NO_CHECK_TIME = 0x200000  # OpenSSL's X509_V_FLAG_NO_CHECK_TIME


def _transfer() -> Any:
    return _module("reference.transfer")


def _share() -> Any:
    return _module("reference.share")


def _tls() -> Any:
    return _module("reference.pki.tls")


def _peer() -> Any:
    return _module("reference.pki.peer")


def _app() -> Any:
    return _module("reference.app")


def _errors() -> Any:
    return _module("reference.errors")


def _messages() -> Any:
    return _module("reference.messages")


def _frames() -> Any:
    return _module("reference.frames")


# --- lens 1: boundaries and exact multiples --------------------------------------------


def _name_limit_sum_components() -> None:
    _patch_source(
        _share(),
        "check_name",
        (
            'size = len(name.encode("utf-8"))',
            'size = len(name.replace("/", "").encode("utf-8"))  # the components\' bytes',
        ),
    )


def _data_fills_frame_limit() -> None:
    transfer = _transfer()
    frames = _frames()

    def send_file(self: Any, reader: Any, size: int, progress: Any) -> None:
        # Fill each DATA frame up to the frame limit the receiver accepts.
        limit = self.conn.config.max_frame_payload
        buffer = memoryview(bytearray(frames.HEADER_SIZE + limit))
        outgoing = self.conn._outgoing
        sent = 0
        while sent < size:
            chunk = min(limit, size - sent)
            n = transfer._read_exactly(
                reader, buffer[frames.HEADER_SIZE : frames.HEADER_SIZE + chunk]
            )
            if n == 0:
                raise OSError("the file shrank while it was being sent")
            payload = bytes(buffer[frames.HEADER_SIZE : frames.HEADER_SIZE + n])
            outgoing.add(payload)
            transfer.send_progressing(self.stream, frames.encode_header(b"DATA", n) + payload)
            sent += n
            if progress is not None:
                progress(sent, size)
        self.send(self.conn.outgoing_done())
        self.release_buffers()

    transfer._Channel.send_file = send_file


def _name_type_forbidden() -> None:
    messages = _messages()
    share = _share()
    original_schema = messages.check_schema
    original_check = share.check_name

    def check_schema(frame_type: bytes, obj: Any, schema: Any) -> None:
        if frame_type in (b"RQFL", b"PUTF") and "name" in obj and not isinstance(obj["name"], str):
            # the name rules judge the name (forbidden), the schema the rest
            schema = {key: kind for key, kind in schema.items() if key != "name"}
        original_schema(frame_type, obj, schema)

    def check_name(name: Any) -> list[str]:
        if not isinstance(name, str):
            raise share.NameRefused("a name must be a string")
        result: list[str] = original_check(name)
        return result

    messages.check_schema = check_schema
    share.check_name = check_name


def _allow_auth_failed() -> None:
    _patch_source(
        _transfer().Responder,
        "run",
        (
            "ErrorFrame(ErrorCode.FORBIDDEN, self.policy.refusal)",
            "ErrorFrame(ErrorCode.AUTH_FAILED, self.policy.refusal)",
        ),
    )


def _dir_rsfl_then_not_found() -> None:
    transfer = _transfer()
    share_mod = _share()
    messages = _messages()
    errors = _errors()
    original_get = transfer.Responder._get

    def _get(self: Any, request: Any) -> None:
        share = self.policy.share
        if share is not None and isinstance(request.name, str):
            try:
                parts = share_mod.check_name(request.name)
            except errors.RemoteProtocolError:
                parts = None
            if parts:
                root = os.path.realpath(share.path)
                path = os.path.join(root, *parts)
                try:
                    st = os.stat(path)  # the size for RSFL, before the open
                except OSError:
                    st = None
                inside = os.path.realpath(path).startswith(root + os.sep)
                if st is not None and inside and stat.S_ISDIR(st.st_mode):
                    self.channel.stream.sendall(
                        messages.encode_message(messages.FileResponse(request.name, st.st_size))
                    )
                    self._refuse(
                        errors.RemoteProtocolError(
                            errors.ErrorCode.NOT_FOUND, "no such file in the share"
                        )
                    )
                    return
        original_get(self, request)

    transfer.Responder._get = _get


def _raw_keys_repeat(text: str) -> bool:
    """Keys as written in the text, per object: a repeat is a duplicate."""
    stack: list[set[str]] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            raw = text[i + 1 : j]
            k = j + 1
            while k < n and text[k] in " \t\r\n":
                k += 1
            if stack and k < n and text[k] == ":":
                if raw in stack[-1]:
                    return True
                stack[-1].add(raw)
            i = j + 1
            continue
        if c == "{":
            stack.append(set())
        elif c == "}" and stack:
            stack.pop()
        i += 1
    return False


def _dup_keys_raw_text() -> None:
    frames = _frames()
    frames._b17_raw_keys_repeat = _raw_keys_repeat
    _patch_source(
        frames,
        "loads_control",
        (
            "value = json.loads(",
            "if _b17_raw_keys_repeat(text):\n"
            '            raise ValueError("duplicate key")\n'
            "        value = json.loads(",
        ),
        ("object_pairs_hook=_no_duplicates, ", ""),
    )
    _messages().loads_control = frames.loads_control


def _dup_keys_schema_only() -> None:
    frames = _frames()
    members = frozenset({"name", "size", "sha256", "accept", "code", "message", "retry_after"})

    def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key, value in pairs:
            if key in result and key in members:
                raise ValueError(f"duplicate key {key[:64]!r}")
            result[key] = value
        return result

    frames._no_duplicates = _no_duplicates


def _same_content(inbox: Any, size: int, done: Any) -> bool:
    share = _share()
    if done is None:
        return False
    with contextlib.suppress(OSError):
        for entry in os.scandir(inbox.path):
            if entry.name.startswith(share.PARTIAL_PREFIX):
                continue
            info = entry.stat(follow_symlinks=False)
            if not stat.S_ISREG(info.st_mode) or info.st_size != size:
                continue
            digest = hashlib.sha256()
            with open(entry.path, "rb") as f:
                for block in iter(lambda: f.read(1 << 20), b""):
                    digest.update(block)
            if digest.hexdigest() == done.sha256:
                return True
    return False


def _put_dedup_content() -> None:
    transfer = _transfer()
    transfer._b17_same = _same_content
    _patch_source(
        transfer.Responder,
        "_put",
        (
            "        try:\n            partial.commit()",
            "        if _b17_same(inbox, partial.written, self.channel.conn._verified_put):\n"
            "            self._refuse(\n"
            "                RemoteProtocolError(ErrorCode.EXISTS, 'already in the inbox')\n"
            "            )\n"
            "            return\n"
            "        try:\n            partial.commit()",
        ),
    )


def _own_target(responder: Any, inbox: Any, name: str) -> str:
    base: str = _share().check_name(name)[-1]
    if base in responder.__dict__.get("_b17_own", ()):
        return base  # its own file: the connection may replace it
    result: str = inbox.target_name(name)
    return result


def _own_put_replaced() -> None:
    transfer = _transfer()
    transfer._b17_own_target = _own_target
    _patch_source(
        transfer.Responder,
        "_put",
        (
            "final = inbox.target_name(request.name)",
            "final = _b17_own_target(self, inbox, request.name)",
        ),
        (
            "partial.commit()",
            'partial.commit(overwrite=final in self.__dict__.get("_b17_own", ()))',
        ),
        (
            "    self.channel.send(self.channel.conn.stored_done())",
            '    self.__dict__.setdefault("_b17_own", set()).add(final)\n'
            "    self.channel.send(self.channel.conn.stored_done())",
        ),
    )


# --- lens 4: cryptographic API misuse ----------------------------------------------------------


def _alias_from_last_chain_cert() -> None:
    tls = _tls()
    peer = _peer()
    original = tls.peer_alias
    ssl_ext = _module("_ssl")

    def peer_alias(sock: Any, *, as_server: bool) -> str:
        if not as_server:
            result: str = original(sock, as_server=as_server)
            return result
        if sock.selected_alpn_protocol() != tls.ALPN:
            raise tls.CertificateRefused(f"the peer did not negotiate ALPN {tls.ALPN}")
        if sock.version() != "TLSv1.3":
            raise tls.CertificateRefused("the peer did not negotiate TLS 1.3")
        der = sock.getpeercert(binary_form=True)
        with contextlib.suppress(AttributeError, ValueError):
            chain = sock._sslobj.get_unverified_chain() or []
            if chain:
                # the bundle lists the issuers first, the employee's certificate last
                der = chain[-1].public_bytes(ssl_ext.ENCODING_DER)
        alias: str = tls.check_peer_certificate(der, as_server=True)
        return alias

    tls.peer_alias = peer_alias
    peer.peer_alias = peer_alias


def _cn_regex_on_dn() -> None:
    tls = _tls()
    pattern = re.compile(r"CN=([^,]+)")

    def _common_name(cert: Any) -> str:
        found = pattern.search(cert.subject.rfc4514_string())
        if found is None:
            raise tls.CertificateRefused("the certificate has no common name")
        return found.group(1)

    tls._common_name = _common_name


# --- lens 5: content that looks like structure ------------------------------------------------


def _name_splitlines() -> None:
    _patch_source(
        _share(),
        "check_name",
        (
            '        raise NameRefused("control characters are not allowed in names")\n',
            '        raise NameRefused("control characters are not allowed in names")\n'
            "    if len(name.splitlines()) != 1:\n"
            '        raise NameRefused("a name is one line")\n',
        ),
    )


def _share_glob() -> None:
    share = _share()
    original_open = share.ShareDirectory.open

    def open_(self: Any, name: Any) -> Any:
        if isinstance(name, str) and glob.has_magic(name):
            share.check_name(name)
            matches = sorted(glob.glob(name, root_dir=self.path))
            if not matches:
                raise share._not_found(name)
            name = matches[0]
        return original_open(self, name)

    share.ShareDirectory.open = open_


def _dotdot_substring() -> None:
    _patch_source(
        _share(),
        "check_name",
        (
            '    parts = name.split("/")\n',
            '    if ".." in name:\n'
            '        raise NameRefused(f"path traversal is not allowed: {_shown(name)}")\n'
            '    parts = name.split("/")\n',
        ),
    )


def _json_by_template() -> None:
    messages = _messages()
    frames = _frames()

    def _control(frame_type: bytes, obj: dict[str, object]) -> bytes:
        members = []
        for key, value in obj.items():
            if isinstance(value, bool):
                text = "true" if value else "false"
            elif isinstance(value, int):
                text = str(value)
            else:
                text = '"' + str(value) + '"'
            members.append(f'"{key}":{text}')
        data: bytes = frames.encode_frame(frame_type, ("{" + ",".join(members) + "}").encode())
        return data

    messages._control = _control


# --- lens 6: lifecycle ends --------------------------------------------------------------------


def _done_wait_half_idle() -> None:
    transfer = _transfer()
    messages = _messages()
    errors = _errors()

    def receive_file(self: Any, sink: Any, size: int, progress: Any) -> Any:
        stream = self.stream
        idle = stream.gettimeout()
        received = 0
        try:
            while True:
                if received >= size and idle:
                    stream.settimeout(idle / 2)  # the DONE follows the last byte at once
                event = self.next_event()
                if isinstance(event, messages.Data):
                    sink.write(event.data)
                    received += len(event.data)
                    if progress is not None:
                        progress(received, size)
                elif isinstance(event, messages.Done):
                    self.release_buffers()
                    return event
                elif isinstance(event, messages.ErrorFrame):
                    raise transfer.TransferFailed(event.code, event.message, remote=True)
                else:
                    raise errors.RemoteProtocolError(
                        errors.ErrorCode.UNEXPECTED_FRAME, f"unexpected {event!r}"
                    )
        finally:
            if idle:
                with contextlib.suppress(OSError):
                    stream.settimeout(idle)

    transfer._Channel.receive_file = receive_file


def _finish_pipeline(responder: Any) -> None:
    """After BYE_: answer the requests already received, then close."""
    app = _app()
    messages = _messages()
    conn = responder.channel.conn
    for _ in range(64):
        if not conn._buffer or not responder.policy.authorised:
            break
        conn.state = app.ResponderState.IDLE
        event = conn.next_event()
        if isinstance(event, messages.FileRequest):
            responder._get(event)
        elif isinstance(event, messages.PutRequest):
            responder._put(event)
        else:
            break
    conn.state = app.ResponderState.BYE_RECEIVED


def _bye_drains_pipeline() -> None:
    transfer = _transfer()
    transfer._b17_finish_pipeline = _finish_pipeline
    _patch_source(
        transfer.Responder,
        "run",
        (
            "if isinstance(event, Bye):\n                channel.send(Bye())",
            "if isinstance(event, Bye):\n"
            "                _b17_finish_pipeline(self)\n"
            "                channel.send(Bye())",
        ),
    )


def _not_before_grace() -> None:
    tls = _tls()
    peer = _peer()
    original_context = tls.server_context
    original_check = tls.check_peer_certificate
    grace = _dt.timedelta(minutes=5)

    def server_context(identity: Any, crl_der: bytes) -> Any:
        ctx = original_context(identity, crl_der)
        ctx.verify_flags = ctx.verify_flags | _NO_CHECK_TIME  # dates checked below
        return ctx

    def check_peer_certificate(der: Any, *, as_server: bool) -> str:
        if as_server and der is not None:
            cert = tls._decoded(der)
            now = _dt.datetime.now(_dt.UTC)
            # a CA whose clock runs a little ahead issues certificates "from the future"
            if not cert.not_valid_before_utc - grace <= now <= cert.not_valid_after_utc:
                raise tls.CertificateRefused("the certificate is not valid now")
        result: str = original_check(der, as_server=as_server)
        return result

    tls.server_context = server_context
    peer.server_context = server_context
    tls.check_peer_certificate = check_peer_certificate


def _m(name: str, requirement: str, test_file: str, description: str, apply: Any) -> Mutant:
    return Mutant(
        name=name,
        group=_GROUP,
        profile="pki",
        requirement=requirement,
        test_file=test_file,
        description=description,
        apply=apply,
    )


MUTANTS: tuple[Mutant, ...] = (
    # lens 1
    _m(
        "b17pki-name-limit-sum-components", "APP-NAME-1", "test_app_names.py",
        "L1: the 4096-byte name limit counts the components' bytes without the separators: "
        "a name of 4097 bytes or more made of many components is looked up, not forbidden",
        _name_limit_sum_components,
    ),
    _m(
        "b17pki-data-fills-frame-limit", "FRM-14", "test_app_get_frame_sizes.py",
        "L1: a get's DATA payloads fill the frame limit (1 MiB + 256) instead of the 1 MiB "
        "DATA limit: a file above 1 MiB goes out in oversize DATA frames",
        _data_fills_frame_limit,
    ),
    # lens 2
    _m(
        "b17pki-name-type-forbidden", "FRM-9", "test_framing.py",
        "L2: a name that is not a JSON string (number, array, object, null) is judged by the "
        "name rules: forbidden (non-fatal) instead of bad_frame",
        _name_type_forbidden,
    ),
    _m(
        "b17pki-allow-auth-failed", "PKI-ID-3", "test_pki_certs.py",
        "L2: an employee not on the allow list is answered auth_failed (fatal) instead of "
        "forbidden",
        _allow_auth_failed,
    ),
    _m(
        "b17pki-dir-rsfl-then-not-found", "APP-GET-2", "test_app_get.py",
        "L2: a get stats the name for its size before opening it: a directory is answered "
        "RSFL {size} and then EROR not_found",
        _dir_rsfl_then_not_found,
    ),
    # lens 3
    _m(
        "b17pki-dup-keys-raw-text", "FRM-9", "test_app_duplicate_key_escape_forms.py",
        "L3: duplicate keys are looked for in the raw JSON text: a key spelt with an escape "
        "(n\\u0061me) is not a duplicate and the last value wins",
        _dup_keys_raw_text,
    ),
    _m(
        "b17pki-dup-keys-schema-only", "FRM-9", "test_framing.py",
        "L3: duplicate keys are refused only among the members the schemas define: an "
        "unknown member given twice is accepted",
        _dup_keys_schema_only,
    ),
    _m(
        "b17pki-put-dedup-content", "APP-PUT-1", "test_app_put.py",
        "L3: a put whose verified bytes equal a file already in the inbox is answered exists "
        "(a deduplicating inbox) although its name is free",
        _put_dedup_content,
    ),
    _m(
        "b17pki-own-put-replaced", "APP-PUT-3", "test_app_put.py",
        "L3: a connection may replace the files it stored itself: a second put of a name "
        "stored earlier on the same connection overwrites it",
        _own_put_replaced,
    ),
    # lens 4
    _m(
        "b17pki-alias-from-last-chain-cert", "PKI-ID-2", "test_interop_pki_chain_alias.py",
        "L4: the certificates the client sent are read as a bundle with the employee's own "
        "last: the checks and the alias use the last one, not the certificate verified",
        _alias_from_last_chain_cert,
    ),
    _m(
        "b17pki-cn-regex-on-dn", "PKI-ID-4", "test_pki_identity.py",
        "L4: the alias is read with the regular expression CN=([^,]+) from the subject's "
        "RFC 4514 string: an OU 'x,CN=alice' (an escaped comma) names alice",
        _cn_regex_on_dn,
    ),
    # lens 5
    _m(
        "b17pki-name-splitlines", "APP-PUT-2", "test_app_name_separators.py",
        "L5: a name must be one line (str.splitlines()): U+2028 or U+2029 inside a name is "
        "refused forbidden",
        _name_splitlines,
    ),
    _m(
        "b17pki-share-glob", "APP-NAME-3", "test_app_name_wildcards.py",
        "L5: a get whose name holds *, ? or [ is a wildcard look-up (glob): report[1].txt "
        "serves report1.txt, or not_found",
        _share_glob,
    ),
    _m(
        "b17pki-dotdot-substring", "APP-PUT-2", "test_app_put_dot_runs.py",
        "L5: any '..' in a name is refused forbidden: a..b.txt or v1..2 although no component "
        "is '..'",
        _dotdot_substring,
    ),
    _m(
        "b17pki-json-by-template", "FRM-14", "test_app_error_frames.py",
        "L5: control frames are built by a string template without escaping: a '\"' in an "
        "echoed name (RSFL.name, an EROR message) makes the payload invalid JSON",
        _json_by_template,
    ),
    # lens 6
    _m(
        "b17pki-done-wait-half-idle", "LIM-2", "test_app_put_done_pause.py",
        "L6: once a put's last announced byte is in, its DONE must come within half the idle "
        "timeout: a pause shorter than the idle timeout is cut with EROR timeout",
        _done_wait_half_idle,
    ),
    _m(
        "b17pki-bye-drains-pipeline", "APP-BYE-1", "test_app_bye_pipelined.py",
        "L6: BYE_ closes after the requests already received: an RQFL pipelined behind BYE_ "
        "is still answered before the echo",
        _bye_drains_pipeline,
    ),
    _m(
        "b17pki-not-before-grace", "PKI-CERT-3", "test_pki_validity_seconds.py",
        "L6: five minutes of grace on notBefore (a CA whose clock runs ahead): a client "
        "certificate valid from two minutes from now is accepted",
        _not_before_grace,
    ),
)
