"""Blind red-team round 15: the sft-pki/1 RESPONDER and the app layer on both servers.

Written blind (from docs/SPEC.md and the reference only, before reading the suite's
cases), through the six lenses of round 15. Each mutant breaks one MUST a black-box
tester can observe; `b15pki-…` plant in the pki responder (reference/pki/, admission),
`b15app-…` in the application layer (app.py, messages.py, share.py, transfer.py,
eke/server.py) as the named server runs it. A first list of 29 was checked against the
registered mutants once written; the 18 that copied one were replaced by the ones below.
Blind (before any case of round 15): 9 of 22 detected in the file first named, 13 of 22
by the suite (4 were caught by another existing file, now named); after: 22 of 22.

Lens 1 — one blocks all:
  b15pki-busy-inline            the `busy` refusal's TLS handshake runs on the accept loop
  b15app-commit-waits-puts      group commit: a put's DONE waits until no other put receives
  b15app-commit-waits-gets      one store lock: commits wait for every get still sending
  b15pki-close-under-lock       the closing handshake (close_notify wait) under the
                                admission lock: peers that never answer it stall accept
  b15app-eke-get-server-lock    the EKE server's get runs under its global lock (accept too)
Lens 2 — reflection and cross-context acceptance:
  b15app-done-replay-acked      a put's DONE equal to the connection's last receipt is taken
                                as a retransmission: acknowledged, not verified
  b15pki-own-alias-trusted      a client certificate naming the responder's own alias skips
                                the allow list ("it is ourselves")
  b15app-rqfl-raw-name          an RQFL payload that is not JSON is read as the raw name
                                (the sft-pki/0 request, without its RSA layer)
Lens 3 — the default branch:
  b15app-eror-code-zero-ok      an EROR of code 0 from the initiator is "no error": skipped
  b15app-stray-control-midput   during a put, RSFL/RQFL/PUTF are skipped as noise
  b15app-name-array-joined      a `name` given as a JSON array of strings is joined with '/'
Lens 4 — compound conditions:
  b15pki-ku-ec-only             KeyUsage digitalSignature checked for EC keys only, not RSA
  b15pki-ca-true-pathlen-zero   CA:TRUE refused unless its pathlen is 0 ("cannot issue")
  b15app-done-or-putf-sha       `size ok and sha ok or sha == PUTF.sha256` (precedence)
  b15app-empty-component        the component check covers `.` and `..` but not ""
Lens 5 — asymmetric cost and amplification:
  b15app-put-prealloc           a buffer mapped from PUTF.size before the size limit
  b15app-failed-put-quarantined a failed put's temporary is kept aside (`.NAME.HEX.failed`)
  b15app-integrity-dumps-data   the integrity_failed message quotes the first bytes received
Lens 6 — check-then-act under concurrency:
  b15app-first-putf-owns-name   the first PUTF of a name owns it: a later put that is
                                verified first is refused `exists`
  b15app-temp-name-per-second   the temporary named from the clock's second, opened O_TRUNC
  b15pki-cap-counts-established the connection cap compares established connections only:
                                a burst of handshakes all pass it
  b15app-winner-sweeps-temps    a stored put removes the other temporaries of its name,
                                so the racing loser fails `internal`, not `exists`
"""

from __future__ import annotations

import json
import os
import secrets
import threading
import time
from typing import Any

from conformance.selftest.mutant import Mutant, _module
from conformance.selftest.mutants_app import _patch_source

__all__ = ["MUTANTS"]

_GROUP = "blind15-pki"

# Per-thread notes (the pki responder serves each connection on its own thread).
_NOTES = threading.local()


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


# --- lens 1: one blocks all ------------------------------------------------------------


def _busy_inline() -> None:
    _patch_source(
        _peer().PeerServer,
        "_dispatch",
        (
            "target, release = self._busy, self._busy_slots.release",
            "self._busy(raw, addr); self._busy_slots.release(); raw.close(); return",
        ),
    )


def _commit_waits_puts() -> None:
    transfer = _transfer()
    partial = _share().PartialFile
    cond = threading.Condition()
    receiving = [0]
    original_put = transfer.Responder._put
    original_commit = partial.commit

    def _done_receiving() -> None:
        if getattr(_NOTES, "receiving", False):
            _NOTES.receiving = False
            receiving[0] -= 1
            cond.notify_all()

    def _put(self: Any, request: Any) -> None:
        with cond:
            receiving[0] += 1
            _NOTES.receiving = True
        try:
            original_put(self, request)
        finally:
            with cond:
                _done_receiving()

    def commit(self: Any, *, overwrite: bool = False) -> None:
        with cond:
            _done_receiving()
            # Group commit: one directory fsync for every put of the batch.
            cond.wait_for(lambda: receiving[0] == 0)
        original_commit(self, overwrite=overwrite)

    transfer.Responder._put = _put
    partial.commit = commit


def _commit_waits_gets() -> None:
    transfer = _transfer()
    partial = _share().PartialFile
    cond = threading.Condition()
    readers = [0]
    original_get = transfer.Responder._get
    original_commit = partial.commit

    def _get(self: Any, request: Any) -> None:
        with cond:
            readers[0] += 1
        try:
            original_get(self, request)
        finally:
            with cond:
                readers[0] -= 1
                cond.notify_all()

    def commit(self: Any, *, overwrite: bool = False) -> None:
        with cond:  # the store's write side: no reader while a name appears
            cond.wait_for(lambda: readers[0] == 0)
            original_commit(self, overwrite=overwrite)

    transfer.Responder._get = _get
    partial.commit = commit


def _close_under_lock() -> None:
    _patch_source(
        _peer().PeerServer,
        "_connection",
        (
            "    finally:\n        close_tls(tls)",
            "    finally:\n        with self._admission_lock:\n            close_tls(tls)",
        ),
    )


def _eke_get_server_lock() -> None:
    server = _module("reference.eke.server").EkeServer
    original = server._serve_get

    def _serve_get(self: Any, stream: Any, name: str) -> str:
        with self._lock:
            result: str = original(self, stream, name)
            return result

    server._serve_get = _serve_get


# --- lens 2: reflection and cross-context acceptance -------------------------------------


def _done_replay_acked() -> None:
    app = _app()
    messages = _module("reference.messages")
    original = app.ApplicationConnection._on_control

    def _on_control(self: Any, frame: Any) -> Any:
        last = getattr(self, "_b15_receipt", None)
        if (
            self.role is app.RESPONDER
            and frame.type == b"DONE"
            and self.state is app.R.RECEIVING
            and last is not None
            and self._incoming is not None
        ):
            try:
                obj = json.loads(frame.payload)
            except ValueError:
                obj = None
            if (
                isinstance(obj, dict)
                and obj.get("size") == last.size
                and obj.get("sha256") == last.sha256
                and self._incoming.count == last.size
            ):
                # "the initiator re-sent the DONE we acknowledged": acknowledge it again
                self._incoming = None
                self._verified_put = last
                self.state = app.R.STORING
                return last
        message = original(self, frame)
        if self.role is app.RESPONDER and isinstance(message, messages.Done):
            self._b15_receipt = message
        return message

    app.ApplicationConnection._on_control = _on_control


def _own_alias_trusted() -> None:
    _patch_source(
        _peer().PeerServer,
        "_connection",
        (
            "allowed = not self.config.allow or alias in self.config.allow",
            "allowed = not self.config.allow or alias in self.config.allow "
            "or alias == self.alias",
        ),
    )


def _rqfl_raw_name() -> None:
    messages = _module("reference.messages")
    errors = _errors()
    original = messages.loads_control

    def loads_control(payload: Any) -> Any:
        try:
            return original(payload)
        except errors.RemoteProtocolError:
            if getattr(_NOTES, "frame_type", None) == b"RQFL":
                try:
                    return {"name": bytes(payload).decode("utf-8")}
                except UnicodeDecodeError:
                    pass
            raise

    original_decode = messages.decode_message

    def decode_message(frame: Any, *, rsfl_for_put: bool = False) -> Any:
        _NOTES.frame_type = frame.type
        try:
            return original_decode(frame, rsfl_for_put=rsfl_for_put)
        finally:
            _NOTES.frame_type = None

    messages.loads_control = loads_control
    messages.decode_message = decode_message
    _app().decode_message = decode_message


# --- lens 3: the default branch --------------------------------------------------------


def _eror_code_zero_ok() -> None:
    app = _app()
    original = app.ApplicationConnection._on_control

    def _on_control(self: Any, frame: Any) -> Any:
        if self.role is app.RESPONDER and frame.type == b"EROR" and self.state is app.R.IDLE:
            try:
                code = json.loads(frame.payload).get("code")
            except (ValueError, AttributeError):
                code = None
            if type(code) is int and code == 0:
                return self._next_event()  # code 0: success, nothing to act on
        return original(self, frame)

    app.ApplicationConnection._on_control = _on_control


def _stray_control_midput() -> None:
    app = _app()
    noise = (b"RSFL", b"RQFL", b"PUTF")
    original_lookup = app.ApplicationConnection._lookup
    original_control = app.ApplicationConnection._on_control

    def _lookup(self: Any, frame_type: bytes) -> Any:
        if self.role is app.RESPONDER and self.state is app.R.RECEIVING and frame_type in noise:
            return app.R.RECEIVING
        return original_lookup(self, frame_type)

    def _on_control(self: Any, frame: Any) -> Any:
        if self.role is app.RESPONDER and self.state is app.R.RECEIVING and frame.type in noise:
            return self._next_event()  # only DATA, DONE and EROR matter during a put
        return original_control(self, frame)

    app.ApplicationConnection._lookup = _lookup
    app.ApplicationConnection._on_control = _on_control


def _name_array_joined() -> None:
    messages = _module("reference.messages")
    original = messages.check_schema

    def check_schema(frame_type: bytes, obj: Any, schema: Any) -> None:
        name = obj.get("name") if isinstance(obj, dict) else None
        if (
            frame_type in (b"RQFL", b"PUTF")
            and isinstance(name, list)
            and name
            and all(isinstance(part, str) for part in name)
        ):
            obj["name"] = "/".join(name)  # a name may come as its components
        original(frame_type, obj, schema)

    messages.check_schema = check_schema


# --- lens 4: compound conditions --------------------------------------------------------


def _ku_ec_only() -> None:
    _patch_source(
        _tls(),
        "check_peer_certificate",
        (
            "if not ku.digital_signature:",
            "if not ku.digital_signature and isinstance("
            "cert.public_key(), ec.EllipticCurvePublicKey):",
        ),
    )


def _ca_true_pathlen_zero() -> None:
    _patch_source(
        _tls(),
        "check_peer_certificate",
        (
            "if bc.value.ca or not bc.critical:",
            "if (bc.value.ca and bc.value.path_length != 0) or not bc.critical:",
        ),
    )


def _done_or_putf_sha() -> None:
    _patch_source(
        _app()._Transfer,
        "check_done",
        (
            "done.sha256 == sha):",
            "done.sha256 == sha or done.sha256 == self.expected_sha256):",
        ),
        ("self.expected_sha256 != sha", "self.expected_sha256 != done.sha256"),
    )


def _empty_component() -> None:
    _patch_source(
        _share(), "check_name", ('if part in ("", ".", ".."):', 'if part in (".", ".."):')
    )


# --- lens 5: asymmetric cost ------------------------------------------------------------


def _put_prealloc() -> None:
    transfer = _transfer()
    mmap = _module("mmap")
    original = transfer.Responder._put

    def _put(self: Any, request: Any) -> None:
        # A receive buffer for the whole file, mapped before the size is judged (the
        # pages cost nothing until touched — until a size the kernel will not map).
        buffer = mmap.mmap(-1, max(1, request.size))
        try:
            original(self, request)
        finally:
            buffer.close()

    transfer.Responder._put = _put


def _failed_put_quarantined() -> None:
    partial = _share().PartialFile
    original = partial.abort

    def abort(self: Any) -> None:
        if not self._done and not self._owns_dir_fd and self.written > 0:
            if self._file is not None:
                self._file.close()
                self._file = None
            aside = f".{self.final_name[:200]}.{secrets.token_hex(4)}.failed"
            try:  # kept for the operator to look at
                os.rename(self.temp_name, aside, src_dir_fd=self._dir_fd, dst_dir_fd=self._dir_fd)
            except OSError:
                pass
        original(self)

    partial.abort = abort


def _integrity_dumps_data() -> None:
    app = _app()
    errors = _errors()
    transfer_cls = app._Transfer
    heads: dict[int, bytes] = {}
    original_add = transfer_cls.add
    original_check = transfer_cls.check_done

    def add(self: Any, data: Any) -> None:
        head = heads.get(id(self), b"")
        if len(head) < 32:
            heads[id(self)] = head + bytes(memoryview(data)[: 32 - len(head)])
        original_add(self, data)

    def check_done(self: Any, done: Any) -> None:
        try:
            original_check(self, done)
        except errors.RemoteProtocolError as exc:
            head = heads.pop(id(self), b"")
            raise errors.RemoteProtocolError(
                exc.code, f"{exc.message}; received {head.decode('latin-1')!r}..."
            ) from None
        heads.pop(id(self), None)

    transfer_cls.add = add
    transfer_cls.check_done = check_done


# --- lens 6: check-then-act under concurrency --------------------------------------------


def _first_putf_owns_name() -> None:
    share = _share()
    errors = _errors()
    lock = threading.Lock()
    owners: dict[str, int] = {}
    original_begin = share.Inbox.begin
    original_commit = share.PartialFile.commit
    original_abort = share.PartialFile.abort

    def _release(p: Any) -> None:
        with lock:
            if owners.get(p.final_name) == id(p):
                del owners[p.final_name]

    def begin(self: Any, final_name: str, size: int) -> Any:
        p = original_begin(self, final_name, size)
        with lock:
            owners.setdefault(final_name, id(p))
        return p

    def commit(self: Any, *, overwrite: bool = False) -> None:
        with lock:
            owner = owners.get(self.final_name)
        if owner is not None and owner != id(self):
            self.abort()
            raise errors.RemoteProtocolError(
                errors.ErrorCode.EXISTS, "an earlier put of that name is in progress"
            )
        try:
            original_commit(self, overwrite=overwrite)
        finally:
            _release(self)

    def abort(self: Any) -> None:
        _release(self)
        original_abort(self)

    share.Inbox.begin = begin
    share.PartialFile.commit = commit
    share.PartialFile.abort = abort


def _temp_name_per_second() -> None:
    share = _share()
    partial = share.PartialFile

    def __init__(
        self: Any,
        dir_fd: int,
        final_name: str,
        limit: int,
        *,
        owns_dir_fd: bool = False,
        directory: Any = None,
    ) -> None:
        self._dir_fd = dir_fd
        self._owns_dir_fd = owns_dir_fd
        self.final_name = final_name
        self.limit = limit
        self.written = 0
        # "unique enough": the clock's second, in hex
        self.temp_name = f"{share.PARTIAL_PREFIX}{int(time.time()):x}"
        self._tracked = None if directory is None else os.path.join(directory, self.temp_name)
        if self._tracked is not None:
            share._UNFINISHED.add(self._tracked)
        fd = os.open(
            self.temp_name,
            os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_CLOEXEC,
            0o600,
            dir_fd=dir_fd,
        )
        self._file = _module("io").FileIO(fd, "wb", closefd=True)
        self._done = False

    partial.__init__ = __init__


def _cap_counts_established() -> None:
    _patch_source(
        _module("reference.admission").Admission,
        "admit",
        (
            "if self.open_connections >= self.max_connections:",
            "if len(self._established) >= self.max_connections:",
        ),
    )


def _winner_sweeps_temps() -> None:
    share = _share()
    partial = share.PartialFile
    original_init = partial.__init__
    original_commit = partial.commit

    def __init__(self: Any, dir_fd: int, final_name: str, limit: int, **kwargs: Any) -> None:
        original_init(self, dir_fd, final_name, limit, **kwargs)
        # The temporary carries its final name, for the sweep below.
        named = f"{share.PARTIAL_PREFIX}{final_name[:180]}-{secrets.token_hex(6)}"
        os.rename(self.temp_name, named, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
        self.temp_name = named

    def commit(self: Any, *, overwrite: bool = False) -> None:
        dir_fd = self._dir_fd
        mine = self.temp_name
        original_commit(self, overwrite=overwrite)
        # "a stored name needs none of its temporaries any more"
        prefix = f"{share.PARTIAL_PREFIX}{self.final_name[:180]}-"
        try:
            entries = os.listdir(dir_fd)
        except OSError:
            return
        for entry in entries:
            if entry.startswith(prefix) and entry != mine:
                try:
                    os.unlink(entry, dir_fd=dir_fd)
                except OSError:
                    pass

    partial.__init__ = __init__
    partial.commit = commit


def _m(
    name: str, profile: str, requirement: str, test_file: str, description: str, apply: Any
) -> Mutant:
    return Mutant(
        name=name,
        group=_GROUP,
        profile=profile,
        requirement=requirement,
        test_file=test_file,
        description=description,
        apply=apply,
    )


MUTANTS: tuple[Mutant, ...] = (
    # lens 1
    _m(
        "b15pki-busy-inline", "pki", "LIM-5", "test_pki_silent_peers.py",
        "L1: the TLS handshake that carries `EROR busy` to a connection above the limit "
        "runs on the accept loop: silent connections above it stall every accept",
        _busy_inline,
    ),
    _m(
        "b15app-commit-waits-puts", "pki", "LIM-5", "test_interop_stalled_payloads.py",
        "L1: group commit: a verified put is stored (and answered DONE) only once no other "
        "put is receiving: one initiator trickling its DATA stalls every other put's DONE",
        _commit_waits_puts,
    ),
    _m(
        "b15app-commit-waits-gets", "pki", "LIM-5", "test_app_put_beside_slow_get.py",
        "L1: one store lock: a put is committed only when no get is being sent: a peer "
        "reading its get slowly stalls every other connection's put DONE",
        _commit_waits_gets,
    ),
    _m(
        "b15pki-close-under-lock", "pki", "LIM-5", "test_pki_silent_peers.py",
        "L1: a connection's closing handshake (close_notify, up to 1 s for the peer's) runs "
        "under the admission lock: peers that never answer it stall every accept",
        _close_under_lock,
    ),
    _m(
        "b15app-eke-get-server-lock", "eke", "LIM-5", "test_limits_responder.py",
        "L1: the EKE server serves a get under its global lock (the one accept and "
        "admission take): a slow reader stalls new connections and other gets",
        _eke_get_server_lock,
    ),
    # lens 2
    _m(
        "b15app-done-replay-acked", "pki", "APP-PUT-5", "test_app_put_sequence.py",
        "L2: a put's DONE equal to the receipt the responder gave the connection's previous "
        "put is taken as a retransmission and acknowledged without verifying the bytes",
        _done_replay_acked,
    ),
    _m(
        "b15pki-own-alias-trusted", "pki", "PKI-ID-3", "test_pki_identity.py",
        "L2: a client certificate whose alias is the responder's own skips the allow list "
        "(a connection from itself)",
        _own_alias_trusted,
    ),
    _m(
        "b15app-rqfl-raw-name", "pki", "FRM-9", "test_framing.py",
        "L2: an RQFL whose payload is not JSON is read as the raw UTF-8 name (the sft-pki/0 "
        "request without its RSA layer) instead of bad_frame",
        _rqfl_raw_name,
    ),
    # lens 3
    _m(
        "b15app-eror-code-zero-ok", "pki", "ERR-4", "test_framing.py",
        "L3: an EROR of code 0 from the initiator means 'no error' and is skipped: the "
        "responder goes on serving the connection",
        _eror_code_zero_ok,
    ),
    _m(
        "b15app-stray-control-midput", "pki", "FRM-6", "test_app_put.py",
        "L3: during a put only DATA, DONE and EROR are looked at: an RSFL, RQFL or PUTF is "
        "skipped instead of unexpected_frame",
        _stray_control_midput,
    ),
    _m(
        "b15app-name-array-joined", "pki", "FRM-9", "test_framing.py",
        "L3: a `name` that is a JSON array of strings is taken as its components joined "
        "with '/' instead of bad_frame",
        _name_array_joined,
    ),
    # lens 4
    _m(
        "b15pki-ku-ec-only", "pki", "PKI-CERT-9", "test_pki_rsa_employees.py",
        "L4: KeyUsage digitalSignature is required of EC keys only: an RSA client "
        "certificate whose KeyUsage lacks it (keyAgreement) is accepted",
        _ku_ec_only,
    ),
    _m(
        "b15pki-ca-true-pathlen-zero", "pki", "PKI-CERT-6", "test_pki_certs.py",
        "L4: CA:TRUE is refused unless its pathlen is 0 (read as 'cannot issue'): a CA:TRUE "
        "pathlen 0 client certificate is accepted",
        _ca_true_pathlen_zero,
    ),
    _m(
        "b15app-done-or-putf-sha", "pki", "APP-PUT-5", "test_app_put.py",
        "L4: `size ok and sha ok or sha == PUTF.sha256`: a DONE repeating the PUTF's sha256 "
        "is accepted whatever bytes and how many came",
        _done_or_putf_sha,
    ),
    _m(
        "b15app-empty-component", "eke", "APP-NAME-2", "test_app_names.py",
        "L4: the component check refuses `.` and `..` but not the empty component: "
        "`a//b` and `x/` are not forbidden",
        _empty_component,
    ),
    # lens 5
    _m(
        "b15app-put-prealloc", "pki", "APP-PUT-7", "test_app_put.py",
        "L5: a receive buffer of PUTF.size is mapped before the size limit is checked: a "
        "PUTF of a size the kernel will not map ends the connection, not `too_large`",
        _put_prealloc,
    ),
    _m(
        "b15app-failed-put-quarantined", "eke", "APP-STORE-3", "test_app_failed_put_traces.py",
        "L5: the temporary of a failed put is renamed aside (`.NAME.HEX.failed`) for the "
        "operator instead of removed: the inbox grows with every failed put",
        _failed_put_quarantined,
    ),
    _m(
        "b15app-integrity-dumps-data", "pki", "ERR-5", "test_error_disclosure.py",
        "L5: the integrity_failed message quotes the first 32 bytes received (file content)",
        _integrity_dumps_data,
    ),
    # lens 6
    _m(
        "b15app-first-putf-owns-name", "pki", "APP-PUT-8", "test_app_put.py",
        "L6: the first PUTF of a name owns it: a later concurrent put verified first is "
        "refused `exists` although nothing was stored",
        _first_putf_owns_name,
    ),
    _m(
        "b15app-temp-name-per-second", "pki", "APP-STORE-1", "test_app_put_concurrent.py",
        "L6: the temporary is named after the clock's second and opened O_TRUNC without "
        "O_EXCL: two puts (of any names) within one second write into one file",
        _temp_name_per_second,
    ),
    _m(
        "b15pki-cap-counts-established", "pki", "LIM-4", "test_pki_handshake_burst.py",
        "L6: the connection cap compares the established connections only: a burst of "
        "concurrent handshakes all pass it and all are served",
        _cap_counts_established,
    ),
    _m(
        "b15app-winner-sweeps-temps", "eke", "APP-PUT-8", "test_app_put_race_loser.py",
        "L6: a stored put removes the other temporaries of its name: the racing loser's "
        "DONE fails `internal` (its temporary is gone) instead of `exists`",
        _winner_sweeps_temps,
    ),
)
