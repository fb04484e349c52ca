"""sft-pki/1: the ENROLMENT client under test as its user runs it: the CA URL it is given,
the answers that send it elsewhere, the identity directory an earlier run left, the
password file's every character (docs/SPEC.md §4.4, CA-ENR-1, CA-ENR-12, CA-ENR-18,
PWF-1). Same hostile CA and `enroll_cmd` as test_enroll_client.py, whose harness this
file reuses:

- an `http://` CA URL (the suite listens there in plain HTTP): the password MUST NOT
  reach it — "enrolment passwords MUST never travel outside TLS" — and the enrolment
  fails (non-zero exit) [CA-ENR-1]; a client that uses a plain-HTTP URL "as given" sends
  the password in clear;
- the honest HTTPS CA answers the enrolment with a redirect (301, 302, 307, 308) to an
  `http://` URL where the suite listens in plain HTTP: the password MUST NOT reach that
  listener [CA-ENR-1], and the enrolment fails (non-zero exit: no `200` with a
  certificate came, CA-ENR-12); a client that follows redirects re-posts it in clear;
- a CA URL whose host is an IP address (`https://127.0.0.1:PORT`) and a CA certificate
  the root issued but that does not name that address (an employee certificate whose CN
  is `127.0.0.1`, a subjectAltName `localhost` only, a dNSName `127.0.0.1`): the address
  is checked against the subjectAltName's iPAddress entries like a host name against
  its dNSName entries, and the password MUST NOT be sent [CA-ENR-18]; a client that
  skips the host check for an address ("no name to check") lets any certificate of the
  root, an employee's included, pose as the CA;
- a second enrolment into an `{out}` that holds the identity an earlier (honest) run of
  the same client made, whose files a copy or a restore left readable by all (0644):
  when the client completes it, the private key it stored MUST have no group or other
  access [CA-ENR-12] — the mode of `open(O_CREAT|O_TRUNC, 0600)` applies to a new file
  only, so writing the new key in place keeps the old file's 0644;
- a password holding NUL (U+0000, valid UTF-8 text): a client that sends a password
  MUST send exactly the file's line [PWF-1] — a client reading a C string sends the part
  before the NUL (refusing the file instead is not judged here).

Fixtures (conformance/plugin.py): `target` (pki, lab mode), `tmp_path`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from conformance._wire_fixtures import lab_pki
from conformance.plugin import inconclusive
from conformance.target import Target
from conformance.test_enroll_client import (
    CA_HOST,
    PASSWORD,
    HostileCa,
    Run,
    _ca_certificate,
    _fail,
    _fixed,
    _honest,
    _judge_own_key,
    _run,
    _server_context,
    _stored,
    run_against,
)
from conformance.x509 import Certificate, LabPKI

__all__: list[str] = []

pytestmark = [pytest.mark.profile("pki"), pytest.mark.side("initiator")]


@dataclass
class _CaAt(HostileCa):
    """The hostile CA, named in the URL the client is given by `scheme` and `host`."""

    scheme: str = "https"
    host: str = CA_HOST

    @property
    def url(self) -> str:
        assert self._listener is not None
        return f"{self.scheme}://{self.host}:{self._listener.getsockname()[1]}"


def _run_at(
    target: Target,
    tmp: Path,
    ca: HostileCa,
    *,
    also: HostileCa | None = None,
    password_file: bytes = (PASSWORD + "\n").encode(),
) -> Run:
    """test_enroll_client's run against `ca` (started and stopped here, with `also`: a
    second listener the answers point to)."""
    return run_against(target, tmp, ca, also=also, password_file=password_file)


def _plain(lab: LabPKI, target: Target, **where: Any) -> _CaAt:
    """A plain-HTTP listener that answers an enrolment like an honest CA would."""
    assert target.root is not None
    return _CaAt(None, _honest(lab), lab.root.crl_der(), target.root.read_bytes(), **where)


# --- CA-ENR-1: an http:// URL, and redirects to one -------------------------------------------


@pytest.mark.req("CA-ENR-1")
def test_enrolment_client_never_sends_the_password_to_an_http_url(
    target: Target, tmp_path: Path
) -> None:
    lab = lab_pki(target)
    ca = _plain(lab, target, scheme="http")
    run = _run_at(target, tmp_path, ca)
    context = (
        "CA-ENR-1: the CA URL given is http://localhost:PORT (the suite listens in plain HTTP)"
    )
    if ca.password_seen(PASSWORD) or ca.enrolments():
        _fail(
            context,
            "the enrolment refused: the password never travels outside TLS",
            run,
            "the plain-HTTP listener received the enrolment request (the password in clear)",
        )
    if run.returncode == 0:
        _fail(context, "a non-zero exit status (no enrolment over plain HTTP)", run)


@pytest.mark.req("CA-ENR-1", "CA-ENR-12")
@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_enrolment_client_does_not_follow_a_redirect_to_plain_http(
    target: Target, tmp_path: Path, status: int
) -> None:
    lab = lab_pki(target)
    assert target.root is not None
    plain = _plain(lab, target, scheme="http")
    plain.start()
    where = f"{plain.url}/v1/enroll"
    moved = _fixed(status, {"Location": where}, b'{"error": "moved", "message": "the CA moved"}')
    ca = HostileCa(
        _server_context(tmp_path, _ca_certificate(lab)),
        moved,
        lab.root.crl_der(),
        target.root.read_bytes(),
    )
    run = _run_at(target, tmp_path, ca, also=plain)
    context = (
        f"CA-ENR-1: the honest HTTPS CA answers the enrolment {status} with Location: {where} "
        "(the suite listens there in plain HTTP)"
    )
    if not ca.enrolments():
        inconclusive(f"the client sent no enrolment request ({run.describe()})")
    if plain.password_seen(PASSWORD) or plain.enrolments():
        _fail(
            context,
            "the redirect not followed to plain HTTP: the password never travels outside TLS",
            run,
            f"the plain-HTTP listener received {[f'{r.method} {r.path}' for r in plain.requests]}"
            " with the password",
            req="CA-ENR-1",
        )
    if run.returncode == 0:
        _fail(
            context,
            "a non-zero exit status (no 200 answer with a certificate came)",
            run,
            req="CA-ENR-12",
        )


# --- CA-ENR-18: a CA URL whose host is an address ------------------------------------------------


_ADDRESS = "127.0.0.1"
_NOT_THE_ADDRESS = {
    "employee-cn-address": "an employee certificate of the root, CN = 127.0.0.1, no SAN",
    "san-dns-localhost-only": "a CA certificate of the root, subjectAltName DNS:localhost only",
    "san-dns-holding-address": "a CA certificate of the root, subjectAltName DNS:127.0.0.1",
}


def _not_the_address(lab: LabPKI, kind: str) -> Certificate:
    if kind == "employee-cn-address":
        return lab.employee(_ADDRESS)
    names = (CA_HOST,) if kind == "san-dns-localhost-only" else (_ADDRESS,)
    return _ca_certificate(lab, dns_names=names)


@pytest.mark.req("CA-ENR-18")
@pytest.mark.parametrize("kind", sorted(_NOT_THE_ADDRESS))
def test_enrolment_client_checks_an_address_url_against_the_certificate(
    target: Target, tmp_path: Path, kind: str
) -> None:
    lab = lab_pki(target)
    assert target.root is not None
    ca = _CaAt(
        _server_context(tmp_path, _not_the_address(lab, kind)),
        _honest(lab),
        lab.root.crl_der(),
        target.root.read_bytes(),
        host=_ADDRESS,
    )
    run = _run_at(target, tmp_path, ca)
    context = (
        f"CA-ENR-18: the CA URL is https://{_ADDRESS}:PORT and its TLS certificate is "
        f"{_NOT_THE_ADDRESS[kind]} (no iPAddress {_ADDRESS} in its subjectAltName)"
    )
    if ca.connections == 0:
        inconclusive(f"the enrolment client never connected to the CA ({run.describe()})")
    if ca.password_seen(PASSWORD) or ca.enrolments():
        _fail(
            context,
            "the connection refused before the password is sent: the address is checked "
            "against the subjectAltName's iPAddress entries",
            run,
            "the CA received the enrolment request (the password)",
        )
    if run.returncode == 0:
        _fail(context, "a non-zero exit status (enrolment failed)", run)


# --- CA-ENR-12: an identity an earlier run left ---------------------------------------------


@pytest.mark.req("CA-ENR-12")
def test_enrolment_client_stores_a_new_key_0600_over_a_loose_earlier_one(
    target: Target, tmp_path: Path
) -> None:
    lab = lab_pki(target)
    first = _run(target, tmp_path, _ca_certificate(lab), _honest(lab), lab=lab)
    if first.returncode != 0 or not _stored(first.out).keys:
        inconclusive(f"the first (honest) enrolment stored no PEM key ({first.describe()})")
    loosened = []
    for path in sorted(p for p in first.out.rglob("*") if p.is_file() and not p.is_symlink()):
        os.chmod(path, 0o644)  # a copy or a restore that dropped the modes
        loosened.append(path.name)
    run = _run(target, tmp_path, _ca_certificate(lab), _honest(lab), lab=lab)
    if run.returncode != 0:
        inconclusive(
            "the client does not enrol into an existing identity directory (its own "
            f"earlier one), so no key of this run was stored: {run.describe()}"
        )
    context = (
        "CA-ENR-12: a second honest enrolment into {out}, which holds the identity of an "
        f"earlier run whose files ({', '.join(loosened)}) were made 0644"
    )
    _judge_own_key(run, context, must_succeed=True)


# --- PWF-1: a password holding NUL ------------------------------------------------------------


_NUL_PASSWORDS = {
    "nul-inside": "Zq7-nul\x00inside-pw",
    "nul-at-the-end": "Zq7-nul-at-end\x00",
}


@pytest.mark.req("PWF-1")
@pytest.mark.parametrize("label", sorted(_NUL_PASSWORDS))
def test_enrolment_client_sends_a_password_holding_nul_whole(
    target: Target, tmp_path: Path, label: str
) -> None:
    lab = lab_pki(target)
    password = _NUL_PASSWORDS[label]
    content = (password + "\n").encode()
    run = _run(target, tmp_path, _ca_certificate(lab), _honest(lab), lab=lab, password_file=content)
    sent = [(r.json() or {}).get("password") for r in run.ca.enrolments()]
    wrong = [p for p in sent if p != password]
    if wrong:
        _fail(
            f"PWF-1: enrolment with the password file {content!r} (UTF-8 text holding NUL)",
            f"any password sent is the file's line exactly, {password!r}",
            run,
            f"the CA received {wrong!r}",
        )
