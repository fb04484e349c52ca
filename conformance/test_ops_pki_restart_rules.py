"""sft-pki/1: what the responder enforces at its first start it enforces from the first
connection after a restart (PKI-CERT-7, PKI-TLS-1, PKI-TLS-3, PKI-ID-3, APP-PUT-7).

A restart is a start: "The responder MUST load the CRL at start" (PKI-CERT-7), and the TLS
1.3 floor, the client-certificate requirement, the allow list and the size limit bind the
restarted process as they bound the first one. But a restart often runs other code than a
cold start: a process re-executed on SIGHUP that adopts its listening socket, a reload
function written apart from `main`, a command line rebuilt from parsed options. What such a
path forgets is invisible to every case that judges the responder as it first started, and
test_ops_pki_refreshed_context.py judges only the CRL reload, seconds later. The class:
- a restarted responder that serves before it has a CRL ("the CA may be slow, the refresher
  will fetch it"): a revoked certificate gets in until the first refetch — so the revoked
  identities are tried FIRST, right after the restart;
- a context rebuilt with the library's defaults (TLS 1.2 negotiated; no certificate
  requested);
- options lost on the way (repeatable ones such as the allow list; the limits: a put above
  the declared max file size accepted).
Case one restarts the responder with its declared `[pki] restart_cmd` and, at once, tries
every revoked identity (PKI-CERT-7), a TLS 1.2-only ClientHello (PKI-TLS-1) and a client
without a certificate (PKI-TLS-3). Case two restarts it again and asks, as an employee not
on the declared allow list, for a file (PKI-ID-3: forbidden, or refused at the handshake),
then offers, as the suite, a put one byte above the declared max file size (APP-PUT-7:
`too_large` before any data). Without a restart command the cases SKIP; each check whose
facts are missing (no revoked identity, no allow list, no lab key, no put) is left out.
"""

from __future__ import annotations

import ssl
import time
from pathlib import Path

import pytest

from conformance._wire_fixtures import AppChannel, TranscriptBook, lab_pki, suite_identity
from conformance.pki_channel import (
    HandshakeRefused,
    PkiChannel,
    client_context,
    connect_pki,
    judge_responder_refusal,
)
from conformance.target import Target
from conformance.test_eke_restart import _ACCEPT_WITHIN, restart_and_wait
from conformance.test_pki_certs import _close_bound, _request_name, _suite_alias
from conformance.wire import ConformanceFailure, ExpectClose, ExpectError, ExpectFrame
from conformance.x509 import pem_decode, read_certificate

__all__: list[str] = []

# A restart ends every connection of the responder: one worker runs the restarting cases.
pytestmark = [pytest.mark.profile("pki"), pytest.mark.xdist_group("pki-restart")]

_OUTSIDER = "sft-restart-outsider"


def _restart(target: Target) -> str:
    """The declared restart, then back to accepting; what the evidence calls it."""
    if not target.restart_cmd:
        pytest.skip(
            "the target declares no restart command ([pki] restart_cmd): a restarted "
            "responder cannot be observed"
        )
    restart_and_wait(str(target.restart_cmd), target.host, target.port)
    return "right after the declared restart of the responder"


def _revoked(target: Target) -> dict[str, tuple[Path, Path]]:
    if not target.has("crl"):
        return {}
    return {k: v for k, v in sorted(target.identities.items()) if k.startswith("revoked")}


def _refusal_problem(
    target: Target,
    result: PkiChannel | HandshakeRefused,
    what: str,
    transcripts: TranscriptBook,
) -> str | None:
    """None when `result` is a refusal PKI-TLS-10 allows; the evidence otherwise."""
    transcripts.add(result if isinstance(result, PkiChannel) else result.transcript)
    try:
        judge_responder_refusal(
            result,
            what,
            request_name=_request_name(target),
            close_within=_close_bound(target),
        )
    except ConformanceFailure as exc:
        return str(exc)
    finally:
        if isinstance(result, PkiChannel):
            result.close()
    return None


@pytest.mark.req("PKI-CERT-7", "PKI-TLS-1", "PKI-TLS-3")
def test_a_restarted_responder_checks_certificates_from_its_first_connection(
    target: Target, transcripts: TranscriptBook, tmp_path: Path
) -> None:
    assert target.root is not None
    revoked = _revoked(target)
    cert, key = suite_identity(target, tmp_path)
    try:
        tls12 = client_context(target.root, cert, key, max_version=ssl.TLSVersion.TLSv1_2)
    except ssl.SSLError:
        tls12 = None  # this OpenSSL cannot offer TLS 1.2: that check is left out
    when = _restart(target)
    timeout = _ACCEPT_WITHIN  # the new process may still be starting: the backlog holds us
    failures: dict[str, list[str]] = {}
    # Revoked first: a responder that serves before it has loaded its CRL is caught only
    # in the first moments after its start.
    for name, (rcert, rkey) in revoked.items():
        info = read_certificate(pem_decode(rcert.read_text()))
        what = f"revoked identity {name!r} (CN {info.common_name}) {when}"
        result = connect_pki(
            target.host,
            target.port,
            client_context(target.root, rcert, rkey),
            name=what,
            timeout=timeout,
        )
        problem = _refusal_problem(target, result, what, transcripts)
        if problem is not None:
            failures.setdefault("PKI-CERT-7", []).append(problem)
    if tls12 is not None:
        what = f"a valid employee offering only TLS 1.2 {when}"
        result = connect_pki(target.host, target.port, tls12, name=what, timeout=timeout)
        if isinstance(result, PkiChannel):
            transcripts.add(result)
            version = result.peer.version
            result.close()
            failures.setdefault("PKI-TLS-1", []).append(
                f"{what}: the handshake completed with {version} (expected: refused, the "
                "responder never negotiates TLS 1.2 or lower)"
            )
        else:
            transcripts.add(result.transcript)
    what = f"a client without a certificate {when}"
    result = connect_pki(
        target.host, target.port, client_context(target.root), name=what, timeout=timeout
    )
    problem = _refusal_problem(target, result, what, transcripts)
    if problem is not None:
        failures.setdefault("PKI-TLS-3", []).append(problem)
    if failures:
        raise ConformanceFailure(
            "Context:  the responder restarted with its declared restart command; the first "
            "connections after it: every revoked identity the target declares "
            f"({', '.join(revoked) or 'none'}), TLS 1.2 only, no client certificate\n"
            "Expected: each refused, as at the first start: the CRL loaded at start "
            "(PKI-CERT-7), TLS 1.3 only (PKI-TLS-1), a client certificate required "
            "(PKI-TLS-3) — a restart's code path must not start with less\n"
            "Actual:   "
            + "\n          ".join(f"{rid}: {p}" for rid, ps in failures.items() for p in ps),
            violates=tuple(failures),
        )


def _outsider_problem(
    target: Target, transcripts: TranscriptBook, tmp_path: Path, when: str
) -> str | None:
    """An employee not on the allow list asks for a file; None when refused as PKI-ID-3
    allows (forbidden, or refused like a certificate)."""
    assert target.root is not None
    allowed = set(target.allow or ())
    alias = _OUTSIDER if _OUTSIDER not in allowed else _OUTSIDER + "-2"
    cert, key = lab_pki(target).employee(alias).write(tmp_path, "outsider")
    result = connect_pki(
        target.host,
        target.port,
        client_context(target.root, cert, key),
        name=f"outsider {alias} {when}",
        timeout=_ACCEPT_WITHIN,
    )
    if isinstance(result, HandshakeRefused):
        transcripts.add(result.transcript)
        return None
    transcripts.add(result)
    try:
        result.close_within = _close_bound(target)
        name = _request_name(target)
        result.send_frame("RQFL", {"name": name})
        outcome = result.expect(
            [ExpectError("forbidden"), ExpectError("auth_failed"), ExpectClose()]
        )
        if outcome.ok:
            return None
        return (
            f"PKI-ID-3: employee {alias!r}, not on the declared allow list "
            f"({', '.join(sorted(allowed))}), asked for {name!r} {when}: expected EROR "
            f"forbidden (or a refusal as of a certificate), got {outcome.actual.describe()}"
        )
    finally:
        result.close()


def _too_large_problem(target: Target, app_channel: AppChannel, when: str) -> str | None:
    """A put one byte above the declared max file size; None when refused too_large."""
    size = target.limits.max_file_size + 1
    channel = app_channel(timeout=_ACCEPT_WITHIN)
    name = f"restart-too-large-{time.monotonic_ns()}.bin"
    channel.send_frame("PUTF", {"name": name, "size": size})
    answer = channel.expect([ExpectError("too_large"), ExpectFrame("RSFL")])
    channel.close()
    if answer.ok and answer.frame is not None and answer.frame.type != b"RSFL":
        return None
    if target.inbox is not None:
        for entry in target.inbox.glob(name):
            entry.unlink(missing_ok=True)
    return (
        f"APP-PUT-7: PUTF {name!r} of {size} bytes, one above the declared max file size "
        f"({target.limits.max_file_size} B), {when}: expected EROR too_large before any "
        f"data, got {answer.actual.describe()}"
    )


@pytest.mark.req("PKI-ID-3", "APP-PUT-7")
def test_a_restarted_responder_keeps_its_allow_list_and_size_limit(
    target: Target, transcripts: TranscriptBook, tmp_path: Path, app_channel: AppChannel
) -> None:
    assert target.root is not None
    checks_allow = target.has("allow-list") and target.ca_key is not None and bool(target.allow)
    checks_size = target.has("put")
    if not (checks_allow or checks_size):
        pytest.skip(
            "needs an allow list with lab mode (feature 'allow-list', [pki] allow, the "
            "root's key) or feature 'put': nothing of the configuration to check"
        )
    if checks_allow:
        _suite_alias(target, tmp_path)  # the suite's own identity is on the list
    when = _restart(target)
    failures: dict[str, str] = {}
    if checks_allow:
        problem = _outsider_problem(target, transcripts, tmp_path, when)
        if problem is not None:
            failures["PKI-ID-3"] = problem
    if checks_size:
        problem = _too_large_problem(target, app_channel, when)
        if problem is not None:
            failures["APP-PUT-7"] = problem
    if failures:
        raise ConformanceFailure(
            "Context:  the responder restarted with its declared restart command\n"
            "Expected: the configuration it was started with still applies: an employee not "
            "on its allow list is not served (PKI-ID-3), a put above its declared max file "
            "size is refused too_large (APP-PUT-7)\n"
            "Actual:   " + "\n          ".join(failures.values()),
            violates=tuple(failures),
        )
