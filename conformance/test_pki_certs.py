"""sft-pki/1 certificates (docs/SPEC.md §4.2): bad certificates are refused, both ways.

Lab mode (`--ca-key`, and the embedded run) lets the suite mint each bad certificate
with the organisation root (conformance/x509.py): expired, not yet valid, a foreign CA,
self-signed, a wrong EKU, a CA:TRUE leaf. The responder under test must refuse them as
client certificates; the initiator under test (`--client-cmd`) must refuse them from
the suite's hostile responder, before sending any application frame.

Revocation needs certificates the target's CRL lists: `target.identities["revoked"]`,
`["revoked-2"]`, ... (the embedded reference enrols the alias `revoked` twice and revokes
it at its CA before the responder starts: every certificate of the alias must be
refused, not only the first); without them the cases are skipped with the reason. The
initiator is asked for the revoked certificate's own alias, so that only the CRL can
make it refuse.

The kinds are tried on both sides (anyEKU and P-384 only on the responder, to keep the
run short), each with the alias the other side expects, so that only the
defect can be the reason to refuse; the weak ones (RSA-1024, SHA-1, P-384) are presented
at OpenSSL security level 0, and the target must refuse them whatever its own level.

Fixtures (conformance/plugin.py): `target` (pki), `transcripts`, `tmp_path`.
"""

from __future__ import annotations

import re
import secrets
import ssl
import time
from dataclasses import replace
from pathlib import Path

import pytest

from conformance import ca_support as ca
from conformance._wire_fixtures import (
    TranscriptBook,
    honest_get_script,
    judge_refusal,
    lab_pki,
    require_reached,
    responder_alias,
    run_initiator,
    suite_identity,
)
from conformance.pki_channel import (
    HandshakeRefused,
    PkiChannel,
    client_context,
    close_bound,
    connect_pki,
    judge_responder_refusal,
    watch_certificates,
)
from conformance.plugin import inconclusive, unsupported
from conformance.target import Account, Target
from conformance.wire import (
    Closed,
    ConformanceFailure,
    ExpectClose,
    ExpectError,
    ReceivedFrame,
    deadline_after,
)
from conformance.x509 import (
    EKU_ANY,
    EKU_CLIENT_AUTH,
    EKU_SERVER_AUTH,
    Certificate,
    CertProfile,
    KeyPair,
    LabPKI,
    pem_decode,
    read_certificate,
)

CONTENT = b"certificate tests\n"

# Each kind of bad certificate and the requirements its refusal checks. The foreign CA
# with the root's DN and key identifier fools a check by issuer name; the intermediate
# (signed by the root) breaks the root's pathlen 0; the weak ones pass OpenSSL at a low
# security level. ERR-3: after refusing with `EROR auth_failed`, close at once.
_COMMON_BAD = {
    "expired": ("PKI-CERT-3",),
    "not_yet_valid": ("PKI-CERT-3",),
    # Both: at any hour of the day one of them falls on today's date.
    "expired_hours_ago": ("PKI-CERT-3",),
    "valid_in_hours": ("PKI-CERT-3",),
    "foreign_ca": ("PKI-CERT-4", "PKI-TLS-4"),
    "self_signed": ("PKI-CERT-4", "PKI-TLS-4"),
    # Its AKI names the root's key: key identifiers never vouch (PKI-CERT-13).
    "foreign_same_dn": ("PKI-CERT-4", "PKI-CERT-10", "PKI-CERT-13"),
    "intermediate_ca": ("PKI-CERT-4", "PKI-CERT-10"),
    "no_eku": ("PKI-CERT-5",),
    "ca_true": ("PKI-CERT-6",),
    "wrong_key_usage": ("PKI-CERT-9",),
    "rsa_1024": ("PKI-CERT-9",),
    "sha1_signature": ("PKI-CERT-9",),
}
_CLIENT_BAD = {
    **_COMMON_BAD,
    "no_client_auth": ("PKI-CERT-5",),
    "any_eku": ("PKI-CERT-5",),
    "p384_key": ("PKI-CERT-9",),
    # Variants that only the endpoint's own checks see (OpenSSL lets them through): a
    # CA:TRUE that is not critical, or without keyCertSign; no BasicConstraints at all; a
    # KeyUsage of keyAgreement alone, which OpenSSL's TLS-client purpose takes for
    # digitalSignature.
    "ca_true_not_critical": ("PKI-CERT-6",),
    "ca_true_no_cert_sign": ("PKI-CERT-6",),
    "no_basic_constraints": ("PKI-CERT-9",),
    "key_agreement_usage": ("PKI-CERT-9",),
    # A strong hash that is not PKI-CERT-1's SHA-256 ("any SHA-2 will do", "SHA-256 or
    # better"): OpenSSL lets it through at every security level.
    "sha384_signature": ("PKI-CERT-9",),
}

_SERVER_BAD = {
    **_COMMON_BAD,
    "no_server_auth": ("PKI-CERT-5",),
    # What only the initiator's own checks see (OpenSSL lets them through): no
    # BasicConstraints at all ("absent means not a CA", RFC 5280's default), and a strong
    # hash that is not PKI-CERT-1's SHA-256 ("any SHA-2 will do").
    "no_basic_constraints": ("PKI-CERT-9",),
    "sha384_signature": ("PKI-CERT-9",),
}


# Bad only in the hash the ISSUER signed with: what a CertificateRequest's
# signature_algorithms_cert may make OpenSSL withhold (see the case below).
_ISSUER_HASH_KINDS = frozenset({"sha1_signature", "sha384_signature"})


def _close_bound(target: Target) -> float:
    return close_bound(target.limits.idle_timeout)


@pytest.mark.parametrize(
    "kind",
    [
        pytest.param(k, marks=pytest.mark.req(*ids, "ERR-3", "PKI-TLS-10"), id=k)
        for k, ids in _CLIENT_BAD.items()
    ],
)
def test_responder_refuses_bad_client_certificate(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, kind: str
) -> None:
    lab = lab_pki(target)
    assert target.root is not None
    cert, key = lab.bad(kind, alias=_suite_alias(target, tmp_path)).write(tmp_path, kind)
    ctx = client_context(target.root, cert, key, weak_allowed=True)
    watch = watch_certificates(ctx)
    result = connect_pki(target.host, target.port, ctx, name=f"pki with {kind} client certificate")
    _record(transcripts, result)
    if watch.withheld and kind in _ISSUER_HASH_KINDS:
        # signature_algorithms_cert only guides which certificate a client picks (RFC 8446
        # §4.2.3): a hostile client sends this one anyway, and only the responder's own
        # check refuses it. Withheld here, the refusal judged "no certificate": whether
        # the responder checks the hash this TLS stack cannot show. Never a silent PASS.
        # (A key whose CertificateVerify needs a scheme the responder does not offer is
        # another matter: no client can complete that handshake, so it stays judged.)
        inconclusive(
            f"{kind}: the responder's CertificateRequest lists only "
            f"{watch.describe_request()} for certificates, so the suite's TLS stack "
            "(OpenSSL) sent no certificate: the refusal that followed judges a missing "
            "certificate, not this one"
        )
    judge_responder_refusal(
        result,
        f"{'/'.join(_CLIENT_BAD[kind])}: {kind} client certificate (alias of the suite)",
        request_name=_request_name(target),
        close_within=_close_bound(target),
    )


@pytest.mark.req("PKI-CERT-4", "PKI-TLS-4")
def test_responder_refuses_chain_ending_in_foreign_root(
    target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    """A foreign-CA leaf sent together with its root: the chain must not be trusted."""
    lab = lab_pki(target)
    assert target.root is not None
    leaf = lab.bad("foreign_ca", alias=_suite_alias(target, tmp_path))
    cert, key = leaf.write(tmp_path, "foreign-chain")
    cert.write_text(leaf.pem + lab.foreign.certificate.pem)
    result = connect_pki(target.host, target.port, client_context(target.root, cert, key))
    _record(transcripts, result)
    judge_responder_refusal(
        result,
        "PKI-TLS-4: foreign chain with its own root",
        request_name=_request_name(target),
        close_within=_close_bound(target),
    )


def _revoked_identities(target: Target) -> dict[str, tuple[Path, Path]]:
    """Every identity the target declares revoked: `revoked`, `revoked-2`, ... (two
    certificates of one alias check that revoking the alias revoked both)."""
    if not target.has("crl"):
        unsupported("the target does not declare feature 'crl'")
    found = {k: v for k, v in sorted(target.identities.items()) if k.startswith("revoked")}
    if not found:
        pytest.skip(
            "needs an identity revoked at the CA before the responder started "
            "(target.identities['revoked'], optionally 'revoked-2', ...)"
        )
    return found


@pytest.mark.req("PKI-CERT-7", "PKI-CERT-11")
def test_responder_refuses_every_revoked_client_certificate(
    target: Target, transcripts: TranscriptBook
) -> None:
    assert target.root is not None
    accepted = []
    for name, (cert, key) in _revoked_identities(target).items():
        info = read_certificate(pem_decode(cert.read_text()))
        result = connect_pki(
            target.host, target.port, client_context(target.root, cert, key), name=name
        )
        _record(transcripts, result)
        try:
            judge_responder_refusal(
                result,
                f"revoked identity {name!r} (CN {info.common_name})",
                request_name=_request_name(target),
                close_within=_close_bound(target),
            )
        except ConformanceFailure as exc:
            accepted.append(str(exc))
    if accepted:
        raise ConformanceFailure(
            "PKI-CERT-7/11: a certificate listed in the CRL was accepted:\n" + "\n".join(accepted)
        )


@pytest.mark.parametrize(
    "kind",
    [pytest.param(k, marks=pytest.mark.req(*ids), id=k) for k, ids in _SERVER_BAD.items()],
)
def test_initiator_refuses_bad_responder_certificate(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, kind: str
) -> None:
    lab = lab_pki(target)
    # The right alias, so that only the certificate's defect can be the reason to refuse.
    cert = lab.bad(kind, alias=responder_alias(target))
    run, hostile = run_initiator(
        target, tmp_path, transcripts, cert=cert, script=honest_get_script(CONTENT)
    )
    require_reached(run, hostile, request=False)
    ours = [e for e in hostile.handshake_errors if "no suitable signature algorithm" in e.lower()]
    if ours and kind in _ISSUER_HASH_KINDS:
        # The initiator's signature_algorithms_cert left the suite's TLS stack (OpenSSL,
        # as the responder) no way to present this certificate: the handshake failed on
        # the suite's side, and the initiator's own check of the hash never ran.
        inconclusive(
            f"{kind}: the suite's responder could not present this certificate under the "
            f"initiator's signature algorithms ({ours[0][:120]}): whether the initiator "
            "refuses it cannot be judged with this TLS stack"
        )
    judge_refusal(run, hostile, f"{'/'.join(_SERVER_BAD[kind])}: responder certificate {kind}")


@pytest.mark.req("PKI-CERT-5")
def test_initiator_refuses_responder_certificate_with_client_and_any_eku(
    target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    """A responder certificate whose EKU is clientAuth and anyExtendedKeyUsage, no
    serverAuth: it lacks serverAuth (PKI-CERT-5), yet OpenSSL's purpose check lets it
    through (anyExtendedKeyUsage). Catches an initiator whose own EKU check looks for the
    wrong purpose (clientAuth: the responder's check copied, or a flag ignored) and one
    that takes anyExtendedKeyUsage for serverAuth."""
    lab = lab_pki(target)
    cert = lab.employee(responder_alias(target), eku=(EKU_CLIENT_AUTH, EKU_ANY))
    run, hostile = run_initiator(
        target, tmp_path, transcripts, cert=cert, script=honest_get_script(CONTENT)
    )
    require_reached(run, hostile, request=False)
    judge_refusal(run, hostile, "PKI-CERT-5: responder certificate EKU clientAuth + anyEKU")


@pytest.mark.req("PKI-TLS-4", "PKI-CERT-4")
def test_initiator_trusts_only_the_organisation_root(
    target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    """The client runs with SSL_CERT_FILE / SSL_CERT_DIR naming the foreign CA, which
    OpenSSL, Go and others read as the *system* trust store: a client that loads the
    default store besides the organisation root (`create_default_context()`) trusts the
    foreign CA's certificate for the right alias; one that trusts the root only refuses."""
    lab = lab_pki(target)
    system = tmp_path / "planted-system-store"
    system.mkdir()
    # With the foreign CA's (empty) CRL: a client that checks revocation finds one for
    # the foreign issuer too, so only its trust in the planted store is judged.
    (system / "ca.pem").write_text(lab.foreign.certificate.pem + lab.foreign.crl_pem())
    cert = lab.bad("foreign_ca", alias=responder_alias(target))
    run, hostile = run_initiator(
        target,
        tmp_path,
        transcripts,
        cert=cert,
        script=honest_get_script(CONTENT),
        client_env={"SSL_CERT_FILE": str(system / "ca.pem"), "SSL_CERT_DIR": str(system)},
    )
    require_reached(run, hostile, request=False)
    judge_refusal(run, hostile, "PKI-TLS-4: foreign CA planted in the client's system trust store")


@pytest.mark.req("PKI-CERT-7", "PKI-CERT-11")
def test_initiator_refuses_revoked_responder_certificate(
    target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    """The hostile responder presents a revoked, otherwise valid certificate, and the
    client is asked for exactly its alias: only the CRL can make the client refuse."""
    for name, (cert_path, key_path) in _revoked_identities(target).items():
        cert = Certificate.load(cert_path.read_bytes(), key_path.read_bytes())
        run, hostile = run_initiator(
            target,
            tmp_path,
            transcripts,
            cert=cert,
            script=honest_get_script(CONTENT),
            alias=cert.common_name,
        )
        require_reached(run, hostile, request=False)
        judge_refusal(run, hostile, f"PKI-CERT-7: responder presents revoked identity {name!r}")


_ALIAS_RE = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")


@pytest.mark.req("PKI-CERT-1", "PKI-CERT-2")
def test_responder_presents_an_employee_certificate(
    target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    """The certificate the responder presents is what the CA must issue (PKI-CERT-1)."""
    assert target.root is not None
    cert, key = suite_identity(target, tmp_path)
    result = connect_pki(target.host, target.port, client_context(target.root, cert, key))
    if isinstance(result, HandshakeRefused):
        raise ConformanceFailure(f"honest handshake refused: {result.describe()}")
    transcripts.add(result)
    try:
        der = result.sock.getpeercert(binary_form=True)
    finally:
        result.close()
    assert der is not None
    info = read_certificate(der)
    problems = info.violations_as_employee()
    if info.common_name is None or not _ALIAS_RE.fullmatch(info.common_name):
        problems.append(f"PKI-CERT-2: CN {info.common_name!r} is not a valid alias")
    if problems:
        raise ConformanceFailure("PKI-CERT-1: the responder's certificate: " + "; ".join(problems))


@pytest.mark.req("PKI-CERT-8")
def test_root_certificate_profile(target: Target) -> None:
    if target.root is None:
        pytest.skip("needs --root")
    info = read_certificate(pem_decode(target.root.read_text()))
    problems = info.violations_as_root()
    if problems:
        raise ConformanceFailure("PKI-CERT-8: the organisation root: " + "; ".join(problems))


def _record(transcripts: TranscriptBook, result: PkiChannel | HandshakeRefused) -> None:
    transcripts.add(result.transcript if isinstance(result, HandshakeRefused) else result)


def _request_name(target: Target) -> str:
    return target.files[0].name if target.files else "hello.txt"


def _suite_alias(target: Target, workdir: Path) -> str:
    """The alias the responder serves the suite under (its allow list may name only it):
    a bad certificate then differs from an accepted one only by its defect."""
    cert, _key = suite_identity(target, workdir)
    return read_certificate(pem_decode(cert.read_text())).common_name or "suite"


@pytest.mark.req("PKI-ID-3")
def test_allow_list_refuses_an_employee_not_on_it(
    target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    """A responder with an allow list answers a valid employee not on it `forbidden`, and
    then closes: at once (well under its idle timeout, which would close any connection),
    and without answering a second request the suite sends right after the first answer
    (a responder that says `forbidden` to every request and waits for the initiator to
    leave never closes while it keeps asking). A responder MAY instead refuse the outsider
    at the handshake, as it refuses a certificate (PKI-ID-3, PKI-TLS-10): then a second
    connection that sends nothing is refused too, at once."""
    if not target.has("allow-list"):
        unsupported("the target does not declare feature 'allow-list'")
    assert target.root is not None
    outsider = lab_pki(target).employee("sft-conformance-outsider")
    cert, key = outsider.write(tmp_path, "outsider")
    result = connect_pki(target.host, target.port, client_context(target.root, cert, key))
    if isinstance(result, HandshakeRefused):
        transcripts.add(result.transcript)
        return  # refusing the handshake is stricter than required, and allowed
    transcripts.add(result)
    name = target.files[0].name if target.files else "x"
    result.close_within = _close_bound(target)
    result.send_frame("RQFL", {"name": name})
    # forbidden — or the outsider refused right after the handshake, as a certificate is
    # (PKI-ID-3: "MAY instead refuse such an initiator at the handshake"; PKI-TLS-10:
    # EROR auth_failed then the close, or the close without an EROR): nothing more to ask.
    refused = [ExpectError("auth_failed"), ExpectClose()]
    first = result.expect([ExpectError("forbidden"), *refused])
    first.check("PKI-ID-3: request of an employee not on the allow list")
    if first.matched in refused:
        _judge_refused_without_a_request(target, cert, key, transcripts, first.actual.describe())
        return
    result.send_frame("RQFL", {"name": name})
    # "Every request ... forbidden": a second request the responder read before closing
    # may get its own forbidden; anything else, or no close within the bound, FAILs.
    deadline = time.monotonic() + _close_bound(target)
    while True:
        after = result.recv_frame(deadline)
        if isinstance(after, Closed):
            return
        if not (isinstance(after, ReceivedFrame) and after.error_name == "forbidden"):
            break
    raise ConformanceFailure.evidence(
        "PKI-ID-3: an employee not on the allow list asks twice; the first request is "
        "answered EROR forbidden",
        f"the connection closed within {_close_bound(target):.2f} s of the forbidden (a "
        "second request answered forbidden at most)",
        after.describe(),
        note="PKI-ID-3: every request forbidden, and then close",
    )


def _judge_refused_without_a_request(
    target: Target, cert: Path, key: Path, transcripts: TranscriptBook, answer: str
) -> None:
    """The outsider's request was answered as a refused certificate is (auth_failed, or the
    close). PKI-ID-3 allows that only as a refusal "at the handshake, as it refuses a
    certificate (PKI-TLS-10)": "before it processes any application frame of it, and at
    once". A second connection of the outsider that sends nothing MUST then be refused
    within the close bound too; a responder that waits for its request and answers it
    `auth_failed` judged the request, and `forbidden` is what a request gets (PKI-ID-3)."""
    assert target.root is not None
    again = connect_pki(target.host, target.port, client_context(target.root, cert, key))
    if isinstance(again, HandshakeRefused):
        transcripts.add(again.transcript)
        return
    transcripts.add(again)
    try:
        event = again.recv_frame(deadline_after(_close_bound(target)))
    finally:
        again.close()
    if isinstance(event, Closed) or (
        isinstance(event, ReceivedFrame) and event.error_name == "auth_failed"
    ):
        return
    raise ConformanceFailure.evidence(
        "PKI-ID-3: an employee not on the allow list; its request was answered as a "
        f"refused certificate is ({answer})",
        "a refusal at the handshake (PKI-TLS-10: before any application frame, at once): a "
        f"second connection that sends nothing refused within {_close_bound(target):.2f} s "
        "(an alert, EROR auth_failed or the close) — or EROR forbidden for every request",
        f"the second connection, sending nothing: {event.describe()}",
    )


_MAX_REFRESH_WAIT = 10.0  # the longest declared CRL refresh interval the case waits for


def _fresh_revocable_identity(target: Target, workdir: Path) -> tuple[str, Path, Path]:
    """A new alias at the target's CA, enrolled once: (alias, certificate, key) files."""
    ca.ca_address(target)
    alias = f"rf-{secrets.token_hex(5)}"
    account = Account(alias, secrets.token_urlsafe(15))
    ca.admin_command(target, "add", alias, stdin=account.password + "\n")
    key = ca.CsrKey.ec("P-256")
    cert, _problems = ca.enrol_and_read(
        target, account, key, ca.csr_pem(key, ca.name((ca.OID_CN, alias))), ca.root_info(target)
    )
    cert_path, key_path = workdir / f"{alias}.pem", workdir / f"{alias}.key"
    cert_path.write_text(ssl.DER_cert_to_PEM_cert(cert.der))
    key_path.write_text(str(key.key.export_key(format="PEM")))
    key_path.chmod(0o600)
    return alias, cert_path, key_path


@pytest.mark.req("PKI-CERT-7", level="SHOULD")
def test_responder_refetches_the_crl(
    target: Target, transcripts: TranscriptBook, tmp_path: Path
) -> None:
    """A certificate revoked at the CA while the responder runs is refused within two of
    its declared CRL refresh intervals: a responder that loaded the CRL once at start
    (or refetches at a fixed default, or caches the first answer) keeps accepting it."""
    if not target.has("crl"):
        unsupported("the target does not declare feature 'crl'")
    interval = target.limits.crl_refresh
    if interval > _MAX_REFRESH_WAIT:
        pytest.skip(
            f"the target's [limits] crl_refresh is {interval:g} s (the case waits for at "
            f"most {_MAX_REFRESH_WAIT:g} s)"
        )
    assert target.root is not None
    alias, cert, key = _fresh_revocable_identity(target, tmp_path)
    ctx = client_context(target.root, cert, key)
    what = f"certificate of {alias!r}"
    before = connect_pki(target.host, target.port, ctx, name=f"{alias} before revocation")
    _record(transcripts, before)
    try:
        judge_responder_refusal(
            before, what, request_name=_request_name(target), close_within=_close_bound(target)
        )
    except ConformanceFailure:
        pass  # accepted (served, or answered `forbidden` by an allow list): the control holds
    else:
        pytest.skip(f"the responder refused the {what} before it was revoked: nothing to judge")
    finally:
        if isinstance(before, PkiChannel):
            before.close()
    ca.admin_command(target, "revoke", alias)
    revoked = time.monotonic()
    deadline = revoked + 2 * interval + 2.0
    pace = max(0.2, interval / 5)
    last = ""
    # Bounded: one connection per `pace` until the deadline (at most ~12 tries).
    for attempt in range(1, 100):
        result = connect_pki(target.host, target.port, ctx, name=f"{alias} revoked, try {attempt}")
        _record(transcripts, result)
        try:
            judge_responder_refusal(
                result, what, request_name=_request_name(target), close_within=_close_bound(target)
            )
            return
        except ConformanceFailure as exc:
            last = str(exc)
        finally:
            if isinstance(result, PkiChannel):
                result.close()
        if time.monotonic() + pace > deadline:
            break
        time.sleep(pace)  # a retry pace, not synchronisation: the loop is bounded
    raise ConformanceFailure(
        f"PKI-CERT-7: {alias!r} was revoked at the CA (its CRL lists it, CA-ENR-11), yet "
        f"{time.monotonic() - revoked:.1f} s later — two of the declared CRL refresh "
        f"intervals ({interval:g} s) and more — the responder still accepted its "
        f"certificate: it does not refetch the CRL\n{last}"
    )


# --- near misses, second certificates of one serial, expiry while the responder runs -----

# Bad client certificates beside those of lab.bad(): the profile changes that make them,
# and what their refusal checks. Minutes, not hours: a responder that allows itself an
# hour of "clock skew" at either end of the validity (or checks dates to the hour) lets
# these through; 15 minutes stays far above any honest clock difference on one host.
_NEAR_MISSES: dict[str, tuple[dict[str, object], tuple[str, ...]]] = {
    "expired_minutes_ago": ({"days_before": 30, "days_after": -15 / 1440}, ("PKI-CERT-3",)),
    "valid_in_minutes": ({"days_before": -15 / 1440, "days_after": 30}, ("PKI-CERT-3",)),
    # serverAuth and anyExtendedKeyUsage, no clientAuth: OpenSSL's purpose check lets it
    # through (anyExtendedKeyUsage), so only the responder's own EKU check refuses it — and
    # a check that looks for the initiator's purpose (serverAuth, a copied check or an
    # inverted flag) accepts it.
    "server_and_any_eku": ({"eku": (EKU_SERVER_AUTH, EKU_ANY)}, ("PKI-CERT-5",)),
    # CA:TRUE whatever its pathlen (critical, with keyCertSign, as a real CA has it): a
    # check that reads pathlen 0 as "cannot issue, so a leaf", or that refuses CA:TRUE
    # only with (or only without) a pathlen, lets one of these through.
    "ca_true_pathlen_zero": (
        {"ca": True, "path_len": 0, "key_usage": ("digitalSignature", "keyCertSign")},
        ("PKI-CERT-6",),
    ),
    "ca_true_pathlen_one": (
        {"ca": True, "path_len": 1, "key_usage": ("digitalSignature", "keyCertSign")},
        ("PKI-CERT-6",),
    ),
}


@pytest.mark.parametrize(
    "kind",
    [
        pytest.param(k, marks=pytest.mark.req(*ids, "ERR-3", "PKI-TLS-10"), id=k)
        for k, (_changes, ids) in _NEAR_MISSES.items()
    ],
)
def test_responder_refuses_near_miss_client_certificate(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, kind: str
) -> None:
    lab = lab_pki(target)
    assert target.root is not None
    changes, ids = _NEAR_MISSES[kind]
    cert, key = lab.employee(_suite_alias(target, tmp_path), **changes).write(tmp_path, kind)
    result = connect_pki(
        target.host, target.port, client_context(target.root, cert, key), name=f"pki {kind}"
    )
    _record(transcripts, result)
    judge_responder_refusal(
        result,
        f"{'/'.join(ids)}: {kind} client certificate (alias of the suite)",
        request_name=_request_name(target),
        close_within=_close_bound(target),
    )


def _served(result: PkiChannel | HandshakeRefused, request_name: str) -> str | None:
    """None when the responder served `request_name` over `result`; else what happened."""
    if isinstance(result, HandshakeRefused):
        return f"handshake refused: {result.reason}"
    result.send_frame("RQFL", {"name": request_name})
    first = result.recv_frame(deadline_after(result.timeout))
    if isinstance(first, ReceivedFrame) and first.type == b"RSFL":
        return None
    return f"RQFL {request_name!r} answered with {first.describe()}"


def _issue(lab: LabPKI, alias: str, key: KeyPair, serial: int, **changes: object) -> Certificate:
    return lab.root.issue(
        replace(CertProfile(common_name=alias), serial=serial, **changes),  # type: ignore[arg-type]
        key=key,
    )


# What differs in the second certificate: each is refused by the responder's own checks
# only (OpenSSL's chain, time and purpose checks pass them).
_SECOND_CERTIFICATE: dict[str, tuple[dict[str, object], str]] = {
    "server_and_any_eku": ({"eku": (EKU_SERVER_AUTH, EKU_ANY)}, "PKI-CERT-5"),
    "no_basic_constraints": ({"basic_constraints": False}, "PKI-CERT-9"),
    "ca_true_not_critical": (
        {
            "ca": True,
            "basic_constraints_critical": False,
            "key_usage": ("digitalSignature", "keyCertSign"),
        },
        "PKI-CERT-6",
    ),
}


@pytest.mark.req("PKI-CERT-5", "PKI-CERT-6", "PKI-CERT-9")
def test_responder_checks_every_certificate_of_a_known_serial(
    target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    """The suite's alias presents a good certificate, which is served; then certificates
    with the same serial number, issuer, subject and key that differ only in a defect the
    responder's own checks must find. A responder that remembers a certificate it checked
    once by its serial number ("unique per CA"), its subject or its key — and skips the
    checks for the next one — accepts them. Every certificate is judged on its own."""
    lab = lab_pki(target)
    assert target.root is not None
    alias = _suite_alias(target, tmp_path)
    key = KeyPair.generate()
    serial = secrets.randbits(95) | (1 << 94)
    good = _issue(lab, alias, key, serial)
    cert, key_path = good.write(tmp_path, "good")
    result = connect_pki(
        target.host, target.port, client_context(target.root, cert, key_path), name="good"
    )
    _record(transcripts, result)
    problem = _served(result, _request_name(target))
    if isinstance(result, PkiChannel):
        result.close()
    if problem is not None:
        inconclusive(f"the suite's good certificate (serial {serial:x}) was not served: {problem}")
    accepted = []
    for kind, (changes, req) in _SECOND_CERTIFICATE.items():
        bad = _issue(lab, alias, key, serial, **changes)
        cert, key_path = bad.write(tmp_path, kind)
        result = connect_pki(
            target.host, target.port, client_context(target.root, cert, key_path), name=kind
        )
        _record(transcripts, result)
        try:
            judge_responder_refusal(
                result,
                f"{req}: {kind} certificate with the serial, subject and key of one it accepted",
                request_name=_request_name(target),
                close_within=_close_bound(target),
            )
        except ConformanceFailure as exc:
            accepted.append(str(exc))
        finally:
            if isinstance(result, PkiChannel):
                result.close()
    if accepted:
        raise ConformanceFailure(
            f"a certificate checked once does not vouch for another of serial {serial:x}:\n"
            + "\n".join(accepted)
        )


# How long a certificate minted to expire during the case stays valid, and the wait past
# its notAfter (X.509 times have whole seconds).
_SHORT_LIFE = 3.0
_PAST_EXPIRY = 3.0


@pytest.mark.req("PKI-CERT-3")
def test_responder_refuses_a_certificate_that_expired_while_it_runs(
    target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    """A certificate valid when the responder started, and at the suite's first connection
    (served), then expired a moment later: the next connection with it must be refused.
    A responder that reads the clock once (at start, or when it built its TLS context) or
    caches a certificate's verdict accepts it."""
    lab = lab_pki(target)
    assert target.root is not None
    minted = time.time()
    cert, key = lab.employee(
        _suite_alias(target, tmp_path), days_before=30, days_after=_SHORT_LIFE / 86400
    ).write(tmp_path, "short-lived")
    ctx = client_context(target.root, cert, key)
    result = connect_pki(target.host, target.port, ctx, name="short-lived, still valid")
    _record(transcripts, result)
    problem = _served(result, _request_name(target))
    if isinstance(result, PkiChannel):
        result.close()
    if problem is not None:
        inconclusive(f"the certificate was not served while still valid: {problem}")
    # Waiting for the certificate's own expiry (the condition under test), bounded.
    left = minted + _SHORT_LIFE + _PAST_EXPIRY - time.time()
    if left > 0:
        time.sleep(left)
    result = connect_pki(target.host, target.port, ctx, name="short-lived, expired")
    _record(transcripts, result)
    judge_responder_refusal(
        result,
        f"PKI-CERT-3: a certificate that expired {_PAST_EXPIRY:g} s ago (it was accepted "
        f"{_SHORT_LIFE + _PAST_EXPIRY:g} s earlier)",
        request_name=_request_name(target),
        close_within=_close_bound(target),
    )
