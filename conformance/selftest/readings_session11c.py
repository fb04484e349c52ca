"""Conforming variants aimed at the servers' and the CA's cases of the eleventh session
(helper FP8).

Each `Reading` plants an allowed choice the reference does not make, aimed at a case this
session added (the responders' and the CA's side; FP7's readings_session11b.py takes the
initiators and TLS); the suite must PASS it (conformance/selftest/test_ambig_readings.py).
Every description quotes the SPEC sentence that allows the choice. Planted like the
mutants: a monkeypatch of the reference inside the subprocess that runs it; reference
modules are reached only through `_module`, at apply time. Where an earlier session
already wrote the variant, its function is reused and only the case files are new.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import socket
import threading
from collections.abc import Callable
from typing import Any

from conformance.selftest import readings_clients as fp2
from conformance.selftest import readings_servers as fp1
from conformance.selftest import readings_session9 as s9
from conformance.selftest import readings_session10 as s10
from conformance.selftest import readings_session10b as s10b
from conformance.selftest import readings_session11 as s11
from conformance.selftest.mutant import _module
from conformance.selftest.mutants_ambig import Reading

__all__ = ["READINGS"]

# This session's servers' and CA's case files.
_HALF_CLOSE = "test_eke_half_close.py"
_PUT_DIGESTS = "test_eke_put_digests.py"
_STALLS = "test_eke_handshake_stalls.py"
_FRAME_SIZES = "test_app_get_frame_sizes.py"
_CONTROL_BYTES = "test_app_control_bytes.py"
_IDLE_TAIL = "test_app_idle_tail.py"
_ABANDON = "test_ops_eke_abandon_boundaries.py"
_TABLE_ORDER = "test_ops_eke_table_order.py"
_REVOCATION = "test_ops_pki_revocation.py"
_ALLOW_ALIAS = "test_ops_pki_allow_alias.py"
_SLOW_READER = "test_ops_slow_reader_get.py"
_EMPTY = "test_interop_empty_transfers.py"
_GRAMMAR = "test_interop_json_grammar.py"
_LENGTH_BYTES = "test_interop_frame_length_bytes.py"
_CA = "test_ca.py"
_CA_PIECES = "test_ca_request_pieces.py"
_CA_PACED = "test_ca_paced_failures.py"
_CA_CLOCK = "test_ca_own_clock.py"
_CA_ERROR_FRAMING = "test_ca_error_framing.py"
_CA_ADMIN = "test_ca_admin_while_serving.py"
_CA_PIPELINED = "test_interop_ca_pipelined_gets.py"
_CA_LOCK = "test_interop_ca_lock_threshold.py"
_CA_LINE_ENDS = "test_interop_ca_csr_line_ends.py"

_CA_HTTP_FILES = (_CA_PIPELINED, _CA_ERROR_FRAMING, _CA_CLOCK, _CA_LOCK, _CA_LINE_ENDS, _CA_PACED)
_CA_HTTP_REQS = ("CA-ENR-9", "CA-ENR-8", "CA-ENR-10", "CA-ENR-7", "CA-ENR-19", "CA-ENR-2")


# ---------------------------------------------------------------- the CA's clock


def _ca_backdated_one_hour() -> None:
    # CA-ENR-10: "`notBefore` MAY be backdated by up to one hour for clock skew, and is
    # never in the future". This CA backdates by the whole hour (its CRL's thisUpdate too:
    # CA-ENR-8 only asks that it be "not in the future").
    ca = _module("reference.pki.ca")
    ca._BACKDATE = dt.timedelta(hours=1)


def _ca_times_on_the_minute() -> None:
    # CA-ENR-10: "`notAfter` is at most the configured period after the moment of issue
    # (`notBefore` MAY be backdated by up to one hour ...)"; CA-ENR-8: "`thisUpdate` is
    # not in the future". This CA dates what it issues by a clock truncated to the minute
    # (a notBefore and thisUpdate up to a minute earlier, a notAfter up to a minute
    # short of the period): never later than the moment of issue.
    ca = _module("reference.pki.ca")

    def utcnow() -> dt.datetime:
        return dt.datetime.now(dt.UTC).replace(second=0, microsecond=0)

    ca._utcnow = utcnow


def _ca_crl_issued_hourly() -> None:
    # CA-ENR-8: "`GET /v1/crl` the current CRL ... `thisUpdate` is not in the future and
    # `nextUpdate` is later than the moment it is served, and it lists every revocation
    # made before the request". This CA issues its CRL once an hour, dated the start of
    # the hour (or its newest revocation), and issues a new one as soon as its store
    # holds a revocation the current CRL lacks: a thisUpdate up to an hour old.
    ca = _module("reference.pki.ca")
    cls = ca.CertificateAuthority
    original = cls.crl
    lock = threading.Lock()
    cache: dict[str, Any] = {}

    def crl(self: Any, *, now: dt.datetime | None = None) -> Any:
        with self._lock:
            rows = self._db.execute(
                "SELECT serial, revoked_at FROM certificates WHERE revoked_at IS NOT NULL"
            ).fetchall()
        key = repr(sorted((str(a), str(b)) for a, b in rows))
        real = dt.datetime.now(dt.UTC)
        with lock:
            hit = cache.get("crl")
            if now is None and hit is not None and hit[0] == key and real < hit[1]:
                return hit[2]
            dated = real.replace(minute=0, second=0, microsecond=0)
            for _, when in rows:
                revoked = dt.datetime.fromisoformat(str(when))
                if revoked.tzinfo is None:
                    revoked = revoked.replace(tzinfo=dt.UTC)
                dated = max(dated, min(real, revoked))
            value = original(self, now=now or dated)
            if now is None:
                cache["crl"] = (key, dated + dt.timedelta(hours=1), value)
            return value

    cls.crl = crl


# ---------------------------------------------------------------- the CA's HTTP


def _ca_utf8_error_messages() -> None:
    # CA-ENR-9: "Every error answer MUST be a JSON object {"error": code, "message":
    # str}"; RFC 8259 §8.1: JSON text is UTF-8, escaping is optional. This CA writes its
    # error bodies as readable UTF-8 (no \\u escapes) and quotes the request's path and
    # method in them, decoded as UTF-8; its Content-Length counts the bytes.
    handler = fp2._ca_handler()
    original = handler._send_json
    http = _module("http")

    def readable(text: str) -> str:
        try:
            return text.encode("latin-1").decode("utf-8", "replace")
        except UnicodeEncodeError:
            return text

    def send_json(self: Any, status: Any, body: dict[str, Any], **kwargs: Any) -> None:
        if int(status) < 400:
            original(self, status, body, **kwargs)
            return
        body = dict(body)
        method = readable(str(getattr(self, "command", "") or ""))
        path = readable(str(getattr(self, "path", "") or ""))[:64]
        body["message"] = f"{body.get('message', '')} ({method} {path} — refusé)"
        data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        self._send(http.HTTPStatus(status), data, "application/json; charset=utf-8", **kwargs)

    handler._send_json = send_json


_TCHAR = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")


def _ca_bare_json_for_unparseable_lines() -> None:
    # CA-ENR-9: "a request line that does not parse MAY be answered with the JSON body
    # alone (as HTTP/0.9: it names no HTTP version)"; RFC 9110 §9.1: a method is a token.
    # This CA answers a request line whose method is no token, or whose target holds a
    # byte outside ASCII (RFC 9112 §3.2: a request-target has no such byte), with the JSON
    # error body alone, then closes.
    handler = fp2._ca_handler()
    original = handler.parse_request

    def parse_request(self: Any) -> bool:
        line = bytes(self.raw_requestline or b"").rstrip(b"\r\n")
        parts = line.split(b" ")
        method = parts[0] if parts else b""
        target = parts[1] if len(parts) > 1 else b""
        if method and (not _TCHAR.fullmatch(method) or not target.isascii()):
            self.close_connection = True
            self.command = None
            body = {"error": "bad_request", "message": "the request line does not parse"}
            self.wfile.write(json.dumps(body).encode())
            return False
        parsed: bool = original(self)
        return parsed

    handler.parse_request = parse_request


# ---------------------------------------------------------------- a put ends at the close


def _put_name_held_until_close() -> None:
    # APP-PUT-8: "A put in progress does not make its name exist: a second `PUTF` of that
    # name MAY be accepted or answered `exists`"; ERR-3: the close follows a fatal EROR
    # "at once ... (the conformance suite allows 2 s)". This responder answers a PUTF of
    # a name whose put is in progress `exists`, and a failed put ends (its temporary
    # removed, its name freed) when its connection's handler ends, which closes the
    # connection 0.6 s after the fatal EROR (the reference's sft-eke/1 server aborts a put
    # in its handler's `finally`, after the EROR is sent; the pki responder before).
    fp1._load_everything()
    share = _module("reference.share")
    errors = _module("reference.errors")
    lock = threading.Lock()
    busy: dict[str, int] = {}
    target_name = share.Inbox.target_name
    begin = share.Inbox.begin
    commit = share.PartialFile.commit
    abort = share.PartialFile.abort

    def release(name: str) -> None:
        with lock:
            left = busy.get(name, 0) - 1
            if left > 0:
                busy[name] = left
            else:
                busy.pop(name, None)

    def target_name_(self: Any, name: str) -> str:
        base: str = target_name(self, name)
        with lock:
            if busy.get(base):
                raise errors.RemoteProtocolError(
                    errors.ErrorCode.EXISTS, "a put of that name is in progress"
                )
        return base

    def begin_(self: Any, final_name: str, size: int) -> Any:
        partial = begin(self, final_name, size)
        with lock:
            busy[final_name] = busy.get(final_name, 0) + 1
        return partial

    def commit_(self: Any, *args: Any, **kwargs: Any) -> None:
        try:
            commit(self, *args, **kwargs)
        finally:
            release(self.final_name)

    def abort_(self: Any, *args: Any, **kwargs: Any) -> None:
        try:
            abort(self, *args, **kwargs)
        finally:
            release(self.final_name)

    share.Inbox.target_name = target_name_
    share.Inbox.begin = begin_
    share.PartialFile.commit = commit_
    share.PartialFile.abort = abort_


def _eke_put_held_until_close() -> None:
    _put_name_held_until_close()
    s9._eke_slow_close_after_every_fatal_eror()


def _pki_put_held_until_close() -> None:
    _put_name_held_until_close()
    s9._pki_slow_close_after_every_fatal_eror()


# ---------------------------------------------------------------- small send buffers


def _small_send_buffers() -> None:
    # No requirement sets a socket buffer size: every accepted connection gets a 4 KiB
    # send buffer (SO_SNDBUF), as an embedded or memory-tight server sets it; its writes
    # then come back short far more often.
    original = socket.socket.accept

    def accept(self: socket.socket) -> tuple[socket.socket, Any]:
        conn, address = original(self)
        try:
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
        except OSError:
            pass
        return conn, address

    socket.socket.accept = accept  # type: ignore[method-assign]


# ---------------------------------------------------------------- a coarse idle timer


def _idle_swept_every_half_period() -> None:
    # LIM-2: "a responder MUST close ... a connection that sends nothing for the idle
    # timeout" sets no precision; the case allows 1.6 timeouts. A watchdog that sweeps
    # every half idle period closes a silent connection between 1 and 1.5 timeouts after
    # its last byte: planted at the late end, every idle close 1.5 timeouts late.
    fp1._load_everything()
    for module, cls in (
        ("reference.eke.server", "ServerConfig"),
        ("reference.pki.peer", "PeerConfig"),
    ):
        config = getattr(_module(module), cls)
        post_init = config.__post_init__

        def __post_init__(self: Any, post_init: Callable[[Any], None] = post_init) -> None:
            post_init(self)
            object.__setattr__(self, "idle_timeout", self.idle_timeout * 1.5)

        config.__post_init__ = __post_init__


# ---------------------------------------------------------------- failure tables


def _eke_tables_by_whole_seconds() -> None:
    # EKE-THR-9: "A table over its bound MUST evict only as many entries as bring it back
    # to the bound, the least recently failed first"; EKE-THR-8: counts survive a restart
    # (the reference keeps them in SQLite, "times as wall time"). This server keeps each
    # entry's last failure in whole seconds (an INTEGER unix time column) and orders
    # entries that failed in the same second by when the key was first counted: within
    # one second its clock cannot tell which failed last.
    throttle = _module("reference.eke.throttle")
    cls = throttle.Throttle
    original = cls._trim
    first: dict[tuple[str, str], int] = {}

    def trim(self: Any, now: float) -> None:
        for kind in throttle._KINDS:
            table = self._entries.table(kind)
            for key in table:
                first.setdefault((kind, key), len(first))
            ordered = sorted(
                table.items(), key=lambda item: (int(item[1].last), first[(kind, item[0])])
            )
            table.clear()
            table.update(ordered)
        original(self, now)

    cls._trim = trim


# ---------------------------------------------------------------- a late close


_LATE_CLOSE = 1.5  # seconds: within ERR-3's 2 s, longer than the first lock (base 1 s)


def _eke_late_close_after_every_fatal_eror() -> None:
    # ERR-3: "The close follows the EROR at once ... (the conformance suite allows 2 s)".
    # This server closes 1.5 s after every fatal EROR of its own (auth_failed included):
    # a lingering close that drains what the peer still sends. Its failure counts and
    # locks are the reference's, dated when the handshake ends (EKE-THR-5, EKE-THR-6).
    s9._SLOW_CLOSE = _LATE_CLOSE
    s9._eke_slow_close_after_every_fatal_eror()


# ---------------------------------------------------------------- the list


def _r(
    name: str,
    profile: str,
    requirements: tuple[str, ...],
    test_files: tuple[str, ...],
    description: str,
    apply: Callable[[], None],
    *,
    ca: bool = False,
) -> Reading:
    return Reading(name, profile, requirements, test_files, description, apply, ca=ca)


_PUT_CLOSE_REQS = ("APP-PUT-5", "FRM-12", "APP-STORE-2", "APP-STORE-3", "LIM-2", "ERR-3")
_PUT_CLOSE_FILES = (_CONTROL_BYTES, _EMPTY, _IDLE_TAIL)
_SLOW_CLOSE = (
    "ERR-3: 'The close follows the EROR at once ... (the conformance suite allows 2 s'): "
    "every close after the responder's fatal EROR 0.6 s later"
)
_SNDBUF = "no requirement sets a socket buffer: 4 KiB SO_SNDBUF on every accepted connection"

READINGS: tuple[Reading, ...] = (
    # --- the CA's clock and CRL
    _r(
        "s11c-ca-backdated-one-hour",
        "pki",
        ("CA-ENR-10", "CA-ENR-8"),
        (_CA_CLOCK, _CA),
        "CA-ENR-10: 'notBefore MAY be backdated by up to one hour for clock skew': "
        "notBefore (and the CRL's thisUpdate) one hour back",
        _ca_backdated_one_hour,
        ca=True,
    ),
    _r(
        "s11c-ca-times-on-the-minute",
        "pki",
        ("CA-ENR-10", "CA-ENR-8", "CA-ENR-11"),
        (_CA_CLOCK, _CA_ADMIN, _CA),
        "CA-ENR-10: 'notAfter is at most the configured period after the moment of issue "
        "(notBefore MAY be backdated ...)': the CA's clock truncated to the minute",
        _ca_times_on_the_minute,
        ca=True,
    ),
    _r(
        "s11c-ca-crl-issued-hourly",
        "pki",
        ("CA-ENR-8", "CA-ENR-11"),
        (_CA_CLOCK, _CA_ADMIN, _CA),
        "CA-ENR-8: 'thisUpdate is not in the future ... it lists every revocation made "
        "before the request': a CRL dated the start of the hour, reissued when the store "
        "holds a revocation it lacks",
        _ca_crl_issued_hourly,
        ca=True,
    ),
    _r(
        "s11c-ca-crl-issued-hourly-responder",
        "pki",
        ("PKI-CERT-7", "PKI-CERT-11"),
        (_REVOCATION,),
        "CA-ENR-8 (as s11c-ca-crl-issued-hourly), judged through the responder that "
        "fetches the CRL",
        _ca_crl_issued_hourly,
        ca=True,
    ),
    # --- the CA's HTTP
    _r(
        "s11c-ca-utf8-error-messages",
        "pki",
        ("CA-ENR-9", "CA-ENR-15", "CA-ENR-2"),
        (_CA_ERROR_FRAMING, _CA_PIECES, _CA_PIPELINED),
        'CA-ENR-9: \'a JSON object {"error": code, "message": str}\'; RFC 8259 §8.1 '
        "(UTF-8, escapes optional): error messages in raw UTF-8, quoting method and path",
        _ca_utf8_error_messages,
        ca=True,
    ),
    _r(
        "s11c-ca-bare-json-for-unparseable-lines",
        "pki",
        ("CA-ENR-9",),
        (_CA_ERROR_FRAMING, _CA_PIPELINED),
        "CA-ENR-9: 'a request line that does not parse MAY be answered with the JSON body "
        "alone (as HTTP/0.9)': a method that is no token, a target with non-ASCII bytes",
        _ca_bare_json_for_unparseable_lines,
        ca=True,
    ),
    _r(
        "s11c-ca-http10-new-cases",
        "pki",
        _CA_HTTP_REQS,
        _CA_HTTP_FILES,
        "RFC 9110 §2.5: an HTTP/1.0 CA (closes after every answer); the SPEC says HTTPS "
        "and JSON bodies, not HTTP/1.1",
        s10._ca_http10,
        ca=True,
    ),
    _r(
        "s11c-ca-close-delimited-every-answer-new-cases",
        "pki",
        _CA_HTTP_REQS,
        _CA_HTTP_FILES,
        "RFC 9112 §6.3 (8) and §9.6: every answer without Content-Length, its body ended "
        "by the close",
        s11._ca_close_delimited_every_answer,
        ca=True,
    ),
    _r(
        "s11c-ca-parse-first-new-cases",
        "pki",
        ("CA-ENR-7", "CA-ENR-19", "CA-ENR-2"),
        (_CA_LOCK, _CA_PACED, _CA_LINE_ENDS),
        "CA-ENR-21: 'MAY be answered either way, both conforming': an unparseable CSR "
        "refused 400 before the password",
        s10b._ca_parse_first_profile_later,
        ca=True,
    ),
    # --- the responders: a failed put ends with its connection
    _r(
        "s11c-eke-put-held-until-close",
        "eke",
        _PUT_CLOSE_REQS,
        (_PUT_DIGESTS, *_PUT_CLOSE_FILES),
        "APP-PUT-8: 'a second PUTF of that name MAY be accepted or answered exists' while "
        f"a put is in progress; {_SLOW_CLOSE}; a failed put ends as its connection closes",
        _eke_put_held_until_close,
    ),
    _r(
        "s11c-pki-put-held-until-close",
        "pki",
        _PUT_CLOSE_REQS,
        _PUT_CLOSE_FILES,
        "APP-PUT-8: 'a second PUTF of that name MAY be accepted or answered exists' while "
        f"a put is in progress; {_SLOW_CLOSE}; a failed put ends as its connection closes",
        _pki_put_held_until_close,
    ),
    # --- the responders: send buffers, idle timers
    _r(
        "s11c-eke-small-send-buffers",
        "eke",
        ("APP-GET-2", "APP-2", "FRM-13", "FRM-14"),
        (_SLOW_READER, _FRAME_SIZES, _HALF_CLOSE),
        _SNDBUF,
        _small_send_buffers,
    ),
    _r(
        "s11c-pki-small-send-buffers",
        "pki",
        ("APP-GET-2", "APP-2", "FRM-13", "FRM-14"),
        (_SLOW_READER, _FRAME_SIZES),
        _SNDBUF,
        _small_send_buffers,
    ),
    _r(
        "s11c-eke-idle-swept-every-half-period",
        "eke",
        ("LIM-2", "APP-STORE-3"),
        (_IDLE_TAIL,),
        "LIM-2: 'MUST close ... a connection that sends nothing for the idle timeout' (no "
        "precision): a half-period sweep, every idle close at 1.5 timeouts",
        _idle_swept_every_half_period,
    ),
    _r(
        "s11c-pki-idle-swept-every-half-period",
        "pki",
        ("LIM-2", "APP-STORE-3"),
        (_IDLE_TAIL,),
        "LIM-2: 'MUST close ... a connection that sends nothing for the idle timeout' (no "
        "precision): a half-period sweep, every idle close at 1.5 timeouts",
        _idle_swept_every_half_period,
    ),
    # --- the responders: malformed input, closes after a fatal EROR
    _r(
        "s11c-eke-fatal-graceful-close-grammar",
        "eke",
        ("FRM-9", "ERR-3", "FRM-1", "FRM-12"),
        (_GRAMMAR, _CONTROL_BYTES, _LENGTH_BYTES),
        "ERR-3: 'The close follows the EROR at once': a FIN at once, then what the peer "
        "still sends read and dropped (never processed) for up to 1 s",
        fp1._eke_fatal_graceful_close,
    ),
    _r(
        "s11c-pki-slow-close-grammar-allow-list",
        "pki",
        ("FRM-9", "ERR-3", "FRM-1", "PKI-ID-4", "PKI-ID-3"),
        (_GRAMMAR, _LENGTH_BYTES, _ALLOW_ALIAS),
        _SLOW_CLOSE,
        s9._pki_slow_close_after_every_fatal_eror,
    ),
    _r(
        "s11c-eke-busy-by-close-under-way",
        "eke",
        ("LIM-8",),
        (_STALLS,),
        "LIM-8: 'refuse the next one from the same address promptly (close, or EROR busy "
        "where possible)': closed without EROR",
        fp1._eke_busy_by_close,
    ),
    _r(
        "s11c-eke-slow-eke2-abandon-table-order",
        "eke",
        ("EKE-THR-5", "EKE-THR-9", "EKE-THR-1"),
        (_ABANDON, _TABLE_ORDER),
        "no requirement sets how fast EKE2 comes (EKE-SEC-4: a fixed schedule is "
        "allowed): every EKE2 0.15 s late",
        fp1._eke_slow_eke2,
    ),
    _r(
        "s11c-eke-tables-by-whole-seconds",
        "eke",
        ("EKE-THR-9", "EKE-THR-1"),
        (_TABLE_ORDER,),
        "EKE-THR-9: 'the least recently failed first' (no clock resolution given): last "
        "failures kept in whole seconds, ties ordered by when the key was first counted",
        _eke_tables_by_whole_seconds,
    ),
    _r(
        "s11c-eke-late-close-after-fatal-throttles",
        "eke",
        ("EKE-THR-9", "EKE-THR-5", "EKE-THR-1"),
        (_TABLE_ORDER, _ABANDON),
        "ERR-3: 'The close follows the EROR at once ... (the conformance suite allows 2 "
        "s)': every close 1.5 s after the server's fatal EROR (auth_failed too)",
        _eke_late_close_after_every_fatal_eror,
    ),
    # --- the pki responder's CRL
    _r(
        "s11c-pki-refusal-decided-late-revocation",
        "pki",
        ("PKI-CERT-11", "PKI-CERT-7"),
        (_REVOCATION,),
        "PKI-TLS-10: a refusal after the handshake 'at once (ERR-3)' — 'the conformance "
        "suite allows 2 s': the certificate check (a CRL lookup) takes 0.4 s",
        s10b._pki_refusal_decided_late,
    ),
    _r(
        "s11c-pki-crl-refresh-every-second-revocation",
        "pki",
        ("PKI-CERT-11", "PKI-CERT-7"),
        (_REVOCATION,),
        "PKI-CERT-7: 'SHOULD refetch it periodically (default every 300 s)': every second",
        s10._crl_refresh_every_second,
    ),
)
