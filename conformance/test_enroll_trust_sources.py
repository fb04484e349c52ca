"""sft-pki/1: the ENROLMENT client under test takes its trust from the root it was given,
and nothing else, and writes its key only to files it created (docs/SPEC.md PKI-TLS-4,
CA-ENR-18, CA-ENR-12).

The suite's hostile CA of test_enroll_client.py (`https://localhost:PORT`), with:

- [PKI-TLS-4] a TLS certificate issued by a foreign root (or by an impostor copying the
  root's DN and key identifier), and `GET /v1/root` answering that CA's own root, as a
  hostile CA would. The root that counts is the one the user gave (`{root}`): a client
  that bootstraps its trust from the CA's own /v1/root ("the CA publishes its root"),
  fetched before it can verify anything, sends the password to whoever answers;
- [PKI-TLS-4] an identity directory `{out}` left by an earlier organisation: it holds a
  `root.pem` of the foreign root. The CA's certificate is issued by that foreign root. A
  client that keeps trusting the identity's old root beside `{root}` ("root rollover")
  sends the password to it;
- [CA-ENR-12] an identity directory `{out}` in which files already sit under the names an
  implementation would use for a temporary copy of the key (`.key.pem.tmp`,
  `key.pem.tmp`, `key.pem.new`, `key.pem~`, ...), mode 0644, at an honest CA: the key the
  client stores MUST still be 0600 or stricter. A client that writes its key through a
  fixed temporary name with O_CREAT|O_TRUNC (no O_EXCL) and renames it keeps the mode of
  the file it found.

In each, a client may refuse an existing `{out}` outright (non-zero exit): that is
conforming; nothing else is judged then (but the password must not have reached a CA it
could not verify).

Fixtures (conformance/plugin.py): `target` (pki, lab mode), `tmp_path`.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance._wire_fixtures import lab_pki
from conformance.plugin import inconclusive
from conformance.target import Target
from conformance.test_enroll_client import (
    CA_HOST,
    PASSWORD,
    HostileCa,
    Run,
    _fail,
    _honest,
    _judge_own_key,
    _refused_certificate,
    _server_context,
    _stored,
    run_against,
)
from conformance.x509 import EKU_CLIENT_AUTH, EKU_SERVER_AUTH, Certificate, CertProfile, LabPKI

__all__: list[str] = []

pytestmark = [pytest.mark.profile("pki"), pytest.mark.side("initiator")]


def _ca_under(lab: LabPKI, kind: str) -> tuple[Certificate, bytes]:
    """A CA certificate for `localhost` issued by a foreign root or an impostor of the
    root, and that issuer's own certificate (what such a CA's /v1/root answers)."""
    issuer = lab.foreign if kind == "foreign_root" else lab.impostor_root()
    cert = issuer.issue(
        CertProfile(
            common_name="sft conformance hostile ca",
            dns_names=(CA_HOST,),
            eku=(EKU_SERVER_AUTH, EKU_CLIENT_AUTH),
        )
    )
    return cert, issuer.certificate.pem.encode()


def _judge_not_sent(run: Run, context: str) -> None:
    if run.ca.connections == 0:
        inconclusive(f"the enrolment client never connected to the CA ({run.describe()})")
    if run.ca.password_seen(PASSWORD) or run.ca.enrolments():
        _fail(
            context,
            "the CA's certificate verified against the root given ({root}) only, and the "
            "connection refused before the password is sent",
            run,
            "the CA received the enrolment request (the password)",
            req="PKI-TLS-4",
        )
    if run.returncode == 0:
        _fail(context, "a non-zero exit status (enrolment failed)", run, req="PKI-TLS-4")


@pytest.mark.req("PKI-TLS-4")
@pytest.mark.parametrize("kind", ["foreign_root", "impostor_root"])
def test_enrolment_client_does_not_take_the_root_from_the_ca(
    target: Target, tmp_path: Path, kind: str
) -> None:
    lab = lab_pki(target)
    cert, issuer = _ca_under(lab, kind)
    ca = HostileCa(
        _server_context(tmp_path, cert),
        _honest(lab),
        lab.root.crl_der(),
        issuer,  # GET /v1/root answers the CA's own root, not the organisation's
    )
    run = run_against(target, tmp_path, ca)
    _judge_not_sent(
        run,
        f"PKI-TLS-4: the CA's certificate is issued by a {kind.replace('_', ' ')}, and its "
        "GET /v1/root serves that root",
    )


@pytest.mark.req("PKI-TLS-4")
def test_enrolment_client_does_not_trust_an_old_root_of_the_identity(
    target: Target, tmp_path: Path
) -> None:
    assert target.root is not None
    lab = lab_pki(target)
    out = tmp_path / "identity"  # run_against's {out}
    out.mkdir(mode=0o700)
    (out / "root.pem").write_bytes(lab.foreign.certificate.pem.encode())
    ca = HostileCa(
        _server_context(tmp_path, _refused_certificate(lab, "foreign_root")),
        _honest(lab),
        lab.root.crl_der(),
        target.root.read_bytes(),
    )
    run = run_against(target, tmp_path, ca)
    _judge_not_sent(
        run,
        "PKI-TLS-4: {out} already holds root.pem of a foreign root (an earlier "
        "organisation), and the CA's certificate is issued by that foreign root",
    )


# Names a temporary copy of the key could be given; each planted 0644 with other content.
_PLANTED = (
    ".key.pem.tmp",
    "key.pem.tmp",
    ".key.pem.new",
    "key.pem.new",
    ".key.tmp",
    "key.tmp",
    "key.pem~",
    ".key.pem.swp",
)
_SENTINEL = b"planted by the conformance suite: not a key\n"


@pytest.mark.req("CA-ENR-12")
def test_enrolment_client_key_mode_holds_beside_planted_temporaries(
    target: Target, tmp_path: Path
) -> None:
    assert target.root is not None
    lab = lab_pki(target)
    out = tmp_path / "identity"  # run_against's {out}
    out.mkdir(mode=0o700)
    for name in _PLANTED:
        path = out / name
        path.write_bytes(_SENTINEL)
        path.chmod(0o644)
    ca = HostileCa(
        _server_context(tmp_path, _refused_certificate(lab, "honest")),
        _honest(lab),
        lab.root.crl_der(),
        target.root.read_bytes(),
    )
    run = run_against(target, tmp_path, ca)
    context = (
        "CA-ENR-12: enrolment at an honest CA into {out} holding files (mode 0644) under "
        f"names of a temporary key: {', '.join(_PLANTED)}"
    )
    if run.returncode != 0:
        return  # refusing a directory that is not empty is conforming
    linked = sorted(p.name for p in out.iterdir() if p.is_symlink())
    if linked:
        _fail(context, "the key stored in a regular file of {out}", run, f"symlinks {linked}")
    if not _stored(out).keys:
        inconclusive(f"no PEM private key under {{out}} to judge ({run.describe()})")
    _judge_own_key(run, context, must_succeed=True)
