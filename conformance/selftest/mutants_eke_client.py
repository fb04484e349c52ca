"""Mutants of the sft-eke/1 client (run through --client-cmd).

Each is a plausible implementer's bug, planted by monkeypatching the reference inside the
mutant's own subprocess (see conformance/selftest/mutants.py); the suite must FAIL the
named requirement. The client shares the application core, the record layer and the
storage code with the servers, but a client mutant only ever runs as the client.
"""

from __future__ import annotations

import io
import os
import random
from typing import Any

from conformance.selftest.mutant import Mutant, _module

__all__ = ["MUTANTS"]

_TRANSFER = "test_eke_client_transfer.py"
_HANDSHAKE = "test_eke_client.py"


# ---------------------------------------------------------------- checks at DONE [APP-GET-3]


def _integrity_error(message: str) -> Exception:
    errors = _module("reference.errors")
    error: Exception = errors.RemoteProtocolError(errors.ErrorCode.INTEGRITY_FAILED, message)
    return error


def _skips_size_check() -> None:
    app = _module("reference.app")

    def check_done(self: Any, done: Any) -> None:  # "the hash covers the size anyway"
        sha = self.digest.hexdigest()
        if done.sha256 != sha:
            raise _integrity_error("SHA-256 mismatch")
        if self.expected_sha256 is not None and self.expected_sha256 != sha:
            raise _integrity_error("SHA-256 differs from the one announced")

    app._Transfer.check_done = check_done


def _skips_done_hash_check() -> None:
    app = _module("reference.app")

    def check_done(self: Any, done: Any) -> None:  # only RSFL's optional digest is compared
        sha = self.digest.hexdigest()
        if not done.size == self.announced == self.count:
            raise _integrity_error("size mismatch")
        if self.expected_sha256 is not None and self.expected_sha256 != sha:
            raise _integrity_error("SHA-256 differs from the one announced")

    app._Transfer.check_done = check_done


def _ignores_rsfl_sha256() -> None:
    app = _module("reference.app")

    def check_done(self: Any, done: Any) -> None:  # RSFL.sha256 is "only a hint"
        if not (
            done.size == self.announced == self.count and done.sha256 == self.digest.hexdigest()
        ):
            raise _integrity_error("size or SHA-256 mismatch")

    app._Transfer.check_done = check_done


def _trusts_done_over_rsfl() -> None:
    app = _module("reference.app")

    def check_done(self: Any, done: Any) -> None:  # DONE is the last word; RSFL.size ignored
        if not (done.size == self.count and done.sha256 == self.digest.hexdigest()):
            raise _integrity_error("size or SHA-256 mismatch")

    app._Transfer.check_done = check_done


class _NeverExceeded(int):
    """An announced size that `count + length > announced` never exceeds (the reflected
    `__lt__` of an int subclass is tried first); `==` is unchanged."""

    def __lt__(self, other: object) -> bool:
        return False


def _counts_only_at_done() -> None:
    app = _module("reference.app")
    share = _module("reference.share")
    transfer_init = app._Transfer.__init__

    def init(self: Any, announced: int, expected_sha256: Any, digest_factory: Any) -> None:
        transfer_init(self, _NeverExceeded(announced), expected_sha256, digest_factory)

    app._Transfer.__init__ = init
    create = share.PartialFile.create.__func__

    def create_unbounded(cls: Any, destination: Any, limit: int) -> Any:
        return create(cls, destination, 2**62)  # "the count is checked at DONE"

    share.PartialFile.create = classmethod(create_unbounded)


# ---------------------------------------------------------------- truncation [APP-GET-5]


def _eof_is_end_of_file(*, only_when_complete: bool) -> None:
    client = _module("reference.eke.client")
    messages = _module("reference.messages")
    share = _module("reference.share")

    def _receive(
        self: Any, stream: Any, answer: Any, destination: Any, overwrite: bool, progress: Any
    ) -> Any:
        with share.PartialFile.create(destination, answer.size) as partial:
            received = 0
            while True:
                try:
                    event = self._next(stream)
                except client.TransferFailed as exc:
                    text = str(exc)
                    ended = text.startswith(("connection broken", "the server closed"))
                    if ended and (received == answer.size or not only_when_complete):
                        partial.commit(overwrite=overwrite)  # "the close ends the file"
                        return messages.Done(received, "0" * 64)
                    raise
                if isinstance(event, messages.Data):
                    partial.write(event.data)
                    received += len(event.data)
                elif isinstance(event, messages.Done):
                    partial.commit(overwrite=overwrite)
                    return event
                else:
                    raise client.TransferFailed("unexpected frame during a get")

    client.EkeClient._receive = _receive


# ---------------------------------------------------------------- storage [APP-GET-6, APP-STORE-*]


def _writes_final_name_directly() -> None:
    share = _module("reference.share")

    def init(
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
        self._tracked = None  # no exit sweep of the final name either
        self.temp_name = final_name  # "no need for a temporary name: abort() deletes it"
        fd = os.open(
            final_name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600, dir_fd=dir_fd
        )
        self._file = io.FileIO(fd, "wb", closefd=True)
        self._done = False

    def commit(self: Any, *, overwrite: bool = False) -> None:
        os.fsync(self._file.fileno())
        self._file.close()
        self._file = None
        self._done = True
        self._release_dir()

    share.PartialFile.__init__ = init
    share.PartialFile.commit = commit


def _keeps_temp_on_failure() -> None:
    share = _module("reference.share")

    def abort(self: Any) -> None:  # closes, but the partial file stays ("for a resume")
        if self._file is not None:
            self._file.close()
            self._file = None
        self._done = True
        self._release_dir()

    share.PartialFile.abort = abort


def _temp_file_world_readable() -> None:
    share = _module("reference.share")
    original = share.PartialFile.__init__

    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        os.chmod(self.temp_name, 0o644, dir_fd=self._dir_fd)  # "like every other download"

    share.PartialFile.__init__ = init


def _overwrites_existing_output() -> None:
    client = _module("reference.eke.client")
    original = client.EkeClient.get

    def get(
        self: Any, name: str, destination: Any, *, overwrite: bool = False, progress: Any = None
    ) -> Any:
        return original(self, name, destination, overwrite=True, progress=progress)

    client.EkeClient.get = get


def _replaces_on_commit() -> None:
    share = _module("reference.share")
    original = share.PartialFile.commit

    def commit(self: Any, *, overwrite: bool = False) -> None:
        original(self, overwrite=True)  # os.replace "is atomic"; the name was free at start

    share.PartialFile.commit = commit


# ---------------------------------------------------------------- records [EKE-REC-4]


def _tolerates_replay() -> None:
    crypto = _module("reference.eke.crypto")
    errors = _module("reference.errors")
    original = crypto.RecordOpener.open

    def open_(self: Any, header: Any, sealed: Any) -> Any:
        try:
            return original(self, header, sealed)
        except errors.AuthenticationFailed:
            if self.sequence == 0:
                raise
            self.sequence -= 1  # "a retransmitted record": opens a replay
            return original(self, header, sealed)

    crypto.RecordOpener.open = open_


def _resyncs_after_a_lost_record() -> None:
    crypto = _module("reference.eke.crypto")
    errors = _module("reference.errors")
    original = crypto.RecordOpener.open

    def open_(self: Any, header: Any, sealed: Any) -> Any:
        try:
            return original(self, header, sealed)
        except errors.AuthenticationFailed:
            self.sequence += 1  # "a record was lost: skip its number"
            return original(self, header, sealed)

    crypto.RecordOpener.open = open_


def _tag_checked_on_first_record_only() -> None:
    crypto = _module("reference.eke.crypto")
    ciphers = _module("cryptography.hazmat.primitives.ciphers")
    algorithms = _module("cryptography.hazmat.primitives.ciphers.algorithms")
    modes = _module("cryptography.hazmat.primitives.ciphers.modes")
    original_init = crypto.RecordOpener.__init__
    original_open = crypto.RecordOpener.open

    def init(self: Any, key: bytes, iv: bytes, *args: Any, **kwargs: Any) -> None:
        original_init(self, key, iv, *args, **kwargs)
        self.mutant_key = key

    def open_(self: Any, header: Any, sealed: Any) -> Any:
        if self.sequence == 0:  # "the first record proves the key; then just decrypt"
            return original_open(self, header, sealed)
        seq = self.sequence
        nonce = (self._iv ^ seq).to_bytes(12, "big")
        # GCM's keystream is CTR from the counter block nonce ‖ 2: decrypt, skip the tag.
        cipher = ciphers.Cipher(algorithms.AES(self.mutant_key), modes.CTR(nonce + b"\0\0\0\2"))
        decryptor = cipher.decryptor()
        plain = decryptor.update(bytes(sealed[:-16])) + decryptor.finalize()
        out = memoryview(self._plains[self._turn ^ 1])[: len(plain)]
        out[:] = plain
        self._turn ^= 1
        self.sequence = seq + 1
        return out

    crypto.RecordOpener.__init__ = init
    crypto.RecordOpener.open = open_


# ---------------------------------------------------------------- frames [FRM-*]


def _skips_unknown_frames() -> None:
    app = _module("reference.app")
    original = app.ApplicationConnection._next_event

    def next_event(self: Any) -> Any:  # "be liberal in what you accept"
        buf = self._buffer
        for _ in range(64):
            if self._header is not None or self._payload_left or len(buf) < 8:
                break
            if bytes(buf[:4]) in app._KNOWN_TYPES:
                break
            length = int.from_bytes(buf[4:8], "big")
            if len(buf) < 8 + length:
                break
            del buf[: 8 + length]
        return original(self)

    app.ApplicationConnection._next_event = next_event


def _no_record_length_limit() -> None:
    records = _module("reference.eke.records")
    frames = _module("reference.frames")
    errors = _module("reference.errors")

    def parse_header(self: Any) -> None:  # the limit is only the buffer's size, silently
        frame_type, length = frames.parse_header(self._view[: frames.HEADER_SIZE], 2**32 - 1)
        if frame_type != records.RECORD_TYPE:
            raise errors.RemoteProtocolError(errors.ErrorCode.UNEXPECTED_FRAME, "plaintext")
        self._length = length

    records.RecordReader._parse_header = parse_header


def _every_error_is_internal() -> None:
    transport = _module("reference.eke.transport")
    messages = _module("reference.messages")
    errors = _module("reference.errors")
    original = transport.SecureStream.send

    def send(self: Any, message: Any) -> None:
        if isinstance(message, messages.ErrorFrame):
            # "the peer does not need to know why": every error goes out as internal
            message = messages.ErrorFrame(errors.ErrorCode.INTERNAL, message.message)
        original(self, message)

    transport.SecureStream.send = send


# ---------------------------------------------------------------- handshake [EKE-HS-*, EKE-X-3]


def _eke4_prefix_compare() -> None:
    handshake = _module("reference.eke.handshake")
    crypto = _module("reference.eke.crypto")
    errors = _module("reference.errors")

    def on_eke4(self: Any, obj: dict[str, Any]) -> Any:
        try:
            na = crypto.open_confirm(self._keys.kcs, 4, bytes.fromhex(obj["c"]), self._th)
        except errors.AuthenticationFailed:
            raise handshake.ServerNotAuthenticated() from None
        if na[:16] != self._na[:16]:  # "16 bytes are plenty"
            raise handshake.ServerNotAuthenticated()
        return handshake.Established(self.user, self._keys)

    handshake.ClientHandshake._on_eke4 = on_eke4


def _eke4_tag_only() -> None:
    handshake = _module("reference.eke.handshake")
    crypto = _module("reference.eke.crypto")
    errors = _module("reference.errors")

    def on_eke4(self: Any, obj: dict[str, Any]) -> Any:  # "the tag verified: it knows Kcs"
        try:
            crypto.open_confirm(self._keys.kcs, 4, bytes.fromhex(obj["c"]), self._th)
        except errors.AuthenticationFailed:
            raise handshake.ServerNotAuthenticated() from None
        return handshake.Established(self.user, self._keys)

    handshake.ClientHandshake._on_eke4 = on_eke4


def _element_reduced_before_range_check() -> None:
    crypto = _module("reference.eke.crypto")
    errors = _module("reference.errors")
    p = int(crypto.P)

    def pm_decode(encoded: bytes) -> int:  # "normalise mod p first": p+2 becomes 2
        if len(encoded) != crypto.ELEMENT_LEN:
            raise errors.AuthenticationFailed()
        value = int.from_bytes(encoded, "big") % p
        if value in (0, 1, p - 1):
            raise errors.AuthenticationFailed()
        return value if crypto.jacobi(value, p) == 1 else p - value

    crypto.pm_decode = pm_decode


def _range_check_off_by_one() -> None:
    crypto = _module("reference.eke.crypto")
    errors = _module("reference.errors")
    p = int(crypto.P)

    def pm_decode(encoded: bytes) -> int:
        if len(encoded) != crypto.ELEMENT_LEN:
            raise errors.AuthenticationFailed()
        value = int.from_bytes(encoded, "big")
        if value in (0, 1, p - 1) or value > p:  # off by one: X' = p passes
            raise errors.AuthenticationFailed()
        return value if crypto.jacobi(value, p) == 1 else p - value

    def shared_secret(ours: Any, peer_element: int) -> bytes:  # no degenerate-Z check
        return int(pow(peer_element, ours.exponent, p)).to_bytes(crypto.ELEMENT_LEN, "big")

    crypto.pm_decode = pm_decode
    crypto.shared_secret = shared_secret


def _seeded_randomness() -> None:
    crypto = _module("reference.eke.crypto")
    generator = random.Random(20261123)  # "reproducible runs help debugging"
    crypto.new_ephemeral = lambda: crypto._ephemeral_from_parts(
        exponent=generator.getrandbits(crypto.EXPONENT_BITS) | (1 << (crypto.EXPONENT_BITS - 1))
    )
    crypto.new_nonce = lambda: generator.randbytes(crypto.NONCE_LEN)
    crypto.hide_element = lambda pw, element: crypto._hide_element_from_parts(
        pw, element, sign_bit=generator.getrandbits(1)
    )


def _password_in_error_message() -> None:
    crypto = _module("reference.eke.crypto")
    handshake = _module("reference.eke.handshake")
    errors = _module("reference.errors")
    derive = crypto.password_key
    typed: list[str] = []

    def password_key(user: str, password: str | bytes) -> bytes:
        typed.append(password if isinstance(password, str) else password.decode("utf-8"))
        result: bytes = derive(user, password)
        return result

    def public_message(exc: Any) -> str:  # "helpful": says which password was refused
        if exc.code is errors.ErrorCode.AUTH_FAILED and typed:
            return f"authentication failed (password {typed[-1]!r})"
        return str(exc.message)

    crypto.password_key = password_key
    handshake._public_message = public_message


def _rejects_unknown_members() -> None:
    frames = _module("reference.frames")
    errors = _module("reference.errors")
    original = frames.check_schema

    def check_schema(frame_type: bytes, obj: Any, schema: Any) -> None:  # "strict is safe"
        unknown = set(obj) - set(schema)
        if unknown:
            raise errors.RemoteProtocolError(
                errors.ErrorCode.BAD_FRAME, f"unknown members {sorted(unknown)}"
            )
        original(frame_type, obj, schema)

    for name in ("reference.eke.handshake", "reference.messages"):
        module = _module(name)
        module.check_schema = check_schema


def _normalises_password() -> None:
    cli = _module("reference.cli.eke")
    unicodedata = _module("unicodedata")
    original = cli._read_password

    def read_password(args: Any, *, confirm: bool = False) -> str:
        # "tidy what the user typed": surrounding blanks go, accents are composed
        password: str = original(args, confirm=confirm)
        return str(unicodedata.normalize("NFC", password.strip()))

    cli._read_password = read_password


def _no_handshake_schema() -> None:
    handshake = _module("reference.eke.handshake")
    original = handshake.check_schema

    def check_schema(frame_type: bytes, obj: Any, schema: Any) -> None:
        if frame_type != handshake.T_EKE2:  # "EKE2's handler reads its members itself"
            original(frame_type, obj, schema)

    handshake.check_schema = check_schema


def _no_random_sign() -> None:
    crypto = _module("reference.eke.crypto")
    # "X' = X always: the ± step looked redundant."
    crypto.hide_element = lambda pw, element: crypto._hide_element_from_parts(
        pw, element, sign_bit=0
    )


def _no_control_payload_limit() -> None:
    app = _module("reference.app")
    frames = _module("reference.frames")
    errors = _module("reference.errors")

    def check_header(frame_type: bytes, length: int) -> tuple[bytes, int]:
        # Only the record limit bounds a control frame ("JSON is small anyway").
        if frame_type not in app._KNOWN_TYPES:
            raise errors.RemoteProtocolError(errors.ErrorCode.UNEXPECTED_FRAME, "unknown type")
        if frame_type == app.T_DATA and not 1 <= length <= frames.MAX_DATA_PAYLOAD:
            raise errors.RemoteProtocolError(errors.ErrorCode.BAD_FRAME, "DATA length")
        return frame_type, length

    app.ApplicationConnection._check_header = staticmethod(check_header)
    frames.MAX_CONTROL_PAYLOAD = 2**31  # and the JSON decoder's own check goes with it


def _creates_output_early() -> None:
    client = _module("reference.eke.client")
    share = _module("reference.share")
    original_get = client.EkeClient.get
    original_commit = share.PartialFile.commit

    def get(
        self: Any, name: str, destination: Any, *, overwrite: bool = False, progress: Any = None
    ) -> Any:
        if destination.exists() and not overwrite:
            raise client.TransferFailed(f"{destination} exists")
        destination.touch()  # "reserve the name" before asking for the file
        return original_get(self, name, destination, overwrite=True, progress=progress)

    def commit(self: Any, *, overwrite: bool = False) -> None:
        original_commit(self, overwrite=True)

    client.EkeClient.get = get
    share.PartialFile.commit = commit


def _m(
    name: str,
    requirement: str,
    test_file: str,
    description: str,
    apply: Any,
    *,
    default: bool = False,
) -> Mutant:
    return Mutant(
        f"eke-cli-{name}",
        "eke-client",
        "eke",
        requirement,
        test_file,
        description,
        apply,
        default=default,
        client=True,
    )


MUTANTS: tuple[Mutant, ...] = (
    _m(
        "creates-output-early",
        "APP-GET-6",
        _TRANSFER,
        "the output name is created (empty) before the request and left when the get fails",
        _creates_output_early,
    ),
    _m(
        "no-control-payload-limit",
        "FRM-8",
        _TRANSFER,
        "a control frame above 64 KiB inside a record is accepted",
        _no_control_payload_limit,
    ),
    _m(
        "no-random-sign",
        "EKE-X-2",
        _TRANSFER,
        "the client always sends X' = X (no random sign): a passive partition attack",
        _no_random_sign,
    ),
    _m(
        "no-eke2-schema",
        "FRM-9",
        _HANDSHAKE,
        "EKE2 is not checked against its schema (a missing member is a crash, not bad_frame)",
        _no_handshake_schema,
    ),
    _m(
        "rejects-unknown-members",
        "FRM-10",
        _HANDSHAKE,
        "a control object with a member the schema does not define is refused",
        _rejects_unknown_members,
    ),
    _m(
        "normalises-password",
        "EKE-PW-1",
        _HANDSHAKE,
        "the password is stripped and NFC-normalised before scrypt",
        _normalises_password,
    ),
    _m(
        "skips-size-check",
        "APP-GET-3",
        _TRANSFER,
        "at DONE the client compares the SHA-256 but not the sizes",
        _skips_size_check,
        default=True,
    ),
    _m(
        "skips-done-hash-check",
        "APP-GET-3",
        _TRANSFER,
        "at DONE the client compares sizes and RSFL's optional digest, not DONE.sha256",
        _skips_done_hash_check,
    ),
    _m(
        "ignores-rsfl-sha256",
        "APP-GET-3",
        _TRANSFER,
        "RSFL.sha256 is never compared with the data",
        _ignores_rsfl_sha256,
    ),
    _m(
        "trusts-done-over-rsfl",
        "APP-GET-3",
        _TRANSFER,
        "DONE's size is compared with the bytes received, RSFL's size is not",
        _trusts_done_over_rsfl,
    ),
    _m(
        "counts-only-at-done",
        "APP-GET-4",
        _TRANSFER,
        "DATA beyond the announced size is written and only noticed at DONE",
        _counts_only_at_done,
    ),
    _m(
        "eof-is-end-of-file",
        "APP-GET-5",
        _TRANSFER,
        "a close during a get ends the file (what was received is kept)",
        lambda: _eof_is_end_of_file(only_when_complete=False),
    ),
    _m(
        "eof-after-all-bytes-ok",
        "APP-GET-5",
        _TRANSFER,
        "a close after all announced bytes is taken as success without DONE",
        lambda: _eof_is_end_of_file(only_when_complete=True),
    ),
    _m(
        "writes-final-name-directly",
        "APP-GET-6",
        _TRANSFER,
        "the get is written under the final name from the start (deleted on failure)",
        _writes_final_name_directly,
    ),
    _m(
        "keeps-temp-on-failure",
        "APP-STORE-3",
        _TRANSFER,
        "a failed get leaves its temporary file behind",
        _keeps_temp_on_failure,
    ),
    _m(
        "temp-file-world-readable",
        "APP-STORE-1",
        _TRANSFER,
        "the temporary file is created with mode 0644",
        _temp_file_world_readable,
    ),
    _m(
        "overwrites-existing-output",
        "APP-GET-6",
        _TRANSFER,
        "an existing output file is replaced without being asked",
        _overwrites_existing_output,
    ),
    _m(
        "replaces-on-commit",
        "APP-STORE-2",
        _TRANSFER,
        "the final rename replaces a file that appeared during the get",
        _replaces_on_commit,
    ),
    _m(
        "tolerates-replay",
        "EKE-REC-4",
        _TRANSFER,
        "a record that fails is retried with the previous sequence number",
        _tolerates_replay,
        default=True,
    ),
    _m(
        "resyncs-after-a-lost-record",
        "EKE-REC-4",
        _TRANSFER,
        "a record that fails is retried with the next sequence number",
        _resyncs_after_a_lost_record,
    ),
    _m(
        "tag-checked-on-first-record-only",
        "EKE-REC-4",
        _TRANSFER,
        "after the first record, records are decrypted without checking their tag",
        _tag_checked_on_first_record_only,
    ),
    _m(
        "skips-unknown-frames",
        "FRM-5",
        _TRANSFER,
        "an inner frame of unknown type is skipped silently",
        _skips_unknown_frames,
    ),
    _m(
        "no-record-length-limit",
        "FRM-3",
        _TRANSFER,
        "a record header announcing 4 GiB is not refused (the client waits for it)",
        _no_record_length_limit,
    ),
    _m(
        "every-error-is-internal",
        "FRM-2",
        _TRANSFER,
        "every protocol error the client reports is sent as `internal`",
        _every_error_is_internal,
    ),
    _m(
        "eke4-prefix-compare",
        "EKE-HS-7",
        _HANDSHAKE,
        "EKE4's Na is compared on its first 16 bytes only",
        _eke4_prefix_compare,
    ),
    _m(
        "eke4-tag-only",
        "EKE-HS-7",
        _HANDSHAKE,
        "EKE4 must authenticate under Kcs, but its plaintext is not compared with Na",
        _eke4_tag_only,
    ),
    _m(
        "element-reduced-before-range-check",
        "EKE-X-3",
        _HANDSHAKE,
        "Y' is reduced mod p before the range check (p + 2 is taken as 2)",
        _element_reduced_before_range_check,
    ),
    _m(
        "range-check-off-by-one",
        "EKE-X-3",
        _HANDSHAKE,
        "Y' = p passes the range check and Z = 0 is not refused",
        _range_check_off_by_one,
    ),
    _m(
        "seeded-randomness",
        "EKE-HS-10",
        _HANDSHAKE,
        "x, the sign bit and Na come from a PRNG with a fixed seed",
        _seeded_randomness,
    ),
    _m(
        "password-in-error-message",
        "EKE-PW-3",
        _HANDSHAKE,
        "the client's EROR auth_failed quotes the password it tried",
        _password_in_error_message,
    ),
)
