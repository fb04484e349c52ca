"""Blind red-team round 14 (pki): the sft-pki/1 responder and the app layer of both servers.

Written by helper B66 from docs/SPEC.md §0-§4, §6 and the reference's pki/peer.py,
pki/tls.py, app.py, frames.py, messages.py, share.py, transfer.py and eke/server.py only,
through the six round-14 lenses (lenses14.md); no conformance/test_*.py, mutant module or
independent implementation was read before the list was written. A first list of 29 was
then compared with the registered mutants: 22 duplicated one (SHA-384 signatures,
BasicConstraints, forbidden without close, `..` in the first component only, PUTF.sha256
ignored, excess DATA per frame, a size quota per connection, the SHA-256 object per
connection, temporaries colliding across connections, the put on the server object, exists
on the whole name, the reserved prefix on the whole name, the CN case-folded or taken from
the subjectAltName, the final name reserved empty, the temporary before the size check,
validity against the start time, replacing commits, lstat then open, keyAgreement for
digitalSignature, checks cached by alias, the allow verdict server-wide) and were replaced
by the ones below. Each breaks one observable MUST; `profile` says which server runs it.

Lens 1 — checks that never run:
  b14app-dot-components-by-identity  APP-NAME-2  `part is ".."`: the split string is never
                                                 the literal, so `..` passes (`.` and the
                                                 empty string are CPython singletons)
  b14app-bidi-on-components          APP-NAME-8  the bidi set compared with the name's
                                                 components, not its characters
  b14pki-alpn-checked-once           PKI-TLS-2   the ALPN check sits behind a flag the first
                                                 connection sets: later ones go unchecked
  b14app-eke-get-limit-default       APP-GET-2   eke: the get's size check reads a misspelled
                                                 config field (getattr default 4 GiB)
  b14pki-ku-refusal-returned         PKI-CERT-9  the KeyUsage branch returns the exception
                                                 instead of raising it: the connection goes
                                                 on under that "alias"
Lens 2 — per item, not in aggregate:
  b14app-get-bytes-per-connection    APP-GET-2   the size limit counts every byte the
                                                 connection was served: a second get is
                                                 too_large
  b14app-control-budget-per-connection APP-2     the 64 KiB control allowance is a budget
                                                 for the whole connection, never refilled
  b14app-put-frame-count-cap         FRM-13      at most size/64 KiB + 4 DATA frames per put
                                                 (a DoS guard): small valid frames refused
  b14app-components-count-cap        APP-NAME-7  at most 64 components (a depth limit)
Lens 3 — shared mutable state:
  b14app-put-final-name-server-wide  APP-PUT-2   the final name of "the current put" kept on
                                                 the Responder class: concurrent puts store
                                                 under the latest PUTF's name
  b14app-putf-sha-class-attr         APP-PUT-5   the announced SHA-256 kept process-wide: a
                                                 PUTF without one inherits the last one seen
  b14pki-handshake-watchdog-shared   LIM-1       one module-level handshake watchdog: a new
                                                 handshake cancels the previous one's
Lens 4 — the checked form is not the used form:
  b14pki-alias-from-rfc4514          PKI-ID-4    one CN checked, the alias read from the
                                                 first RDN of rfc4514_string() (last RDN of
                                                 the subject)
  b14app-name-limit-on-nfc-copy      APP-NAME-1  the byte limits measured on an NFC copy;
                                                 the name itself is used
  b14app-controls-on-ascii-copy      APP-NAME-8  the C1 and bidi checks run on an ASCII copy
                                                 (encode errors=ignore) made for the log
Lens 5 — effects before authority:
  b14app-get-rsfl-before-size-check  APP-GET-2   RSFL goes out before the too_large check,
                                                 which then ends the connection (internal)
  b14pki-auth-message-by-cause       ERR-6       the auth_failed message carries the cause
                                                 of the certificate's refusal
  b14pki-put-temp-before-allow-check APP-STORE-3 an outsider's PUTF creates the temporary
                                                 before the allow list refuses it, and it stays
  b14pki-first-request-before-checks PKI-TLS-10  the post-handshake checks run after the
                                                 first request has been answered
Lens 6 — trust carried over:
  b14pki-session-tickets             PKI-CERT-3  session tickets on and the CRL added to the
                                                 live context: a resumed session skips the
                                                 validity check of a certificate since expired
  b14app-put-done-first-cached       APP-PUT-5   the receipt DONE of a connection's first put
                                                 is repeated for its later puts
  b14app-commit-follows-dangling-link APP-PUT-3  the commit checks the final name with stat()
                                                 (following links) and renames: a dangling
                                                 link planted during the put is replaced
  b14app-put-rolled-back-without-bye APP-BYE-2   a connection that ends without BYE_ rolls
                                                 back its last put, already acknowledged

Blind result: 14 of 23 detected at the first run (each under the requirement and file it
was filed under blind). Undetected then: components-count-cap (deep names were tried only
with 17 long components), control-budget-per-connection (hundreds of short requests, never
64 KiB of control payload), put-final-name-server-wide (APP-PUT-2 had no case with two
connections' puts interleaved), alias-from-rfc4514 (look-alike subjects always had their O
before the CN), handshake-watchdog-shared (no other handshake beside the slow one; and, as
first written, CPython's socket timeout also bounded do_handshake() in total, which masked
it: the mutant now leaves the watchdog as the only deadline, as a stack without that total
bound has), name-limit-on-nfc-copy (the length cases used NFC names only),
auth-message-by-cause (no case compared auth_failed messages between causes),
session-tickets (the suite never offered a session for resumption),
commit-follows-dangling-link (links were planted before PUTF only). Phase 2:
test_app_name_shapes.py, test_app_request_volume.py, test_app_put_interleaved.py,
test_pki_handshake_overlap.py, test_pki_refusal_messages.py, test_pki_subject_order.py,
test_pki_resumption.py (new) and a case in test_app_put_inbox_links.py: 23 of 23 detected.
"""

from __future__ import annotations

import os
import threading
import unicodedata
from collections.abc import Callable
from typing import Any

from conformance.selftest.mutant import Mutant, _module
from conformance.selftest.mutants_app import _patch_source

__all__ = ["MUTANTS"]


def _tls() -> Any:
    return _module("reference.pki.tls")


def _peer() -> Any:
    return _module("reference.pki.peer")


def _share() -> Any:
    return _module("reference.share")


def _app() -> Any:
    return _module("reference.app")


def _transfer() -> Any:
    return _module("reference.transfer")


def _responder() -> Any:
    return _transfer().Responder


# --- lens 1: checks that never run -----------------------------------------------------------


def _dot_components_by_identity() -> None:
    _patch_source(
        _share(),
        "check_name",
        (
            'if part in ("", ".", ".."):',
            'if part is "" or part is "." or part is "..":  # noqa: F632',
        ),
    )


def _bidi_on_components() -> None:
    _patch_source(
        _share(),
        "check_name",
        (
            "if not _BIDI_CONTROLS.isdisjoint(name):",
            'if not _BIDI_CONTROLS.isdisjoint(name.split("/")):',
        ),
    )


def _alpn_checked_once() -> None:
    tls = _tls()
    real = tls.peer_alias
    checked = threading.Event()

    def peer_alias(sock: Any, *, as_server: bool) -> str:
        if not checked.is_set():
            alias: str = real(sock, as_server=as_server)
            checked.set()  # "the listener speaks sft-pki/1": not looked at again
            return alias
        if sock.version() != "TLSv1.3":
            raise tls.CertificateRefused("the peer did not negotiate TLS 1.3")
        checked_alias: str = tls.check_peer_certificate(
            sock.getpeercert(binary_form=True), as_server=as_server
        )
        return checked_alias

    tls.peer_alias = peer_alias
    _peer().peer_alias = peer_alias


def _eke_get_limit_default() -> None:
    _patch_source(
        _module("reference.eke.server").EkeServer,
        "_serve_get",
        (
            "if shared.size > self.config.max_file_size:",
            "if shared.size > getattr(self.config, 'max_size', 4 * 1024**3):",
        ),
    )


def _ku_refusal_returned() -> None:
    _patch_source(
        _tls(),
        "check_peer_certificate",
        (
            'raise CertificateRefused(f"{alias}\'s certificate does not allow digital signatures")',
            "return CertificateRefused("
            'f"{alias}\'s certificate does not allow digital signatures")  # type: ignore',
        ),
    )


# --- lens 2: per item, not in aggregate ------------------------------------------------------


def _get_bytes_per_connection() -> None:
    _patch_source(
        _responder(),
        "_get",
        (
            "if shared.size > self.policy.max_file_size:",
            "if getattr(self, '_served', 0) + shared.size > self.policy.max_file_size:",
        ),
        (
            "self.channel.send_file(shared.file.readinto, shared.size, None)",
            "self.channel.send_file(shared.file.readinto, shared.size, None)\n"
            "        self._served = getattr(self, '_served', 0) + shared.size",
        ),
    )


def _control_budget_per_connection() -> None:
    app = _app()
    cls = app.ApplicationConnection
    original = cls._on_control
    limit = app.MAX_CONTROL_PAYLOAD

    def _on_control(self: Any, frame: Any) -> Any:
        budget = getattr(self, "_control_budget", limit) - len(frame.payload)
        if budget < 0:
            raise app.RemoteProtocolError(
                app.ErrorCode.FRAME_TOO_LARGE, "control payload above 65536 bytes [FRM-8]"
            )
        self._control_budget = budget
        return original(self, frame)

    cls._on_control = _on_control


def _put_frame_count_cap() -> None:
    _patch_source(
        _app().ApplicationConnection,
        "_next_event",
        (
            "        self._payload_left = length\n",
            "        frames = 1 if self._incoming.count == 0 else self._frames_in + 1\n"
            "        self._frames_in = frames\n"
            "        if self.role is RESPONDER and frames > (\n"
            "                self._incoming.announced // 65536 + 4):\n"
            "            raise RemoteProtocolError(ErrorCode.BAD_FRAME, 'too many DATA frames')\n"
            "        self._payload_left = length\n",
        ),
    )


def _components_count_cap() -> None:
    _patch_source(
        _share(),
        "check_name",
        (
            "    parts = name.split(\"/\")\n",
            "    parts = name.split(\"/\")\n"
            "    if len(parts) > 64:\n"
            "        raise NameRefused('a name may have at most 64 components')\n",
        ),
    )


# --- lens 3: shared mutable state ------------------------------------------------------------


def _put_final_name_server_wide() -> None:
    cls = _responder()
    _patch_source(
        cls,
        "_put",
        (
            "partial = inbox.begin(final, request.size)",
            "partial = inbox.begin(final, request.size)\n"
            "        Responder.current_put = final",
        ),
        (
            "        try:\n            partial.commit()",
            "        try:\n            partial.final_name = Responder.current_put\n"
            "            partial.commit()",
        ),
    )


def _putf_sha_class_attr() -> None:
    app = _app()
    original = app._Transfer.__init__
    last: list[str | None] = [None]

    def __init__(self: Any, announced: int, expected_sha256: str | None, factory: Any) -> None:
        if expected_sha256 is None:
            expected_sha256 = last[0]
        else:
            last[0] = expected_sha256
        original(self, announced, expected_sha256, factory)

    original_on_control = app.ApplicationConnection._on_control

    def _on_control(self: Any, frame: Any) -> Any:
        # Only a received PUTF (the responder's incoming transfer) reads or sets it.
        if frame.type == app.T_PUTF:
            app._Transfer.__init__ = __init__
            try:
                return original_on_control(self, frame)
            finally:
                app._Transfer.__init__ = original
        return original_on_control(self, frame)

    app.ApplicationConnection._on_control = _on_control


def _handshake_watchdog_shared() -> None:
    tls = _tls()
    current: list[Any] = [None]
    lock = threading.Lock()

    def server_handshake(context: Any, raw: Any, timeout: float) -> Any:
        # The watchdog is the only deadline (CPython's socket timeout would bound
        # do_handshake() in total as well, which an implementation on another stack has not).
        raw.settimeout(None)
        sock = context.wrap_socket(raw, server_side=True, do_handshake_on_connect=False)
        watchdog = threading.Timer(timeout, tls._abort, (sock,))
        watchdog.daemon = True
        with lock:
            if current[0] is not None:
                current[0].cancel()  # "the" handshake timer, re-armed for the newest one
            current[0] = watchdog
        watchdog.start()
        try:
            sock.do_handshake()
        except BaseException:
            watchdog.cancel()
            tls._lingering_close(sock)
            raise
        finally:
            watchdog.cancel()
        return sock

    tls.server_handshake = server_handshake
    _peer().server_handshake = server_handshake


# --- lens 4: the checked form is not the used form -------------------------------------------


def _alias_from_rfc4514() -> None:
    tls = _tls()
    original = tls._common_name

    def _common_name(cert: Any) -> str:
        original(cert)  # exactly one CN, or refused
        first = cert.subject.rfc4514_string().split(",")[0]
        return str(first.split("=", 1)[1])

    tls._common_name = _common_name


def _name_limit_on_nfc_copy() -> None:
    share = _share()
    share.unicodedata = unicodedata
    _patch_source(
        share,
        "check_name",
        (
            'size = len(name.encode("utf-8"))',
            'size = len(unicodedata.normalize("NFC", name).encode("utf-8"))',
        ),
        (
            'if len(part.encode("utf-8")) > MAX_COMPONENT_BYTES:',
            'if len(unicodedata.normalize("NFC", part).encode("utf-8")) > MAX_COMPONENT_BYTES:',
        ),
    )


def _controls_on_ascii_copy() -> None:
    _patch_source(
        _share(),
        "check_name",
        (
            "    if any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in name):",
            '    shown = name.encode("ascii", "ignore").decode()\n'
            "    if any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in shown):",
        ),
        ("if not _BIDI_CONTROLS.isdisjoint(name):", "if not _BIDI_CONTROLS.isdisjoint(shown):"),
    )


# --- lens 5: effects before authority --------------------------------------------------------


def _get_rsfl_before_size_check() -> None:
    _patch_source(
        _responder(),
        "_get",
        (
            "        if shared.size > self.policy.max_file_size:\n"
            "            self._refuse(RemoteProtocolError(ErrorCode.TOO_LARGE, "
            '"the file exceeds the limit"))\n'
            "            return\n"
            "        self.channel.send(FileResponse(request.name, shared.size))\n",
            "        self.channel.send(FileResponse(request.name, shared.size))\n"
            "        if shared.size > self.policy.max_file_size:\n"
            "            raise RemoteProtocolError(ErrorCode.TOO_LARGE, "
            '"the file exceeds the limit")\n',
        ),
    )


def _auth_message_by_cause() -> None:
    _patch_source(
        _peer().PeerServer,
        "_connection",
        (
            'encode_message(ErrorFrame(ErrorCode.AUTH_FAILED, "authentication failed"))',
            'encode_message(ErrorFrame(ErrorCode.AUTH_FAILED, f"authentication failed: {exc}"))',
        ),
    )


def _put_temp_before_allow_check() -> None:
    _patch_source(
        _responder(),
        "run",
        (
            "            if not self.policy.authorised:\n",
            "            if isinstance(event, PutRequest) and self.policy.inbox is not None:\n"
            "                # the handler prepares the upload before the policy is asked\n"
            "                self._prepared = self.policy.inbox.begin(\n"
            "                    check_name(event.name)[-1], event.size)\n"
            "            if not self.policy.authorised:\n",
        ),
    )


def _first_request_before_checks() -> None:
    tls, peer = _tls(), _peer()
    real = tls.peer_alias
    x509 = _module("cryptography.x509")
    pending: dict[int, Callable[[], str]] = {}

    def peer_alias(sock: Any, *, as_server: bool) -> str:
        try:
            cert = x509.load_der_x509_certificate(sock.getpeercert(binary_form=True))
            name: str = tls._common_name(cert)
        except Exception:
            return str(real(sock, as_server=as_server))
        # "verified in the background": the checks run once the first request is answered
        pending[id(sock)] = lambda: real(sock, as_server=as_server)
        return name

    peer.peer_alias = peer_alias
    cls = _responder()
    errors = _module("reference.errors")

    def deferred(method: Callable[..., None]) -> Callable[..., None]:
        def run(self: Any, request: Any) -> None:
            method(self, request)
            check = pending.pop(id(self.channel.stream), None)
            if check is not None:
                try:
                    check()
                except tls.CertificateRefused:
                    raise errors.RemoteProtocolError(
                        errors.ErrorCode.AUTH_FAILED, "authentication failed"
                    ) from None

        return run

    cls._get = deferred(cls._get)
    cls._put = deferred(cls._put)


# --- lens 6: trust carried over --------------------------------------------------------------


def _session_tickets() -> None:
    tls = _tls()
    _patch_source(
        tls,
        "_base_context",
        (
            "    if protocol == ssl.PROTOCOL_TLS_SERVER:\n        ctx.num_tickets = 0\n"
            "    ctx.options |= ssl.OP_NO_TICKET\n",
            "",
        ),
    )
    holder = tls.ServerContextHolder
    serialization = _module("cryptography.hazmat.primitives.serialization")
    x509 = _module("cryptography.x509")
    tempfile = _module("tempfile")

    def reload(self: Any, crl_der: bytes) -> None:
        # The new CRL goes into the live context (OpenSSL picks the newest of an issuer's
        # CRLs): no rebuild, so the session-ticket keys, and the tickets, stay valid.
        pem = x509.load_der_x509_crl(crl_der).public_bytes(serialization.Encoding.PEM)
        fd, name = tempfile.mkstemp(prefix="sft-crl-", suffix=".pem")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(pem)
            with self._lock:
                self._context.load_verify_locations(cafile=name)
        finally:
            os.unlink(name)

    holder.reload = reload


def _put_done_first_cached() -> None:
    app = _app()
    cls = app.ApplicationConnection
    _patch_source(cls, "send", ("if event != self._verified_put:", "if False:"))
    original = cls.stored_done

    def stored_done(self: Any) -> Any:
        done = original(self)
        first = getattr(self, "_first_receipt", None)
        if first is None:
            self._first_receipt = done
            return done
        return first

    cls.stored_done = stored_done


def _commit_follows_dangling_link() -> None:
    share = _share()
    cls = share.PartialFile
    original = cls.commit

    def commit(self: Any, *, overwrite: bool = False) -> None:
        if overwrite or self._file is None:
            original(self, overwrite=overwrite)
            return
        os.fsync(self._file.fileno())
        self._file.close()
        self._file = None
        try:
            try:
                os.stat(self.final_name, dir_fd=self._dir_fd)  # follows a symbolic link
            except FileNotFoundError:
                pass
            else:
                raise FileExistsError(self.final_name)
            os.rename(
                self.temp_name, self.final_name, src_dir_fd=self._dir_fd, dst_dir_fd=self._dir_fd
            )
        except FileExistsError:
            self.abort()
            raise share.RemoteProtocolError(
                share.ErrorCode.EXISTS, f"{self.final_name[:64]!r} already exists"
            ) from None
        except BaseException:
            self.abort()
            raise
        self._done = True
        self._untrack()
        os.fsync(self._dir_fd)
        self._release_dir()

    cls.commit = commit


def _put_rolled_back_without_bye() -> None:
    cls = _responder()
    _patch_source(
        cls,
        "_put",
        (
            "    self.channel.send(self.channel.conn.stored_done())\n",
            "    self.channel.send(self.channel.conn.stored_done())\n"
            "    self._last_stored = final\n",
        ),
    )
    _patch_source(
        cls,
        "run",
        (
            "            if isinstance(event, Bye):\n",
            "            if isinstance(event, Bye):\n                self._said_bye = True\n",
        ),
    )
    original = cls.run

    def run(self: Any) -> None:
        try:
            original(self)
        finally:
            stored = getattr(self, "_last_stored", None)
            inbox = self.policy.inbox
            if stored is not None and not getattr(self, "_said_bye", False) and inbox is not None:
                # the connection's puts are one transaction: no BYE_, no commit
                try:
                    os.unlink(stored, dir_fd=inbox._fd)
                except OSError:
                    pass

    cls.run = run


def _m(
    name: str,
    lens: str,
    profile: str,
    requirement: str,
    test_file: str,
    description: str,
    apply: Callable[[], None],
) -> Mutant:
    return Mutant(
        name=name,
        group=f"blind14-pki-{lens}",
        profile=profile,
        requirement=requirement,
        test_file=test_file,
        description=description,
        apply=apply,
    )


MUTANTS: tuple[Mutant, ...] = (
    # lens 1: checks that never run
    _m("b14app-dot-components-by-identity", "neverrun", "eke", "APP-NAME-2", "test_app_names.py",
       "L1: dot components compared with `is`: the split string is never the literal `..` "
       "(`.` and the empty string are singletons), so `a/../x` and `../x` pass",
       _dot_components_by_identity),
    _m("b14app-bidi-on-components", "neverrun", "pki", "APP-NAME-8",
       "test_app_names_controls.py",
       "L1: the bidi set is compared with the name's components, not its characters: no "
       "bidi control is ever refused", _bidi_on_components),
    _m("b14pki-alpn-checked-once", "neverrun", "pki", "PKI-TLS-2", "test_pki_tls.py",
       "L1: the ALPN check sits behind a flag the first connection sets: later connections "
       "without sft-pki/1 are served", _alpn_checked_once),
    _m("b14app-eke-get-limit-default", "neverrun", "eke", "APP-GET-2", "test_app_get.py",
       "L1: the eke get's size check reads a misspelled config field (getattr default "
       "4 GiB): a file above the configured limit is served", _eke_get_limit_default),
    _m("b14pki-ku-refusal-returned", "neverrun", "pki", "PKI-CERT-9", "test_pki_certs.py",
       "L1: the KeyUsage branch returns the CertificateRefused instead of raising it: a "
       "certificate without digitalSignature goes on under that 'alias'",
       _ku_refusal_returned),
    # lens 2: per item, not in aggregate
    _m("b14app-get-bytes-per-connection", "aggregate", "pki", "APP-GET-2", "test_app_get.py",
       "L2: the size limit counts every byte the connection was served: a get that fits is "
       "too_large after earlier gets", _get_bytes_per_connection),
    _m("b14app-control-budget-per-connection", "aggregate", "eke", "APP-2",
       "test_app_request_volume.py",
       "L2: the 64 KiB control allowance is a budget for the connection, never refilled: "
       "after 64 KiB of requests every control frame is frame_too_large",
       _control_budget_per_connection),
    _m("b14app-put-frame-count-cap", "aggregate", "pki", "FRM-13", "test_framing.py",
       "L2: at most size/64 KiB + 4 DATA frames per put (a DoS guard): a put in small valid "
       "frames is bad_frame", _put_frame_count_cap),
    _m("b14app-components-count-cap", "aggregate", "pki", "APP-NAME-7",
       "test_app_name_shapes.py",
       "L2: at most 64 name components (a depth limit): a valid name of 65 or more "
       "components is forbidden", _components_count_cap),
    # lens 3: shared mutable state
    _m("b14app-put-final-name-server-wide", "shared", "pki", "APP-PUT-2",
       "test_app_put_interleaved.py",
       "L3: the final name of 'the current put' is kept on the Responder class: a put "
       "committed while another connection's PUTF came is stored under that name",
       _put_final_name_server_wide),
    _m("b14app-putf-sha-class-attr", "shared", "pki", "APP-PUT-5", "test_app_put_sequence.py",
       "L3: the announced SHA-256 is kept process-wide: a PUTF without sha256 inherits the "
       "last one any connection announced", _putf_sha_class_attr),
    _m("b14pki-handshake-watchdog-shared", "shared", "pki", "LIM-1",
       "test_pki_handshake_overlap.py",
       "L3: one module-level handshake watchdog (the only handshake deadline): a new "
       "connection cancels the deadline of a handshake still in progress, which then "
       "trickles on", _handshake_watchdog_shared),
    # lens 4: the checked form is not the used form
    _m("b14pki-alias-from-rfc4514", "forms", "pki", "PKI-ID-4", "test_pki_subject_order.py",
       "L4: one CN checked, the alias read from the first RDN of rfc4514_string(), the "
       "subject's last attribute (an O or OU after the CN)", _alias_from_rfc4514),
    _m("b14app-name-limit-on-nfc-copy", "forms", "eke", "APP-NAME-1",
       "test_app_name_shapes.py",
       "L4: the 4096/255-byte limits are measured on an NFC copy; the name is used as sent",
       _name_limit_on_nfc_copy),
    _m("b14app-controls-on-ascii-copy", "forms", "eke", "APP-NAME-8",
       "test_app_names_controls.py",
       "L4: the C1 and bidi checks run on an ASCII copy of the name (encode errors=ignore) "
       "made for the log", _controls_on_ascii_copy),
    # lens 5: effects before authority
    _m("b14app-get-rsfl-before-size-check", "effects", "pki", "APP-GET-2", "test_app_get.py",
       "L5: RSFL goes out before the too_large check, which then ends the connection with "
       "EROR internal", _get_rsfl_before_size_check),
    _m("b14pki-auth-message-by-cause", "effects", "pki", "ERR-6",
       "test_pki_refusal_messages.py",
       "L5: the auth_failed message sent after the handshake names the cause of the "
       "certificate's refusal", _auth_message_by_cause),
    _m("b14pki-put-temp-before-allow-check", "effects", "pki", "APP-STORE-3",
       "test_app_put_refusal_leftovers.py",
       "L5: an outsider's PUTF creates the temporary before the allow list refuses it, and "
       "the temporary stays", _put_temp_before_allow_check),
    _m("b14pki-first-request-before-checks", "effects", "pki", "PKI-TLS-10", "test_pki_certs.py",
       "L5: the post-handshake certificate and ALPN checks run once the first request has "
       "been answered", _first_request_before_checks),
    # lens 6: trust carried over
    _m("b14pki-session-tickets", "carried", "pki", "PKI-CERT-3", "test_pki_resumption.py",
       "L6: session tickets on and each refreshed CRL added to the live context: a resumed "
       "session skips the validity check of a certificate expired since",
       _session_tickets),
    _m("b14app-put-done-first-cached", "carried", "pki", "APP-PUT-5",
       "test_app_put_sequence.py",
       "L6: the receipt DONE of a connection's first put is repeated for its later puts",
       _put_done_first_cached),
    _m("b14app-commit-follows-dangling-link", "carried", "pki", "APP-PUT-3",
       "test_app_put_inbox_links.py",
       "L6: exists is judged at PUTF; the commit stat()s the final name (following links) "
       "and renames: a dangling link planted during the put is replaced",
       _commit_follows_dangling_link),
    _m("b14app-put-rolled-back-without-bye", "carried", "pki", "APP-BYE-2",
       "test_app_put_interleaved.py",
       "L6: the puts of a connection are one transaction: a connection that ends without "
       "BYE_ removes its last put, already acknowledged with DONE",
       _put_rolled_back_without_bye),
)
