"""sft-pki/1: the ENROLMENT client under test enrolled once, then again into the same
identity directory (docs/SPEC.md CA-ENR-12, CA-ENR-18, PKI-TLS-4, PKI-CERT-3).

What a first enrolment leaves behind (its key, its certificate, the CA's URL, the root)
must change nothing in how the second one is judged:

- [CA-ENR-12] the second enrolment, at an honest CA, generates a new key; if it reports
  success, the key it stored is the one its CSR held, 0600 or stricter, with a
  certificate for that key. A client that never overwrites an existing private key
  ("never clobber a key") stores the new certificate beside the old key: an identity that
  pairs the key with a certificate not its own;
- [CA-ENR-18, PKI-TLS-4, PKI-CERT-3] the second enrolment, at the same URL (same host
  and port) where a CA now presents a certificate it must refuse (CN = localhost without
  subjectAltName, another host's, a foreign root's, expired): the password MUST NOT reach
  it and the client MUST fail. A client that takes a CA "known" from the identity
  directory (its ca-url, a pinned certificate, a cached session) as verified skips the
  checks of the second run.

A client may refuse to enrol into a directory that is not empty (non-zero exit): that is
conforming, and then only "the password did not reach a CA it could not verify" is
judged. The hostile CA is test_enroll_client.py's (`https://localhost:PORT`).

Fixtures (conformance/plugin.py): `target` (pki, lab mode), `tmp_path`.
"""

from __future__ import annotations

import socket
import threading
from pathlib import Path

import pytest

from conformance._wire_fixtures import lab_pki
from conformance.plugin import inconclusive
from conformance.target import Target
from conformance.test_enroll_client import (
    PASSWORD,
    HostileCa,
    Run,
    _fail,
    _honest,
    _judge_own_key,
    _refused_certificate,
    _server_context,
    run_against,
)
from conformance.x509 import LabPKI

__all__: list[str] = []

pytestmark = [pytest.mark.profile("pki"), pytest.mark.side("initiator")]


class _PortCa(HostileCa):
    """The hostile CA bound to a given port: the second run's CA answers at the first's URL."""

    port: int = 0

    def start(self) -> None:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            listener.bind(("127.0.0.1", self.port))
        except OSError as exc:
            listener.close()
            inconclusive(f"cannot listen again on 127.0.0.1:{self.port}: {exc}")
        listener.listen(16)
        listener.settimeout(0.2)
        self._listener = listener
        thread = threading.Thread(target=self._accept_loop, name="hostile-ca", daemon=True)
        thread.start()
        self._threads.append(thread)


def _ca(target: Target, tmp: Path, lab: LabPKI, kind: str, port: int) -> _PortCa:
    assert target.root is not None
    ca = _PortCa(
        _server_context(tmp, _refused_certificate(lab, kind)),
        _honest(lab),
        lab.root.crl_der(),
        target.root.read_bytes(),
    )
    ca.port = port
    return ca


def _first_enrolment(target: Target, tmp: Path, lab: LabPKI) -> tuple[Run, int]:
    """An honest enrolment into {out}; returns it and the port its CA listened on."""
    probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    probe.bind(("127.0.0.1", 0))
    port = int(probe.getsockname()[1])
    probe.close()
    first = run_against(target, tmp, _ca(target, tmp, lab, "honest", port))
    _judge_own_key(first, "CA-ENR-12: the first enrolment, at an honest CA", must_succeed=True)
    return first, port


@pytest.mark.req("CA-ENR-12")
def test_enrolment_client_second_enrolment_stores_its_new_key(
    target: Target, tmp_path: Path
) -> None:
    lab = lab_pki(target)
    first, port = _first_enrolment(target, tmp_path, lab)
    second = run_against(target, tmp_path, _ca(target, tmp_path, lab, "honest", port))
    context = (
        "CA-ENR-12: a second enrolment at the same honest CA into the identity directory "
        f"of the first ({first.describe()})"
    )
    # Refusing to enrol into a directory that is not empty is conforming; a success must
    # have stored the new key (its CSR's) with a certificate for it, 0600.
    _judge_own_key(second, context, must_succeed=False)


# What the second run's CA presents (all refused by a first run: test_enroll_client.py).
_REFUSED = {
    "cn_only": ("CA-ENR-18", "root-issued, CN = localhost, no subjectAltName"),
    "other_host": ("CA-ENR-18", "root-issued, subjectAltName ca.invalid only"),
    "foreign_root": ("PKI-TLS-4", "issued by a foreign root, SAN localhost"),
    "expired": ("PKI-CERT-3", "root-issued, SAN localhost, expired yesterday"),
}


@pytest.mark.parametrize(
    "kind",
    [pytest.param(k, marks=pytest.mark.req(v[0]), id=k) for k, v in _REFUSED.items()],
)
def test_enrolment_client_second_enrolment_checks_the_ca_again(
    target: Target, tmp_path: Path, kind: str
) -> None:
    lab = lab_pki(target)
    requirement, what = _REFUSED[kind]
    _first, port = _first_enrolment(target, tmp_path, lab)
    second = run_against(target, tmp_path, _ca(target, tmp_path, lab, kind, port))
    context = (
        f"{requirement}: a second enrolment into the identity directory of a first one "
        f"at the same URL (https://localhost:{port}), where the CA's TLS certificate is "
        f"now {what}"
    )
    if second.ca.connections == 0:
        if second.returncode == 0:
            _fail(
                context,
                "a non-zero exit status (no certificate was obtained)",
                second,
                req=requirement,
            )
        return  # it refused the directory before connecting: nothing was sent
    if second.ca.password_seen(PASSWORD) or second.ca.enrolments():
        _fail(
            context,
            "the CA's certificate checked again (host name in its subjectAltName, issued "
            "by the root, in its validity period) and the connection refused before the "
            "password is sent, whatever the first enrolment left in the directory",
            second,
            "the CA received the enrolment request (the password)",
            req=requirement,
        )
    if second.returncode == 0:
        _fail(context, "a non-zero exit status (enrolment failed)", second, req=requirement)
