"""Blind red-team round 9 (helper B24): the sft-pki/1 RESPONDER (TLS context, certificate
checks, CRL, identity, admission) and the shared application layer (frames, JSON, names,
storage) as served over either profile. Written from docs/SPEC.md and the reference alone,
before reading any conformance case or other mutant module.

Each mutant is one plausible implementer's mistake breaking ONE observable MUST, planted
by monkeypatching the reference inside the mutant's own subprocess, mostly by editing one
line of the reference's own source (`_patch_source`). Lenses (docs: briefs s9 lenses.md):

1 refactoring slips      b9pki-cn-first-of-many, b9pki-bc-and, b9pki-allow-joined,
                         b9pki-crl-refresh-minutes, b9app-putf-sha-dropped,
                         b9app-rsfl-basename, b9app-data-max-lt
2 library defaults,      b9pki-eku-missing-any, b9pki-groups-default, b9pki-no-time-check,
  lenient parsers        b9app-json-nested-dupes, b9app-int-str, b9app-sha-fromhex,
                         b9app-name-strip, b9app-commit-replace, b9app-partial-0644
3 error paths            b9pki-refused-as-forbidden, b9pki-refused-fin-no-notify,
                         b9pki-timeout-fin-no-notify, b9pki-send-stall-blocking,
                         b9app-truncated-keeps-partial, b9app-integrity-nonfatal
4 configuration          b9pki-put-max-size-default, b9pki-allow-per-address,
                         b9pki-put-no-idle-timeout, b9pki-pending-cap-global,
                         b9pki-handshake-timeout-default, b9app-get-no-size-limit
5 crypto API misuse      b9pki-ku-keyagreement, b9pki-sha2-family, b9pki-ccm8-suite,
                         b9pki-crl-first-entry, b9pki-alpn-substring,
                         b9app-done-sha-prefix, b9app-rsfl-sha-first-mib

Blind run (35 mutants, before any case was read): 29 detected; the 6 others were this
module's own targeting errors (three eke mutants patched reference.transfer.Responder,
which the eke server does not use; three named a case file without the requirement's
cases) and were all detected once aimed right, with no case change.

After the blind run (informed by the cases; all lens 3, error paths): a connection slot
kept by the ending path that skips the release (b9pki-slot-leak-refused-cert,
b9pki-slot-leak-fatal-error, b9pki-slot-leak-handshake, b9app-eke-slot-leak-vanished),
an established connection evicted when full (b9pki-evict-established, lens 4), and a bare
TCP close instead of close_notify on error paths the endings of test_pki_tls.py did not
take (b9pki-busy-fin-no-notify, b9pki-eror-received-fin, b9pki-integrity-fin,
b9pki-too-large-fin, b9pki-forbidden-fin). Judged by test_limits_slots.py and
test_pki_tls.py::test_responder_ends_error_paths_with_close_notify.
"""

from __future__ import annotations

import inspect
import os
import textwrap
from typing import Any

from conformance.selftest.mutant import Mutant, _module

__all__ = ["MUTANTS"]


def _patch_source(owner: Any, attr: str, *edits: tuple[str, str]) -> Any:
    """Replaces `owner.attr` by its own source with `edits` applied (each must match);
    returns the new object (a function, or a staticmethod when the original was one)."""
    func = inspect.getattr_static(owner, attr)
    raw = getattr(func, "__func__", func)
    source = textwrap.dedent(inspect.getsource(raw))
    for old, new in edits:
        if old not in source:
            raise RuntimeError(f"mutant: {attr} no longer contains {old!r}")
        source = source.replace(old, new)
    namespace: dict[str, Any] = {}
    code = compile("from __future__ import annotations\n" + source, f"<mutant {attr}>", "exec")
    exec(code, raw.__globals__, namespace)  # noqa: S102 - the mutant's own edited source
    setattr(owner, attr, namespace[attr])
    return namespace[attr]


def _tls() -> Any:
    return _module("reference.pki.tls")


def _peer() -> Any:
    return _module("reference.pki.peer")


def _app() -> Any:
    return _module("reference.app")


def _frames() -> Any:
    return _module("reference.frames")


def _messages() -> Any:
    return _module("reference.messages")


def _share() -> Any:
    return _module("reference.share")


def _transfer() -> Any:
    return _module("reference.transfer")


# ------------------------------------------------------------- lens 1: refactoring slips


def _cn_first_of_many() -> None:
    # "no CN" was the case in mind; a subject with two CNs slips through with the first.
    _patch_source(_tls(), "_common_name", ("if len(names) != 1 or", "if len(names) < 1 or"))


def _bc_and() -> None:
    # `or` became `and` when the criticality check was added: CA:TRUE (critical) passes.
    _patch_source(
        _tls(),
        "check_peer_certificate",
        ("if bc.value.ca or not bc.critical:", "if bc.value.ca and not bc.critical:"),
    )


def _allow_joined() -> None:
    # The allow list joined for the start-up line, then reused for the membership test.
    _patch_source(
        _peer().PeerServer,
        "_connection",
        (
            "alias in self.config.allow",
            'alias in ", ".join(self.config.allow)',
        ),
    )


def _crl_refresh_minutes() -> None:
    # The interval read as minutes (the option's help once said "minutes").
    _patch_source(
        _peer().PeerServer,
        "_refresh_crl",
        (
            "self._stop.wait(self.config.crl_refresh)",
            "self._stop.wait(self.config.crl_refresh * 60)",
        ),
    )


def _putf_sha_dropped() -> None:
    # The PutRequest branch copied from the FileResponse one, without the announced digest.
    _patch_source(
        _app().ApplicationConnection,
        "_on_control",
        (
            "isinstance(message, PutRequest):\n"
            "        self._incoming = _Transfer(message.size, message.sha256,",
            "isinstance(message, PutRequest):\n"
            "        self._incoming = _Transfer(message.size, None,",
        ),
    )


def _rsfl_basename() -> None:
    # The stored-name rule of a put (basename) copied into the get's answer (the eke
    # server's own get path: it does not use reference.transfer.Responder).
    _patch_source(
        _module("reference.eke.server").EkeServer,
        "_serve_get",
        (
            "FileResponse(name, shared.size)",
            'FileResponse(name.rsplit("/", 1)[-1], shared.size)',
        ),
    )


def _data_max_lt() -> None:
    # `<` for `<=` at the DATA payload limit: a full 1 MiB DATA frame is refused.
    _patch_source(
        _app().ApplicationConnection,
        "_check_header",
        ("not 1 <= length <= MAX_DATA_PAYLOAD", "not 1 <= length < MAX_DATA_PAYLOAD"),
    )


# --------------------------------------------- lens 2: library defaults, lenient parsers


def _eku_missing_any() -> None:
    # RFC 5280 / OpenSSL: a certificate without EKU is valid for any purpose.
    _patch_source(
        _tls(),
        "check_peer_certificate",
        (
            'raise CertificateRefused(f"{alias}\'s certificate has no extended key usage") '
            "from None",
            "eku = [ExtendedKeyUsageOID.CLIENT_AUTH, ExtendedKeyUsageOID.SERVER_AUTH]",
        ),
    )


def _groups_default() -> None:
    # Suites and signature algorithms pinned; the groups left at OpenSSL's defaults
    # (ffdhe2048..8192, x448, secp521r1 accepted).
    _patch_source(
        _tls(), "_pin_tls13_parameters", ("(_SSL_CTRL_SET_GROUPS_LIST, TLS13_GROUPS),", "")
    )


def _no_time_check() -> None:
    # X509_V_FLAG_NO_CHECK_TIME "because employees' laptop clocks drift".
    tls = _tls()
    patched = _patch_source(
        tls,
        "server_context",
        (
            "ctx.verify_mode = ssl.CERT_REQUIRED  # [PKI-TLS-3]",
            "ctx.verify_mode = ssl.CERT_REQUIRED\n    ctx.verify_flags |= 0x200000",
        ),
    )
    _peer().server_context = patched


def _nested_dupes_loads(payload: Any) -> Any:
    frames = _frames()
    json = _module("json")
    if len(payload) > frames.MAX_CONTROL_PAYLOAD:
        raise frames.RemoteProtocolError(
            frames.ErrorCode.FRAME_TOO_LARGE, "control payload too large"
        )
    try:
        text = bytes(payload).decode("utf-8")
        value = json.loads(text, parse_constant=frames._reject_constant)
        if isinstance(value, dict):
            # Duplicates checked on the top-level members only (the ones the schema reads).
            keys = [key for key, _ in json.loads(text, object_pairs_hook=list)]
            if len(keys) != len(set(keys)):
                raise ValueError("duplicate key")
    except UnicodeDecodeError:
        raise frames.RemoteProtocolError(frames.ErrorCode.BAD_FRAME, "not UTF-8") from None
    except (ValueError, RecursionError) as exc:
        raise frames.RemoteProtocolError(frames.ErrorCode.BAD_FRAME, f"bad JSON: {exc}") from None
    if not isinstance(value, dict):
        raise frames.RemoteProtocolError(frames.ErrorCode.BAD_FRAME, "not a JSON object")
    return value


def _json_nested_dupes() -> None:
    _frames().loads_control = _nested_dupes_loads
    _messages().loads_control = _nested_dupes_loads


def _int_str() -> None:
    # int() "to be liberal": "5", " 5", "+5", "5_000" and "٥" all become sizes.
    patched = _patch_source(
        _frames(),
        "check_schema",
        (
            "if not _has_kind(obj[name], kind):",
            'if kind == "int" and isinstance(obj[name], str):\n'
            "            try:\n"
            "                obj[name] = int(obj[name])  # type: ignore[index]\n"
            "            except ValueError:\n"
            "                pass\n"
            "        if not _has_kind(obj[name], kind):",
        ),
    )
    _messages().check_schema = patched


def _fromhex32(value: str) -> bool:
    try:
        return len(bytes.fromhex(value)) == 32
    except ValueError:
        return False


def _sha_fromhex() -> None:
    # bytes.fromhex validates a digest (any case, spaces between pairs) and compares bytes.
    frames = _frames()
    frames._fromhex32 = _fromhex32
    _patch_source(
        frames,
        "_has_kind",
        ("return _SHA256_RE.fullmatch(value) is not None", "return _fromhex32(value)"),
    )
    _patch_source(
        _app()._Transfer,
        "check_done",
        (
            "done.sha256 == sha",
            "bytes.fromhex(done.sha256) == bytes.fromhex(sha)",
        ),
        (
            "self.expected_sha256 != sha",
            "bytes.fromhex(self.expected_sha256) != bytes.fromhex(sha)",
        ),
    )


def _name_strip() -> None:
    # .strip() on the name "as every input is cleaned".
    share = _share()
    _patch_source(
        share.ShareDirectory,
        "open",
        ("parts = check_name(name)", "name = name.strip()\n    parts = check_name(name)"),
    )
    _patch_source(
        share.Inbox,
        "target_name",
        ("base = check_name(name)[-1]", "base = check_name(name.strip())[-1]"),
    )


def _commit_replace() -> None:
    # The rename helper's default flipped to os.replace: the loser of a race overwrites.
    _patch_source(
        _share().PartialFile,
        "commit",
        (
            "def commit(self, *, overwrite: bool = False)",
            "def commit(self, *, overwrite: bool = True)",
        ),
    )


def _partial_0644() -> None:
    # The temporary created with the usual file mode (0644 after the umask), not 0600.
    _patch_source(_share().PartialFile, "__init__", ("0o600,", "0o644,"))


# --------------------------------------------------------------- lens 3: error paths


def _refused_as_forbidden() -> None:
    # A refused certificate handled like an alias off the allow list: each request is
    # answered `forbidden` instead of the connection being refused before any request.
    _patch_source(
        _peer().PeerServer,
        "_connection",
        (
            'encode_message(ErrorFrame(ErrorCode.AUTH_FAILED, "authentication failed"))\n'
            "                )\n"
            "            return\n",
            'encode_message(ErrorFrame(ErrorCode.AUTH_FAILED, "authentication failed"))\n'
            "                ) if False else None\n"
            '            alias = "?"\n',
        ),
        (
            "allowed = not self.config.allow or alias in self.config.allow",
            'allowed = alias != "?" and (not self.config.allow or alias in self.config.allow)',
        ),
    )


def _refused_fin_no_notify() -> None:
    # "Do not talk TLS to an impostor": after auth_failed the TCP socket is shut at once.
    _patch_source(
        _peer().PeerServer,
        "_connection",
        (
            'encode_message(ErrorFrame(ErrorCode.AUTH_FAILED, "authentication failed"))\n'
            "                )\n",
            'encode_message(ErrorFrame(ErrorCode.AUTH_FAILED, "authentication failed"))\n'
            "                )\n"
            "                socket.socket.shutdown(tls, socket.SHUT_RDWR)\n",
        ),
    )


def _shut_raw(stream: Any) -> None:
    socket = _module("socket")
    try:
        socket.socket.shutdown(stream, socket.SHUT_RDWR)
    except (OSError, TypeError):
        pass


def _timeout_fin_no_notify() -> None:
    # The idle timeout hangs up the TCP connection right after its EROR.
    transfer = _transfer()
    transfer._shut_raw = _shut_raw
    _patch_source(
        transfer.Responder,
        "run",
        (
            'channel.fail(RemoteProtocolError(ErrorCode.TIMEOUT, "idle timeout"))',
            'channel.fail(RemoteProtocolError(ErrorCode.TIMEOUT, "idle timeout"))\n'
            "        _shut_raw(channel.stream)",
        ),
    )


def _send_patiently(channel: Any, shared: Any) -> None:
    stream = channel.stream
    previous = stream.gettimeout()
    stream.settimeout(None)  # "a slow reader is not idle: its data is on the way"
    try:
        channel.send_file(shared.file.readinto, shared.size, None)
    finally:
        stream.settimeout(previous)


def _send_stall_blocking() -> None:
    transfer = _transfer()
    transfer._send_patiently = _send_patiently
    _patch_source(
        transfer.Responder,
        "_get",
        (
            "self.channel.send_file(shared.file.readinto, shared.size, None)",
            "_send_patiently(self.channel, shared)",
        ),
    )


def _truncated_keeps_partial() -> None:
    # A put cut short by the initiator keeps its temporary "so that the sender can
    # resume it" (the eke server's record loop forgets it instead of aborting it).
    _patch_source(
        _module("reference.eke.server").EkeServer,
        "_serve_records",
        (
            "return  # [EKE-REC-4]: close, deliver nothing, send nothing",
            "partial = None  # kept for a resume\n                return",
        ),
    )


def _receive_lenient(responder: Any, partial: Any, size: int) -> bool:
    errors = _module("reference.errors")
    messages = _messages()
    app = _app()
    try:
        responder.channel.receive_file(partial, size, None)
        return True
    except errors.RemoteProtocolError as exc:
        if exc.code is not errors.ErrorCode.INTEGRITY_FAILED:
            raise
        # "A bad upload is the sender's problem": say so and keep the connection.
        responder.channel.stream.sendall(
            messages.encode_message(messages.ErrorFrame(exc.code, exc.message))
        )
        conn = responder.channel.conn
        conn._error = None
        conn.state = app.ResponderState.IDLE
        conn._incoming = conn._outgoing = None
        conn._header = None
        conn._payload_left = 0
        conn._verified_put = None
        return False


def _integrity_nonfatal() -> None:
    transfer = _transfer()
    transfer._receive_lenient = _receive_lenient
    _patch_source(
        transfer.Responder,
        "_put",
        (
            "self.channel.receive_file(partial, request.size, None)",
            "if not _receive_lenient(self, partial, request.size):\n                    return",
        ),
    )


# ------------------------------------------------------------- lens 4: configuration


def _put_max_size_default() -> None:
    # The put path checks the compiled-in default, the get path the configured limit.
    _patch_source(
        _transfer().Responder,
        "_put",
        (
            "if request.size > self.policy.max_file_size:",
            "if request.size > DEFAULT_MAX_FILE_SIZE:",
        ),
    )


def _allow_per_address() -> None:
    # The allow-list decision cached per source address (to skip the lookup).
    peer = _peer()
    peer._ALLOW_BY_ADDRESS = {}
    _patch_source(
        peer.PeerServer,
        "_connection",
        (
            "allowed = not self.config.allow or alias in self.config.allow",
            "allowed = _ALLOW_BY_ADDRESS.setdefault(\n"
            "                addr[0], not self.config.allow or alias in self.config.allow\n"
            "            )",
        ),
    )


def _put_no_idle_timeout() -> None:
    # No idle timeout while a put is received ("the data is on its way").
    _patch_source(
        _transfer().Responder,
        "_put",
        (
            "self.receiving = True\n",
            "self.receiving = True\n"
            "        _saved = self.channel.stream.gettimeout()\n"
            "        self.channel.stream.settimeout(None)\n",
        ),
        (
            "self.receiving = False\n",
            "self.receiving = False\n            self.channel.stream.settimeout(_saved)\n",
        ),
    )


def _pending_cap_global() -> None:
    # The per-address cap compared with every pending handshake, whatever its address.
    _patch_source(
        _module("reference.admission").Admission,
        "admit",
        (
            "if self.pending_from(address) >= self.max_pending_per_address:",
            "if len(self._pending) >= self.max_pending_per_address:",
        ),
    )


def _handshake_timeout_default() -> None:
    # --handshake-timeout parsed, the TLS deadline still the default 10 s.
    _patch_source(
        _peer().PeerServer,
        "_handshake",
        ("self.config.handshake_timeout", "10.0"),
    )


def _get_no_size_limit() -> None:
    # The get path checks the compiled-in default 4 GiB, the put path the configured limit.
    _patch_source(
        _module("reference.eke.server").EkeServer,
        "_serve_get",
        ("if shared.size > self.config.max_file_size:", "if shared.size > 4 * 1024**3:"),
    )


# --------------------------------------------------------- lens 5: crypto API misuse


def _ku_keyagreement() -> None:
    # OpenSSL's own rule (digitalSignature OR keyAgreement) copied for the KeyUsage check.
    _patch_source(
        _tls(),
        "check_peer_certificate",
        ("if not ku.digital_signature:", "if not (ku.digital_signature or ku.key_agreement):"),
    )


def _sha2_family() -> None:
    # "SHA-2" read as any SHA-2 hash: SHA-384 / SHA-512 signed certificates pass.
    _patch_source(
        _tls(),
        "_check_algorithms",
        (
            "isinstance(cert.signature_hash_algorithm, hashes.SHA256)",
            "isinstance(\n"
            "        cert.signature_hash_algorithm, (hashes.SHA256, hashes.SHA384, hashes.SHA512)\n"
            "    )",
        ),
    )


def _ccm8_suite() -> None:
    # "All of TLS 1.3's AEAD suites": TLS_AES_128_CCM_8_SHA256 (64-bit tag) added.
    tls = _tls()
    tls.TLS13_CIPHERSUITES = tls.TLS13_CIPHERSUITES + ":TLS_AES_128_CCM_8_SHA256"


_CRL_HOLDER: dict[str, bytes] = {}


def _crl_first_entry() -> None:
    # Revocation checked in our own code, by a loop that `break`s after the first entry;
    # OpenSSL's CRL check left off ("we check it ourselves").
    peer = _peer()
    tls = _tls()
    x509 = _module("cryptography.x509")
    original_context = tls.server_context
    original_alias = peer.peer_alias

    def server_context(identity: Any, crl_der: bytes) -> Any:
        _CRL_HOLDER["crl"] = crl_der
        ctx = original_context(identity, crl_der)
        ctx.verify_flags &= ~tls.ssl.VERIFY_CRL_CHECK_LEAF
        return ctx

    def peer_alias(sock: Any, *, as_server: bool) -> str:
        alias: str = original_alias(sock, as_server=as_server)
        cert = x509.load_der_x509_certificate(sock.getpeercert(binary_form=True))
        for entry in x509.load_der_x509_crl(_CRL_HOLDER["crl"]):
            if entry.serial_number == cert.serial_number:
                raise tls.CertificateRefused(f"{alias}'s certificate was revoked")
            break
        return alias

    peer.server_context = server_context
    peer.peer_alias = peer_alias


def _alpn_substring() -> None:
    # A membership test where equality was meant: no ALPN ("") is "in" "sft-pki/1".
    _patch_source(
        _tls(),
        "peer_alias",
        (
            "if sock.selected_alpn_protocol() != ALPN:",
            'if (sock.selected_alpn_protocol() or "") not in ALPN:',
        ),
    )


def _done_sha_prefix() -> None:
    # The digest compared on its first half ("128 bits are plenty").
    _patch_source(
        _app()._Transfer, "check_done", ("done.sha256 == sha", "done.sha256[:32] == sha[:32]")
    )


def _quick_sha256(shared: Any) -> str:
    hashlib = _module("hashlib")
    return str(hashlib.sha256(os.pread(shared.file.fileno(), 1024 * 1024, 0)).hexdigest())


def _rsfl_sha_first_mib() -> None:
    # RSFL announces a "quick" SHA-256 of the first MiB, DONE the real one.
    transfer = _transfer()
    transfer._quick_sha256 = _quick_sha256
    _patch_source(
        transfer.Responder,
        "_get",
        (
            "FileResponse(request.name, shared.size)",
            "FileResponse(request.name, shared.size, _quick_sha256(shared))",
        ),
    )


# ------------------------------------------ after the blind run (informed by the cases)
# Lens 3: what an error path leaves behind. A connection slot (LIM-4) released only on
# the path that logs "connection ended" normally; the error path returns early and keeps
# it: after max_connections such endings the responder answers everyone `busy`.

_LEAKED: set[int] = set()


def _release_unless_leaked(release: Any) -> Any:
    def patched(self: Any, key: int) -> None:
        if key in _LEAKED:
            return
        release(self, key)

    return patched


def _leak_on(edit: tuple[str, str]) -> None:
    peer = _peer()
    peer._LEAKED = _LEAKED
    admission = _module("reference.admission").Admission
    admission.release = _release_unless_leaked(admission.release)
    _patch_source(peer.PeerServer, "_connection", edit)


def _slot_leak_refused_cert() -> None:
    _leak_on(
        (
            'self.log(f"{where}: refused: {exc}")',
            'self.log(f"{where}: refused: {exc}")\n            _LEAKED.add(key)',
        )
    )


def _slot_leak_fatal_error() -> None:
    # The slot is kept when the responder ended on a protocol error (the core kept it).
    _leak_on(
        (
            "responder.run()\n",
            "responder.run()\n"
            "            if responder.channel.conn._error is not None:\n"
            "                _LEAKED.add(key)\n",
        )
    )


def _slot_leak_handshake() -> None:
    # A failed TLS handshake (an alert: unknown CA, expired...) keeps its pending slot.
    _leak_on(
        (
            'self.log(f"{where}: handshake failed: {reason}")',
            'self.log(f"{where}: handshake failed: {reason}")\n        _LEAKED.add(key)',
        )
    )


def _eke_slot_leak_vanished() -> None:
    # The eke server: a connection that vanished (reset) keeps its slot.
    server = _module("reference.eke.server")
    server._LEAKED = _LEAKED
    admission = _module("reference.admission").Admission
    admission.release = _release_unless_leaked(admission.release)
    _patch_source(
        server.EkeServer,
        "_serve_records",
        (
            "except (TimeoutError, ConnectionError):\n        return\n",
            "except (TimeoutError, ConnectionError):\n"
            "        _LEAKED.add(conn_id)\n"
            "        return\n",
        ),
    )


def _evict_established() -> None:
    # LIM-9's "close the oldest to make room" applied to established connections too.
    _patch_source(
        _module("reference.admission").Admission,
        "admit",
        (
            "if not self._pending:\n"
            "            return AdmissionDecision(refused=Refusal.FULL)\n"
            "        evict = next(iter(self._pending))\n"
            "        self._forget_pending(evict)\n",
            "evict = next(iter(self._pending or self._established))\n"
            "        if evict in self._pending:\n"
            "            self._forget_pending(evict)\n"
            "        else:\n"
            "            self._established.discard(evict)\n",
        ),
    )


def _eror_received_fin() -> None:
    # "The initiator gave up": its EROR is answered by hanging up the TCP connection.
    transfer = _transfer()
    transfer._shut_raw = _shut_raw
    _patch_source(
        transfer.Responder,
        "run",
        (
            "if event is CLOSED or isinstance(event, ErrorFrame):\n                return\n",
            "if isinstance(event, ErrorFrame):\n"
            "                _shut_raw(channel.stream)\n"
            "            if event is CLOSED or isinstance(event, ErrorFrame):\n"
            "                return\n",
        ),
    )


def _fin_after(code: str) -> None:
    # "The sender is still pushing data we refused: do not read it, hang up."
    transfer = _transfer()
    transfer._shut_raw = _shut_raw
    _patch_source(
        transfer.Responder,
        "run",
        (
            "channel.fail(exc)\n",
            "channel.fail(exc)\n"
            f"        if exc.code is ErrorCode.{code}:\n"
            "            _shut_raw(channel.stream)\n",
        ),
    )


def _integrity_fin() -> None:
    _fin_after("INTEGRITY_FAILED")


def _too_large_fin() -> None:
    _fin_after("FRAME_TOO_LARGE")


def _forbidden_fin() -> None:
    # The allow list's refusal hangs up the TCP connection after its `forbidden`.
    transfer = _transfer()
    transfer._shut_raw = _shut_raw
    _patch_source(
        transfer.Responder,
        "run",
        (
            "channel.send(ErrorFrame(ErrorCode.FORBIDDEN, self.policy.refusal))\n",
            "channel.send(ErrorFrame(ErrorCode.FORBIDDEN, self.policy.refusal))\n"
            "                _shut_raw(channel.stream)\n",
        ),
    )


def _busy_fin_no_notify() -> None:
    # The polite `busy` of a responder over its limit, then a bare TCP close.
    _patch_source(
        _peer().PeerServer,
        "_busy",
        (
            "    close_tls(tls)\n",
            "    socket.socket.shutdown(tls, socket.SHUT_RDWR)\n    close_tls(tls)\n",
        ),
    )


def _m(
    name: str, requirement: str, test_file: str, description: str, apply: Any, **kw: Any
) -> Mutant:
    profile = kw.pop("profile", "pki")
    return Mutant(
        name=name,
        group="blind9-pki",
        profile=profile,
        requirement=requirement,
        test_file=test_file,
        description=description,
        apply=apply,
        **kw,
    )


MUTANTS: tuple[Mutant, ...] = (
    # lens 1
    _m(
        "b9pki-cn-first-of-many",
        "PKI-ID-4",
        "test_pki_identity.py",
        "a subject with two CNs is accepted under its first CN",
        _cn_first_of_many,
    ),
    _m(
        "b9pki-bc-and",
        "PKI-CERT-6",
        "test_pki_certs.py",
        "BasicConstraints check uses `and`: a critical CA:TRUE client certificate passes",
        _bc_and,
    ),
    _m(
        "b9pki-allow-joined",
        "PKI-ID-4",
        "test_pki_identity.py",
        "allow-list membership tested on the joined list string (substring match)",
        _allow_joined,
    ),
    _m(
        "b9pki-crl-refresh-minutes",
        "PKI-CERT-7",
        "test_pki_certs.py",
        "the CRL refresh interval is taken as minutes: a revocation is seen 60x late",
        _crl_refresh_minutes,
        strict=True,
    ),
    _m(
        "b9app-putf-sha-dropped",
        "APP-PUT-5",
        "test_app_put.py",
        "PUTF's sha256 is not kept: a put whose data differs from it is stored",
        _putf_sha_dropped,
        profile="eke",
    ),
    _m(
        "b9app-rsfl-basename",
        "APP-GET-7",
        "test_app_get.py",
        "a get's RSFL carries the basename of the requested name",
        _rsfl_basename,
        profile="eke",
    ),
    _m(
        "b9app-data-max-lt",
        "FRM-13",
        "test_framing.py",
        "a DATA frame of exactly 1 MiB is refused bad_frame (`<` for `<=`)",
        _data_max_lt,
    ),
    # lens 2
    _m(
        "b9pki-eku-missing-any",
        "PKI-CERT-5",
        "test_pki_certs.py",
        "a client certificate without ExtendedKeyUsage is accepted (any purpose)",
        _eku_missing_any,
    ),
    _m(
        "b9pki-groups-default",
        "PKI-TLS-9",
        "test_pki_hardening.py",
        "the TLS 1.3 groups are left at OpenSSL's defaults (ffdhe*, x448, secp521r1)",
        _groups_default,
    ),
    _m(
        "b9pki-no-time-check",
        "PKI-CERT-3",
        "test_pki_certs.py",
        "X509_V_FLAG_NO_CHECK_TIME: expired and not-yet-valid certificates pass",
        _no_time_check,
    ),
    _m(
        "b9app-json-nested-dupes",
        "FRM-9",
        "test_framing.py",
        "duplicate keys are refused at the top level only, not in nested objects",
        _json_nested_dupes,
    ),
    _m(
        "b9app-int-str",
        "FRM-11",
        "test_framing.py",
        "integer members given as strings are converted with int()",
        _int_str,
    ),
    _m(
        "b9app-sha-fromhex",
        "FRM-12",
        "test_framing.py",
        "sha256 members validated with bytes.fromhex: upper case (and spaces) accepted",
        _sha_fromhex,
    ),
    _m(
        "b9app-name-strip",
        "APP-NAME-3",
        "test_app_names.py",
        "names are stripped of surrounding white space before use",
        _name_strip,
    ),
    _m(
        "b9app-commit-replace",
        "APP-PUT-8",
        "test_app_put_race_loser.py",
        "the commit replaces an existing file (os.replace): a racing put overwrites",
        _commit_replace,
    ),
    _m(
        "b9app-partial-0644",
        "APP-STORE-1",
        "test_app_put.py",
        "the temporary file of a put is created 0644, not 0600",
        _partial_0644,
        profile="eke",
    ),
    # lens 3
    _m(
        "b9pki-refused-as-forbidden",
        "PKI-TLS-10",
        "test_pki_certs.py",
        "a refused certificate is served like an alias off the allow list: `forbidden`",
        _refused_as_forbidden,
    ),
    _m(
        "b9pki-refused-fin-no-notify",
        "PKI-TLS-7",
        "test_pki_tls.py",
        "after auth_failed for a refused certificate: a bare FIN, no close_notify",
        _refused_fin_no_notify,
    ),
    _m(
        "b9pki-timeout-fin-no-notify",
        "PKI-TLS-7",
        "test_pki_tls.py",
        "after EROR timeout: a bare FIN, no close_notify",
        _timeout_fin_no_notify,
    ),
    _m(
        "b9pki-send-stall-blocking",
        "LIM-10",
        "test_limits.py",
        "a get's sends block forever on a peer that stops reading",
        _send_stall_blocking,
    ),
    _m(
        "b9app-truncated-keeps-partial",
        "APP-STORE-3",
        "test_app_put.py",
        "a put truncated by the initiator leaves its temporary file in the inbox",
        _truncated_keeps_partial,
        profile="eke",
    ),
    _m(
        "b9app-integrity-nonfatal",
        "ERR-3",
        "test_app_put.py",
        "integrity_failed on a put is answered and the connection kept open",
        _integrity_nonfatal,
    ),
    # lens 4
    _m(
        "b9pki-put-max-size-default",
        "APP-PUT-7",
        "test_app_put.py",
        "the put path checks the default 4 GiB, not the configured max file size",
        _put_max_size_default,
    ),
    _m(
        "b9pki-allow-per-address",
        "PKI-ID-3",
        "test_pki_identity.py",
        "the allow-list decision is cached per source address",
        _allow_per_address,
    ),
    _m(
        "b9pki-put-no-idle-timeout",
        "LIM-2",
        "test_limits.py",
        "no idle timeout while a put is being received",
        _put_no_idle_timeout,
    ),
    _m(
        "b9pki-pending-cap-global",
        "LIM-8",
        "test_lockout.py",
        "the per-address pending cap counts every address's pending handshakes",
        _pending_cap_global,
    ),
    _m(
        "b9pki-handshake-timeout-default",
        "LIM-1",
        "test_limits.py",
        "the TLS handshake deadline ignores --handshake-timeout (always 10 s)",
        _handshake_timeout_default,
    ),
    _m(
        "b9app-get-no-size-limit",
        "APP-GET-2",
        "test_app_get.py",
        "the get path checks the default 4 GiB, not the configured max file size",
        _get_no_size_limit,
        profile="eke",
    ),
    # lens 5
    _m(
        "b9pki-ku-keyagreement",
        "PKI-CERT-9",
        "test_pki_certs.py",
        "KeyUsage keyAgreement without digitalSignature is accepted",
        _ku_keyagreement,
    ),
    _m(
        "b9pki-sha2-family",
        "PKI-CERT-9",
        "test_pki_certs.py",
        "certificates signed with SHA-384 or SHA-512 are accepted",
        _sha2_family,
    ),
    _m(
        "b9pki-ccm8-suite",
        "PKI-TLS-9",
        "test_pki_hardening.py",
        "TLS_AES_128_CCM_8_SHA256 is among the responder's suites",
        _ccm8_suite,
    ),
    _m(
        "b9pki-crl-first-entry",
        "PKI-CERT-11",
        "test_pki_certs.py",
        "revocation checked against the CRL's first entry only",
        _crl_first_entry,
    ),
    _m(
        "b9pki-alpn-substring",
        "PKI-TLS-2",
        "test_pki_tls.py",
        "ALPN checked by substring: a connection without ALPN is served",
        _alpn_substring,
    ),
    _m(
        "b9app-done-sha-prefix",
        "APP-PUT-5",
        "test_app_put.py",
        "a put's DONE sha256 is compared on its first 32 hex digits only",
        _done_sha_prefix,
        profile="eke",
    ),
    _m(
        "b9app-rsfl-sha-first-mib",
        "APP-GET-2",
        "test_app_get.py",
        "a get's RSFL announces the SHA-256 of the first MiB only",
        _rsfl_sha_first_mib,
    ),
    # after the blind run
    _m(
        "b9pki-slot-leak-refused-cert",
        "LIM-4",
        "test_limits_slots.py",
        "a connection refused for its certificate after the handshake keeps its slot",
        _slot_leak_refused_cert,
    ),
    _m(
        "b9pki-slot-leak-fatal-error",
        "LIM-4",
        "test_limits_slots.py",
        "a connection ended by a fatal protocol error keeps its slot",
        _slot_leak_fatal_error,
    ),
    _m(
        "b9pki-slot-leak-handshake",
        "LIM-4",
        "test_limits_slots.py",
        "a connection whose TLS handshake failed keeps its (pending) slot",
        _slot_leak_handshake,
    ),
    _m(
        "b9pki-busy-fin-no-notify",
        "PKI-TLS-7",
        "test_limits_slots.py",
        "EROR busy, then a bare FIN without close_notify",
        _busy_fin_no_notify,
    ),
    _m(
        "b9app-eke-slot-leak-vanished",
        "LIM-4",
        "test_limits_slots.py",
        "an eke connection that vanished (reset) in the middle of a put keeps its slot",
        _eke_slot_leak_vanished,
        profile="eke",
    ),
    _m(
        "b9pki-evict-established",
        "LIM-9",
        "test_limits_slots.py",
        "a full responder closes an established connection to admit a new one",
        _evict_established,
    ),
    _m(
        "b9pki-eror-received-fin",
        "PKI-TLS-7",
        "test_pki_tls.py",
        "an EROR from the initiator is answered by a bare TCP close (no close_notify)",
        _eror_received_fin,
    ),
    _m(
        "b9pki-integrity-fin",
        "PKI-TLS-7",
        "test_pki_tls.py",
        "after EROR integrity_failed on a put: a bare TCP close (no close_notify)",
        _integrity_fin,
    ),
    _m(
        "b9pki-too-large-fin",
        "PKI-TLS-7",
        "test_pki_tls.py",
        "after EROR frame_too_large: a bare TCP close (no close_notify)",
        _too_large_fin,
    ),
    _m(
        "b9pki-forbidden-fin",
        "PKI-TLS-7",
        "test_pki_tls.py",
        "after the allow list's EROR forbidden: a bare TCP close (no close_notify)",
        _forbidden_fin,
    ),
)
