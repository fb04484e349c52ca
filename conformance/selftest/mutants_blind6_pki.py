"""Blind round 6 (brief B17): bugs of the sft-pki/1 responder and initiator, written from
docs/SPEC.md §0-§4 and §6 and the reference modules only, before reading any case file
or any earlier mutant family.

The blind list (name -> requirement -> the bug). Blind measure (before any case change,
each mutant run on the case file that cites its requirement): 34 of 40 detected. Not
detected: the three LIM-5 mutants (test_limits_responder.py's stalled-handshake case
clamps the get's remaining time to 0.1 s, so a 2 s handshake delay passed; no case held a
put open beside another connection; a no-CN certificate crashing the process shows only
in the last sanity of a full run), PKI-CERT-12 (not observable: dropped), eku-clientauth
(a no-op: OpenSSL 3.0's purpose check refuses what it would let through; now planted with
that check off) and crl-refresh-keeps-context (a SHOULD: NON-STRICT, now strict=True).
After phase 2 (conformance/test_pki_isolation.py): all 39 detected.

Responder (planted in `sft peer serve`):
- b6pki-cert-optional-anonymous -> PKI-TLS-3 -> client certificate optional; a connection
  without one is served as the alias "anonymous" (requests answered per the allow list).
- b6pki-no-cert-eror-internal -> PKI-TLS-3 -> client certificate optional; a connection
  without one gets `EROR internal` (not auth_failed / an alert) and the close.
- b6pki-no-chain-verify -> PKI-CERT-4 -> "RequireAnyClientCert": any client certificate is
  accepted by the TLS stack, only the PKI-CERT-1 fields are checked (foreign and
  self-signed certificates pass).
- b6pki-selfsigned-allowed -> PKI-CERT-4 -> a verify callback that lets a self-signed
  certificate through (a test switch left on).
- b6pki-issuer-name-only -> PKI-CERT-10 -> chain verification replaced by "issuer DN equals
  the root's subject" (+ dates, CRL serials): a certificate copying the root's issuer DN,
  signed by another key, is accepted.
- b6pki-pathlen-ignored -> PKI-CERT-10 -> a verify callback ignoring the root's pathlen 0
  (and the missing CRL of an intermediate): a certificate issued by an intermediate the
  root signed is accepted.
- b6pki-refusal-code-forbidden -> PKI-TLS-10 -> a refused certificate is answered `EROR
  forbidden` (non-fatal code) instead of auth_failed before the close.
- b6pki-refused-cert-as-guest -> PKI-TLS-10 -> a certificate failing the checks after the
  handshake (EKU, CA:TRUE, CN) is served as alias "guest": its requests get `forbidden`.
- b6pki-refusal-kept-open -> PKI-TLS-10 -> after `EROR auth_failed` the responder waits for
  the initiator to close (up to 30 s) instead of closing at once.
- b6pki-crl-refresh-keeps-context -> PKI-CERT-7 -> the CRL refetch updates the logged list
  but not the TLS context: a certificate revoked after start is accepted until restart.
- b6pki-revoked-first-entry-only -> PKI-CERT-11 -> revocation checked in code against the
  first CRL entry only (OpenSSL's CRL check off).
- b6pki-revoked-keyed-by-date -> PKI-CERT-11 -> revoked serials collected in a dict keyed by
  revocation date: of the certificates revoked in one second (an alias's), one is kept.
- b6pki-identity-from-frame -> PKI-ID-2 -> a request member "alias"/"from"/"user" naming an
  allowed alias authorises a connection whose certificate is not on the allow list.
- b6pki-alias-server-global -> PKI-ID-3 -> the allow-list decision is kept in one
  server-wide variable: the latest handshake decides for every connection.
- b6pki-handshake-in-accept-loop -> LIM-5 -> the accept loop waits (per read, handshake
  timeout) for the client's first bytes before handing the connection to a thread.
- b6pki-no-cn-panics -> LIM-5 -> a client certificate without CN raises IndexError, which
  ends the whole process (a Go-style panic); with several CNs the first is taken.
- b6pki-inbox-lock-during-put -> LIM-5 -> one server-wide lock held while a put is
  received: a stalled put blocks every other put.
- b6pki-send-blocks-forever -> LIM-10 -> writes have no timeout: a peer that stops reading
  holds the connection (and its thread) forever.
- b6pki-share-check-then-open-path -> APP-NAME-5 -> the name is checked component by
  component, then opened again by path string (a symlink swapped in between is followed).
- b6pki-exists-before-confinement -> APP-NAME-6 -> `lexists(normpath(share/name))` first
  (`not_found`), the name rules after (`forbidden`): a refused name tells whether it exists.
- b6pki-symlink-target-probed -> APP-NAME-6 -> a symbolic link whose target does not exist
  is `not_found`, one whose target exists `forbidden`.
- b6pki-put-keeps-subdirs -> APP-PUT-2 -> a put of "a/b" is stored as inbox/a/b (directories
  created), not under its basename.
- b6pki-put-exists-at-done -> APP-PUT-3 -> no existence check at PUTF: an existing name is
  refused only at commit, after the data (`exists` instead of DONE).
- b6pki-put-rename-replaces -> APP-PUT-8 -> the commit renames over the final name: of two
  concurrent puts of one name, the later replaces the stored one.
- b6pki-put-excess-checked-on-payload -> APP-PUT-6 -> excess DATA is noticed when its payload
  is written, not when its header arrives.
- b6pki-put-excess-off-by-one -> APP-PUT-6 -> one byte beyond the announced size is let
  through (header check and file limit `size + 1`); the mismatch shows only at DONE.
- b6pki-put-reserved-prefix-fullname -> APP-NAME-9 -> the `.sft-partial-` prefix is checked
  on the whole name, not its last component ("sub/.sft-partial-x" is stored).
- (dropped) b6pki-crl-next-update-ignored -> PKI-CERT-12 -> a CRL past its nextUpdate is
  used: not observable on the wire (the responder and the initiator fetch their CRL from
  the target's CA, which always serves a fresh one; SPEC PKI-CERT-12 says so).

Initiator (planted in `sft get` / `sft put`, client=True):
- b6pki-client-no-chain-verify -> PKI-CERT-4 -> CERT_NONE; only the alias is checked.
- b6pki-client-selfsigned-allowed -> PKI-CERT-4 -> a self-signed responder certificate is
  let through by the verify callback.
- b6pki-client-issuer-name-only -> PKI-CERT-10 -> CERT_NONE + "issuer DN is the root's".
- b6pki-client-pathlen-ignored -> PKI-CERT-10 -> pathlen 0 (and the intermediate's missing
  CRL) ignored: a responder certificate issued by an intermediate is accepted.
- b6pki-client-no-crl -> PKI-CERT-7 -> the initiator never checks the responder against
  the CRL (context built without it).
- b6pki-client-revoked-first-only -> PKI-CERT-11 -> the initiator checks the first CRL
  entry only.
- b6pki-client-expired-accepted -> PKI-CERT-3 -> X509_V_FLAG_NO_CHECK_TIME ("clock skew").
- b6pki-client-eku-clientauth -> PKI-CERT-5 -> the initiator checks clientAuth (copy of the
  responder's check) instead of serverAuth, on a stack without OpenSSL's purpose check.
- b6pki-client-alias-checked-late -> PKI-ID-1 -> the alias is checked when the first answer
  arrives: the request has already gone to the impostor.
- b6pki-client-keylog-env -> PKI-TLS-8 -> the peer context honours $SSLKEYLOGFILE.
- b6pki-client-keylog-ca-fetch -> PKI-TLS-8 -> the CA connection (CRL fetch) honours
  $SSLKEYLOGFILE (create_default_context).
- b6pki-client-system-trust -> PKI-TLS-4 -> the initiator also loads the system trust
  store (load_default_certs: $SSL_CERT_FILE, $SSL_CERT_DIR, the OS bundle).

Phase 2 probes (`PROBES`, written after reading the case files, not in the blind count):
- b6pki-allow-list-no-close -> PKI-ID-3 -> `forbidden` to every request, the close left to
  the initiator (or the idle timeout, which under ERR-3's 2 s passed): undetected, now
  caught (test_pki_certs.py asks twice, judges the close against the idle timeout).
- b6pki-put-excess-per-frame -> APP-PUT-6 -> excess checked per DATA frame, not on the
  running total: detected.
- b6pki-put-exists-before-confinement -> APP-NAME-6 -> a put's name tested for existence
  before the name rules: detected.
- b6pki-put-size-limit-off-by-one -> APP-PUT-7 -> max file size + 1 accepted: detected.
- b6pki-sigpipe-default -> LIM-5 -> SIGPIPE not ignored (C without MSG_NOSIGNAL): the
  responder dies at its next write to a reset connection: undetected (no LIM-5 case ends
  a connection abruptly), now caught (test_pki_isolation.py, vanishing initiators).
- b6pki-client-keylog-put-only -> PKI-TLS-8 -> only the put command honours
  $SSLKEYLOGFILE: undetected (the key-log case ran a get only), now caught
  (test_pki_keylog.py runs a put too).
"""

from __future__ import annotations

import contextlib
import ctypes
import datetime as dt
import json
import os
import socket
import ssl
import threading
from collections.abc import Callable, Iterable
from typing import Any

from conformance.selftest.mutant import Mutant, _module

__all__ = ["MUTANTS"]

# ctypes callbacks handed to libssl must outlive every context that holds them.
_CALLBACKS: list[Any] = []
_STATE: dict[str, Any] = {}
_X509_V_FLAG_NO_CHECK_TIME = 0x200000
_V_ERR_UNABLE_TO_GET_CRL = 3
_V_ERR_DEPTH_ZERO_SELF_SIGNED = 18
_V_ERR_PATH_LENGTH_EXCEEDED = 25
_V_ERR_INVALID_PURPOSE = 26


def _verify_ignoring(ctx: ssl.SSLContext, ignore: Iterable[int] | None) -> None:
    """Installs a verify callback on `ctx` that lets the X509 errors in `ignore` pass (all
    of them when None), keeping SSL_VERIFY_PEER | FAIL_IF_NO_PEER_CERT."""
    import _ssl

    lib = ctypes.CDLL(_ssl.__file__)
    handle = ctypes.c_void_p.from_address(id(ctx) + object.__basicsize__).value
    get_error = lib.X509_STORE_CTX_get_error
    get_error.argtypes = [ctypes.c_void_p]
    get_error.restype = ctypes.c_int
    ignored = None if ignore is None else frozenset(ignore)

    def callback(ok: int, store: int | None) -> int:
        if ok:
            return 1
        return 1 if ignored is None or get_error(store) in ignored else 0

    c_callback = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_int, ctypes.c_void_p)(callback)
    _CALLBACKS.append(c_callback)
    set_verify = lib.SSL_CTX_set_verify
    set_verify.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p]
    set_verify.restype = None
    set_verify(handle, 1 | 2, ctypes.cast(c_callback, ctypes.c_void_p))


def _x509() -> Any:
    return _module("cryptography.x509")


def _wrap_server_context(change: Callable[[ssl.SSLContext, Any, bytes], None]) -> None:
    """The responder's context (built at start and at each CRL reload), then `change`."""
    peer = _module("reference.pki.peer")
    tls = _module("reference.pki.tls")
    original = tls.server_context

    def server_context(identity: Any, crl_der: bytes) -> ssl.SSLContext:
        ctx: ssl.SSLContext = original(identity, crl_der)
        _STATE["root"] = _x509().load_pem_x509_certificate(identity.root.read_bytes())
        _STATE["crl"] = crl_der
        change(ctx, identity, crl_der)
        return ctx

    peer.server_context = server_context


def _wrap_client_context(
    change: Callable[[ssl.SSLContext, Any], None], *, with_crl: bool = True
) -> None:
    client = _module("reference.pki.client")
    tls = _module("reference.pki.tls")

    def client_context(identity: Any, crl_der: bytes) -> ssl.SSLContext:
        _STATE["root"] = _x509().load_pem_x509_certificate(identity.root.read_bytes())
        _STATE["crl"] = crl_der
        ctx: ssl.SSLContext = tls.client_context(identity, crl_der if with_crl else None)
        change(ctx, identity)
        return ctx

    client.client_context = client_context


def _refused(message: str) -> Exception:
    refused: type[Exception] = _module("reference.pki.tls").CertificateRefused
    return refused(message)


# --- responder ---------------------------------------------------------------------------


def _cert_optional_anonymous() -> None:
    peer = _module("reference.pki.peer")
    _wrap_server_context(lambda ctx, identity, crl: setattr(ctx, "verify_mode", ssl.CERT_OPTIONAL))
    original = peer.peer_alias

    def peer_alias(sock: ssl.SSLSocket, *, as_server: bool) -> str:
        if sock.getpeercert(binary_form=True) is None:
            return "anonymous"  # "no certificate: a guest, the allow list decides"
        result: str = original(sock, as_server=as_server)
        return result

    peer.peer_alias = peer_alias


def _no_cert_eror_internal() -> None:
    peer = _module("reference.pki.peer")
    messages = _module("reference.messages")
    errors = _module("reference.errors")
    _wrap_server_context(lambda ctx, identity, crl: setattr(ctx, "verify_mode", ssl.CERT_OPTIONAL))
    original = peer.peer_alias

    def peer_alias(sock: ssl.SSLSocket, *, as_server: bool) -> str:
        if sock.getpeercert(binary_form=True) is None:
            frame = messages.ErrorFrame(errors.ErrorCode.INTERNAL, "no client certificate")
            with contextlib.suppress(OSError):
                sock.sendall(messages.encode_message(frame))
            raise OSError("no client certificate")  # ends the connection, logged as internal
        result: str = original(sock, as_server=as_server)
        return result

    peer.peer_alias = peer_alias


def _no_chain_verify() -> None:
    _wrap_server_context(lambda ctx, identity, crl: _verify_ignoring(ctx, None))


def _selfsigned_allowed() -> None:
    _wrap_server_context(
        lambda ctx, identity, crl: _verify_ignoring(
            ctx, (_V_ERR_DEPTH_ZERO_SELF_SIGNED, _V_ERR_UNABLE_TO_GET_CRL)
        )
    )


def _manual_checks(der: bytes | None) -> None:
    """The hand-written chain check of the issuer-name mutants: issuer DN, dates, CRL."""
    if der is None:
        raise _refused("no certificate")
    x509 = _x509()
    cert = x509.load_der_x509_certificate(der)
    root = _STATE["root"]
    if cert.issuer != root.subject:
        raise _refused("not issued by the organisation root")
    now = dt.datetime.now(dt.UTC)
    if not cert.not_valid_before_utc <= now <= cert.not_valid_after_utc:
        raise _refused("expired or not yet valid")
    crl = x509.load_der_x509_crl(_STATE["crl"])
    if crl.get_revoked_certificate_by_serial_number(cert.serial_number) is not None:
        raise _refused("revoked")


def _issuer_name_only() -> None:
    peer = _module("reference.pki.peer")
    _wrap_server_context(lambda ctx, identity, crl: _verify_ignoring(ctx, None))
    original = peer.peer_alias

    def peer_alias(sock: ssl.SSLSocket, *, as_server: bool) -> str:
        _manual_checks(sock.getpeercert(binary_form=True))
        result: str = original(sock, as_server=as_server)
        return result

    peer.peer_alias = peer_alias


def _pathlen_ignored() -> None:
    _wrap_server_context(
        lambda ctx, identity, crl: _verify_ignoring(
            ctx, (_V_ERR_PATH_LENGTH_EXCEEDED, _V_ERR_UNABLE_TO_GET_CRL)
        )
    )


def _refusal_code_forbidden() -> None:
    peer = _module("reference.pki.peer")
    errors = _module("reference.errors")
    original = peer.ErrorFrame

    def error_frame(code: Any, message: str, *args: Any) -> Any:
        if code is errors.ErrorCode.AUTH_FAILED:
            code = errors.ErrorCode.FORBIDDEN  # "you are not allowed here"
        return original(code, message, *args)

    peer.ErrorFrame = error_frame


def _refused_cert_as_guest() -> None:
    peer = _module("reference.pki.peer")
    tls = _module("reference.pki.tls")
    original = peer.peer_alias

    def peer_alias(sock: ssl.SSLSocket, *, as_server: bool) -> str:
        try:
            result: str = original(sock, as_server=as_server)
        except tls.CertificateRefused:
            return "guest"  # verified by the TLS stack: "a colleague with an odd certificate"
        return result

    peer.peer_alias = peer_alias


def _refusal_kept_open() -> None:
    peer = _module("reference.pki.peer")
    tls = _module("reference.pki.tls")
    original_alias = peer.peer_alias
    original_close = peer.close_tls
    refused: set[int] = set()

    def peer_alias(sock: ssl.SSLSocket, *, as_server: bool) -> str:
        try:
            result: str = original_alias(sock, as_server=as_server)
        except tls.CertificateRefused:
            refused.add(id(sock))
            raise
        return result

    def close_tls(sock: ssl.SSLSocket, timeout: float = 1.0) -> None:
        if id(sock) in refused:
            refused.discard(id(sock))
            # "let the client read our EROR and hang up itself"
            with contextlib.suppress(OSError, ValueError):
                sock.settimeout(30.0)
                while sock.recv(4096):
                    pass
        original_close(sock, timeout)

    peer.peer_alias = peer_alias
    peer.close_tls = close_tls


def _crl_refresh_keeps_context() -> None:
    peer = _module("reference.pki.peer")

    def refresh_crl(self: Any) -> None:
        crl = self._crl_source()
        revoked = peer._revoked_serials(crl)
        if revoked != self._revoked:
            self.log(f"CRL refreshed: {len(revoked)} revoked certificate(s)")
            self._revoked = revoked  # the TLS context keeps the CRL it was built with

    peer.PeerServer.refresh_crl = refresh_crl


def _manual_revocation(revoked: Callable[[Any], set[int]]) -> None:
    """OpenSSL's CRL check off; the responder checks the serial itself with `revoked`."""
    peer = _module("reference.pki.peer")

    def change(ctx: ssl.SSLContext, identity: Any, crl: bytes) -> None:
        ctx.verify_flags &= ~ssl.VERIFY_CRL_CHECK_LEAF

    _wrap_server_context(change)
    original = peer.peer_alias

    def peer_alias(sock: ssl.SSLSocket, *, as_server: bool) -> str:
        result: str = original(sock, as_server=as_server)
        der = sock.getpeercert(binary_form=True)
        x509 = _x509()
        serial = x509.load_der_x509_certificate(der).serial_number
        if serial in revoked(x509.load_der_x509_crl(_STATE["crl"])):
            raise _refused("revoked")
        return result

    peer.peer_alias = peer_alias


def _revoked_first_entry_only() -> None:
    def first(crl: Any) -> set[int]:
        entries = list(crl)
        return {entries[0].serial_number} if entries else set()

    _manual_revocation(first)


def _revoked_keyed_by_date() -> None:
    def by_date(crl: Any) -> set[int]:
        table = {entry.revocation_date_utc: entry.serial_number for entry in crl}
        return set(table.values())

    _manual_revocation(by_date)


class _Policy:
    """A duck-typed ResponderPolicy whose `authorised` is computed by `decide`."""

    def __init__(self, decide: Callable[[bool], bool], **fields: Any) -> None:
        self._decide = decide
        self._authorised = bool(fields.pop("authorised", True))
        for key, value in fields.items():
            setattr(self, key, value)

    @property
    def authorised(self) -> bool:
        return self._decide(self._authorised)


_CLAIM = threading.local()


def _identity_from_frame() -> None:
    peer = _module("reference.pki.peer")
    app = _module("reference.app")
    original_decode = app.decode_message
    original_init = peer.PeerServer.__init__

    def decode_message(frame: Any, **kwargs: Any) -> Any:
        message = original_decode(frame, **kwargs)
        if frame.type in (b"RQFL", b"PUTF"):
            with contextlib.suppress(ValueError, UnicodeDecodeError):
                obj = json.loads(frame.payload)
                for key in ("alias", "from", "user", "sender"):
                    if isinstance(obj.get(key), str):
                        _CLAIM.alias = obj[key]
        return message

    def init(self: Any, identity: Any, config: Any, *args: Any, **kwargs: Any) -> None:
        _STATE["allow"] = tuple(config.allow)
        original_init(self, identity, config, *args, **kwargs)

    def decide(authorised: bool) -> bool:
        claimed = getattr(_CLAIM, "alias", None)
        return authorised or (claimed is not None and claimed in _STATE.get("allow", ()))

    app.decode_message = decode_message
    peer.PeerServer.__init__ = init
    peer.ResponderPolicy = lambda **fields: _Policy(decide, **fields)


def _alias_server_global() -> None:
    peer = _module("reference.pki.peer")

    def policy(**fields: Any) -> _Policy:
        _STATE["current"] = bool(fields.get("authorised", True))  # "the connected alias"
        return _Policy(lambda authorised: bool(_STATE["current"]), **fields)

    peer.ResponderPolicy = policy


def _handshake_in_accept_loop() -> None:
    peer = _module("reference.pki.peer")
    original = peer.PeerServer._dispatch

    def dispatch(self: Any, raw: socket.socket, addr: Any) -> None:
        # "read the ClientHello before spending a thread on it"
        with contextlib.suppress(OSError):
            raw.settimeout(self.config.handshake_timeout)
            raw.recv(1, socket.MSG_PEEK)
        raw.settimeout(None)
        original(self, raw, addr)

    peer.PeerServer._dispatch = dispatch


def _no_cn_panics() -> None:
    tls = _module("reference.pki.tls")
    oid = _module("cryptography.x509.oid")

    def common_name(cert: Any) -> str:
        names = cert.subject.get_attributes_for_oid(oid.NameOID.COMMON_NAME)
        try:
            value = names[0].value
        except IndexError:
            os._exit(70)  # an index out of range: the whole server goes down
        return str(value)

    tls._common_name = common_name


def _inbox_lock_during_put() -> None:
    transfer = _module("reference.transfer")
    lock = threading.Lock()
    original = transfer.Responder._put

    def put(self: Any, request: Any) -> None:
        with lock:  # "one writer at a time in the inbox"
            original(self, request)

    transfer.Responder._put = put


class _NoSendTimeout:
    """A stream whose writes wait forever (reads keep the idle timeout)."""

    def __init__(self, sock: Any) -> None:
        self._sock = sock

    def sendall(self, data: Any, /) -> None:
        timeout = self._sock.gettimeout()
        self._sock.settimeout(None)
        try:
            self._sock.sendall(data)
        finally:
            self._sock.settimeout(timeout)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)


def _send_blocks_forever() -> None:
    peer = _module("reference.pki.peer")
    original = peer.Responder

    def responder(stream: Any, *args: Any, **kwargs: Any) -> Any:
        return original(_NoSendTimeout(stream), *args, **kwargs)

    peer.Responder = responder


def _share_check_then_open_path() -> None:
    share = _module("reference.share")
    original = share.ShareDirectory.open

    def open_(self: Any, name: str) -> Any:
        checked = original(self, name)  # all the rules, component by component ...
        checked.close()
        # ... then the path string, resolved again
        fd = os.open(os.path.join(self.path, name), os.O_RDONLY | os.O_NONBLOCK)
        st = os.fstat(fd)
        if (st.st_mode & 0o170000) != 0o100000:
            os.close(fd)
            raise share._not_found(name)
        return share.SharedFile(share.io.FileIO(fd, "rb", closefd=True), st.st_size)

    share.ShareDirectory.open = open_


def _exists_before_confinement() -> None:
    share = _module("reference.share")
    original = share.ShareDirectory.open

    def open_(self: Any, name: str) -> Any:
        if "\x00" not in name and not os.path.lexists(
            os.path.normpath(os.path.join(str(self.path), name))
        ):
            raise share._not_found(name)
        return original(self, name)

    share.ShareDirectory.open = open_


def _symlink_target_probed() -> None:
    share = _module("reference.share")
    original = share.ShareDirectory.open

    def open_(self: Any, name: str) -> Any:
        try:
            return original(self, name)
        except share.NameRefused as exc:
            if "symbolic link" in exc.message and not os.path.exists(
                os.path.join(str(self.path), name)
            ):
                raise share._not_found(name) from None
            raise

    share.ShareDirectory.open = open_


def _put_keeps_subdirs() -> None:
    share = _module("reference.share")
    errors = _module("reference.errors")

    def target_name(self: Any, name: str) -> str:
        parts = share.check_name(name)
        if parts[-1].startswith(share.PARTIAL_PREFIX):
            raise share.NameRefused("names starting with .sft-partial- are reserved")
        if len(parts) > 1:
            os.makedirs(os.path.join(str(self.path), *parts[:-1]), exist_ok=True)
        final = "/".join(parts)
        if os.path.lexists(os.path.join(str(self.path), final)):
            raise errors.RemoteProtocolError(errors.ErrorCode.EXISTS, "already exists")
        return final

    share.Inbox.target_name = target_name


def _put_exists_at_done() -> None:
    share = _module("reference.share")

    def target_name(self: Any, name: str) -> str:
        base: str = share.check_name(name)[-1]
        if base.startswith(share.PARTIAL_PREFIX):
            raise share.NameRefused("names starting with .sft-partial- are reserved")
        return base  # the link() at commit refuses an existing name anyway

    share.Inbox.target_name = target_name


def _put_rename_replaces() -> None:
    share = _module("reference.share")
    original = share.PartialFile.commit

    def commit(self: Any, *, overwrite: bool = False) -> None:
        original(self, overwrite=True)  # os.replace: "the exists check was done at PUTF"

    share.PartialFile.commit = commit


class _LaxAnnounced(int):
    """An announced size that the DATA-header check `count + length > announced` never
    trips (int's reflected comparison goes to the subclass first), plus `slack` bytes."""

    slack = -1  # -1: never trips

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, int) or self.slack < 0:
            return False
        return other > int(self) + self.slack


class _OneByteSlack(_LaxAnnounced):
    slack = 1


def _lax_incoming(kind: type[_LaxAnnounced]) -> None:
    app = _module("reference.app")
    original = app._Transfer.__init__

    def init(self: Any, announced: int, *args: Any, **kwargs: Any) -> None:
        original(self, kind(announced), *args, **kwargs)

    app._Transfer.__init__ = init


def _put_excess_checked_on_payload() -> None:
    _lax_incoming(_LaxAnnounced)


def _put_excess_off_by_one() -> None:
    _lax_incoming(_OneByteSlack)
    share = _module("reference.share")
    original = share.Inbox.begin

    def begin(self: Any, final_name: str, size: int) -> Any:
        return original(self, final_name, size + 1)

    share.Inbox.begin = begin


def _put_reserved_prefix_fullname() -> None:
    share = _module("reference.share")
    errors = _module("reference.errors")

    def target_name(self: Any, name: str) -> str:
        base: str = share.check_name(name)[-1]
        if name.startswith(share.PARTIAL_PREFIX):
            raise share.NameRefused("names starting with .sft-partial- are reserved")
        try:
            os.stat(base, dir_fd=self._fd, follow_symlinks=False)
        except FileNotFoundError:
            return base
        raise errors.RemoteProtocolError(errors.ErrorCode.EXISTS, "already exists in the inbox")

    share.Inbox.target_name = target_name


# --- initiator ---------------------------------------------------------------------------


def _client_no_chain_verify() -> None:
    _wrap_client_context(lambda ctx, identity: setattr(ctx, "verify_mode", ssl.CERT_NONE))


def _client_selfsigned_allowed() -> None:
    _wrap_client_context(
        lambda ctx, identity: _verify_ignoring(
            ctx, (_V_ERR_DEPTH_ZERO_SELF_SIGNED, _V_ERR_UNABLE_TO_GET_CRL)
        )
    )


def _client_issuer_name_only() -> None:
    client = _module("reference.pki.client")
    _wrap_client_context(lambda ctx, identity: setattr(ctx, "verify_mode", ssl.CERT_NONE))
    original = client.peer_alias

    def peer_alias(sock: ssl.SSLSocket, *, as_server: bool) -> str:
        _manual_checks(sock.getpeercert(binary_form=True))
        result: str = original(sock, as_server=as_server)
        return result

    client.peer_alias = peer_alias


def _client_pathlen_ignored() -> None:
    _wrap_client_context(
        lambda ctx, identity: _verify_ignoring(
            ctx, (_V_ERR_PATH_LENGTH_EXCEEDED, _V_ERR_UNABLE_TO_GET_CRL)
        )
    )


def _client_no_crl() -> None:
    _wrap_client_context(lambda ctx, identity: None, with_crl=False)


def _client_revoked_first_only() -> None:
    client = _module("reference.pki.client")
    _wrap_client_context(lambda ctx, identity: None, with_crl=False)
    original = client.peer_alias

    def peer_alias(sock: ssl.SSLSocket, *, as_server: bool) -> str:
        result: str = original(sock, as_server=as_server)
        x509 = _x509()
        entries = list(x509.load_der_x509_crl(_STATE["crl"]))
        serial = x509.load_der_x509_certificate(sock.getpeercert(binary_form=True)).serial_number
        if entries and entries[0].serial_number == serial:
            raise _refused("revoked")
        return result

    client.peer_alias = peer_alias


def _client_expired_accepted() -> None:
    def change(ctx: ssl.SSLContext, identity: Any) -> None:
        ctx.verify_flags |= _X509_V_FLAG_NO_CHECK_TIME

    _wrap_client_context(change)


def _client_eku_clientauth() -> None:
    # OpenSSL 3.0's purpose check already refuses a responder certificate without
    # serverAuth (and with anyEKU): a stack without that check is modelled by letting
    # X509_V_ERR_INVALID_PURPOSE through, so that the copied check is all there is.
    client = _module("reference.pki.client")
    tls = _module("reference.pki.tls")
    _wrap_client_context(lambda ctx, identity: _verify_ignoring(ctx, (_V_ERR_INVALID_PURPOSE,)))
    client.peer_alias = lambda sock, *, as_server: tls.peer_alias(sock, as_server=True)


class _LateAlias(str):
    """Compares equal to any alias: the real check waits for the first answer."""

    def __eq__(self, other: object) -> bool:
        return True

    def __ne__(self, other: object) -> bool:
        return False

    __hash__ = str.__hash__


def _client_alias_checked_late() -> None:
    client = _module("reference.pki.client")
    transfer = _module("reference.transfer")
    errors = _module("reference.errors")
    original_alias = client.peer_alias
    original_parse = client.parse_target
    original_answer = transfer.Initiator._answer

    def parse_target(text: str) -> Any:
        parsed = original_parse(text)
        _STATE["wanted"] = parsed[0]
        return parsed

    def peer_alias(sock: ssl.SSLSocket, *, as_server: bool) -> str:
        real: str = original_alias(sock, as_server=as_server)
        _STATE["real"] = real
        return _LateAlias(real)

    def answer(self: Any) -> Any:
        event = original_answer(self)
        if _STATE.get("real") != _STATE.get("wanted"):
            raise errors.RemoteProtocolError(errors.ErrorCode.AUTH_FAILED, "wrong peer alias")
        return event

    client.parse_target = parse_target
    client.peer_alias = peer_alias
    transfer.Initiator._answer = answer


def _client_keylog_env() -> None:
    def change(ctx: ssl.SSLContext, identity: Any) -> None:
        path = os.environ.get("SSLKEYLOGFILE")
        if path:
            ctx.keylog_filename = path  # what ssl.create_default_context() does

    _wrap_client_context(change)


def _client_keylog_ca_fetch() -> None:
    enroll = _module("reference.pki.enroll")
    original = enroll.https_client_context

    def https_client_context(root_pem: bytes) -> ssl.SSLContext:
        ctx: ssl.SSLContext = original(root_pem)
        path = os.environ.get("SSLKEYLOGFILE")
        if path:
            ctx.keylog_filename = path
        return ctx

    enroll.https_client_context = https_client_context


def _client_system_trust() -> None:
    _wrap_client_context(lambda ctx, identity: ctx.load_default_certs())


# --- phase 2 probes (written after reading the case files; not part of the blind count) --


def _allow_list_no_close() -> None:
    transfer = _module("reference.transfer")
    messages = _module("reference.messages")
    errors = _module("reference.errors")
    original = transfer.Responder.run

    def run(self: Any) -> None:
        if self.policy.authorised:
            original(self)
            return
        channel = self.channel
        # "not allowed: say so to every request, the initiator decides when to leave"
        with contextlib.suppress(Exception):
            while True:
                event = channel.next_event()
                if event is transfer.CLOSED or isinstance(event, messages.ErrorFrame):
                    return
                if isinstance(event, messages.Bye):
                    channel.send(messages.Bye())
                    return
                channel.send(messages.ErrorFrame(errors.ErrorCode.FORBIDDEN, self.policy.refusal))

    transfer.Responder.run = run


def _put_excess_per_frame() -> None:
    app = _module("reference.app")
    share = _module("reference.share")
    sys = _module("sys")

    class _FrameCount(app._Transfer):  # type: ignore[misc, name-defined]
        """The DATA-header check sees 0 bytes so far: it compares one frame's length with
        the announced size, not the running total."""

        __slots__ = ("_count",)

        @property
        def count(self) -> int:
            if sys._getframe(1).f_code.co_name == "_next_event":
                return 0
            return int(self._count)

        @count.setter
        def count(self, value: int) -> None:
            self._count = value

    app._Transfer = _FrameCount
    original = share.Inbox.begin

    def begin(self: Any, final_name: str, size: int) -> Any:
        return original(self, final_name, 2**62)  # the file limit trusts the header check

    share.Inbox.begin = begin


def _put_exists_before_confinement() -> None:
    share = _module("reference.share")
    errors = _module("reference.errors")
    original = share.Inbox.target_name

    def target_name(self: Any, name: str) -> str:
        if "\x00" not in name and os.path.lexists(
            os.path.normpath(os.path.join(str(self.path), name))
        ):
            raise errors.RemoteProtocolError(errors.ErrorCode.EXISTS, "already exists")
        result: str = original(self, name)
        return result

    share.Inbox.target_name = target_name


def _put_size_limit_off_by_one() -> None:
    transfer = _module("reference.transfer")
    original = transfer.Responder._put

    def put(self: Any, request: Any) -> None:
        policy = self.policy
        self.policy = _Policy(
            lambda authorised: authorised,
            share=policy.share,
            inbox=policy.inbox,
            max_file_size=policy.max_file_size + 1,  # "size <= limit" written as "size > limit + 1"
            authorised=policy.authorised,
            refusal=policy.refusal,
        )
        try:
            original(self, request)
        finally:
            self.policy = policy

    transfer.Responder._put = put


def _sigpipe_default() -> None:
    # A C responder that never ignores SIGPIPE (no MSG_NOSIGNAL, no SIG_IGN): a write to
    # a connection the peer has reset ends the whole process. Python ignores it at start;
    # this puts the default back in the served process.
    signal = _module("signal")
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)


def _client_keylog_put_only() -> None:
    # The put command, added later, builds its context the library's default way.
    sys = _module("sys")

    def change(ctx: ssl.SSLContext, identity: Any) -> None:
        path = os.environ.get("SSLKEYLOGFILE")
        if path and "put" in sys.argv:
            ctx.keylog_filename = path

    _wrap_client_context(change)


def _m(
    name: str,
    requirement: str,
    test_file: str,
    description: str,
    apply: Callable[[], None],
    *,
    client: bool = False,
    strict: bool = False,
) -> Mutant:
    return Mutant(
        f"b6pki-{name}",
        "pki-blind6",
        "pki",
        requirement,
        test_file,
        description,
        apply,
        client=client,
        strict=strict,
    )


MUTANTS: tuple[Mutant, ...] = (
    _m(
        "cert-optional-anonymous",
        "PKI-TLS-3",
        "test_pki_tls.py",
        "client certificate optional; without one the connection is served as 'anonymous'",
        _cert_optional_anonymous,
    ),
    _m(
        "no-cert-eror-internal",
        "PKI-TLS-3",
        "test_pki_tls.py",
        "client certificate optional; without one: EROR internal and the close",
        _no_cert_eror_internal,
    ),
    _m(
        "no-chain-verify",
        "PKI-CERT-4",
        "test_pki_certs.py",
        "any client certificate passes the TLS stack; only its fields are checked",
        _no_chain_verify,
    ),
    _m(
        "selfsigned-allowed",
        "PKI-CERT-4",
        "test_pki_certs.py",
        "the verify callback lets a self-signed client certificate through",
        _selfsigned_allowed,
    ),
    _m(
        "issuer-name-only",
        "PKI-CERT-10",
        "test_pki_certs.py",
        "chain check = issuer DN equals the root's subject; the signature is never verified",
        _issuer_name_only,
    ),
    _m(
        "pathlen-ignored",
        "PKI-CERT-10",
        "test_pki_certs.py",
        "pathlen 0 ignored: a client certificate issued by an intermediate is accepted",
        _pathlen_ignored,
    ),
    _m(
        "refusal-code-forbidden",
        "PKI-TLS-10",
        "test_pki_certs.py",
        "a refused certificate is answered EROR forbidden, not auth_failed",
        _refusal_code_forbidden,
    ),
    _m(
        "refused-cert-as-guest",
        "PKI-TLS-10",
        "test_pki_certs.py",
        "a certificate refused after the handshake is served as 'guest' (requests: forbidden)",
        _refused_cert_as_guest,
    ),
    _m(
        "refusal-kept-open",
        "PKI-TLS-10",
        "test_pki_certs.py",
        "after EROR auth_failed the responder waits for the initiator to close",
        _refusal_kept_open,
    ),
    _m(
        "crl-refresh-keeps-context",
        "PKI-CERT-7",
        "test_pki_certs.py",
        "the CRL refetch never reaches the TLS context: later revocations are ignored",
        _crl_refresh_keeps_context,
        strict=True,
    ),
    _m(
        "revoked-first-entry-only",
        "PKI-CERT-11",
        "test_pki_certs.py",
        "revocation checked against the first CRL entry only",
        _revoked_first_entry_only,
    ),
    _m(
        "revoked-keyed-by-date",
        "PKI-CERT-11",
        "test_pki_certs.py",
        "revoked serials kept in a dict keyed by revocation date (one per second survives)",
        _revoked_keyed_by_date,
    ),
    _m(
        "identity-from-frame",
        "PKI-ID-2",
        "test_pki_identity.py",
        "a request member alias/from/user naming an allowed alias authorises the connection",
        _identity_from_frame,
    ),
    _m(
        "alias-server-global",
        "PKI-ID-3",
        "test_pki_identity_concurrent.py",
        "the allow-list decision is one server-wide variable: the latest handshake decides",
        _alias_server_global,
    ),
    _m(
        "handshake-in-accept-loop",
        "LIM-5",
        "test_pki_isolation.py",
        "the accept loop waits for each client's first bytes before starting its thread",
        _handshake_in_accept_loop,
    ),
    _m(
        "no-cn-panics",
        "LIM-5",
        "test_pki_isolation.py",
        "a client certificate without CN ends the whole server (IndexError, Go-style panic)",
        _no_cn_panics,
    ),
    _m(
        "inbox-lock-during-put",
        "LIM-5",
        "test_pki_isolation.py",
        "one server-wide lock held while a put is received: a stalled put blocks all puts",
        _inbox_lock_during_put,
    ),
    _m(
        "send-blocks-forever",
        "LIM-10",
        "test_limits.py",
        "writes have no timeout: a peer that stops reading holds its connection forever",
        _send_blocks_forever,
    ),
    _m(
        "share-check-then-open-path",
        "APP-NAME-5",
        "test_app_toctou.py",
        "the name is checked by descriptor, then opened again by path (symlink swap followed)",
        _share_check_then_open_path,
    ),
    _m(
        "exists-before-confinement",
        "APP-NAME-6",
        "test_app_names.py",
        "existence tested before the name rules: a refused name says whether it exists",
        _exists_before_confinement,
    ),
    _m(
        "symlink-target-probed",
        "APP-NAME-6",
        "test_app_names.py",
        "a symbolic link to a missing target is not_found, to an existing one forbidden",
        _symlink_target_probed,
    ),
    _m(
        "put-keeps-subdirs",
        "APP-PUT-2",
        "test_app_put.py",
        "a put of a/b is stored as inbox/a/b, not under its basename",
        _put_keeps_subdirs,
    ),
    _m(
        "put-exists-at-done",
        "APP-PUT-3",
        "test_app_put.py",
        "no existence check at PUTF: an existing name is refused after the data",
        _put_exists_at_done,
    ),
    _m(
        "put-rename-replaces",
        "APP-PUT-8",
        "test_app_put.py",
        "the commit renames over the final name: a later concurrent put replaces the stored one",
        _put_rename_replaces,
    ),
    _m(
        "put-excess-checked-on-payload",
        "APP-PUT-6",
        "test_app_put.py",
        "excess DATA is noticed when its payload is written, not when its header arrives",
        _put_excess_checked_on_payload,
    ),
    _m(
        "put-excess-off-by-one",
        "APP-PUT-6",
        "test_app_put.py",
        "one byte beyond the announced size passes the DATA check; only DONE fails",
        _put_excess_off_by_one,
    ),
    _m(
        "put-reserved-prefix-fullname",
        "APP-NAME-9",
        "test_app_reserved_names.py",
        "the .sft-partial- prefix is checked on the whole name, not its last component",
        _put_reserved_prefix_fullname,
    ),
    _m(
        "client-no-chain-verify",
        "PKI-CERT-4",
        "test_pki_certs.py",
        "the initiator does not verify the responder's chain (CERT_NONE), only its alias",
        _client_no_chain_verify,
        client=True,
    ),
    _m(
        "client-selfsigned-allowed",
        "PKI-CERT-4",
        "test_pki_certs.py",
        "the initiator lets a self-signed responder certificate through",
        _client_selfsigned_allowed,
        client=True,
    ),
    _m(
        "client-issuer-name-only",
        "PKI-CERT-10",
        "test_pki_certs.py",
        "the initiator checks the responder's issuer DN, never the root's signature",
        _client_issuer_name_only,
        client=True,
    ),
    _m(
        "client-pathlen-ignored",
        "PKI-CERT-10",
        "test_pki_certs.py",
        "the initiator accepts a responder certificate issued by an intermediate",
        _client_pathlen_ignored,
        client=True,
    ),
    _m(
        "client-no-crl",
        "PKI-CERT-7",
        "test_pki_certs.py",
        "the initiator never checks the responder's certificate against the CRL",
        _client_no_crl,
        client=True,
    ),
    _m(
        "client-revoked-first-only",
        "PKI-CERT-11",
        "test_pki_certs.py",
        "the initiator checks the responder against the first CRL entry only",
        _client_revoked_first_only,
        client=True,
    ),
    _m(
        "client-expired-accepted",
        "PKI-CERT-3",
        "test_pki_certs.py",
        "the initiator ignores the responder certificate's validity dates",
        _client_expired_accepted,
        client=True,
    ),
    _m(
        "client-eku-clientauth",
        "PKI-CERT-5",
        "test_pki_certs.py",
        "the initiator requires clientAuth of the responder, not serverAuth",
        _client_eku_clientauth,
        client=True,
    ),
    _m(
        "client-alias-checked-late",
        "PKI-ID-1",
        "test_pki_tls.py",
        "the initiator checks the responder's alias only when the first answer arrives",
        _client_alias_checked_late,
        client=True,
    ),
    _m(
        "client-keylog-env",
        "PKI-TLS-8",
        "test_pki_keylog.py",
        "the initiator's peer connection writes its secrets to $SSLKEYLOGFILE",
        _client_keylog_env,
        client=True,
    ),
    _m(
        "client-keylog-ca-fetch",
        "PKI-TLS-8",
        "test_pki_keylog.py",
        "the initiator's CA connection (CRL fetch) writes its secrets to $SSLKEYLOGFILE",
        _client_keylog_ca_fetch,
        client=True,
    ),
    _m(
        "client-system-trust",
        "PKI-TLS-4",
        "test_pki_certs.py",
        "the initiator also trusts the system store ($SSL_CERT_FILE, $SSL_CERT_DIR, the OS)",
        _client_system_trust,
        client=True,
    ),
)

# Phase 2 probes: after the case files were read, in the combinations the blind list left
# out; detected or not before any case change is reported separately from the blind count.
PROBES: tuple[Mutant, ...] = (
    _m(
        "allow-list-no-close",
        "PKI-ID-3",
        "test_pki_certs.py",
        "an initiator not on the allow list gets forbidden for every request, never the close",
        _allow_list_no_close,
    ),
    _m(
        "put-excess-per-frame",
        "APP-PUT-6",
        "test_app_put.py",
        "excess DATA checked frame by frame against the announced size, not the running total",
        _put_excess_per_frame,
    ),
    _m(
        "put-exists-before-confinement",
        "APP-NAME-6",
        "test_app_names.py",
        "a put's name tested for existence (exists) before the name rules (forbidden)",
        _put_exists_before_confinement,
    ),
    _m(
        "put-size-limit-off-by-one",
        "APP-PUT-7",
        "test_app_put.py",
        "a put of the maximum file size + 1 is accepted (limit compared off by one)",
        _put_size_limit_off_by_one,
    ),
    _m(
        "sigpipe-default",
        "LIM-5",
        "test_pki_isolation.py",
        "SIGPIPE not ignored: a write to a connection its initiator reset ends the process",
        _sigpipe_default,
    ),
    _m(
        "client-keylog-put-only",
        "PKI-TLS-8",
        "test_pki_keylog.py",
        "the initiator's put (not its get) writes its secrets to $SSLKEYLOGFILE",
        _client_keylog_put_only,
        client=True,
    ),
)
MUTANTS += PROBES
