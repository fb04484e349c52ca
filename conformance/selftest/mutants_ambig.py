"""Mutants and conforming variants for the readings the SPEC settled (brief Q3, issue 16
item 13): what "refusing a certificate" looks like after a TLS 1.3 handshake (PKI-TLS-10),
a responder that cannot send `no_application_protocol` (PKI-TLS-2), the CA's key
identifiers (PKI-CERT-13), a wrong password with a bad CSR (CA-ENR-21), an RSFL that
names another file (APP-GET-7), a peer that stops reading (LIM-10), and the order of the
header checks (FRM-16).

Two kinds, planted the same way (a monkeypatch of the reference in the subprocess that
runs it, see conformance/selftest/mutants.py):

* `MUTANTS`: a forbidden reading; the suite must FAIL the named requirement
  (conformance/selftest/test_mutants.py).
* `READINGS`: the OTHER allowed reading, which the reference does not take; the suite
  must PASS it (conformance/selftest/test_ambig_readings.py) — a case tuned to the
  reference's reading would FAIL a right implementation.

`python -m conformance.selftest.mutants_ambig NAME -- SFT-ARGS...` plants either kind.
"""

from __future__ import annotations

import contextlib
import dataclasses
import socket
import ssl
import sys
import time
import unicodedata
from collections.abc import Callable
from typing import Any

from conformance.selftest.mutant import Mutant, _module

__all__ = ["MUTANTS", "READINGS", "Reading", "all_readings", "main"]


@dataclasses.dataclass(frozen=True)
class Reading:
    """A conforming variant of the reference: every listed requirement must PASS."""

    name: str
    profile: str
    requirements: tuple[str, ...]
    test_files: tuple[str, ...]
    description: str
    apply: Callable[[], None]
    client: bool = False
    ca: bool = False


# ---------------------------------------------------------------- the CA (PKI-CERT-13)

_AKI = "2.5.29.35"
_SKI = "2.5.29.14"


Change = Callable[[list[Any], Any, Any], list[Any]]


def _rebuild_leaf(change: Change) -> None:
    """Wraps the CA's leaf-certificate builder; `change(extensions, public_key, root)`
    returns the extensions the certificate gets."""
    ca = _module("reference.pki.ca")
    x509 = _module("cryptography.x509")
    original = ca._leaf_builder

    def leaf_builder(root: Any, *args: Any, **kwargs: Any) -> Any:
        b = original(root, *args, **kwargs)
        return x509.CertificateBuilder(
            issuer_name=b._issuer_name,
            subject_name=b._subject_name,
            public_key=b._public_key,
            serial_number=b._serial_number,
            not_valid_before=b._not_valid_before,
            not_valid_after=b._not_valid_after,
            extensions=change(list(b._extensions), b._public_key, root),
        )

    ca._leaf_builder = leaf_builder


def _without(oid: str) -> Change:
    return lambda exts, _key, _root: [e for e in exts if e.oid.dotted_string != oid]


def _replace_aki(make: Callable[[Any, Any], Any]) -> Change:
    x509 = _module("cryptography.x509")
    return lambda exts, key, root: [
        x509.Extension(e.oid, e.critical, make(key, root)) if e.oid.dotted_string == _AKI else e
        for e in exts
    ]


def _ca_no_aki() -> None:
    # "AKI is optional in X.509 v3": the builder was written from a minimal example.
    _rebuild_leaf(_without(_AKI))


def _ca_no_leaf_ski() -> None:
    # "SKI matters for CA certificates only" (RFC 5280 says SHOULD for end entities).
    _rebuild_leaf(_without(_SKI))


def _ca_aki_of_leaf_key() -> None:
    # Copy-paste: from_issuer_public_key(public_key) instead of the root's key.
    x509 = _module("cryptography.x509")
    _rebuild_leaf(
        _replace_aki(lambda key, _root: x509.AuthorityKeyIdentifier.from_issuer_public_key(key))
    )


def _ca_aki_issuer_and_serial_only() -> None:
    # OpenSSL's `authorityKeyIdentifier = issuer`: the issuer's name and serial, no key id.
    x509 = _module("cryptography.x509")
    _rebuild_leaf(
        _replace_aki(
            lambda _key, root: x509.AuthorityKeyIdentifier(
                None, [x509.DirectoryName(root.subject)], root.serial_number
            )
        )
    )


# ---------------------------------------------------------------- the CA (CA-ENR-21)


def _csr_is_valid(csr_pem: str) -> bool:
    """The CA's own CSR checks (CA-ENR-3/13), without issuing anything."""
    ca = _module("reference.pki.ca")
    x509 = _module("cryptography.x509")
    data = csr_pem.encode("utf-8")
    if data.count(b"-----BEGIN ") != 1:
        return False
    try:
        csr = x509.load_pem_x509_csr(data)
        ca._check_public_key(csr.public_key())
        return bool(csr.is_signature_valid) and isinstance(
            csr.signature_hash_algorithm, ca._CSR_DIGESTS
        )
    except Exception:  # any parse failure is a bad CSR
        return False


def _patch_enroll(before: Callable[[Any, dict[str, Any]], None]) -> None:
    """Runs `before(handler, request)` ahead of the CA's own enrolment logic."""
    server = _module("reference.pki.ca_server")
    original = server._Handler._enroll

    def enroll(self: Any) -> None:
        request = self._read_json()
        # The original reads the same body; for this request only (http.server keeps the
        # handler for every request of a kept-alive connection).
        self._read_json = lambda: request
        try:
            before(self, request)
            original(self)
        finally:
            del self._read_json

    server._Handler._enroll = enroll


def _bad_csr_error() -> Exception:
    server = _module("reference.pki.ca_server")
    http = _module("http")
    return server._HttpError(  # type: ignore[no-any-return]
        http.HTTPStatus.BAD_REQUEST, "bad_csr", "the CSR is not valid"
    )


def _ca_csr_checked_first() -> None:
    # The allowed other order: a bad CSR is answered before any password is verified.
    def before(_handler: Any, request: dict[str, Any]) -> None:
        csr = request.get("csr")
        if isinstance(csr, str) and not _csr_is_valid(csr):
            raise _bad_csr_error()

    _patch_enroll(before)


def _ca_bad_csr_password_unthrottled() -> None:
    # "Do not tell a stranger that the CSR is bad": the password is checked first on that
    # path, with the plain check, outside the throttle's bookkeeping.
    server = _module("reference.pki.ca_server")
    http = _module("http")

    def before(handler: Any, request: dict[str, Any]) -> None:
        alias, password, csr = (request.get(k) for k in ("alias", "password", "csr"))
        if not isinstance(csr, str) or _csr_is_valid(csr):
            return
        if not handler.server.ca.authenticate(alias, password):
            raise server._HttpError(
                http.HTTPStatus.UNAUTHORIZED, "auth_failed", "wrong alias or password"
            )
        raise _bad_csr_error()

    _patch_enroll(before)


# ---------------------------------------------------------------- refusal (PKI-TLS-10)


def _on_refusal(action: Callable[[Any], str | None]) -> None:
    """Wraps the responder's certificate/ALPN checks: on a refusal, `action(tls)` runs and
    returns an alias to carry on with (None: refuse as the reference does)."""
    peer = _module("reference.pki.peer")
    original = peer.peer_alias

    def peer_alias(sock: Any, *, as_server: bool) -> str:
        try:
            alias: str = original(sock, as_server=as_server)
        except peer.CertificateRefused:
            carried = action(sock)
            if carried is None:
                raise
            return carried
        return alias

    peer.peer_alias = peer_alias


_REFUSED = "refused-certificate"


def _refusal_forbidden_per_request() -> None:
    # The allow-list refusal reused for a bad certificate: `forbidden` for every request,
    # non-fatal, the connection kept.
    peer = _module("reference.pki.peer")
    policy = peer.ResponderPolicy

    def responder_policy(**kwargs: Any) -> Any:
        if str(kwargs.get("refusal", "")).startswith(_REFUSED):
            kwargs["authorised"] = False
        return policy(**kwargs)

    peer.ResponderPolicy = responder_policy
    _on_refusal(lambda _sock: _REFUSED)


def _refusal_close_notify_only() -> None:
    # Allowed: the refusal is the end of the stream, with close_notify, and no EROR.
    def action(sock: Any) -> None:
        sock.sendall = lambda *_args, **_kwargs: None  # the EROR auth_failed is not sent

    _on_refusal(action)


_NO_APPLICATION_PROTOCOL = bytes([0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x78])


def _offered_alpn(hello: bytes) -> list[bytes] | None:
    """The ALPN protocols of a ClientHello record (None: it cannot be parsed)."""
    try:
        if hello[0] != 0x16 or hello[5] != 0x01:
            return None
        at = 5 + 4 + 2 + 32
        at += 1 + hello[at]  # session id
        at += 2 + int.from_bytes(hello[at : at + 2], "big")  # cipher suites
        at += 1 + hello[at]  # compression methods
        end = at + 2 + int.from_bytes(hello[at : at + 2], "big")
        at += 2
        while at + 4 <= end:
            kind = int.from_bytes(hello[at : at + 2], "big")
            size = int.from_bytes(hello[at + 2 : at + 4], "big")
            body = hello[at + 4 : at + 4 + size]
            if kind == 0x0010:
                names, i = [], 2
                while i < len(body):
                    names.append(body[i + 1 : i + 1 + body[i]])
                    i += 1 + body[i]
                return names
            at += 4 + size
        return []
    except IndexError:
        return None


def _alpn_alert_in_handshake() -> None:
    # Allowed: a TLS stack that CAN send no_application_protocol refuses in the handshake
    # (here by reading the ClientHello before Python's ssl, which would complete without).
    peer = _module("reference.pki.peer")
    original = peer.server_handshake

    def server_handshake(context: Any, raw: Any, timeout: float) -> Any:
        raw.settimeout(timeout)
        hello = b""
        for _ in range(50):  # bounded: a ClientHello arrives in one or a few segments
            hello = raw.recv(16384, socket.MSG_PEEK)
            if not hello or (len(hello) >= 5 and len(hello) >= 5 + int.from_bytes(hello[3:5])):
                break
            time.sleep(0.01)
        offered = _offered_alpn(hello)
        if offered is not None and b"sft-pki/1" not in offered:
            with contextlib.suppress(OSError):
                raw.sendall(_NO_APPLICATION_PROTOCOL)
                raw.shutdown(socket.SHUT_WR)
            raw.close()
            raise ssl.SSLError("refused: no_application_protocol")
        return original(context, raw, timeout)

    peer.server_handshake = server_handshake


def _alpn_other_protocols_selectable() -> None:
    # "Let the load balancer's health check (HTTP) through": more protocols are offered;
    # the application layer still refuses anything but sft-pki/1 afterwards.
    tls = _module("reference.pki.tls")
    original = tls.server_context

    def server_context(*args: Any, **kwargs: Any) -> Any:
        ctx = original(*args, **kwargs)
        ctx.set_alpn_protocols([tls.ALPN, "http/1.1", "sft-pki/0"])
        return ctx

    tls.server_context = server_context
    _module("reference.pki.peer").server_context = server_context  # imported by name


# ---------------------------------------------------------------- RSFL names (APP-GET-7)


def _rewrite_get_response(rewrite: Callable[[str], str], *, eke: bool) -> None:
    """The responder's RSFL for a get names `rewrite(request name)`."""
    messages = _module("reference.messages")

    def rewriting(send: Callable[[Any], None]) -> Callable[[Any], None]:
        def send_(message: Any) -> None:
            if isinstance(message, messages.FileResponse):
                message = dataclasses.replace(message, name=rewrite(message.name))
            send(message)

        return send_

    if eke:
        server = _module("reference.eke.server")
        original_eke = server.EkeServer._serve_get

        def serve_get(self: Any, stream: Any, name: str) -> str:
            stream.send = rewriting(type(stream).send.__get__(stream))
            try:
                result: str = original_eke(self, stream, name)
            finally:
                del stream.send
            return result

        server.EkeServer._serve_get = serve_get
        return
    transfer = _module("reference.transfer")
    original = transfer.Responder._get

    def get(self: Any, request: Any) -> None:
        channel = self.channel
        channel.send = rewriting(type(channel).send.__get__(channel))
        try:
            original(self, request)
        finally:
            del channel.send

    transfer.Responder._get = get


def _initiator_get(check: Callable[[str, Any, Any], Any]) -> None:
    """The reference initiator's get, with `check(request name, response, destination)`
    deciding where the file goes (it returns the destination, or raises)."""
    transfer = _module("reference.transfer")
    errors = _module("reference.errors")

    def get(
        self: Any,
        name: str,
        destination: Any,
        *,
        overwrite: bool = False,
        progress: Any = None,
    ) -> Any:
        transfer.check_name(name)
        if destination.exists() and not overwrite:
            raise FileExistsError(f"{destination} exists (use --force to replace it)")
        try:
            self.channel.send(transfer.FileRequest(name))
            response = self._answer()
            destination = check(name, response, destination)
            with transfer.PartialFile.create(destination, response.size) as partial:
                done = self.channel.receive_file(partial, response.size, progress)
                partial.commit(overwrite=overwrite)
            return done
        except errors.ProtocolError as exc:
            raise self._guard(exc) from None

    transfer.Initiator.get = get


def _initiator_stores_under_rsfl_name() -> None:
    # "Save as the name the server sends" (like a browser's Content-Disposition).
    _initiator_get(lambda _name, response, destination: destination.parent / response.name)


def _initiator_refuses_renamed_rsfl() -> None:
    # Allowed: an RSFL naming another file than the request fails the get (bad_frame).
    errors = _module("reference.errors")

    def check(name: str, response: Any, destination: Any) -> Any:
        if response.name != name:
            raise errors.RemoteProtocolError(
                errors.ErrorCode.BAD_FRAME, "the RSFL names another file than the request"
            )
        return destination

    _initiator_get(check)


# ---------------------------------------------------------------- send timeout (LIM-10)


def _blocking_sends_pki() -> None:
    # "The idle timeout is for reads": the socket is made blocking while a file is sent.
    transfer = _module("reference.transfer")
    original = transfer._Channel.send_file

    def send_file(self: Any, *args: Any, **kwargs: Any) -> None:
        sock = self.stream
        saved = sock.gettimeout()
        sock.settimeout(None)
        try:
            original(self, *args, **kwargs)
        finally:
            sock.settimeout(saved)

    transfer._Channel.send_file = send_file


def _blocking_sends_eke() -> None:
    transport = _module("reference.eke.transport")
    original = transport.SecureStream.send_file_chunk

    def send_file_chunk(self: Any, *args: Any, **kwargs: Any) -> int:
        saved = self.sock.gettimeout()
        self.sock.settimeout(None)
        try:
            sent: int = original(self, *args, **kwargs)
        finally:
            self.sock.settimeout(saved)
        return sent

    transport.SecureStream.send_file_chunk = send_file_chunk


# ---------------------------------------------------------------- header order (FRM-16)


def _length_checked_before_type() -> None:
    # Allowed: the length limit first, then the type syntax.
    frames = _module("reference.frames")
    errors = _module("reference.errors")
    original = frames.parse_header

    def parse_header(header: Any, max_payload: int) -> tuple[bytes, int]:
        _type, length = frames.HEADER.unpack(header)
        if length > max_payload:
            raise errors.RemoteProtocolError(
                errors.ErrorCode.FRAME_TOO_LARGE, f"frame announces {length} bytes"
            )
        result: tuple[bytes, int] = original(header, max_payload)
        return result

    frames.parse_header = parse_header
    for module in list(sys.modules.values()):
        name = getattr(module, "__name__", "")
        if name.startswith("reference.") and getattr(module, "parse_header", None) is original:
            setattr(module, "parse_header", parse_header)  # noqa: B010 (module is untyped)


def _nfc(name: str) -> str:
    return unicodedata.normalize("NFC", name)


def _basename(name: str) -> str:
    return name.rsplit("/", 1)[-1]


def _m(
    name: str, profile: str, requirement: str, test_file: str, text: str, apply: Any, **kw: Any
) -> Mutant:
    return Mutant(name, "ambiguities", profile, requirement, test_file, text, apply, **kw)


MUTANTS: tuple[Mutant, ...] = (
    _m(
        "ambig-ca-no-aki",
        "pki",
        "PKI-CERT-13",
        "test_ca_csr.py",
        "employee certificates carry no AuthorityKeyIdentifier",
        _ca_no_aki,
        ca=True,
    ),
    _m(
        "ambig-ca-no-leaf-ski",
        "pki",
        "PKI-CERT-13",
        "test_ca_csr.py",
        "employee certificates carry no SubjectKeyIdentifier",
        _ca_no_leaf_ski,
        ca=True,
    ),
    _m(
        "ambig-ca-aki-of-leaf-key",
        "pki",
        "PKI-CERT-13",
        "test_ca_csr.py",
        "the AuthorityKeyIdentifier is computed from the employee's key, not the root's",
        _ca_aki_of_leaf_key,
        ca=True,
    ),
    _m(
        "ambig-ca-aki-issuer-serial-only",
        "pki",
        "PKI-CERT-13",
        "test_ca_csr.py",
        "the AuthorityKeyIdentifier holds the root's name and serial, no keyIdentifier",
        _ca_aki_issuer_and_serial_only,
        ca=True,
    ),
    _m(
        "ambig-ca-bad-csr-password-unthrottled",
        "pki",
        "CA-ENR-21",
        "test_ca_throttle.py",
        "with a bad CSR the password is checked outside the throttle: an unthrottled oracle",
        _ca_bad_csr_password_unthrottled,
        ca=True,
    ),
    _m(
        "ambig-pki-refusal-forbidden-per-request",
        "pki",
        "PKI-TLS-10",
        "test_pki_tls.py",
        "a refused certificate/ALPN gets the allow list's non-fatal forbidden per request",
        _refusal_forbidden_per_request,
    ),
    _m(
        "ambig-pki-alpn-other-protocols-selected",
        "pki",
        "PKI-TLS-2",
        "test_pki_tls.py",
        "the responder also selects http/1.1 or sft-pki/0 (then refuses the connection)",
        _alpn_other_protocols_selectable,
    ),
    _m(
        "ambig-pki-rsfl-basename",
        "pki",
        "APP-GET-7",
        "test_app_get.py",
        "a get's RSFL names the basename of the request (as a put's RSFL{accept} does)",
        lambda: _rewrite_get_response(_basename, eke=False),
    ),
    _m(
        "ambig-eke-rsfl-nfc",
        "eke",
        "APP-GET-7",
        "test_app_get.py",
        "a get's RSFL names the request in NFC",
        lambda: _rewrite_get_response(_nfc, eke=True),
    ),
    _m(
        "ambig-initiator-stores-under-rsfl-name",
        "pki",
        "APP-GET-7",
        "test_pki_initiator_transfer.py",
        "the initiator saves a get under the name the responder's RSFL gives",
        _initiator_stores_under_rsfl_name,
        client=True,
    ),
    _m(
        "ambig-pki-blocking-sends",
        "pki",
        "LIM-10",
        "test_limits.py",
        "the responder's socket is blocking while it sends a file: a reader that stops "
        "holds it for ever",
        _blocking_sends_pki,
    ),
    _m(
        "ambig-eke-blocking-sends",
        "eke",
        "LIM-10",
        "test_limits.py",
        "the server's record socket is blocking while it sends a file",
        _blocking_sends_eke,
    ),
)


def _initiator_control_limit_from_payload() -> None:
    from conformance.selftest.mutants_blind9_client import _pki_control_limit_late

    _pki_control_limit_late()


def _eke_client_control_limit_from_payload() -> None:
    from conformance.selftest.mutants_blind9_client import _eke_hs_control_limit

    _eke_hs_control_limit()


READINGS: tuple[Reading, ...] = (
    Reading(
        "ambig-ok-pki-refusal-close-notify-only",
        "pki",
        ("PKI-TLS-10", "PKI-TLS-2", "PKI-TLS-3", "PKI-CERT-5", "PKI-CERT-9"),
        ("test_pki_tls.py", "test_pki_certs.py"),
        "a refused certificate or ALPN ends with close_notify, without EROR auth_failed",
        _refusal_close_notify_only,
    ),
    Reading(
        "ambig-ok-pki-alpn-alert",
        "pki",
        ("PKI-TLS-2", "PKI-TLS-10", "PKI-TLS-1"),
        ("test_pki_tls.py",),
        "a ClientHello without sft-pki/1 gets the no_application_protocol alert",
        _alpn_alert_in_handshake,
    ),
    Reading(
        "ambig-ok-ca-csr-checked-first",
        "pki",
        ("CA-ENR-21", "CA-ENR-3", "CA-ENR-13", "CA-ENR-2"),
        ("test_ca_throttle.py", "test_ca_csr.py", "test_ca.py"),
        "a bad CSR is answered 400 before the password is verified",
        _ca_csr_checked_first,
        ca=True,
    ),
    Reading(
        "ambig-ok-initiator-refuses-renamed-rsfl",
        "pki",
        ("APP-GET-7",),
        ("test_pki_initiator_transfer.py",),
        "an RSFL naming another file fails the get with bad_frame",
        _initiator_refuses_renamed_rsfl,
        client=True,
    ),
    Reading(
        "ambig-ok-initiator-control-limit-from-payload",
        "pki",
        ("FRM-8",),
        ("test_pki_initiator_transfer.py",),
        "the initiator refuses a control payload over 64 KiB with frame_too_large once the "
        "payload is in, not from the header (FRM-3's 'at once' is for the frame limit)",
        _initiator_control_limit_from_payload,
        client=True,
    ),
    Reading(
        "ambig-ok-eke-client-control-limit-from-payload",
        "eke",
        ("FRM-8",),
        ("test_eke_client.py",),
        "the eke client reads an EKE2 over 64 KiB and then refuses it with frame_too_large",
        _eke_client_control_limit_from_payload,
        client=True,
    ),
    Reading(
        "ambig-ok-eke-length-before-type",
        "eke",
        ("FRM-2", "FRM-3", "FRM-16"),
        ("test_framing.py",),
        "the header's length is checked before its type bytes",
        _length_checked_before_type,
    ),
)

_BY_NAME: dict[str, Callable[[], None]] = {m.name: m.apply for m in MUTANTS}
_BY_NAME.update({r.name: r.apply for r in READINGS})


def all_readings() -> tuple[Reading, ...]:
    """Every conforming variant: this module's and those of the readings_* modules."""
    from conformance.selftest import (  # they import Reading
        readings_clients,
        readings_servers,
        readings_session9,
        readings_session10,
        readings_session10b,
        readings_session11,
        readings_session11b,
        readings_session11c,
        readings_session12,
        readings_session12b,
        readings_session13,
        readings_session14,
        readings_session15,
        readings_session16,
        readings_session17,
        readings_session18,
        readings_session19,
    )

    return (
        READINGS
        + readings_servers.READINGS
        + readings_clients.READINGS
        + readings_session9.READINGS
        + readings_session10.READINGS
        + readings_session10b.READINGS
        + readings_session11.READINGS
        + readings_session11b.READINGS
        + readings_session11c.READINGS
        + readings_session12.READINGS
        + readings_session12b.READINGS
        + readings_session13.READINGS
        + readings_session14.READINGS
        + readings_session15.READINGS
        + readings_session16.READINGS
        + readings_session17.READINGS
        + readings_session18.READINGS
        + readings_session19.READINGS
    )


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    _BY_NAME.update({r.name: r.apply for r in all_readings()})
    if len(args) < 2 or args[1] != "--" or args[0] not in _BY_NAME:
        print(
            "usage: python -m conformance.selftest.mutants_ambig NAME -- SFT-ARGS "
            f"({', '.join(_BY_NAME)})",
            file=sys.stderr,
        )
        return 2
    _BY_NAME[args[0]]()
    cli = _module("reference.cli")
    code: int = cli.main(args[2:])
    return code


if __name__ == "__main__":
    sys.exit(main())
