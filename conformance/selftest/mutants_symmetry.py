"""Mutants of the sft-pki/1 INITIATOR's get (the reference's `sft get`, run via --client-cmd).

The eke client's equivalents are in mutants_eke_client.py; these make the same mistakes
in the code the pki initiator runs: reference.transfer's Initiator and _Channel, the
application core's checks (reference.app), the partial file (reference.share) and the
`sft get` command (reference.cli.pki). Every mutant here is planted in the CLIENT's
process only (`client=True`, profile pki): the server the self-test starts stays honest.
Each is a plausible implementer's bug that violates one MUST; the suite must FAIL it in
conformance/test_pki_initiator_transfer.py.
"""

from __future__ import annotations

from typing import Any

from conformance.selftest.mutant import Mutant, _module

# The storage bugs live in code both clients share (reference/share.py, reference/errors.py):
# the same plantings as the eke client's, run here against the pki initiator.
from conformance.selftest.mutants_eke_client import (
    _integrity_error,
    _keeps_temp_on_failure,
    _replaces_on_commit,
    _writes_final_name_directly,
)
from conformance.selftest.mutants_eke_client import (
    _temp_file_world_readable as _temp_umask_mode,
)

__all__ = ["MUTANTS"]

_FILE = "test_pki_initiator_transfer.py"


# ---------------------------------------------------------------- checks at DONE [APP-GET-3]


def _digest_prefix_compare() -> None:
    app = _module("reference.app")

    def check_done(self: Any, done: Any) -> None:  # "16 hex digits are plenty to compare"
        sha = self.digest.hexdigest()
        if not (done.size == self.announced == self.count and done.sha256[:16] == sha[:16]):
            raise _integrity_error("size or SHA-256 mismatch")
        if self.expected_sha256 is not None and self.expected_sha256[:16] != sha[:16]:
            raise _integrity_error("SHA-256 differs from the one announced")

    app._Transfer.check_done = check_done


def _count_not_compared() -> None:
    app = _module("reference.app")

    def check_done(self: Any, done: Any) -> None:  # "the digest covers the bytes received"
        sha = self.digest.hexdigest()
        if not (done.size == self.announced and done.sha256 == sha):
            raise _integrity_error("size or SHA-256 mismatch")
        if self.expected_sha256 is not None and self.expected_sha256 != sha:
            raise _integrity_error("SHA-256 differs from the one announced")

    app._Transfer.check_done = check_done


def _trusts_done_size() -> None:
    app = _module("reference.app")

    def check_done(self: Any, done: Any) -> None:  # DONE is the last word on the size
        sha = self.digest.hexdigest()
        if not (done.size == self.count and done.sha256 == sha):
            raise _integrity_error("size or SHA-256 mismatch")
        if self.expected_sha256 is not None and self.expected_sha256 != sha:
            raise _integrity_error("SHA-256 differs from the one announced")

    app._Transfer.check_done = check_done


def _digests_compared_with_each_other() -> None:
    app = _module("reference.app")

    def check_done(self: Any, done: Any) -> None:
        # "When RSFL announced a digest, DONE must repeat it": the two announcements are
        # compared with each other, and the data only when RSFL gave none.
        sha = self.digest.hexdigest()
        reference_sha = self.expected_sha256 if self.expected_sha256 is not None else sha
        if not (done.size == self.announced == self.count and done.sha256 == reference_sha):
            raise _integrity_error("size or SHA-256 mismatch")

    app._Transfer.check_done = check_done


# ---------------------------------------------------------------- more than announced [APP-GET-4]


class _OneByteSlack(int):
    """An announced size that `count + length > announced` lets one byte beyond (the
    reflected `__lt__` of an int subclass is tried first); `==` is unchanged."""

    def __lt__(self, other: object) -> bool:
        return isinstance(other, int) and int(self) + 1 < other


class _ZeroIsUnknown(int):
    """An announced size of 0 that nothing exceeds ("size 0: the responder did not know")."""

    def __lt__(self, other: object) -> bool:
        return int(self) != 0 and isinstance(other, int) and int(self) < other


def _announced_as(kind: type[int], limit: Any) -> None:
    app = _module("reference.app")
    share = _module("reference.share")
    transfer_init = app._Transfer.__init__

    def init(self: Any, announced: int, expected_sha256: Any, digest_factory: Any) -> None:
        transfer_init(self, kind(announced), expected_sha256, digest_factory)

    app._Transfer.__init__ = init
    create = share.PartialFile.create.__func__

    def create_lax(cls: Any, destination: Any, size: int) -> Any:
        return create(cls, destination, limit(size))

    share.PartialFile.create = classmethod(create_lax)


# ---------------------------------------------------------------- truncation [APP-GET-5]


def _eof_ends_the_file(*, only_when_complete: bool) -> None:
    transfer = _module("reference.transfer")
    errors = _module("reference.errors")
    messages = _module("reference.messages")
    original = transfer._Channel.receive_file

    def receive_file(self: Any, sink: Any, size: int, progress: Any) -> Any:
        try:
            return original(self, sink, size, progress)
        except errors.TruncatedStream:
            # "The responder closed: that is the end of the file."
            if only_when_complete and sink.written != size:
                raise
            return messages.Done(sink.written, "0" * 64)

    transfer._Channel.receive_file = receive_file


# ---------------------------------------------------------------- storage [APP-GET-6, APP-STORE-*]


def _creates_output_early() -> None:
    transfer = _module("reference.transfer")
    share = _module("reference.share")
    original_get = transfer.Initiator.get
    original_commit = share.PartialFile.commit

    def get(
        self: Any, name: str, destination: Any, *, overwrite: bool = False, progress: Any = None
    ) -> Any:
        if destination.exists() and not overwrite:
            raise FileExistsError(f"{destination} exists")
        destination.touch()  # "reserve the name" before asking for the file
        return original_get(self, name, destination, overwrite=True, progress=progress)

    def commit(self: Any, *, overwrite: bool = False) -> None:
        original_commit(self, overwrite=True)

    transfer.Initiator.get = get
    share.PartialFile.commit = commit


def _sigterm_not_handled() -> None:
    cli = _module("reference.cli.pki")
    cli.stop_on_sigterm = lambda: None  # "Ctrl-C cleans up; nobody sends SIGTERM to a CLI"


def _sweeps_every_partial() -> None:
    transfer = _module("reference.transfer")
    original = transfer.remove_stale_partials

    def remove(directory: Any, *, older_than: float | None = None) -> int:
        removed: int = original(directory)  # "ours anyway": the age is not looked at
        return removed

    transfer.remove_stale_partials = remove


def _no_stale_sweep() -> None:
    transfer = _module("reference.transfer")
    transfer.remove_stale_partials = lambda directory, *, older_than=None: 0


# ---------------------------------------------------------------- frames [FRM-*]


def _empty_data_skipped() -> None:
    app = _module("reference.app")
    original = app.ApplicationConnection._check_header

    def check_header(frame_type: bytes, length: int) -> tuple[bytes, int]:
        if frame_type == app.T_DATA and length == 0:  # "nothing to write: harmless"
            return frame_type, length
        result: tuple[bytes, int] = original(frame_type, length)
        return result

    app.ApplicationConnection._check_header = staticmethod(check_header)


def _no_control_payload_limit() -> None:
    app = _module("reference.app")
    frames = _module("reference.frames")
    original = app.ApplicationConnection._check_header

    def check_header(frame_type: bytes, length: int) -> tuple[bytes, int]:
        if frame_type != app.T_DATA:  # "JSON is small anyway": only DATA is bounded
            return original(frame_type, 0)[0], length
        result: tuple[bytes, int] = original(frame_type, length)
        return result

    app.ApplicationConnection._check_header = staticmethod(check_header)
    frames.MAX_CONTROL_PAYLOAD = 2**31  # and the JSON decoder's own check goes with it


def _sha256_any_case() -> None:
    app = _module("reference.app")
    frames = _module("reference.frames")
    re = _module("re")
    frames._SHA256_RE = re.compile(r"[0-9a-fA-F]{64}")  # "hex is hex, whatever the case"

    def check_done(self: Any, done: Any) -> None:
        sha = self.digest.hexdigest()
        if not (done.size == self.announced == self.count and done.sha256.lower() == sha):
            raise _integrity_error("size or SHA-256 mismatch")
        if self.expected_sha256 is not None and self.expected_sha256.lower() != sha:
            raise _integrity_error("SHA-256 differs from the one announced")

    app._Transfer.check_done = check_done


def _bool_is_int() -> None:
    frames = _module("reference.frames")
    original = frames._has_kind

    def has_kind(value: Any, kind: str) -> bool:
        if kind == "int":  # isinstance: True passes as 1
            return isinstance(value, int) and 0 <= value <= frames.MAX_INT
        result: bool = original(value, kind)
        return result

    frames._has_kind = has_kind


def _rejects_unknown_members() -> None:
    frames = _module("reference.frames")
    errors = _module("reference.errors")
    messages = _module("reference.messages")
    original = frames.check_schema

    def check_schema(frame_type: bytes, obj: Any, schema: Any) -> None:  # "strict is safe"
        unknown = set(obj) - set(schema)
        if unknown:
            raise errors.RemoteProtocolError(
                errors.ErrorCode.BAD_FRAME, f"unknown members {sorted(unknown)}"
            )
        original(frame_type, obj, schema)

    messages.check_schema = check_schema


def _eror_name_from_enum() -> None:
    messages = _module("reference.messages")
    app = _module("reference.app")
    original = messages.encode_message

    def encode_message(message: Any) -> bytes:
        if isinstance(message, messages.ErrorFrame):
            obj = {
                "code": int(message.code),
                "name": message.code.name,  # the Python enum's name: INTEGRITY_FAILED
                "message": message.message[: messages.MAX_MESSAGE_CHARS],
            }
            encoded: bytes = messages._control(messages.T_EROR, obj)
            return encoded
        result: bytes = original(message)
        return result

    messages.encode_message = encode_message
    app.encode_message = encode_message


def _m(name: str, requirement: str, description: str, apply: Any) -> Mutant:
    return Mutant(
        f"sym-{name}",
        "pki-initiator-get",
        "pki",
        requirement,
        _FILE,
        description,
        apply,
        default=name == "count-not-compared",
        client=True,
    )


MUTANTS: tuple[Mutant, ...] = (
    _m(
        "digest-prefix-compare",
        "APP-GET-3",
        "the pki initiator compares the first 16 hex digits of the SHA-256 only",
        _digest_prefix_compare,
    ),
    _m(
        "count-not-compared",
        "APP-GET-3",
        "the pki initiator compares DONE.size with RSFL.size but not with the bytes received",
        _count_not_compared,
    ),
    _m(
        "trusts-done-size",
        "APP-GET-3",
        "the pki initiator compares the bytes received with DONE.size, not RSFL.size",
        _trusts_done_size,
    ),
    _m(
        "digests-compared-with-each-other",
        "APP-GET-3",
        "when RSFL carries a SHA-256 the pki initiator checks DONE repeats it, not the data",
        _digests_compared_with_each_other,
    ),
    _m(
        "one-byte-slack",
        "APP-GET-4",
        "the pki initiator's overflow check is off by one: size + 1 bytes pass until DONE",
        lambda: _announced_as(_OneByteSlack, lambda size: size + 1),
    ),
    _m(
        "zero-size-unbounded",
        "APP-GET-4",
        "the pki initiator takes an announced size of 0 as unknown: any DATA is written",
        lambda: _announced_as(_ZeroIsUnknown, lambda size: size or 2**62),
    ),
    _m(
        "eof-after-all-bytes-ok",
        "APP-GET-5",
        "a close after all announced bytes ends a pki get successfully, without DONE",
        lambda: _eof_ends_the_file(only_when_complete=True),
    ),
    _m(
        "eof-keeps-what-arrived",
        "APP-GET-5",
        "a close during a pki get ends the file: what arrived is kept",
        lambda: _eof_ends_the_file(only_when_complete=False),
    ),
    _m(
        "writes-final-name-directly",
        "APP-GET-6",
        "the pki get is written under the final name from the start (deleted on failure)",
        _writes_final_name_directly,
    ),
    _m(
        "keeps-temp-on-failure",
        "APP-STORE-3",
        "a failed pki get leaves its temporary file behind",
        _keeps_temp_on_failure,
    ),
    _m(
        "temp-file-0644",
        "APP-STORE-1",
        "the pki initiator's temporary file is made 0644",
        _temp_umask_mode,
    ),
    _m(
        "replaces-on-commit",
        "APP-STORE-2",
        "the pki initiator's final rename replaces a file that appeared during the get",
        _replaces_on_commit,
    ),
    _m(
        "creates-output-early",
        "APP-GET-6",
        "the pki initiator creates the output name (empty) before its request and leaves it "
        "when the get is refused",
        _creates_output_early,
    ),
    _m(
        "sigterm-not-handled",
        "APP-STORE-3",
        "`sft get` dies on SIGTERM without removing its temporary file",
        _sigterm_not_handled,
    ),
    _m(
        "sweeps-every-partial",
        "APP-STORE-3",
        "`sft get` removes every .sft-partial-* beside its output, live ones included",
        _sweeps_every_partial,
    ),
    _m(
        "no-stale-sweep",
        "APP-STORE-3",
        "`sft get` never removes the temporaries that killed runs left",
        _no_stale_sweep,
    ),
    _m(
        "empty-data-skipped",
        "FRM-13",
        "the pki initiator skips an empty DATA frame silently",
        _empty_data_skipped,
    ),
    _m(
        "sha256-any-case",
        "FRM-12",
        "the pki initiator accepts an upper-case SHA-256 and compares digests case-blind",
        _sha256_any_case,
    ),
    _m(
        "bool-is-int",
        "FRM-11",
        "the pki initiator takes JSON true as the integer 1 (isinstance(value, int))",
        _bool_is_int,
    ),
    _m(
        "rejects-unknown-members",
        "FRM-10",
        "the pki initiator refuses a control object with a member the schema does not define",
        _rejects_unknown_members,
    ),
    _m(
        "eror-name-from-enum",
        "ERR-1",
        "the pki initiator's EROR names the code by its enum name (INTEGRITY_FAILED)",
        _eror_name_from_enum,
    ),
    _m(
        "no-control-payload-limit",
        "FRM-8",
        "the pki initiator accepts a control frame above 64 KiB",
        _no_control_payload_limit,
    ),
)
