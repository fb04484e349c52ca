"""sft-pki/1: the ENROLMENT client under test against answers and CA certificates that
test_enroll_client.py and test_enroll_answers.py do not try (docs/SPEC.md §4.4, §4.2,
PWF-1). Same hostile CA on `https://localhost:PORT`, same `enroll_cmd`, same judges:

- a `200` whose `certificate` holds no certificate (`""`, `null`): "nothing new from
  the CA" is no enrolment: the client MUST fail and keep no certificate it was not given
  [CA-ENR-12];
- a root-issued certificate for a key that shares part of the CSR's key: the negated
  point -Q (same x, the other y) of an EC key or the same modulus with another exponent
  of an RSA key; another key whose SubjectKeyIdentifier copies the CSR key's identifier;
  a key of an algorithm no library knows: each is a certificate for ANOTHER key, which a
  comparison of coordinates, moduli, identifiers or "whatever the library could load"
  takes for the client's own [CA-ENR-12];
- the first answer `503 busy` (`Retry-After: 1`), then an honest one: a client that
  retries MUST store the key of the CSR it was answered for [CA-ENR-12]; and a CA whose
  first connection shows an honest certificate and answers 503, and whose later
  connections show a certificate the client MUST refuse (foreign root, CN only): every
  connection is verified before the password is sent again [PKI-TLS-4, CA-ENR-18];
- a second honest enrolment into the identity directory of the first: the client MAY
  refuse to replace an identity, but an enrolment it reports done stored the new key with
  a certificate for it, and none pairs a key with a certificate not its own [CA-ENR-12];
- a long password file (300 bytes, ASCII and two-byte characters): sent whole [PWF-1];
- the CA's certificate naming the host only in part (`localhost.example`,
  `notlocalhost`) or only by address (`IP:127.0.0.1`, DNS `ca.invalid`): the URL's host
  `localhost` is not in its subjectAltName, so the password MUST NOT be sent [CA-ENR-18];
- the CA's certificate expired three hours ago, or valid in three hours, with the client
  run twelve (fourteen) hours from UTC (POSIX TZ): validity is judged in UTC
  [PKI-CERT-3].

Fixtures (conformance/plugin.py): `target` (pki, lab mode), `tmp_path`.
"""

from __future__ import annotations

import json
import socket
import ssl
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import pytest
from Crypto.PublicKey import ECC, RSA

from conformance._wire_fixtures import lab_pki
from conformance.plugin import inconclusive
from conformance.target import Target
from conformance.test_client_pki_cert_forms import (
    SUBJECT_ALT_NAME,
    SUBJECT_KEY_ID,
    extension_oid,
    reissue,
)
from conformance.test_enroll_answers import _run_with_env
from conformance.test_enroll_client import (
    ALIAS,
    CA_HOST,
    PASSWORD,
    Answer,
    HostileCa,
    Run,
    _ca_certificate,
    _csr_spki,
    _fail,
    _fixed,
    _honest,
    _judge_own_key,
    _mismatched_identity,
    _public_key,
    _refused_certificate,
    _run,
    _server_context,
    _stored,
)
from conformance.x509 import (
    EKU_CLIENT_AUTH,
    EKU_SERVER_AUTH,
    Certificate,
    CertProfile,
    KeyPair,
    LabPKI,
    _extension,
    _oid,
    _prim,
    _seq,
    pem_decode,
)

pytestmark = [pytest.mark.profile("pki"), pytest.mark.side("initiator")]

_JSON = {"Content-Type": "application/json"}


def _no_mismatch(run: Run, target: Target, context: str) -> None:
    assert target.root is not None
    mismatch = _mismatched_identity(run, pem_decode(target.root.read_bytes()))
    if mismatch:
        _fail(
            context,
            "no identity left that pairs a key with a certificate not its own",
            run,
            mismatch,
            req="CA-ENR-12",
        )


def _judge_answer(run: Run, target: Target, context: str) -> None:
    if not run.ca.enrolments():
        inconclusive(f"the client sent no enrolment request ({run.describe()})")
    _judge_own_key(run, context, must_succeed=False)
    _no_mismatch(run, target, context)
    if run.returncode == 0:
        _fail(context, "a non-zero exit status: the answer gives no certificate for the key", run)


# --- a 200 without a certificate --------------------------------------------------------


_EMPTY = {
    "empty_string": b'{"certificate": ""}',
    "null": b'{"certificate": null}',
}


@pytest.mark.req("CA-ENR-12")
@pytest.mark.parametrize("kind", list(_EMPTY))
def test_enrolment_client_refuses_a_200_without_a_certificate(
    target: Target, tmp_path: Path, kind: str
) -> None:
    lab = lab_pki(target)
    run = _run(target, tmp_path, _ca_certificate(lab), _fixed(200, {}, _EMPTY[kind]), lab=lab)
    _judge_answer(run, target, f"CA-ENR-12: the CA answers 200 {_EMPTY[kind].decode()}")


# --- a certificate for a key that shares part of the CSR's ------------------------------


# A SubjectPublicKeyInfo of an algorithm nobody knows (a private-enterprise OID).
_UNKNOWN_ALGORITHM_SPKI = _seq(
    _seq(_oid("1.3.6.1.4.1.55555.1.1")), _prim(0x03, b"\x00" + bytes(65))
)


_P256 = 2**256 - 2**224 + 2**192 + 2**96 - 1  # the field prime of P-256


def _near_key(spki: bytes, kind: str) -> tuple[KeyPair | None, bytes | None]:
    """(a key, or None with a raw SubjectPublicKeyInfo) sharing part of `spki`'s key."""
    if kind == "unknown_algorithm":
        return None, _UNKNOWN_ALGORITHM_SPKI
    if kind == "same_key_identifier":
        return KeyPair.generate(), None
    own = _public_key(spki)
    if own is None:
        return None, None
    if isinstance(own.key, ECC.EccKey):
        point = own.key.pointQ
        negated = ECC.construct(curve="P-256", point_x=int(point.x), point_y=_P256 - int(point.y))
        return KeyPair(negated), None
    rsa = own.key
    exponent = 3 if int(rsa.e) != 3 else 65537
    return KeyPair(RSA.construct((int(rsa.n), exponent))), None


def _with_key_identifier(identifier_extension: bytes) -> Callable[[list[bytes]], list[bytes]]:
    def edit(extensions: list[bytes]) -> list[bytes]:
        return [
            identifier_extension if extension_oid(e) == _oid(SUBJECT_KEY_ID) else e
            for e in extensions
        ]

    return edit


def _near_answer(lab: LabPKI, kind: str) -> Answer:
    def answer(body: dict[str, Any] | None) -> tuple[int, dict[str, str], bytes]:
        spki = _csr_spki((body or {}).get("csr"))
        if spki is None:
            return 400, _JSON, b'{"error": "bad_csr", "message": "not a CSR"}'
        alias = str((body or {}).get("alias") or ALIAS)
        profile = CertProfile(common_name=alias)
        key, raw = _near_key(spki, kind)
        if kind == "same_key_identifier":
            own = _public_key(spki)
            if own is None:
                return 400, _JSON, b'{"error": "bad_csr", "message": "unknown key"}'
            ski = _extension(SUBJECT_KEY_ID, _prim(0x04, own.key_id()))
            cert = reissue(lab.root, profile, key=key, edit=_with_key_identifier(ski))
        elif key is None and raw is None:
            return 400, _JSON, b'{"error": "bad_csr", "message": "unknown key"}'
        else:
            cert = reissue(lab.root, profile, key=key, spki=raw)
        return 200, _JSON, json.dumps({"certificate": cert.pem}).encode()

    return answer


_NEAR = ("negated_or_other_exponent", "same_key_identifier", "unknown_algorithm")


@pytest.mark.req("CA-ENR-12")
@pytest.mark.parametrize("kind", _NEAR)
def test_enrolment_client_refuses_a_certificate_for_a_near_key(
    target: Target, tmp_path: Path, kind: str
) -> None:
    lab = lab_pki(target)
    run = _run(target, tmp_path, _ca_certificate(lab), _near_answer(lab, kind), lab=lab)
    _judge_answer(
        run,
        target,
        f"CA-ENR-12: the CA answers with a root-issued certificate for another key ({kind}: "
        "sharing part of the CSR's key or of its identifier)",
    )


# --- 503 busy, then the retry -----------------------------------------------------------


def _busy_then(first_busy: int, then: Answer) -> Answer:
    calls = {"n": 0}
    lock = threading.Lock()

    def answer(body: dict[str, Any] | None) -> tuple[int, dict[str, str], bytes]:
        with lock:
            calls["n"] += 1
            busy = calls["n"] <= first_busy
        if busy:
            return 503, {"Retry-After": "1"}, b'{"error": "busy", "message": "try again"}'
        return then(body)

    return answer


@pytest.mark.req("CA-ENR-12")
def test_enrolment_client_retrying_after_busy_stores_the_answered_key(
    target: Target, tmp_path: Path
) -> None:
    lab = lab_pki(target)
    run = _run(target, tmp_path, _ca_certificate(lab), _busy_then(1, _honest(lab)), lab=lab)
    context = "CA-ENR-12: the CA answers the first enrolment 503 (Retry-After: 1), then honestly"
    if not run.ca.enrolments():
        inconclusive(f"the client sent no enrolment request ({run.describe()})")
    _judge_own_key(run, context, must_succeed=False)
    _no_mismatch(run, target, context)
    if run.returncode == 0:
        # The stored key must be the key of the CSR the certificate answered (the last).
        last = _csr_spki((run.ca.enrolments()[-1].json() or {}).get("csr"))
        stored = {k.public_der() for _p, k, _m in _stored(run.out).keys if k is not None}
        if stored and last not in stored:
            _fail(
                context,
                "the key stored is the key of the CSR the CA answered with a certificate",
                run,
                req="CA-ENR-12",
            )


class _SwitchingContext:
    """An SSLContext stand-in for HostileCa: handshakes use `honest` until `switched` is
    set (once the first enrolment was answered 503), `later` from then on."""

    def __init__(self, honest: ssl.SSLContext, later: ssl.SSLContext) -> None:
        self.honest, self.later = honest, later
        self.switched = threading.Event()

    def wrap_socket(self, sock: socket.socket, server_side: bool = False) -> ssl.SSLSocket:
        ctx = self.later if self.switched.is_set() else self.honest
        return ctx.wrap_socket(sock, server_side=server_side)


def _busy_once_then_switch(switch: threading.Event, then: Answer) -> Answer:
    def answer(body: dict[str, Any] | None) -> tuple[int, dict[str, str], bytes]:
        if not switch.is_set():
            switch.set()  # before the 503 goes out: the retry meets the other certificate
            return 503, {"Retry-After": "1"}, b'{"error": "busy", "message": "try again"}'
        return then(body)

    return answer


_LATER = {"foreign_root": "PKI-TLS-4", "cn_only": "CA-ENR-18"}


@pytest.mark.parametrize(
    "kind", [pytest.param(k, marks=pytest.mark.req(r), id=k) for k, r in _LATER.items()]
)
def test_enrolment_client_verifies_every_connection_to_the_ca(
    target: Target, tmp_path: Path, kind: str
) -> None:
    lab = lab_pki(target)
    assert target.root is not None
    honest_dir, later_dir = tmp_path / "honest", tmp_path / "later"
    honest_dir.mkdir()
    later_dir.mkdir()
    switching = _SwitchingContext(
        _server_context(honest_dir, _ca_certificate(lab)),
        _server_context(later_dir, _refused_certificate(lab, kind)),
    )
    ca = HostileCa(
        cast(ssl.SSLContext, switching),
        _busy_once_then_switch(switching.switched, _honest(lab)),
        lab.root.crl_der(),
        target.root.read_bytes(),
    )
    run = _run_with_env(target, tmp_path, ca, {})
    requirement = _LATER[kind]
    context = (
        f"{requirement}: the CA shows an honest certificate until it has answered the "
        f"first enrolment 503 (Retry-After: 1), then a certificate {kind}"
    )
    enrolments = run.ca.enrolments()
    if not enrolments:
        inconclusive(f"the client sent no enrolment request ({run.describe()})")
    if len(enrolments) > 1:
        _fail(
            context,
            "no second enrolment (no password) over a connection whose certificate the "
            "client must refuse: each connection verified before anything is sent",
            run,
            f"{len(enrolments)} enrolment requests reached the CA",
            req=requirement,
        )
    if run.returncode == 0:
        _fail(context, "a non-zero exit status (enrolment failed)", run, req=requirement)


# --- a second enrolment into the same directory -----------------------------------------


@pytest.mark.req("CA-ENR-12")
def test_enrolment_client_reenrolment_stores_the_new_pair(target: Target, tmp_path: Path) -> None:
    lab = lab_pki(target)
    first = _run(target, tmp_path, _ca_certificate(lab), _honest(lab), lab=lab)
    if first.returncode != 0:
        inconclusive(f"the first (honest) enrolment failed: {first.describe()}")
    run = _run(target, tmp_path, _ca_certificate(lab), _honest(lab), lab=lab)
    context = (
        "CA-ENR-12: a second honest enrolment into the {out} of the first (a renewal): "
        "whether the client replaces the identity or refuses to"
    )
    _no_mismatch(run, target, context)
    if run.returncode == 0:
        _judge_own_key(run, context, must_succeed=False)


# --- a long password ----------------------------------------------------------------------


_LONG = {
    "ascii_300": "Zq7 long " + "p" * 291,
    "two_byte_300": "Zq7-" + "\u00e9" * 148,
}


@pytest.mark.req("PWF-1")
@pytest.mark.parametrize("kind", list(_LONG))
def test_enrolment_client_sends_a_long_password_whole(
    target: Target, tmp_path: Path, kind: str
) -> None:
    lab = lab_pki(target)
    password = _LONG[kind]
    run = _run(
        target,
        tmp_path,
        _ca_certificate(lab),
        _honest(lab),
        lab=lab,
        password_file=(password + "\n").encode(),
    )
    sent = [(r.json() or {}).get("password") for r in run.ca.enrolments()]
    context = f"PWF-1: a password file of {len(password.encode())} UTF-8 bytes ({kind})"
    if run.returncode != 0 or not sent:
        _fail(context, "exit 0 and the whole password sent", run)
    wrong = [p for p in sent if p != password]
    if wrong:
        lengths = [len(p.encode()) if isinstance(p, str) else p for p in wrong]
        _fail(
            context,
            "the password sent exactly as the file holds it",
            run,
            f"the CA received passwords of {lengths} bytes",
        )


# --- the CA's host name, in part ----------------------------------------------------------


def _ca_cert_with_names(lab: LabPKI, dns: tuple[str, ...], ips: tuple[bytes, ...]) -> Certificate:
    names = [_prim(0x82, n.encode("ascii")) for n in dns] + [_prim(0x87, ip) for ip in ips]
    san = _extension(SUBJECT_ALT_NAME, _seq(*names))

    def edit(extensions: list[bytes]) -> list[bytes]:
        kept = [e for e in extensions if extension_oid(e) != _oid(SUBJECT_ALT_NAME)]
        return [*kept, san]

    profile = CertProfile(
        common_name="sft conformance hostile ca", eku=(EKU_SERVER_AUTH, EKU_CLIENT_AUTH)
    )
    return reissue(lab.root, profile, edit=edit)


_PARTIAL_NAMES: dict[str, tuple[tuple[str, ...], tuple[bytes, ...]]] = {
    "suffixed": ((f"{CA_HOST}.example",), ()),
    "prefixed": ((f"not{CA_HOST}",), ()),
    "address_only": (("ca.invalid",), (bytes([127, 0, 0, 1]),)),
}


@pytest.mark.req("CA-ENR-18")
@pytest.mark.parametrize("kind", list(_PARTIAL_NAMES))
def test_enrolment_client_refuses_a_ca_named_in_part(
    target: Target, tmp_path: Path, kind: str
) -> None:
    lab = lab_pki(target)
    dns, ips = _PARTIAL_NAMES[kind]
    run = _run(target, tmp_path, _ca_cert_with_names(lab, dns, ips), _honest(lab), lab=lab)
    shown = [*dns, *(".".join(str(b) for b in ip) for ip in ips)]
    context = (
        f"CA-ENR-18: the CA at https://{CA_HOST}:PORT shows a root-issued certificate "
        f"whose subjectAltName is {shown} ({kind})"
    )
    if run.ca.connections == 0:
        inconclusive(f"the enrolment client never connected to the CA ({run.describe()})")
    if run.ca.password_seen(PASSWORD) or run.ca.enrolments():
        _fail(
            context,
            f"the connection refused before the password is sent: {CA_HOST} is not a name "
            "of that subjectAltName",
            run,
            "the CA received the enrolment request (the password)",
        )
    if run.returncode == 0:
        _fail(context, "a non-zero exit status (enrolment failed)", run)


# --- the CA's validity, in UTC ------------------------------------------------------------


_ZONES = {
    "expired_hours_ago": ("WEST12", {"days_before": 30, "days_after": -3 / 24}),
    "valid_in_hours": ("EAST-14", {"days_before": -3 / 24, "days_after": 30}),
}


@pytest.mark.req("PKI-CERT-3")
@pytest.mark.parametrize("kind", list(_ZONES))
def test_enrolment_client_judges_the_ca_validity_in_utc(
    target: Target, tmp_path: Path, kind: str
) -> None:
    lab = lab_pki(target)
    assert target.root is not None
    zone, dates = _ZONES[kind]
    ca = HostileCa(
        _server_context(tmp_path, _ca_certificate(lab, **dates)),
        _honest(lab),
        lab.root.crl_der(),
        target.root.read_bytes(),
    )
    run = _run_with_env(target, tmp_path, ca, {"TZ": zone})
    context = (
        f"PKI-CERT-3: the CA's certificate is {kind} (by three hours), the client run with "
        f"TZ={zone}"
    )
    if run.ca.connections == 0:
        inconclusive(f"the enrolment client never connected to the CA ({run.describe()})")
    if run.ca.password_seen(PASSWORD) or run.ca.enrolments():
        _fail(
            context,
            "the connection refused before the password is sent (validity judged in UTC)",
            run,
            "the CA received the enrolment request (the password)",
        )
    if run.returncode == 0:
        _fail(context, "a non-zero exit status (enrolment failed)", run)
