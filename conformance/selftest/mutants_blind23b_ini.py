"""Blind red-team round 23, second pass (helper B151): the sft-pki/1 initiator (`sft get`,
`sft put`), planted through the six lenses of round 23 after the first pass (b23ini-*).

Written blind, from docs/SPEC.md §1-§4 and §6 and the reference's transfer.py, app.py,
frames.py, pki/client.py, pki/tls.py, pki/enroll.py and cli/pki.py, before any case file
was opened. Every idea was checked against the names and descriptions of the 613
registered pki initiator and enrolment-client mutants first; the ones found there (the
busy retry trusted, the CRL dropped on a retry, the put's context unpinned, the control
limit off by one or exempting EROR, the sweep's age, units and pattern, a DATA limit off by
one, the RSFL read alone ...) were dropped before writing.

lens 2 (only the common case of a MUST):
    large-get-digest-trusted   APP-GET-3  the SHA-256 of a get is compared at DONE only for
                                          gets of at most 16 MiB: above, the TLS AEAD is
                                          trusted for integrity and the sizes alone are
                                          checked (hashing 4 GiB costs a core for minutes)
    put-answer-one-read        FRM-4      a put's answers (RSFL{accept}, the receipt DONE)
                                          are small: each is parsed from one read of the
                                          stream; an answer split across TLS records or
                                          reads is refused bad_frame (the get path
                                          reassembles)
lens 5 (the SPEC's numbers):
    control-limit-chars        FRM-8      the 65 536 limit on a control payload is counted
                                          in characters of the decoded text, and the header
                                          check only bounds the worst case (4 bytes a
                                          character): an RSFL of 100 000 UTF-8 bytes but
                                          fewer than 65 536 characters is taken
lens 6 (misplaced trust in the layer below):
    sweep-resolves-links       APP-STORE-3 the stale sweep judges each `.sft-partial-*`
                                          entry by os.stat (through a symbolic link) and
                                          removes its os.path.realpath ('the real file'): a
                                          link planted in the output directory makes `sft
                                          get` delete an old file elsewhere
    eku-any-purpose-oid        PKI-CERT-5 the initiator's EKU check takes
                                          anyExtendedKeyUsage for serverAuth (RFC 5280
                                          §4.2.1.12's "any purpose"): a responder
                                          certificate whose EKU is only that OID passes
post-blind sibling (class check of the new case):
    control-limit-utf16        FRM-8      the control limit counted in UTF-16 code units
                                          (Java's, JavaScript's length)

Blind run (phase 2): 1 of 5 caught by the file first named — sweep-resolves-links
(test_client_sweep_links.py, whose class was already there). Every case file citing the
requirement then caught nothing more. Missed by every existing file, and the cases that now
catch their class (3x PASS on the reference, PASS on pki1 and pki2):
  large-get-digest-trusted -> test_client_pki_large_get_integrity.py (40 MiB in 1 MiB
                              frames, one byte off in the last MiB; DONE or RSFL digest)
  put-answer-one-read      -> test_client_pki_put_split_answers.py (RSFL{accept} and the
                              receipt DONE written a byte a record, or header apart)
  control-limit-chars      -> test_client_pki_control_bytes.py (RSFL / DONE over 65 536
                              bytes of 2-, 3-, 4-byte UTF-8 but under 65 536 characters)
NOT JUDGED (left out of MUTANTS): eku-any-purpose-oid is equivalent on the reference's stack:
OpenSSL's own TLS-server purpose check (on in every client context) refuses an EKU without
serverAuth whatever the initiator's code says; the class is already judged for foreign
stacks (Go's x509 takes ExtKeyUsageAny for any usage) by test_client_pki_certs.py's
any_eku case.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from conformance.selftest.mutant import Mutant, _module
from conformance.selftest.mutants_app import _patch_source

__all__ = ["MUTANTS", "NOT_JUDGED"]


# --- lens 2 ---------------------------------------------------------------------------


def _large_get_digest_trusted() -> None:
    app = _module("reference.app")
    _patch_source(
        app._Transfer,
        "check_done",
        (
            "and done.sha256 == sha):",
            "and (self.count > 16 << 20 or done.sha256 == sha)):  # TLS protects big ones",
        ),
        (
            "    if self.expected_sha256 is not None and self.expected_sha256 != sha:",
            "    if self.count <= 16 << 20 and self.expected_sha256 not in (None, sha):",
        ),
    )


def _put_answer_one_read() -> None:
    transfer = _module("reference.transfer")
    app = _module("reference.app")
    errors = _module("reference.errors")

    def answer_once(self: Any) -> Any:
        channel = self.channel
        event = channel.conn.next_event()
        if event is app.NEED_DATA:
            n = channel.stream.recv_into(channel._small)
            channel.conn.receive_data(channel._small[:n] if n else b"")
            event = channel.conn.next_event()
            if event is app.NEED_DATA:  # an answer is small: one read holds it
                raise errors.RemoteProtocolError(
                    errors.ErrorCode.BAD_FRAME, "incomplete answer to the put"
                )
        if isinstance(event, transfer.ErrorFrame):
            if event.fatal:
                raise transfer.TransferFailed(event.code, event.message, remote=True)
            raise transfer.TransferRefused(event.code, event.message)
        if event is transfer.CLOSED:
            raise transfer.TransferFailed(
                errors.ErrorCode.INTERNAL, "the responder closed the connection", remote=True
            )
        return event

    transfer.Initiator._b23_answer_once = answer_once
    _patch_source(
        transfer.Initiator,
        "put",
        ("accepted = self._answer()", "accepted = self._b23_answer_once()"),
        ("ack = self._answer()", "ack = self._b23_answer_once()"),
    )


# --- lens 5 ---------------------------------------------------------------------------


def _control_limit_chars() -> None:
    app, frames, messages = (
        _module("reference.app"),
        _module("reference.frames"),
        _module("reference.messages"),
    )
    _patch_source(
        app.ApplicationConnection,
        "_check_header",
        (
            "if frame_type != T_DATA and length > MAX_CONTROL_PAYLOAD:",
            "if frame_type != T_DATA and length > 4 * MAX_CONTROL_PAYLOAD:  # 4 B a char",
        ),
    )
    _patch_source(
        frames,
        "loads_control",
        (
            "    if len(payload) > MAX_CONTROL_PAYLOAD:",
            "    if len(bytes(payload).decode('utf-8', 'replace')) > MAX_CONTROL_PAYLOAD:",
        ),
    )
    messages.loads_control = frames.loads_control


def _control_limit_utf16() -> None:
    app, frames, messages = (
        _module("reference.app"),
        _module("reference.frames"),
        _module("reference.messages"),
    )
    _patch_source(
        app.ApplicationConnection,
        "_check_header",
        (
            "if frame_type != T_DATA and length > MAX_CONTROL_PAYLOAD:",
            "if frame_type != T_DATA and length > 2 * MAX_CONTROL_PAYLOAD:  # 2 B a unit",
        ),
    )
    _patch_source(
        frames,
        "loads_control",
        (
            "    if len(payload) > MAX_CONTROL_PAYLOAD:",
            "    if len(bytes(payload).decode('utf-8', 'replace').encode('utf-16-le')) // 2 "
            "> MAX_CONTROL_PAYLOAD:",
        ),
    )
    messages.loads_control = frames.loads_control


# --- lens 6 ---------------------------------------------------------------------------


def _sweep_resolves_links() -> None:
    _patch_source(
        _module("reference.transfer"),
        "remove_stale_partials",
        ("info = entry.stat(follow_symlinks=False)", "info = os.stat(entry.path)"),
        ("os.unlink(entry.path)", "os.unlink(os.path.realpath(entry.path))  # the real file"),
    )


def _eku_any_purpose_oid() -> None:
    _patch_source(
        _module("reference.pki.tls"),
        "check_peer_certificate",
        (
            "    if wanted not in eku:",
            "    if wanted not in eku and ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE not in eku:",
        ),
    )


# --- registry -------------------------------------------------------------------------


def _m(
    name: str,
    lens: int,
    requirement: str,
    test_file: str,
    apply: Callable[[], None],
    description: str,
    *,
    enroll: bool = False,
) -> Mutant:
    return Mutant(
        name=f"b23bini-{name}",
        group="blind23b-ini",
        profile="pki",
        requirement=requirement,
        test_file=test_file,
        description=f"L{lens}: {description}",
        apply=apply,
        client=True,
        enroll=enroll,
    )


MUTANTS: tuple[Mutant, ...] = (
    _m(
        "large-get-digest-trusted",
        2,
        "APP-GET-3",
        "test_client_pki_large_get_integrity.py",
        _large_get_digest_trusted,
        "a get's SHA-256 is compared at DONE only up to 16 MiB: above, TLS's AEAD is trusted "
        "and the sizes alone checked (a wrong DONE.sha256 or RSFL.sha256 passes)",
    ),
    _m(
        "put-answer-one-read",
        2,
        "FRM-4",
        "test_client_pki_put_split_answers.py",
        _put_answer_one_read,
        "a put's answers (RSFL{accept}, the receipt DONE) are each parsed from one read of "
        "the stream: one split across reads or TLS records is refused bad_frame",
    ),
    _m(
        "control-limit-chars",
        5,
        "FRM-8",
        "test_client_pki_control_bytes.py",
        _control_limit_chars,
        "the 65 536 control-payload limit counted in decoded characters (the header check "
        "bounds 4 bytes a character): an RSFL of 100 000 bytes and < 65 536 characters is "
        "taken",
    ),
    _m(
        "control-limit-utf16",
        5,
        "FRM-8",
        "test_client_pki_control_bytes.py",
        _control_limit_utf16,
        "(post-blind) the control limit counted in UTF-16 code units (Java's and "
        "JavaScript's length), the header check bounding 2 bytes a unit: an RSFL of 2-byte "
        "characters over 65 536 bytes is taken",
    ),
    _m(
        "sweep-resolves-links",
        6,
        "APP-STORE-3",
        "test_client_sweep_links.py",
        _sweep_resolves_links,
        "the stale sweep stats each .sft-partial-* through a symbolic link and unlinks its "
        "realpath: a link planted in the output directory deletes an old file elsewhere",
    ),
)

NOT_JUDGED: tuple[Mutant, ...] = (
    _m(
        "eku-any-purpose-oid",
        6,
        "PKI-CERT-5",
        "test_client_pki_any_purpose_eku.py",
        _eku_any_purpose_oid,
        "the initiator takes anyExtendedKeyUsage for serverAuth (RFC 5280's any purpose): a "
        "responder certificate whose EKU holds only that OID passes",
    ),
)
