"""Blind red-team round 10 (client): the eke client, the pki initiator, their CLIs.

Written blind (docs/SPEC.md and the reference's client code only), through the five
lenses of round 10. Every mutant is the reference's CLIENT (`client=True`): the suite's
server stays honest or hostile, the initiator under test is the mutated reference.

Lens 1 — misreadings of the SPEC:
  b10cli-ctl-limit-exclusive   "at most 65 536" read as "< 65 536" for control payloads (FRM-8)
  b10cli-c2-fail-bad-frame     a C2 that does not open answered `bad_frame` (EKE-HS-4)
  b10cli-integrity-code-internal  a digest mismatch answered `internal` (APP-GET-3, pki)
  b10cli-unknown-code-nonfatal an unknown EROR code read as `unsupported` (ERR-4)
  b10cli-busy-jitter-symmetric the busy jitter 0.5-1.5 x retry_after (EKE-THR-7)
  b10cli-seq-counts-handshake  the client's records start at seq 2 (EKE1, EKE3 counted) (EKE-REC-2)
  b10cli-pwf-lone-cr           a lone CR at the end of a password file taken as a line end (PWF-1)
Lens 2 — lazy or stubbed features:
  b10cli-rsfl-sha-ignored      RSFL.sha256 parsed, never compared (APP-GET-3)
  b10cli-excess-at-done        more DATA than announced noticed only at DONE (APP-GET-4)
  b10cli-busy-wait-first-only  retry_after honoured on the first busy only, then 1 s (EKE-THR-7)
  b10cli-put-exists-ok         a put refused `exists` reported as success (APP-PUT-10)
  b10cli-replace-on-commit     existence checked before connecting, the commit replaces (APP-GET-6)
  b10cli-nested-dup-keys       duplicate keys checked at the top level only (FRM-9)
  b10cli-ku-unchecked          the initiator leaves KeyUsage to OpenSSL (PKI-CERT-9)
  b10cli-sweep-cwd             stale temporaries swept in the working directory, not the
                               output directory (APP-STORE-3)
Lens 3 — state across sessions, connections, transfers:
  b10cli-na-per-process        Na drawn once per process: the busy retry reuses it (EKE-HS-10)
  b10cli-x-per-process         x drawn once per process: the busy retry reuses it (EKE-HS-10)
  b10cli-shared-seq-counter    one sequence counter for both directions (EKE-REC-2)
  b10cli-fixed-temp-name       the temporary named after the final name: a killed run's leftover
                               makes the next get of that name fail (APP-STORE-1, pki)
Lens 4 — over-eager hardening:
  b10cli-nonresidue-refused    a Y' that is not a residue refused, not mapped to p - Y' (EKE-X-3)
  b10cli-strict-members        unknown members of RSFL/DONE/EROR refused (FRM-10)
  b10cli-hs-strict-members     unknown members of EKE2/EKE4 refused (FRM-10)
  b10cli-canonical-json        only the compact JSON form accepted (VEC-2, pki)
  b10cli-pwf-refuse-spaces     a password with leading/trailing white space refused (PWF-1)
  b10cli-data-control-limit    the 64 KiB control limit applied to DATA frames too (FRM-13, pki)
Lens 5 — layer seams:
  b10cli-finally-commit        the temporary renamed on every exit of the get (APP-GET-3)
  b10cli-clear-eror-after-record  a record that fails answered by a clear EROR (EKE-REC-4)
  b10cli-empty-record-skipped  a record with an empty plaintext skipped as a keep-alive (EKE-REC-1)
  b10cli-eror-quotes-content   the integrity EROR quotes the last bytes received (ERR-5)
  b10cli-eror-for-done-ok      an EROR in place of the put's DONE caught and taken as done
                               (APP-PUT-10)
  b10cli-no-close-notify-on-error  a failed get closes TCP without close_notify (PKI-TLS-7)
  b10cli-schema-error-as-auth  a malformed EKE2 answered auth_failed (FRM-9)

Written and dropped (34 written, 32 kept):
  b10cli-eku-wrong-side (the initiator checks the responder's EKU for clientAuth, PKI-CERT-5):
    equivalent in the reference: OpenSSL's own purpose check (Python's client context
    verifies for the TLS-server purpose) refuses a responder certificate without
    serverAuth before the reference's own check runs, so the planted bug cannot show.
  b10cli-c1-on-bytes (the C1 rule of APP-NAME-8 applied to UTF-8 bytes, so the initiator
    refuses to request `€.txt`): APP-NAME-8 binds receivers of names; no MUST obliges an
    initiator to send a given name, so no case may judge it.
"""

from __future__ import annotations

import json
from typing import Any

from conformance.selftest.mutant import Mutant, _module
from conformance.selftest.mutants_app import _patch_source

__all__ = ["MUTANTS"]


def _errors() -> Any:
    return _module("reference.errors")


# ---------------------------------------------------------------- lens 1: misreadings


def _ctl_limit_exclusive() -> None:
    # "a control payload of at most 65 536 bytes": `length >= LIMIT` refused.
    _module("reference.app").MAX_CONTROL_PAYLOAD = 65535
    _module("reference.frames").MAX_CONTROL_PAYLOAD = 65535


def _c2_fail_bad_frame() -> None:
    hs = _module("reference.eke.handshake")
    errors = _errors()
    original = hs.ClientHandshake._on_eke2

    def on_eke2(self: Any, obj: dict[str, Any]) -> Any:
        try:
            return original(self, obj)
        except errors.AuthenticationFailed:
            # "C2 is not a valid ciphertext: the frame is malformed"
            raise errors.RemoteProtocolError(
                errors.ErrorCode.BAD_FRAME, "EKE2: c does not decrypt"
            ) from None

    hs.ClientHandshake._on_eke2 = on_eke2


def _integrity_code_internal() -> None:
    transfer = _module("reference.transfer")
    errors = _errors()
    original = transfer.Initiator._guard

    def guard(self: Any, exc: Any) -> Any:
        if exc.code is errors.ErrorCode.INTEGRITY_FAILED:  # "we failed to receive it"
            exc = errors.RemoteProtocolError(errors.ErrorCode.INTERNAL, exc.message)
        return original(self, exc)

    transfer.Initiator._guard = guard


def _unknown_code_nonfatal() -> None:
    errors = _errors()
    code = errors.ErrorCode

    def from_wire(cls: Any, value: int) -> Any:
        try:
            return cls(value)
        except ValueError:  # "a code we do not know: something the server does not support"
            return code.UNSUPPORTED

    code.from_wire = classmethod(from_wire)


def _busy_jitter_symmetric() -> None:
    client = _module("reference.eke.client")
    _patch_source(
        client.EkeClient,
        "connect",
        # A jitter of 0.5-1.5 x retry_after is early half the time; planted at one early
        # draw (0.75 x), so that the self-test does not depend on the dice (it missed one
        # run in four with the real draw over the case's two retries).
        ("(1.0 + secrets.randbelow(501) / 1000)", "0.75"),
    )


def _seq_counts_handshake() -> None:
    records = _module("reference.eke.records")
    original = records.RecordChannel.__init__

    def init(self: Any, keys: Any, *, is_client: bool, **kwargs: Any) -> None:
        original(self, keys, is_client=is_client, **kwargs)
        if is_client:  # "EKE1 and EKE3 were our messages 0 and 1"
            self.sealer.sequence = 2

    records.RecordChannel.__init__ = init


def _pwf_lone_cr() -> None:
    cli = _module("reference.cli.eke")
    options = _module("reference.cli.options")

    def read_password_file(path: Any) -> str:
        try:
            text = path.read_bytes().decode("utf-8")
        except OSError as exc:
            raise options.CommandError(
                f"cannot read the password file: {exc.strerror}", 2
            ) from None
        except UnicodeDecodeError:
            raise options.CommandError("the password file is not UTF-8", 2) from None
        # "LF, CRLF or CR: any line ending goes"
        password: str = text.removesuffix("\n").removesuffix("\r")
        if "\r" in password or "\n" in password:
            raise options.CommandError("the password file holds more than one line", 2)
        return password

    cli._read_password_file = read_password_file


# ---------------------------------------------------------------- lens 2: lazy features


def _rsfl_sha_ignored() -> None:
    app = _module("reference.app")
    _patch_source(
        app.ApplicationConnection,
        "_on_control",
        (
            "elif isinstance(message, FileResponse):\n"
            "        self._incoming = _Transfer(message.size, message.sha256, "
            "self._digest_factory)",
            "elif isinstance(message, FileResponse):\n"
            "        self._incoming = _Transfer(message.size, None, self._digest_factory)",
        ),
    )


def _excess_at_done() -> None:
    app = _module("reference.app")
    share = _module("reference.share")
    _patch_source(
        app.ApplicationConnection,
        "_next_event",
        ("if self._incoming.count + length > self._incoming.announced:", "if False:"),
    )
    _patch_source(
        share.PartialFile, "write", ("if self.written + len(view) > self.limit:", "if False:")
    )


def _busy_wait_first_only() -> None:
    client = _module("reference.eke.client")
    _patch_source(
        client.EkeClient,
        "connect",
        (
            "wait = exc.retry_after if exc.retry_after is not None else 1",
            "wait = (exc.retry_after if exc.retry_after is not None else 1) if tries == 1 else 1",
        ),
    )


def _put_exists_ok() -> None:
    client = _module("reference.eke.client")
    errors = _errors()
    original = client.EkeClient.put

    def put(self: Any, path: Any, *, name: str | None = None, progress: Any = None) -> str:
        try:
            result: str = original(self, path, name=name, progress=progress)
        except client.TransferRefused as exc:
            if exc.code is errors.ErrorCode.EXISTS:  # "it is there already: nothing to do"
                return name or path.name
            raise
        return result

    client.EkeClient.put = put


def _replace_on_commit() -> None:
    share = _module("reference.share")
    original = share.PartialFile.commit

    def commit(self: Any, *, overwrite: bool = False) -> None:
        # The initiator checked the destination before connecting; os.replace is atomic.
        original(self, overwrite=overwrite or self._owns_dir_fd)

    share.PartialFile.commit = commit


def _nested_dup_keys() -> None:
    frames = _module("reference.frames")
    errors = _errors()
    original = frames.loads_control

    def loads_control(payload: Any) -> dict[str, Any]:
        if len(payload) > frames.MAX_CONTROL_PAYLOAD:
            result: dict[str, Any] = original(payload)
            return result
        try:
            text = bytes(payload).decode("utf-8")
            pairs = json.loads(text, object_pairs_hook=lambda p: p)
            if isinstance(pairs, list):
                keys = [k for k, _ in pairs]
                if len(keys) != len(set(keys)):  # only the members the schema reads
                    raise errors.RemoteProtocolError(errors.ErrorCode.BAD_FRAME, "duplicate key")
            value = json.loads(text, parse_constant=frames._reject_constant)
        except UnicodeDecodeError:
            raise errors.RemoteProtocolError(errors.ErrorCode.BAD_FRAME, "not UTF-8") from None
        except (ValueError, RecursionError):
            raise errors.RemoteProtocolError(errors.ErrorCode.BAD_FRAME, "not JSON") from None
        if not isinstance(value, dict):
            raise errors.RemoteProtocolError(errors.ErrorCode.BAD_FRAME, "not an object")
        return value

    frames.loads_control = loads_control
    _module("reference.messages").loads_control = loads_control
    _module("reference.eke.handshake").loads_control = loads_control


def _ku_unchecked() -> None:
    tls = _module("reference.pki.tls")
    _patch_source(
        tls,
        "check_peer_certificate",
        (
            'raise CertificateRefused(f"{alias}\'s certificate has no key usage") from None',
            "pass",
        ),
        ("if not ku.digital_signature:", "if False:"),
    )


def _sweep_cwd() -> None:
    cli = _module("reference.cli.eke")
    transfer = _module("reference.transfer")
    pathlib = _module("pathlib")

    def sweep(directory: Any, *, older_than: float | None = None) -> int:
        removed: int = transfer.remove_stale_partials(pathlib.Path("."), older_than=older_than)
        return removed

    cli.remove_stale_partials = sweep


# ---------------------------------------------------------------- lens 3: state


def _na_per_process() -> None:
    crypto = _module("reference.eke.crypto")
    na = crypto.new_nonce()
    crypto.new_nonce = lambda: na  # "drawn when the client starts"


def _x_per_process() -> None:
    crypto = _module("reference.eke.crypto")
    ephemeral = crypto.new_ephemeral()
    crypto.new_ephemeral = lambda: ephemeral  # "precomputed once: g^x is the slow part"


def _shared_seq_counter() -> None:
    crypto = _module("reference.eke.crypto")
    records = _module("reference.eke.records")

    def get(self: Any) -> int:
        box = self.__dict__.get("_seq_box")
        value: int = box[0] if box is not None else self.__dict__.get("_seq_own", 0)
        return value

    def set_(self: Any, value: int) -> None:
        box = self.__dict__.get("_seq_box")
        if box is not None:
            box[0] = value
        else:
            self.__dict__["_seq_own"] = value

    crypto._RecordCipher.sequence = property(get, set_)
    original = records.RecordChannel.__init__

    def init(self: Any, keys: Any, **kwargs: Any) -> None:
        original(self, keys, **kwargs)
        box = [0]  # "the connection's record counter"
        self.sealer.__dict__["_seq_box"] = box
        self.reader._opener.__dict__["_seq_box"] = box

    records.RecordChannel.__init__ = init


def _fixed_temp_name() -> None:
    share = _module("reference.share")
    original = share.PartialFile.__init__

    def init(self: Any, dir_fd: int, final_name: str, limit: int, **kwargs: Any) -> None:
        token = share.secrets.token_hex
        if kwargs.get("owns_dir_fd"):  # the initiator: "one temporary per destination"
            share.secrets.token_hex = lambda n: final_name.encode().hex()[:200]
        try:
            original(self, dir_fd, final_name, limit, **kwargs)
        finally:
            share.secrets.token_hex = token

    share.PartialFile.__init__ = init


# ---------------------------------------------------------------- lens 4: over-hardening


def _nonresidue_refused() -> None:
    crypto = _module("reference.eke.crypto")
    errors = _errors()
    p = int(crypto.P)

    def pm_decode(encoded: bytes) -> int:
        value = int.from_bytes(encoded, "big")
        if value <= 1 or value >= p - 1 or crypto.jacobi(value, p) != 1:
            raise errors.AuthenticationFailed()  # "only subgroup elements are valid"
        return value

    crypto.pm_decode = pm_decode


def _strict_check_schema(original: Any) -> Any:
    errors = _errors()

    def check_schema(frame_type: bytes, obj: Any, schema: Any) -> None:
        original(frame_type, obj, schema)
        extra = set(obj) - set(schema)
        if extra:
            raise errors.RemoteProtocolError(
                errors.ErrorCode.BAD_FRAME, f"unexpected member {sorted(extra)[0][:32]!r}"
            )

    return check_schema


def _strict_members() -> None:
    messages = _module("reference.messages")
    messages.check_schema = _strict_check_schema(messages.check_schema)


def _hs_strict_members() -> None:
    hs = _module("reference.eke.handshake")
    hs.check_schema = _strict_check_schema(hs.check_schema)


def _canonical_json() -> None:
    messages = _module("reference.messages")
    frames = _module("reference.frames")
    errors = _errors()
    original = messages.loads_control

    def loads_control(payload: Any) -> dict[str, Any]:
        value: dict[str, Any] = original(payload)
        if frames.dumps_control(value) != bytes(payload):  # "one encoding, no ambiguity"
            raise errors.RemoteProtocolError(errors.ErrorCode.BAD_FRAME, "non-canonical JSON")
        return value

    messages.loads_control = loads_control


def _pwf_refuse_spaces() -> None:
    cli = _module("reference.cli.eke")
    options = _module("reference.cli.options")
    original = cli._read_password_file

    def read_password_file(path: Any) -> str:
        password: str = original(path)
        if password != password.strip():  # "a stray space is a copy-paste accident"
            raise options.CommandError("the password begins or ends with white space", 2)
        return password

    cli._read_password_file = read_password_file


def _data_control_limit() -> None:
    app = _module("reference.app")
    errors = _errors()
    original = app.ApplicationConnection._check_header

    def check_header(frame_type: bytes, length: int) -> tuple[bytes, int]:
        if length > app.MAX_CONTROL_PAYLOAD:  # "no frame of ours needs more than 64 KiB"
            raise errors.RemoteProtocolError(
                errors.ErrorCode.FRAME_TOO_LARGE, f"frame of {length} bytes"
            )
        result: tuple[bytes, int] = original(frame_type, length)
        return result

    app.ApplicationConnection._check_header = staticmethod(check_header)


# ---------------------------------------------------------------- lens 5: layer seams


def _finally_commit() -> None:
    share = _module("reference.share")
    original = share.PartialFile.__exit__

    def exit_(self: Any, exc_type: Any, exc: Any, tb: Any) -> None:
        if self._owns_dir_fd and not self._done and self._file is not None:
            self.commit()  # "finally: move it into place"
            return
        original(self, exc_type, exc, tb)

    share.PartialFile.__exit__ = exit_


def _clear_eror_after_record() -> None:
    client = _module("reference.eke.client")
    client.encode_error = _module("reference.eke.handshake").encode_error
    _patch_source(
        client.EkeClient,
        "_next",
        (
            "except (AuthenticationFailed, TruncatedStream):\n        self._abandon()",
            "except (AuthenticationFailed, TruncatedStream) as exc:\n"
            "        if isinstance(exc, AuthenticationFailed) and self._sock is not None:\n"
            "            with contextlib.suppress(OSError):\n"
            "                self._sock.sendall(\n"
            "                    encode_error(ErrorCode.AUTH_FAILED, 'bad record')\n"
            "                )\n"
            "        self._abandon()",
        ),
    )


def _empty_record_skipped() -> None:
    records = _module("reference.eke.records")
    original_split = records._split_inner
    original_next = records.RecordReader.next_frame

    def split_inner(inner: Any) -> Any:
        if len(inner) == 0:  # "an empty record: a keep-alive"
            return None
        return original_split(inner)

    def next_frame(self: Any) -> Any:
        while True:
            frame = original_next(self)
            if frame is not None:
                return frame

    records._split_inner = split_inner
    records.RecordReader.next_frame = next_frame


def _eror_quotes_content() -> None:
    app = _module("reference.app")
    errors = _errors()
    transfer_cls = app._Transfer
    last: dict[int, bytes] = {}
    original_add = transfer_cls.add
    original_check = transfer_cls.check_done

    def add(self: Any, data: Any) -> None:
        original_add(self, data)
        last[id(self)] = bytes(data[-32:])

    def check_done(self: Any, done: Any) -> None:
        try:
            original_check(self, done)
        except errors.RemoteProtocolError as exc:
            tail = last.get(id(self), b"")
            raise errors.RemoteProtocolError(
                exc.code, f"{exc.message} (last bytes received: {tail!r})"
            ) from None

    transfer_cls.add = add
    transfer_cls.check_done = check_done


def _eror_for_done_ok() -> None:
    client = _module("reference.eke.client")
    _patch_source(
        client.EkeClient,
        "put",
        (
            "        done = self._next(stream)\n",
            "        try:\n"
            "            done = self._next(stream)\n"
            "        except ClientError:\n"
            "            return answer.name  # every byte went out\n",
        ),
    )


def _no_close_notify_on_error() -> None:
    client = _module("reference.pki.client")
    socket = _module("socket")
    original_get = client.PkiSession.get

    def get(self: Any, *args: Any, **kwargs: Any) -> int:
        try:
            size: int = original_get(self, *args, **kwargs)
        except client.PkiClientError:
            # "the connection is dead anyway": the raw socket goes, no TLS goodbye
            try:
                self._sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            socket.socket.close(self._sock)
            raise
        return size

    client.PkiSession.get = get


def _schema_error_as_auth() -> None:
    hs = _module("reference.eke.handshake")
    errors = _errors()
    original = hs.check_schema

    def check_schema(frame_type: bytes, obj: Any, schema: Any) -> None:
        try:
            original(frame_type, obj, schema)
        except errors.RemoteProtocolError:
            if frame_type in (hs.T_EKE2, hs.T_EKE4):  # "any bad EKE2 is a wrong password"
                raise errors.AuthenticationFailed() from None
            raise

    hs.check_schema = check_schema


def _m(
    name: str, profile: str, requirement: str, test_file: str, description: str, apply: Any
) -> Mutant:
    return Mutant(
        f"b10cli-{name}",
        "blind10-client",
        profile,
        requirement,
        test_file,
        description,
        apply,
        client=True,
    )


MUTANTS: tuple[Mutant, ...] = (
    # lens 1
    _m(
        "ctl-limit-exclusive",
        "eke",
        "FRM-8",
        "test_client_lies.py",
        "a control payload of exactly 65 536 bytes refused (at most read as less than)",
        _ctl_limit_exclusive,
    ),
    _m(
        "c2-fail-bad-frame",
        "eke",
        "EKE-HS-4",
        "test_eke_client.py",
        "a C2 that does not decrypt answered bad_frame instead of auth_failed",
        _c2_fail_bad_frame,
    ),
    _m(
        "integrity-code-internal",
        "pki",
        "APP-GET-3",
        "test_pki_initiator_transfer.py",
        "a size or digest mismatch answered EROR internal, not integrity_failed",
        _integrity_code_internal,
    ),
    _m(
        "unknown-code-nonfatal",
        "eke",
        "ERR-4",
        "test_eke_client_transfer.py",
        "an EROR with an unknown code read as unsupported (non-fatal): the client stays",
        _unknown_code_nonfatal,
    ),
    _m(
        "busy-jitter-symmetric",
        "eke",
        "EKE-THR-7",
        "test_eke_client_busy_retries.py",
        "the retry after busy jittered over 0.5-1.5 x retry_after (planted at an early draw)",
        _busy_jitter_symmetric,
    ),
    _m(
        "seq-counts-handshake",
        "eke",
        "EKE-REC-2",
        "test_eke_client_keys.py",
        "the client's first record uses sequence number 2 (EKE1, EKE3 counted)",
        _seq_counts_handshake,
    ),
    _m(
        "pwf-lone-cr",
        "eke",
        "PWF-1",
        "test_eke_client_password_file.py",
        "a lone CR at the end of the password file removed as a line ending",
        _pwf_lone_cr,
    ),
    # lens 2
    _m(
        "rsfl-sha-ignored",
        "eke",
        "APP-GET-3",
        "test_eke_client_transfer.py",
        "RSFL.sha256 is parsed but never compared with the data",
        _rsfl_sha_ignored,
    ),
    _m(
        "excess-at-done",
        "eke",
        "APP-GET-4",
        "test_eke_client_transfer.py",
        "more DATA than announced is written and noticed only at DONE",
        _excess_at_done,
    ),
    _m(
        "busy-wait-first-only",
        "eke",
        "EKE-THR-7",
        "test_eke_client_busy_retries.py",
        "retry_after honoured for the first busy only; later retries after 1 s",
        _busy_wait_first_only,
    ),
    _m(
        "put-exists-ok",
        "eke",
        "APP-PUT-10",
        "test_client_put.py",
        "a put refused with exists is reported as success (exit 0)",
        _put_exists_ok,
    ),
    _m(
        "replace-on-commit",
        "eke",
        "APP-GET-6",
        "test_eke_client_transfer.py",
        "the destination checked before connecting, then the commit replaces what is there",
        _replace_on_commit,
    ),
    _m(
        "nested-dup-keys",
        "eke",
        "FRM-9",
        "test_client_lies.py",
        "duplicate JSON keys refused at the top level only, not in nested objects",
        _nested_dup_keys,
    ),
    _m(
        "ku-unchecked",
        "pki",
        "PKI-CERT-9",
        "test_client_pki_certs.py",
        "the initiator does not check the responder's KeyUsage (left to OpenSSL)",
        _ku_unchecked,
    ),
    _m(
        "sweep-cwd",
        "eke",
        "APP-STORE-3",
        "test_eke_client_transfer.py",
        "stale temporaries swept in the working directory instead of the output directory",
        _sweep_cwd,
    ),
    # lens 3
    _m(
        "na-per-process",
        "eke",
        "EKE-HS-10",
        "test_eke_client_busy_retries.py",
        "Na drawn once per process: the handshake retried after busy reuses it",
        _na_per_process,
    ),
    _m(
        "x-per-process",
        "eke",
        "EKE-HS-10",
        "test_eke_client_busy_retries.py",
        "the exponent x drawn once per process: the retried handshake reuses it",
        _x_per_process,
    ),
    _m(
        "shared-seq-counter",
        "eke",
        "EKE-REC-2",
        "test_eke_client_keys.py",
        "one record sequence counter for both directions of the client",
        _shared_seq_counter,
    ),
    _m(
        "fixed-temp-name",
        "pki",
        "APP-STORE-1",
        "test_client_temporaries.py",
        "the get's temporary named after the destination: no random part",
        _fixed_temp_name,
    ),
    # lens 4
    _m(
        "nonresidue-refused",
        "eke",
        "EKE-X-3",
        "test_eke_client_signs.py",
        "a Y' that is not a quadratic residue refused instead of mapped to p - Y'",
        _nonresidue_refused,
    ),
    _m(
        "strict-members",
        "eke",
        "FRM-10",
        "test_eke_client.py",
        "unknown members of RSFL, DONE, EROR refused with bad_frame",
        _strict_members,
    ),
    _m(
        "hs-strict-members",
        "eke",
        "FRM-10",
        "test_eke_client.py",
        "unknown members of EKE2, EKE4 refused with bad_frame",
        _hs_strict_members,
    ),
    _m(
        "canonical-json",
        "pki",
        "VEC-2",
        "test_client_encodings.py",
        "the initiator accepts only the compact JSON encoding of a control payload",
        _canonical_json,
    ),
    _m(
        "pwf-refuse-spaces",
        "eke",
        "PWF-1",
        "test_eke_client_password_file.py",
        "a password with leading or trailing white space is refused",
        _pwf_refuse_spaces,
    ),
    _m(
        "data-control-limit",
        "pki",
        "FRM-13",
        "test_client_lies.py",
        "the 64 KiB control-payload limit applied to DATA frames too",
        _data_control_limit,
    ),
    # lens 5
    _m(
        "finally-commit",
        "eke",
        "APP-GET-3",
        "test_eke_client_transfer.py",
        "the get's temporary renamed to the final name on every exit, failures included",
        _finally_commit,
    ),
    _m(
        "clear-eror-after-record",
        "eke",
        "EKE-REC-4",
        "test_eke_client_transfer.py",
        "a record that fails to authenticate answered by an EROR in clear",
        _clear_eror_after_record,
    ),
    _m(
        "empty-record-skipped",
        "eke",
        "EKE-REC-1",
        "test_eke_client_transfer.py",
        "a record whose plaintext is empty skipped as a keep-alive",
        _empty_record_skipped,
    ),
    _m(
        "eror-quotes-content",
        "eke",
        "ERR-5",
        "test_client_error_content.py",
        "the integrity_failed EROR quotes the last 32 bytes of file content received",
        _eror_quotes_content,
    ),
    _m(
        "eror-for-done-ok",
        "eke",
        "APP-PUT-10",
        "test_client_put.py",
        "an EROR in place of the put's DONE caught and the put reported as stored",
        _eror_for_done_ok,
    ),
    _m(
        "no-close-notify-on-error",
        "pki",
        "PKI-TLS-7",
        "test_pki_initiator_transfer.py",
        "a failed get closes the TCP connection without a TLS close_notify",
        _no_close_notify_on_error,
    ),
    _m(
        "schema-error-as-auth",
        "eke",
        "FRM-9",
        "test_eke_client.py",
        "a malformed EKE2 (wrong member type or length) answered auth_failed",
        _schema_error_as_auth,
    ),
)
