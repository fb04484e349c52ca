"""sft-pki/1: the initiator under test judges the responder against a CRL the suite writes
(docs/SPEC.md §4.2, PKI-CERT-11 and PKI-CERT-12), given through the target's
`client_crl_cmd` — its get command with `{crl}`, a CRL file (DER) it must use instead of
fetching one from its CA. Without that key every case here is SKIP.

The other initiator revocation case (test_client_pki_certs.py's `revoked`) presents an
identity the target's own CA revoked: the CRL is the CA's, so an initiator whose check
reads only part of a CRL, or compares serials by their printed form, passes as long as
the CA's few serials happen to be read and printed alike; and the CRL is always fresh,
so its freshness checks (PKI-CERT-12) were never exercised. Here (lab mode: the suite
holds the root key) the suite signs the CRL itself and serves, from its own responder, a
certificate it mints under the alias the initiator asks for:

- `listed_last_of_300`: the responder's serial is the last of 300 entries (entries are
  in increasing serial order): a check that reads the first 256 entries, or any fixed
  buffer's worth, lets it through [PKI-CERT-11];
- `serial_der_zero_octet`: a serial whose top bit is set, so that its DER content starts
  with a 0x00 octet (00 ff ...): a comparison of the certificate's DER bytes (or their
  hex) with the CRL entry's integer misses it [PKI-CERT-11];
- `serial_small_top_byte`: a serial whose first octet is below 0x10 (0f ...): its
  printed hex loses a leading zero in one form (`%x`) and keeps it in another (per
  octet), so a comparison of printed forms misses it [PKI-CERT-11];
- `past_next_update`: a CRL issued 10 days ago whose nextUpdate was 3 days ago, not
  listing the responder: every peer certificate must be refused [PKI-CERT-12];
- `valid_7_days_1_hour`: a CRL issued a minute ago whose nextUpdate is 7 days and an hour
  after its thisUpdate (still in the future): refused likewise — more than 7 days, though
  a lifetime judged in whole days (`.days > 7`) makes it 7 [PKI-CERT-12];
- `no_next_update`: a CRL without nextUpdate (it is OPTIONAL in RFC 5280's ASN.1):
  refused likewise [PKI-CERT-12].

Each is judged by the initiator's exit status and what it kept (`judge_refusal`: non-zero
exit, no output file, no temporary file, no application frame to the responder). The
refusal of a stale CRL may come before any connection (the initiator reads its CRL first):
so that such a refusal cannot be a client that fails whatever it is given, every case
first runs a control once per target — a fresh CRL (thisUpdate a minute ago, nextUpdate
in a day) listing three other serials, the same kind of responder certificate — whose get
must succeed and reach the responder; when it does not, the case is INCONCLUSIVE (the
target's client cannot run this setup), never a PASS. The certificate cases also require
that the initiator connected (it cannot know the responder's serial before).

Fixtures (conformance/plugin.py): `target` (pki, lab mode), `transcripts`, `tmp_path`.
"""

from __future__ import annotations

import datetime as dt
import secrets
import shlex
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from conformance._wire_fixtures import (
    InitiatorRun,
    TranscriptBook,
    honest_get_script,
    judge_refusal,
    lab_pki,
    require_reached,
    responder_alias,
    run_initiator,
)
from conformance.pki_channel import HostileResponder
from conformance.plugin import inconclusive
from conformance.target import Target, TargetConfigError
from conformance.wire import ConformanceFailure
from conformance.x509 import CertificateAuthority, LabPKI

pytestmark = [pytest.mark.profile("pki")]

CONTENT = b"revocation from a CRL file, initiator side\n"
_SERIAL_BITS = 88  # below the top octet: 12-octet serials (RFC 5280: at most 20)


def _serial(top: int) -> int:
    """A positive serial whose first octet (of its minimal big-endian form) is `top`."""
    return (top << _SERIAL_BITS) | secrets.randbits(_SERIAL_BITS)


def _fillers(count: int, top: int) -> set[int]:
    """`count` distinct serials whose first octet is `top`."""
    out: set[int] = set()
    while len(out) < count:
        out.add(_serial(top))
    return out


@dataclass(frozen=True)
class _Kind:
    requirement: str
    responder_serial: Callable[[], int]
    listed: bool  # the responder's serial is on the CRL
    fillers: int  # other serials on the CRL (all below the responder's: it comes last)
    this_update_ago: dt.timedelta
    next_update_after_this: dt.timedelta | None  # None: no nextUpdate at all
    what: str


_MINUTE = dt.timedelta(minutes=1)
_DAY = dt.timedelta(days=1)

_KINDS: dict[str, _Kind] = {
    "listed_last_of_300": _Kind(
        "PKI-CERT-11",
        lambda: _serial(0x7F),
        True,
        299,
        _MINUTE,
        _DAY + _MINUTE,
        "the responder's serial is the last of 300 entries of a fresh CRL",
    ),
    "serial_der_zero_octet": _Kind(
        "PKI-CERT-11",
        lambda: _serial(0xFF),
        True,
        3,
        _MINUTE,
        _DAY + _MINUTE,
        "the responder's serial (first octet 0xff: DER content 00 ff ...) is listed once "
        "on a fresh CRL",
    ),
    "serial_small_top_byte": _Kind(
        "PKI-CERT-11",
        lambda: _serial(0x0F),
        True,
        3,
        _MINUTE,
        _DAY + _MINUTE,
        "the responder's serial (first octet 0x0f: `%x` prints no leading zero, a per-octet "
        "form one) is listed once on a fresh CRL",
    ),
    "past_next_update": _Kind(
        "PKI-CERT-12",
        lambda: _serial(0x7F),
        False,
        2,
        dt.timedelta(days=10),
        dt.timedelta(days=7),
        "the CRL (not listing the responder) was issued 10 days ago; its nextUpdate was 3 "
        "days ago",
    ),
    "valid_7_days_1_hour": _Kind(
        "PKI-CERT-12",
        lambda: _serial(0x7F),
        False,
        2,
        _MINUTE,
        dt.timedelta(days=7, hours=1),
        "the CRL (not listing the responder) has a nextUpdate 7 days and an hour after its "
        "thisUpdate (still in the future)",
    ),
    "no_next_update": _Kind(
        "PKI-CERT-12",
        lambda: _serial(0x7F),
        False,
        2,
        _MINUTE,
        None,
        "the CRL (not listing the responder, issued a minute ago) has no nextUpdate",
    ),
}


def _crl_target(target: Target, crl_file: Path) -> Target:
    """The target with its `client_crl_cmd`, `{crl}` filled in, as the client command
    (its `client_stdin` and `client_success` apply to it as to `client_cmd`)."""
    template = target.client_crl_cmd
    if not template:
        pytest.skip(
            "needs client_crl_cmd (the initiator's get command with {crl}, a CRL file it "
            "must use instead of its CA's): an initiator's revocation checks are judged "
            "against CRLs the suite writes"
        )
    parts = shlex.split(template)
    if not any("{crl}" in part for part in parts):
        raise TargetConfigError(f"client_crl_cmd has no {{crl}} placeholder: {template!r}")
    # The other placeholders are filled in by the client runner (str.format): a path
    # holding braces is escaped for it.
    path = str(crl_file).replace("{", "{{").replace("}", "}}")
    return target.with_changes(
        client_cmd=shlex.join(part.replace("{crl}", path) for part in parts)
    )


def _write_crl(
    root: CertificateAuthority,
    directory: Path,
    revoked: set[int],
    this_update_ago: dt.timedelta,
    next_update_after_this: dt.timedelta | None,
) -> Path:
    now = dt.datetime.now(dt.UTC)
    this_update = now - this_update_ago
    root.revoked = dict.fromkeys(sorted(revoked), this_update - _MINUTE)
    lifetime = next_update_after_this
    der = root.crl_der(
        this_update=this_update,
        next_update=None if lifetime is None else this_update + lifetime,
        omit_next_update=lifetime is None,
    )
    path = directory / f"crl-{uuid.uuid4().hex[:6]}.der"
    path.write_bytes(der)
    return path


def _get(
    target: Target,
    lab: LabPKI,
    tmp_path: Path,
    transcripts: TranscriptBook,
    *,
    serial: int,
    revoked: set[int],
    this_update_ago: dt.timedelta,
    next_update_after_this: dt.timedelta | None,
) -> tuple[InitiatorRun, HostileResponder]:
    """One get by the initiator under test, given a CRL the root signed, from the suite's
    responder presenting a certificate with `serial` under the alias it asks for."""
    crl_file = _write_crl(lab.root, tmp_path, revoked, this_update_ago, next_update_after_this)
    client = _crl_target(target, crl_file)
    cert = lab.employee(responder_alias(target), serial=serial)
    script = honest_get_script(CONTENT)
    return run_initiator(client, tmp_path, transcripts, cert=cert, script=script)


# The control's outcome per target and command: None (the get succeeded) or why not.
_CONTROL: dict[tuple[str, int, str], str | None] = {}


def _require_control(
    target: Target, lab: LabPKI, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    """A fresh CRL listing three other serials: the get must succeed and reach the
    responder, or no refusal here could be told from a client that cannot run at all."""
    key = (target.host, target.port, target.client_crl_cmd or "")
    if key not in _CONTROL:
        control_dir = tmp_path / "control"
        control_dir.mkdir()
        run, hostile = _get(
            target,
            lab,
            control_dir,
            transcripts,
            serial=_serial(0x7F),
            revoked=_fillers(3, 0x20),
            this_update_ago=_MINUTE,
            next_update_after_this=_DAY + _MINUTE,
        )
        ok = (
            run.succeeded
            and "RQFL" in hostile.frames_received()
            and run.kept_file
            and run.out.read_bytes() == CONTENT
        )
        _CONTROL[key] = None if ok else run.describe()
    reason = _CONTROL[key]
    if reason is not None:
        inconclusive(
            "control: with a fresh root-signed CRL (thisUpdate a minute ago, nextUpdate in a "
            "day) not listing the responder, the client's get through client_crl_cmd did not "
            f"succeed, so a refusal here would prove nothing: {reason}"
        )


@pytest.mark.side("initiator")
@pytest.mark.parametrize(
    "kind",
    [pytest.param(k, marks=pytest.mark.req(v.requirement), id=k) for k, v in _KINDS.items()],
)
def test_initiator_judges_responder_by_crl_file(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, kind: str
) -> None:
    spec = _KINDS[kind]
    lab = lab_pki(target)
    _require_control(target, lab, tmp_path, transcripts)
    serial = spec.responder_serial()
    top = serial >> _SERIAL_BITS
    # Fillers below the responder's serial (first octet 0x10, or below 0x0f's): it comes
    # last in the CRL's increasing order.
    revoked = _fillers(spec.fillers, 0x10 if top > 0x10 else 0x01)
    if spec.listed:
        revoked.add(serial)
    run, hostile = _get(
        target,
        lab,
        tmp_path,
        transcripts,
        serial=serial,
        revoked=revoked,
        this_update_ago=spec.this_update_ago,
        next_update_after_this=spec.next_update_after_this,
    )
    if spec.listed:
        # The initiator cannot know the responder's serial before it connects.
        require_reached(run, hostile, request=False)
    try:
        judge_refusal(
            run,
            hostile,
            f"{spec.requirement}: {spec.what} (responder serial {serial:#x}, "
            f"{len(revoked)} entries); the initiator must refuse the responder",
        )
    except ConformanceFailure as failure:
        failure.violates = (spec.requirement,)
        raise
