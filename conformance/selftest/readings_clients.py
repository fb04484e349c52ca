"""Conforming variants of the reference (clients and the CA): the eke client, the pki
initiator and the CA, each making a choice the SPEC allows and the reference does not.

Each `Reading` plants an allowed choice the reference does not make; the suite must PASS
it (conformance/selftest/test_ambig_readings.py). Every description quotes the SPEC
sentence that allows it. The client readings run as the suite's `--client-cmd` (a get
only: test_ambig_readings.py gives no `client_put_cmd`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import socket
import sys
import time
import uuid
from collections.abc import Callable
from typing import Any

from conformance.selftest.mutant import _module
from conformance.selftest.mutants_ambig import Reading

__all__ = ["READINGS"]


def _replace_everywhere(module_name: str, attribute: str, new: Any) -> None:
    """Sets `module.attribute` to `new`, and every reference module's copy of it
    (imported by name) too."""
    module = _module(module_name)
    original = getattr(module, attribute)
    setattr(module, attribute, new)
    for other in list(sys.modules.values()):
        name = getattr(other, "__name__", "")
        if name.startswith("reference.") and getattr(other, attribute, None) is original:
            setattr(other, attribute, new)


# ---------------------------------------------------------------- the CA: HTTP choices


def _ca_handler() -> Any:
    return _module("reference.pki.ca_server")._Handler


def _ca_close_every_answer() -> None:
    # HTTP/1.1 lets a server close after any response (RFC 9112 §9.6, "Connection: close").
    handler = _ca_handler()
    original = handler._send

    def send(self: Any, status: Any, body: bytes, content_type: str, **kw: Any) -> None:
        kw["close"] = True
        original(self, status, body, content_type, **kw)

    handler._send = send


def _ca_lowercase_headers() -> None:
    # Field names are case-insensitive (RFC 9110 §5.1); HTTP/2-minded servers send them
    # in lower case.
    handler = _ca_handler()
    original = handler.send_header

    def send_header(self: Any, keyword: str, value: str) -> None:
        original(self, keyword.lower(), value)

    handler.send_header = send_header


def _ca_json_charset() -> None:
    # "Request and response bodies are JSON (application/json)": a charset parameter is
    # still application/json (RFC 8259 §11 defines none, but receivers ignore it).
    handler = _ca_handler()
    original = handler._send

    def send(self: Any, status: Any, body: bytes, content_type: str, **kw: Any) -> None:
        if content_type == "application/json":
            content_type = "application/json; charset=utf-8"
        original(self, status, body, content_type, **kw)

    handler._send = send


def _ca_json_dumper(dump: Callable[[dict[str, Any]], str]) -> None:
    handler = _ca_handler()
    original = handler._send

    def send_json(
        self: Any,
        status: Any,
        body: dict[str, Any],
        *,
        close: bool = False,
        headers: dict[str, str] | None = None,
    ) -> None:
        original(
            self, status, dump(body).encode(), "application/json", close=close, headers=headers
        )

    handler._send_json = send_json


def _ca_json_pretty_reordered() -> None:
    # Any JSON text is JSON: members in another order, indentation, a final newline.
    _ca_json_dumper(lambda body: json.dumps(dict(reversed(body.items())), indent=2) + "\n")


def _ca_json_escaped() -> None:
    # PHP's json_encode escapes "/" as "\/" and everything beyond ASCII as "\uXXXX";
    # both are plain JSON string escapes (RFC 8259 §7). The PEM's line ends as "\n".
    _ca_json_dumper(lambda body: json.dumps(body, ensure_ascii=True).replace("/", "\\/"))


def _ca_pem_crlf() -> None:
    # PEM lines may end in CRLF (RFC 7468 §2: "lines are divided with CRLF, CR, or LF").
    ca = _module("reference.pki.ca")
    serialization = _module("cryptography.hazmat.primitives.serialization")
    authority = ca.CertificateAuthority
    original_root = authority.root_pem

    def root_pem(self: Any) -> bytes:
        return bytes(original_root(self)).replace(b"\n", b"\r\n")

    authority.root_pem = root_pem
    original_enroll = authority.enroll

    class _CrlfCertificate:
        def __init__(self, cert: Any) -> None:
            self._cert = cert

        def __getattr__(self, name: str) -> Any:
            return getattr(self._cert, name)

        def public_bytes(self, encoding: Any) -> bytes:
            data: bytes = self._cert.public_bytes(encoding)
            if encoding == serialization.Encoding.PEM:
                data = data.replace(b"\n", b"\r\n")
            return data

    def enroll(self: Any, *args: Any, **kwargs: Any) -> Any:
        return _CrlfCertificate(original_enroll(self, *args, **kwargs))

    authority.enroll = enroll


def _ca_501_for_unknown_methods() -> None:
    # CA-ENR-9: "A method the CA implements on no path (e.g. OPTIONS, an unknown token)
    # MAY be answered 501 instead of 405".
    handler = _ca_handler()
    http = _module("http")

    def send_error(
        self: Any, code: int, message: str | None = None, explain: str | None = None
    ) -> None:
        if code != http.HTTPStatus.NOT_IMPLEMENTED:
            return original(self, code, message, explain)  # type: ignore[no-any-return]
        self._send_json(
            http.HTTPStatus.NOT_IMPLEMENTED,
            {"error": "not_implemented", "message": "no path implements this method"},
            close=True,
        )
        return None

    original = handler.send_error
    handler.send_error = send_error


def _ca_400_for_unknown_length() -> None:
    # CA-ENR-9: "a request without Content-Length 411 or 400".
    handler = _ca_handler()
    server = _module("reference.pki.ca_server")
    http = _module("http")
    original = handler._read_json

    def read_json(self: Any) -> dict[str, Any]:
        try:
            result: dict[str, Any] = original(self)
        except server._HttpError as exc:
            if exc.status == http.HTTPStatus.LENGTH_REQUIRED:
                raise server._HttpError(
                    http.HTTPStatus.BAD_REQUEST,
                    "bad_request",
                    "the body's length is unknown",
                    close=True,
                ) from None
            raise
        return result

    handler._read_json = read_json


def _read_chunked(rfile: Any, limit: int) -> bytes | None:
    """A chunked body (RFC 9112 §7.1) of at most `limit` bytes; None when malformed,
    OverflowError beyond the limit."""
    body = b""
    while True:
        line = rfile.readline(1024)
        if not line.endswith(b"\r\n"):
            return None
        size_text = line[:-2].split(b";", 1)[0].strip()
        if not size_text or any(c not in b"0123456789abcdefABCDEF" for c in size_text):
            return None
        size = int(size_text, 16)
        if size == 0:
            break
        if len(body) + size > limit:
            raise OverflowError
        chunk = rfile.read(size)
        if len(chunk) != size or rfile.read(2) != b"\r\n":
            return None
        body += chunk
    for _ in range(100):  # trailer fields, then the empty line
        line = rfile.readline(8192)
        if line in (b"\r\n", b"\n"):
            return body
        if not line:
            return None
    return None


def _ca_reads_chunked() -> None:
    # CA-ENR-9: "a chunked body, Transfer-Encoding: chunked, MAY instead be read, within
    # the same 65536-byte limit and 413 beyond it"; with a Content-Length too, the CA
    # answers and closes (RFC 9112 §6.1).
    handler = _ca_handler()
    server = _module("reference.pki.ca_server")
    http = _module("http")
    original = handler._read_json

    def read_json(self: Any) -> dict[str, Any]:
        codings = self.headers.get_all("Transfer-Encoding") or []
        if [c.strip().lower() for c in codings] != ["chunked"]:
            result: dict[str, Any] = original(self)
            return result
        if self.headers.get_all("Content-Length"):
            self.close_connection = True
        try:
            body = _read_chunked(self.rfile, server.MAX_BODY)
        except OverflowError:
            raise server._HttpError(
                http.HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                "too_large",
                f"request bodies are limited to {server.MAX_BODY} bytes",
                close=True,
            ) from None
        if body is None:
            raise server._HttpError(
                http.HTTPStatus.BAD_REQUEST, "bad_request", "malformed chunked body", close=True
            )
        try:
            value = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise server._HttpError(
                http.HTTPStatus.BAD_REQUEST, "bad_request", "the body is not valid JSON"
            ) from None
        if not isinstance(value, dict):
            raise server._HttpError(
                http.HTTPStatus.BAD_REQUEST, "bad_request", "the body must be a JSON object"
            )
        return value

    original_send = handler._send

    def send(self: Any, status: Any, body: bytes, content_type: str, **kw: Any) -> None:
        # A request carrying both Transfer-Encoding and Content-Length: answer, close.
        if self.headers is not None and self.headers.get_all("Transfer-Encoding"):
            if self.headers.get_all("Content-Length"):
                kw["close"] = True
        original_send(self, status, body, content_type, **kw)

    handler._read_json = read_json
    handler._send = send


def _ca_busy_retry_after_3() -> None:
    # CA-ENR-14: "answered 503 {"error": "busy"} with Retry-After (seconds, at least 1)".
    handler = _ca_handler()
    http = _module("http")
    original = handler._send_json

    def send_json(self: Any, status: Any, body: dict[str, Any], **kw: Any) -> None:
        if status == http.HTTPStatus.SERVICE_UNAVAILABLE and kw.get("headers"):
            kw["headers"] = {**kw["headers"], "Retry-After": "3"}
            body = {**body, "message": "too many logins in progress; retry after 3 s"}
        original(self, status, body, **kw)

    handler._send_json = send_json


def _ca_pending_cap_2() -> None:
    # CA-ENR-14: "or p at the CA's pending cap (reference: 4), MUST be answered 503":
    # the cap is the CA's; this one verifies two attempts of an alias or address at once.
    server = _module("reference.pki.ca_server")
    original = server.LoginThrottle.__post_init__

    def post_init(self: Any) -> None:
        self.pending_cap = 2
        original(self)

    server.LoginThrottle.__post_init__ = post_init


def _ca_backdate_one_hour() -> None:
    # CA-ENR-10: "notBefore MAY be backdated by up to one hour for clock skew"; the CRL's
    # thisUpdate with it ("thisUpdate is not in the future", CA-ENR-8).
    ca = _module("reference.pki.ca")
    ca._BACKDATE = dt.timedelta(hours=1)


def _ca_validity_one_day() -> None:
    # CA-ENR-10: "a validity of at most the configured period (default 30 days)".
    authority = _module("reference.pki.ca").CertificateAuthority
    original = authority.enroll

    def enroll(self: Any, *args: Any, **kwargs: Any) -> Any:
        validity = kwargs.get("validity", dt.timedelta(days=30))
        kwargs["validity"] = min(validity, dt.timedelta(days=1))
        return original(self, *args, **kwargs)

    authority.enroll = enroll


def _ca_crl_one_hour() -> None:
    # CA-ENR-16: "a nextUpdate at most 7 days (604800 s) after its thisUpdate": an hour.
    ca = _module("reference.pki.ca")
    original = ca.make_crl

    def make_crl(*args: Any, **kwargs: Any) -> Any:
        kwargs["validity"] = dt.timedelta(hours=1)
        return original(*args, **kwargs)

    ca.make_crl = make_crl


def _ca_session_tickets() -> None:
    # The CA's TLS issues session tickets (RFC 8446 §4.6.1): PKI-TLS-9 pins suites,
    # groups and signatures only; the CA takes no client certificate, and Python's ssl
    # never accepts early data (PKI-TLS-5).
    server = _module("reference.pki.ca_server")
    ssl = _module("ssl")
    original = server.https_server_context

    def https_server_context(*args: Any, **kwargs: Any) -> Any:
        ctx = original(*args, **kwargs)
        ctx.options &= ~ssl.OP_NO_TICKET
        ctx.num_tickets = 2
        return ctx

    server.https_server_context = https_server_context


def _tls_parameters(*, groups: str | None = None, suites: str | None = None) -> None:
    tls = _module("reference.pki.tls")
    if groups is not None:
        tls.TLS13_GROUPS = groups
    if suites is not None:
        tls.TLS13_CIPHERSUITES = suites


def _ca_413_on_header() -> None:
    # CA-ENR-9: "bodies over 64 KiB (65536 bytes) 413": answered from the Content-Length
    # alone, without reading the body, and the connection closed (as nginx does).
    handler = _ca_handler()
    server = _module("reference.pki.ca_server")
    http = _module("http")
    original = handler._read_json

    def read_json(self: Any) -> dict[str, Any]:
        lengths = self.headers.get_all("Content-Length") or []
        text = lengths[0].strip() if len(lengths) == 1 else ""
        if not self.headers.get_all("Transfer-Encoding") and text.isascii() and text.isdigit():
            if int(text) > server.MAX_BODY:
                raise server._HttpError(
                    http.HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                    "too_large",
                    f"request bodies are limited to {server.MAX_BODY} bytes",
                    close=True,
                )
        result: dict[str, Any] = original(self)
        return result

    handler._read_json = read_json


def _ca_full_answer_to_bad_request_line() -> None:
    # CA-ENR-9: "a request line that does not parse MAY be answered with the JSON body
    # alone (as HTTP/0.9)": this CA answers it with an HTTP/1.1 status line and headers.
    handler = _ca_handler()
    original = handler.send_error

    def send_error(
        self: Any, code: int, message: str | None = None, explain: str | None = None
    ) -> None:
        if getattr(self, "request_version", "HTTP/0.9") == "HTTP/0.9":
            self.request_version = "HTTP/1.1"
        original(self, code, message, explain)

    handler.send_error = send_error


def _ca_extra_members() -> None:
    # Every answer is "a JSON object": this CA adds members of its own (the HTTP status, a
    # link to its documentation), as JSON APIs do; the members the SPEC names are all
    # there. (Nothing per request: CA-ENR-6 wants "the same body" for a wrong password and
    # an unknown alias, so a request id would break it.)
    handler = _ca_handler()
    original = handler._send_json

    def send_json(self: Any, status: Any, body: dict[str, Any], **kw: Any) -> None:
        extra = {"status": int(status), "documentation": "https://ca.example/docs/errors"}
        original(self, status, {**body, **extra}, **kw)

    handler._send_json = send_json


def _ca_root_content_type() -> None:
    # "except the root (PEM)": no media type is named; RFC 8555 §9.1's
    # application/pem-certificate-chain is one.
    handler = _ca_handler()
    original = handler._send

    def send(self: Any, status: Any, body: bytes, content_type: str, **kw: Any) -> None:
        if content_type == "application/x-pem-file":
            content_type = "application/pem-certificate-chain"
        original(self, status, body, content_type, **kw)

    handler._send = send


def _ca_host_alias_403() -> None:
    # CA-ENR-17: "The CA MUST therefore refuse to enrol (400 or 403 ...) an alias equal to
    # one of its own host names": 403 forbidden.
    ca = _module("reference.pki.ca")
    server = _module("reference.pki.ca_server")
    http = _module("http")
    authority = ca.CertificateAuthority
    original = authority.check_not_host_name

    def check_not_host_name(self: Any, alias: str) -> None:
        try:
            original(self, alias)
        except ca.CaError as exc:
            raise server._HttpError(http.HTTPStatus.FORBIDDEN, "forbidden", str(exc)) from None

    authority.check_not_host_name = check_not_host_name


def _ca_chunked_answers() -> None:
    # HTTP/1.1 lets a server send any answer with Transfer-Encoding: chunked (RFC 9112
    # §7.1) to an HTTP/1.1 client; many frameworks stream JSON this way.
    handler = _ca_handler()

    def send(
        self: Any,
        status: Any,
        body: bytes,
        content_type: str,
        *,
        close: bool = False,
        headers: dict[str, str] | None = None,
    ) -> None:
        if self.request_version != "HTTP/1.1":
            original(self, status, body, content_type, close=close, headers=headers)
            return
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Cache-Control", "no-store")
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        if close:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if self.command == "HEAD":
            return
        out = b""
        for at in range(0, len(body), 100):
            piece = body[at : at + 100]
            out += f"{len(piece):x}\r\n".encode() + piece + b"\r\n"
        self.wfile.write(out + b"0\r\n\r\n")

    original = handler._send
    handler._send = send


def _ca_slow_logins() -> None:
    # A costlier password hash (scrypt/Argon2id parameters are the CA's, CA-ENR-5): every
    # login, right, wrong or of an unknown alias, takes 0.3 s more.
    authority = _module("reference.pki.ca").CertificateAuthority
    original = authority.authenticate

    def authenticate(self: Any, alias: str, password: str) -> bool:
        time.sleep(0.3)
        return bool(original(self, alias, password))

    authority.authenticate = authenticate


# ---------------------------------------------------------------- the eke client


def _eke_client() -> Any:
    return _module("reference.eke.client").EkeClient


def _eke_client_no_bye() -> None:
    # APP-BYE-2: "A connection closed without BYE_ between transfers is not an error for
    # a completed transfer".
    client = _eke_client()

    def close(self: Any) -> None:
        self._stream = None
        sock, self._sock = self._sock, None
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_WR)
                sock.close()

    client.close = close


def _control_dumper(dump: Callable[[Any], str]) -> None:
    def dumps_control(obj: Any) -> bytes:
        return dump(obj).encode()

    _replace_everywhere("reference.frames", "dumps_control", dumps_control)


def _json_other_style() -> None:
    # FRM-8/9: a control payload is any JSON object (RFC 8259): members in another order,
    # white space around the tokens, non-ASCII as \\u escapes.
    _control_dumper(
        lambda obj: json.dumps(dict(reversed(list(obj.items()))), indent=1, ensure_ascii=True)
    )


def _json_extra_members() -> None:
    # FRM-10: "A receiver MUST ignore members of a control object that the schema does
    # not define (extensibility)": a sender may add its own.
    _control_dumper(lambda obj: json.dumps({**obj, "x_client": "sft-other/2", "x_caps": [1, {}]}))


def _eke_split_writes() -> None:
    # FRM-4: "a frame delivered one byte at a time ... and a header split from its
    # payload MUST all be processed identically": this client writes every frame's
    # header apart from its payload (and the payload in two writes).
    transport = _module("reference.eke.transport")

    def split_sendall(sock: Any, data: bytes) -> None:
        data = bytes(data)
        for piece in (
            data[:8],
            data[8 : 8 + (len(data) - 8) // 2],
            data[8 + (len(data) - 8) // 2 :],
        ):
            if piece:
                sock.sendall(piece)
                time.sleep(0.005)

    def flush(sock: Any, hs: Any) -> None:
        data = hs.data_to_send()
        if data:
            with contextlib.suppress(OSError):
                split_sendall(sock, data)

    transport._flush = flush
    stream = transport.SecureStream

    def send(self: Any, message: Any) -> None:
        split_sendall(self.sock, self.channel.seal(self.app.send(message)))
        if isinstance(message, _module("reference.messages").Done):
            self.channel.release_buffers()

    stream.send = send


def _eke_no_busy_retry() -> None:
    # EKE-THR-7: "A client that receives busy MAY retry": this one does not; it fails.
    client = _eke_client()

    def connect(self: Any) -> Any:
        return self._connect_once()

    client.connect = connect


def _eke_busy_retry_late() -> None:
    # EKE-THR-7: "MUST NOT retry before retry_after seconds have passed": this client
    # waits twice retry_after, three times at most.
    client_module = _module("reference.eke.client")

    def connect(self: Any) -> Any:
        for attempt in range(4):
            try:
                return self._connect_once()
            except client_module.ServerBusy as exc:
                if attempt == 3:
                    raise
                time.sleep(2.0 * (exc.retry_after or 1))
        raise AssertionError("unreachable")

    client_module.EkeClient.connect = connect


def _eke_write_at_end() -> None:
    # APP-GET-6: "MUST write a get into a temporary file and rename it to its final name
    # only after APP-GET-3 succeeded": this client keeps the data in memory until DONE is
    # verified, then writes the temporary file and renames it.
    client_module = _module("reference.eke.client")
    share = _module("reference.share")
    messages = _module("reference.messages")
    errors = _module("reference.errors")

    def receive(
        self: Any, stream: Any, answer: Any, destination: Any, overwrite: bool, progress: Any
    ) -> Any:
        received = bytearray()
        while True:
            event = self._next(stream)
            if isinstance(event, messages.Data):
                received += bytes(event.data)
            elif isinstance(event, messages.Done):
                with share.PartialFile.create(destination, answer.size) as partial:
                    partial.write(received)
                    try:
                        partial.commit(overwrite=overwrite)
                    except errors.RemoteProtocolError:
                        raise client_module.TransferFailed(
                            f"{destination} appeared meanwhile: not replaced"
                        ) from None
                return event
            else:
                raise client_module.TransferFailed("unexpected frame during a get")

    client_module.EkeClient._receive = receive


def _uuid_partial_names() -> None:
    # APP-STORE-1: "`.sft-partial-` followed by a random part": here a UUID4.
    share = _module("reference.share")

    class _Secrets:
        @staticmethod
        def token_hex(_n: int) -> str:
            return str(uuid.uuid4())

    share.secrets = _Secrets()


def _eke_exit_code_3() -> None:
    # A failed get exits non-zero; which non-zero status is the client's (APP-PUT-10
    # says "non-zero exit" for puts; nothing fixes the value).
    cli_eke = _module("reference.cli.eke")
    cli = _module("reference.cli")
    original = cli_eke._fail

    def fail(exc: Any) -> Any:
        error = original(exc)
        return cli.CommandError(str(error), 3)

    cli_eke._fail = fail


def _eke_eke4_failure_answered() -> None:
    # EKE-HS-7: "on failure it MUST close and tell its user": sending EROR auth_failed
    # before the close (as EKE-HS-4 does for C2) tells the server nothing it lacks.
    handshake = _module("reference.eke.handshake")
    errors = _module("reference.errors")

    def should_answer(self: Any, exc: Any) -> bool:
        return bool(exc.code is not errors.ErrorCode.TIMEOUT)

    handshake.ClientHandshake._should_answer = should_answer


def _eke_full_exponent() -> None:
    # EKE-X-1: "a fresh secret exponent x with 1 < x < q carrying at least 320 random
    # bits": this one is uniform over the whole range 2 .. q - 1.
    crypto = _module("reference.eke.crypto")
    secrets = _module("secrets")
    q = (crypto.P - 1) // 2

    def new_ephemeral() -> Any:
        return crypto._ephemeral_from_parts(exponent=2 + secrets.randbelow(q - 2))

    _replace_everywhere("reference.eke.crypto", "new_ephemeral", new_ephemeral)


def _eke_refuses_renamed_rsfl() -> None:
    # APP-GET-7: "when RSFL.name differs from its request it MAY fail the transfer (EROR
    # bad_frame, fatal) or ignore the name — both are conforming".
    client_module = _module("reference.eke.client")
    messages = _module("reference.messages")
    errors = _module("reference.errors")
    original = client_module.EkeClient._receive

    def receive(self: Any, stream: Any, answer: Any, *args: Any) -> Any:
        if getattr(self, "_requested", answer.name) != answer.name:
            with contextlib.suppress(OSError, errors.ProtocolError):
                stream.send(
                    messages.ErrorFrame(
                        errors.ErrorCode.BAD_FRAME, "the RSFL names another file than the request"
                    )
                )
            self._abandon()
            raise client_module.TransferFailed(
                "protocol error: the RSFL names another file", errors.ErrorCode.BAD_FRAME
            )
        return original(self, stream, answer, *args)

    original_get = client_module.EkeClient.get

    def get(self: Any, name: str, *args: Any, **kwargs: Any) -> Any:
        self._requested = name
        return original_get(self, name, *args, **kwargs)

    client_module.EkeClient._receive = receive
    client_module.EkeClient.get = get


def _slow_eke_client() -> None:
    # Timing inside the bounds: the client takes 0.5 s before EKE1 and before EKE3
    # (a slow machine, a busy scrypt), well within any handshake timeout.
    handshake = _module("reference.eke.handshake")
    client = handshake.ClientHandshake
    original_on_eke2 = client._on_eke2
    original_setup = client._setup

    def setup(self: Any, *args: Any, **kwargs: Any) -> None:
        time.sleep(0.5)
        original_setup(self, *args, **kwargs)

    def on_eke2(self: Any, obj: Any) -> Any:
        time.sleep(0.5)
        return original_on_eke2(self, obj)

    client._setup = setup
    client._on_eke2 = on_eke2


def _eke_pipelined_bye() -> None:
    # APP-2: "The initiator MAY pipeline requests": RQFL and BYE_ leave together; the
    # responder answers the get, then ends the connection.
    messages = _module("reference.messages")
    stream_class = _module("reference.eke.transport").SecureStream
    original_send = stream_class.send

    def send(self: Any, message: Any) -> None:
        if isinstance(message, messages.Bye) and getattr(self, "_bye_sent", False):
            return  # it went with the request
        original_send(self, message)
        if isinstance(message, messages.FileRequest):
            bye = messages.encode_message(messages.Bye())
            self.sock.sendall(self.channel.seal(bye))
            self._bye_sent = True

    stream_class.send = send


def _malformed_error_closes() -> None:
    # ERR-8: a malformed EROR "MAY [be answered] bad_frame (FRM-9) or close without
    # answering — both are conforming": this one closes without answering.
    messages = _module("reference.messages")
    errors = _module("reference.errors")
    original = messages.decode_message

    def decode_message(frame: Any, **kwargs: Any) -> Any:
        try:
            return original(frame, **kwargs)
        except errors.RemoteProtocolError:
            if bytes(frame.type) == b"EROR":
                raise errors.TruncatedStream("a malformed EROR: closing") from None
            raise

    _replace_everywhere("reference.messages", "decode_message", decode_message)


def _other_error_messages() -> None:
    # ERR-1: "A receiver MUST act on code only; name and message are for people": this
    # client's EROR messages are its own words.
    messages = _module("reference.messages")
    handshake = _module("reference.eke.handshake")
    words = "Fehler (siehe Protokoll)"
    original_encode = handshake.encode_error

    def encode_error(code: Any, _message: str, retry_after: int | None = None) -> bytes:
        encoded: bytes = original_encode(code, words, retry_after)
        return encoded

    handshake.encode_error = encode_error
    original_message = messages.encode_message

    def encode_message(message: Any) -> bytes:
        if isinstance(message, messages.ErrorFrame):
            message = messages.ErrorFrame(message.code, words, message.retry_after)
        encoded: bytes = original_message(message)
        return encoded

    _replace_everywhere("reference.messages", "encode_message", encode_message)


# ---------------------------------------------------------------- the pki initiator


def _pki_no_bye() -> None:
    # APP-BYE-2 (as for eke): the initiator ends a completed get with close_notify and
    # no BYE_ (PKI-TLS-6: close_notify is the clean end of the stream).
    client = _module("reference.pki.client")
    tls = _module("reference.pki.tls")

    def close(self: Any) -> None:
        tls.close_tls(self._sock)

    client.PkiSession.close = close


def _pki_bye_no_wait() -> None:
    # APP-BYE-1: "the responder MAY answer BYE_": the initiator does not wait for it.
    transfer = _module("reference.transfer")
    errors = _module("reference.errors")
    messages = _module("reference.messages")

    def bye(self: Any) -> None:
        with contextlib.suppress(OSError, errors.ProtocolError):
            self.channel.send(messages.Bye())

    transfer.Initiator.bye = bye


def _pki_write_at_end() -> None:
    # APP-GET-6 as _eke_write_at_end, for the pki initiator.
    transfer = _module("reference.transfer")
    share = _module("reference.share")

    class _Memory:
        def __init__(self, limit: int) -> None:
            self.data = bytearray()
            self.limit = limit

        def write(self, data: Any) -> None:
            errors = _module("reference.errors")
            if len(self.data) + len(data) > self.limit:
                raise errors.RemoteProtocolError(
                    errors.ErrorCode.INTEGRITY_FAILED, "more data than announced"
                )
            self.data += bytes(data)

    original_create = share.PartialFile.create

    def get(
        self: Any, name: str, destination: Any, *, overwrite: bool = False, progress: Any = None
    ) -> Any:
        errors = _module("reference.errors")
        messages = _module("reference.messages")
        transfer.check_name(name)
        if destination.exists() and not overwrite:
            raise FileExistsError(f"{destination} exists (use --force to replace it)")
        try:
            self.channel.send(messages.FileRequest(name))
            response = self._answer()
            memory = _Memory(response.size)
            done = self.channel.receive_file(memory, response.size, progress)
            with original_create(destination, response.size) as partial:
                partial.write(memory.data)
                partial.commit(overwrite=overwrite)
            return done
        except errors.ProtocolError as exc:
            raise self._guard(exc) from None
        except TimeoutError:
            raise self._guard(
                errors.RemoteProtocolError(errors.ErrorCode.TIMEOUT, "the responder stalled")
            ) from None

    transfer.Initiator.get = get


def _pki_split_writes() -> None:
    # FRM-4 as _eke_split_writes: every control frame's header goes in its own TLS
    # record, apart from its payload.
    transfer = _module("reference.transfer")

    def send(self: Any, event: Any) -> None:
        data = bytes(self.conn.send(event))
        self.stream.sendall(data[:8])
        time.sleep(0.005)
        if data[8:]:
            self.stream.sendall(data[8:])

    transfer._Channel.send = send


def _pki_exit_code_3() -> None:
    # As _eke_exit_code_3: any non-zero status reports a failure.
    client = _module("reference.pki.client")
    original = client.PkiClientError.__init__

    def init(self: Any, message: str, exit_code: int = 1) -> None:
        original(self, message, 3 if exit_code else exit_code)

    client.PkiClientError.__init__ = init


def _pki_pipelined_bye() -> None:
    # APP-2 (as _eke_pipelined_bye): RQFL and BYE_ written together.
    transfer = _module("reference.transfer")
    messages = _module("reference.messages")
    original_send = transfer._Channel.send

    def send(self: Any, event: Any) -> None:
        if isinstance(event, messages.Bye) and getattr(self, "_bye_sent", False):
            return  # it went with the request
        original_send(self, event)
        if isinstance(event, messages.FileRequest):
            self.stream.sendall(messages.encode_message(messages.Bye()))
            self._bye_sent = True

    transfer._Channel.send = send


def _r(
    name: str,
    profile: str,
    requirements: tuple[str, ...],
    test_files: tuple[str, ...],
    description: str,
    apply: Callable[[], None],
    **kw: Any,
) -> Reading:
    return Reading(name, profile, requirements, test_files, description, apply, **kw)


_CA_HTTP_FILES = ("test_ca.py",)
_CA_HTTP_REQS = ("CA-ENR-2", "CA-ENR-8", "CA-ENR-9", "CA-ENR-15")
_EKE_GET_FILES = ("test_eke_client.py", "test_eke_client_transfer.py")
_EKE_GET_REQS = ("EKE-HS-1", "EKE-HS-5", "APP-GET-3", "APP-GET-6", "APP-STORE-2")
_PKI_GET_FILES = ("test_pki_initiator_transfer.py",)
_PKI_GET_REQS = ("APP-GET-3", "APP-GET-6", "APP-STORE-2", "PKI-TLS-7")

READINGS: tuple[Reading, ...] = (
    # -- the CA
    _r(
        "fp2-ca-close-every-answer",
        "pki",
        _CA_HTTP_REQS,
        _CA_HTTP_FILES,
        "the CA answers every request with Connection: close and closes (HTTP/1.1 allows "
        "a server to close after any response, RFC 9112 §9.6)",
        _ca_close_every_answer,
        ca=True,
    ),
    _r(
        "fp2-ca-lowercase-headers",
        "pki",
        _CA_HTTP_REQS,
        _CA_HTTP_FILES,
        "the CA's header field names are in lower case (RFC 9110 §5.1: case-insensitive)",
        _ca_lowercase_headers,
        ca=True,
    ),
    _r(
        "fp2-ca-json-charset",
        "pki",
        _CA_HTTP_REQS,
        _CA_HTTP_FILES,
        "JSON answers say Content-Type: application/json; charset=utf-8 ('Request and "
        "response bodies are JSON (application/json)')",
        _ca_json_charset,
        ca=True,
    ),
    _r(
        "fp2-ca-json-pretty-reordered",
        "pki",
        (*_CA_HTTP_REQS, "CA-ENR-6"),
        _CA_HTTP_FILES,
        "the CA's JSON bodies are indented, members reversed, with a final newline (any "
        'JSON object is \'a JSON object {"error": code, "message": str}\', CA-ENR-9)',
        _ca_json_pretty_reordered,
        ca=True,
    ),
    _r(
        "fp2-ca-json-escaped",
        "pki",
        (*_CA_HTTP_REQS, "CA-ENR-4"),
        (*_CA_HTTP_FILES, "test_ca_csr.py"),
        "the CA's JSON escapes '/' as '\\/' (PHP json_encode): a plain JSON string escape",
        _ca_json_escaped,
        ca=True,
    ),
    _r(
        "fp2-ca-pem-crlf",
        "pki",
        ("CA-ENR-2", "CA-ENR-8", "CA-ENR-4", "CA-ENR-10"),
        ("test_ca.py", "test_ca_csr.py"),
        "the root PEM and issued certificates' PEM end lines with CRLF (RFC 7468 §2: "
        "'lines are divided with CRLF, CR, or LF')",
        _ca_pem_crlf,
        ca=True,
    ),
    _r(
        "fp2-ca-501-unknown-method",
        "pki",
        ("CA-ENR-9",),
        _CA_HTTP_FILES,
        "CA-ENR-9: 'A method the CA implements on no path (e.g. OPTIONS, an unknown "
        "token) MAY be answered 501 instead of 405'",
        _ca_501_for_unknown_methods,
        ca=True,
    ),
    _r(
        "fp2-ca-400-unknown-length",
        "pki",
        ("CA-ENR-9",),
        _CA_HTTP_FILES,
        "CA-ENR-9: 'a request without Content-Length 411 or 400': 400 bad_request",
        _ca_400_for_unknown_length,
        ca=True,
    ),
    _r(
        "fp2-ca-reads-chunked",
        "pki",
        ("CA-ENR-9", "CA-ENR-2"),
        _CA_HTTP_FILES,
        "CA-ENR-9: 'a chunked body, Transfer-Encoding: chunked, MAY instead be read, "
        "within the same 65536-byte limit and 413 beyond it'",
        _ca_reads_chunked,
        ca=True,
    ),
    _r(
        "fp2-ca-busy-retry-after-3",
        "pki",
        ("CA-ENR-14",),
        ("test_ca_throttle.py", "test_ca.py"),
        'CA-ENR-14: \'503 {"error": "busy"} with Retry-After (seconds, at least 1)\': 3',
        _ca_busy_retry_after_3,
        ca=True,
    ),
    _r(
        "fp2-ca-pending-cap-2",
        "pki",
        ("CA-ENR-14", "CA-ENR-2"),
        ("test_ca_throttle.py", "test_ca.py"),
        "CA-ENR-14: 'or p at the CA's pending cap (reference: 4)': this CA's cap is 2",
        _ca_pending_cap_2,
        ca=True,
    ),
    _r(
        "fp2-ca-backdate-one-hour",
        "pki",
        ("CA-ENR-10", "CA-ENR-8", "CA-ENR-16", "CA-ENR-2"),
        ("test_ca_csr.py", "test_ca.py", "test_pki_hardening.py"),
        "CA-ENR-10: 'notBefore MAY be backdated by up to one hour for clock skew' (and the "
        "CRL's thisUpdate with it: 'thisUpdate is not in the future')",
        _ca_backdate_one_hour,
        ca=True,
    ),
    _r(
        "fp2-ca-validity-one-day",
        "pki",
        ("CA-ENR-10", "CA-ENR-2"),
        ("test_ca_csr.py", "test_ca.py"),
        "CA-ENR-10: 'a validity of at most the configured period': one day of 30",
        _ca_validity_one_day,
        ca=True,
    ),
    _r(
        "fp2-ca-crl-one-hour",
        "pki",
        ("CA-ENR-8", "CA-ENR-16"),
        ("test_ca.py", "test_pki_hardening.py"),
        "CA-ENR-16: 'a nextUpdate at most 7 days (604800 s) after its thisUpdate': 1 h",
        _ca_crl_one_hour,
        ca=True,
    ),
    _r(
        "fp2-ca-session-tickets",
        "pki",
        ("CA-ENR-1", "CA-ENR-2", "CA-ENR-8"),
        ("test_ca.py",),
        "the CA's TLS 1.3 issues session tickets (PKI-TLS-9 pins suites, groups and "
        "signatures only)",
        _ca_session_tickets,
        ca=True,
    ),
    _r(
        "fp2-ca-hrr-secp384r1",
        "pki",
        ("CA-ENR-1", "CA-ENR-2", "CA-ENR-8"),
        ("test_ca.py",),
        "the CA supports only secp384r1 (PKI-TLS-9: 'key-exchange groups x25519, "
        "secp256r1, secp384r1 ...'): a client's x25519 key share gets a HelloRetryRequest",
        lambda: _tls_parameters(groups="secp384r1"),
        ca=True,
    ),
    _r(
        "fp2-ca-chacha-only",
        "pki",
        ("CA-ENR-1", "CA-ENR-2", "CA-ENR-8"),
        ("test_ca.py",),
        "the CA negotiates TLS_CHACHA20_POLY1305_SHA256 only (one of PKI-TLS-9's suites)",
        lambda: _tls_parameters(suites="TLS_CHACHA20_POLY1305_SHA256"),
        ca=True,
    ),
    _r(
        "fp2-ca-413-on-header",
        "pki",
        ("CA-ENR-9",),
        _CA_HTTP_FILES,
        "CA-ENR-9 'bodies over 64 KiB (65536 bytes) 413': answered on the Content-Length "
        "alone, the body unread, then the close",
        _ca_413_on_header,
        ca=True,
    ),
    _r(
        "fp2-ca-full-answer-to-bad-request-line",
        "pki",
        ("CA-ENR-9",),
        _CA_HTTP_FILES,
        "CA-ENR-9 'a request line that does not parse MAY be answered with the JSON body "
        "alone (as HTTP/0.9)': this CA sends a status line and headers too",
        _ca_full_answer_to_bad_request_line,
        ca=True,
    ),
    _r(
        "fp2-ca-extra-members",
        "pki",
        (*_CA_HTTP_REQS, "CA-ENR-6", "CA-ENR-3", "CA-ENR-13"),
        (*_CA_HTTP_FILES, "test_ca_csr.py"),
        "every JSON answer carries two members of the CA's own (status, documentation) "
        "besides those CA-ENR-2/9 name",
        _ca_extra_members,
        ca=True,
    ),
    _r(
        "fp2-ca-root-content-type",
        "pki",
        ("CA-ENR-8",),
        _CA_HTTP_FILES,
        "GET /v1/root answers Content-Type application/pem-certificate-chain ('except the "
        "root (PEM)': no media type is named)",
        _ca_root_content_type,
        ca=True,
    ),
    _r(
        "fp2-ca-host-alias-403",
        "pki",
        ("CA-ENR-17",),
        ("test_pki_hardening.py",),
        "CA-ENR-17: 'refuse to enrol (400 or 403 ...) an alias equal to one of its own "
        "host names': 403 forbidden",
        _ca_host_alias_403,
        ca=True,
    ),
    # A false FAIL of the suite until the session-9 fix 04-test_ca.diff (test_ca.py,
    # ca_support.py) is applied.
    _r(
        "fp2-ca-chunked-answers",
        "pki",
        (*_CA_HTTP_REQS, "CA-ENR-6", "CA-ENR-4"),
        (*_CA_HTTP_FILES, "test_ca_csr.py"),
        "every answer to an HTTP/1.1 request is sent Transfer-Encoding: chunked (RFC 9112 "
        "§7.1), 100-byte chunks",
        _ca_chunked_answers,
        ca=True,
    ),
    _r(
        "fp2-ca-slow-logins",
        "pki",
        ("CA-ENR-2", "CA-ENR-6", "CA-ENR-7", "CA-ENR-14"),
        ("test_ca.py", "test_ca_throttle.py"),
        "every login costs 0.3 s more (a costlier hash: CA-ENR-5 leaves its parameters "
        "to the CA), the same for every alias and password",
        _ca_slow_logins,
        ca=True,
    ),
    # -- the eke client
    # A false FAIL of the suite until the session-9 fix 01-test_eke_client_transfer.diff
    # is applied.
    _r(
        "fp2-eke-client-pipelined-bye",
        "eke",
        _EKE_GET_REQS,
        _EKE_GET_FILES,
        "APP-2: 'The initiator MAY pipeline requests': RQFL and BYE_ are sent together",
        _eke_pipelined_bye,
        client=True,
    ),
    _r(
        "fp2-eke-client-malformed-eror-closes",
        "eke",
        ("ERR-8",),
        ("test_client_lies.py",),
        "ERR-8: a malformed EROR 'MAY [be answered] bad_frame (FRM-9) or close without "
        "answering': this client closes",
        _malformed_error_closes,
        client=True,
    ),
    _r(
        "fp2-eke-client-own-error-words",
        "eke",
        ("EKE-HS-4", "ERR-1", "ERR-3", "APP-GET-3"),
        ("test_eke_client.py", "test_client_fatal_errors.py", "test_eke_client_transfer.py"),
        "ERR-1: 'A receiver MUST act on code only; name and message are for people': "
        "every EROR this client sends says 'Fehler (siehe Protokoll)'",
        _other_error_messages,
        client=True,
    ),
    _r(
        "fp2-eke-client-no-bye",
        "eke",
        _EKE_GET_REQS,
        _EKE_GET_FILES,
        "APP-BYE-2: 'A connection closed without BYE_ between transfers is not an error "
        "for a completed transfer': the client closes after DONE without BYE_",
        _eke_client_no_bye,
        client=True,
    ),
    _r(
        "fp2-eke-client-json-style",
        "eke",
        (*_EKE_GET_REQS, "FRM-12", "FRM-14", "EKE-PW-1", "FRM-10"),
        (*_EKE_GET_FILES, "test_client_lies.py"),
        "FRM-8: control payloads are 'a UTF-8 encoded JSON object (RFC 8259)': members "
        "reversed, indented, non-ASCII as \\u escapes",
        _json_other_style,
        client=True,
    ),
    _r(
        "fp2-eke-client-extra-members",
        "eke",
        (*_EKE_GET_REQS, "FRM-12", "FRM-14", "FRM-10"),
        (*_EKE_GET_FILES, "test_client_lies.py"),
        "FRM-10: 'A receiver MUST ignore members of a control object that the schema does "
        "not define (extensibility)': EKE1, EKE3, RQFL, BYE_ carry extra members",
        _json_extra_members,
        client=True,
    ),
    _r(
        "fp2-eke-client-split-writes",
        "eke",
        _EKE_GET_REQS,
        _EKE_GET_FILES,
        "FRM-4: 'a header split from its payload MUST ... be processed identically': "
        "every frame and record written in three pieces",
        _eke_split_writes,
        client=True,
    ),
    _r(
        "fp2-eke-client-no-busy-retry",
        "eke",
        ("EKE-HS-10",),
        ("test_eke_client.py",),
        "EKE-THR-7: 'A client that receives busy MAY retry': this one fails at once (the "
        "EKE-THR-7 case and the busy case of EKE-HS-10 SKIP it: 'a client that does not "
        "retry is not judged')",
        _eke_no_busy_retry,
        client=True,
    ),
    _r(
        "fp2-eke-client-busy-retry-late",
        "eke",
        ("EKE-THR-7",),
        ("test_eke_client.py",),
        "EKE-THR-7: 'MUST NOT retry before retry_after seconds have passed': it waits 2x",
        _eke_busy_retry_late,
        client=True,
    ),
    _r(
        "fp2-eke-client-write-at-end",
        "eke",
        ("APP-GET-3", "APP-GET-6", "APP-STORE-1", "APP-STORE-2", "APP-STORE-3"),
        ("test_eke_client_transfer.py", "test_client_lies.py"),
        "APP-GET-6: 'write a get into a temporary file and rename it ... only after "
        "APP-GET-3 succeeded': the data waits in memory until DONE, then temp + rename",
        _eke_write_at_end,
        client=True,
    ),
    _r(
        "fp2-eke-client-uuid-partial",
        "eke",
        ("APP-GET-6", "APP-STORE-1", "APP-STORE-3"),
        ("test_eke_client_transfer.py",),
        "APP-STORE-1: '.sft-partial- followed by a random part': a UUID4 with dashes",
        _uuid_partial_names,
        client=True,
    ),
    _r(
        "fp2-eke-client-exit-3",
        "eke",
        ("APP-GET-3", "APP-STORE-3", "EKE-HS-4", "EKE-HS-7", "APP-GET-7", "ERR-3"),
        (*_EKE_GET_FILES, "test_client_fatal_errors.py"),
        "a failed get exits 3 (any non-zero status is a failure; nothing fixes it)",
        _eke_exit_code_3,
        client=True,
    ),
    _r(
        "fp2-eke-client-eke4-eror",
        "eke",
        ("EKE-HS-7", "EKE-HS-4", "EKE-HS-9"),
        ("test_eke_client.py",),
        "EKE-HS-7: 'on failure it MUST close and tell its user': it sends EROR auth_failed "
        "before the close",
        _eke_eke4_failure_answered,
        client=True,
    ),
    _r(
        "fp2-eke-client-full-exponent",
        "eke",
        ("EKE-HS-10", "EKE-X-1", "EKE-HS-1", "EKE-HS-5"),
        ("test_eke_client.py",),
        "EKE-X-1: 'x with 1 < x < q carrying at least 320 random bits': uniform in 2..q-1",
        _eke_full_exponent,
        client=True,
    ),
    _r(
        "fp2-eke-client-refuses-renamed-rsfl",
        "eke",
        ("APP-GET-7",),
        ("test_eke_client_transfer.py",),
        "APP-GET-7: 'it MAY fail the transfer (EROR bad_frame, fatal) or ignore the name'",
        _eke_refuses_renamed_rsfl,
        client=True,
    ),
    _r(
        "fp2-eke-client-slow",
        "eke",
        ("EKE-HS-1", "EKE-HS-5", "APP-GET-6"),
        _EKE_GET_FILES,
        "the client takes 0.5 s before EKE1 and before EKE3 (within every handshake "
        "timeout, LIM-1)",
        _slow_eke_client,
        client=True,
    ),
    # -- the pki initiator
    # A false FAIL of the suite until the session-9 fixes 02-test_pki_initiator_transfer.diff
    # and 03-test_app_integrity.diff are applied.
    _r(
        "fp2-pki-initiator-pipelined-bye",
        "pki",
        _PKI_GET_REQS,
        _PKI_GET_FILES,
        "APP-2: 'The initiator MAY pipeline requests': RQFL and BYE_ are sent together",
        _pki_pipelined_bye,
        client=True,
    ),
    _r(
        "fp2-pki-initiator-malformed-eror-closes",
        "pki",
        ("ERR-8",),
        ("test_client_lies.py",),
        "ERR-8 (as fp2-eke-client-malformed-eror-closes): close_notify, no answer",
        _malformed_error_closes,
        client=True,
    ),
    _r(
        "fp2-pki-initiator-aes256-only",
        "pki",
        _PKI_GET_REQS,
        _PKI_GET_FILES,
        "PKI-TLS-9: the initiator offers TLS_AES_256_GCM_SHA384 only (an allowed suite)",
        lambda: _tls_parameters(suites="TLS_AES_256_GCM_SHA384"),
        client=True,
    ),
    _r(
        "fp2-pki-initiator-no-bye",
        "pki",
        _PKI_GET_REQS,
        _PKI_GET_FILES,
        "APP-BYE-2: a completed get ends with close_notify, no BYE_ (PKI-TLS-6: "
        "'close_notify ... is the only clean end of the stream')",
        _pki_no_bye,
        client=True,
    ),
    _r(
        "fp2-pki-initiator-bye-no-wait",
        "pki",
        _PKI_GET_REQS,
        _PKI_GET_FILES,
        "APP-BYE-1: 'the responder MAY answer BYE_': the initiator does not wait for it",
        _pki_bye_no_wait,
        client=True,
    ),
    _r(
        "fp2-pki-initiator-write-at-end",
        "pki",
        ("APP-GET-3", "APP-GET-6", "APP-STORE-1", "APP-STORE-2", "APP-STORE-3"),
        (*_PKI_GET_FILES, "test_client_lies.py", "test_app_integrity.py"),
        "APP-GET-6 (as fp2-eke-client-write-at-end): temp file written and renamed at DONE",
        _pki_write_at_end,
        client=True,
    ),
    _r(
        "fp2-pki-initiator-split-writes",
        "pki",
        (*_PKI_GET_REQS, "FRM-14"),
        _PKI_GET_FILES,
        "FRM-4: each control frame's header in its own TLS record, apart from its payload",
        _pki_split_writes,
        client=True,
    ),
    _r(
        "fp2-pki-initiator-secp384r1",
        "pki",
        _PKI_GET_REQS,
        _PKI_GET_FILES,
        "PKI-TLS-9: the initiator offers only secp384r1 (one of the allowed groups)",
        lambda: _tls_parameters(groups="secp384r1"),
        client=True,
    ),
    _r(
        "fp2-pki-initiator-json-style",
        "pki",
        (*_PKI_GET_REQS, "FRM-14", "FRM-10"),
        (*_PKI_GET_FILES, "test_client_lies.py"),
        "FRM-8 (as fp2-eke-client-json-style) for the pki initiator",
        _json_other_style,
        client=True,
    ),
    _r(
        "fp2-pki-initiator-exit-3",
        "pki",
        ("APP-GET-3", "APP-STORE-3", "APP-GET-7", "ERR-3"),
        (*_PKI_GET_FILES, "test_client_fatal_errors.py", "test_app_integrity.py"),
        "a failed get exits 3 (any non-zero status is a failure)",
        _pki_exit_code_3,
        client=True,
    ),
)
