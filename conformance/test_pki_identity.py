"""sft-pki/1 identities (docs/SPEC.md §4.3): whose certificate names whom, exactly.

Initiator side: the suite's hostile responder presents a VALID certificate of the
organisation whose name only resembles the alias the client asked for (a longer or
shorter CN, the alias in O or in a subjectAltName instead of the CN). A client that
compares by prefix, by substring or on the wrong field talks to the impostor.

Responder side (feature `allow-list`): employees whose aliases only resemble the suite's
own (which the allow list must hold) are answered `forbidden` and the connection closes,
for every kind of request, whatever alias they claim in their frames [PKI-ID-2].

Fixtures (conformance/plugin.py): `target` (pki), `transcripts`, `tmp_path`.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest

from conformance._wire_fixtures import (
    TranscriptBook,
    fresh_name,
    honest_get_script,
    judge_refusal,
    lab_pki,
    require_reached,
    responder_alias,
    run_initiator,
    run_initiator_watched,
    suite_identity,
)
from conformance.pki_channel import (
    HandshakeRefused,
    client_context,
    close_bound,
    connect_pki,
    ended_cleanly,
)
from conformance.plugin import unsupported
from conformance.target import Target
from conformance.wire import ConformanceFailure, Expectation, ExpectClose, ExpectError
from conformance.x509 import pem_decode, read_certificate

CONTENT = b"identity tests\n"
_IMPOSTOR = "sft-impostor"


# How a valid certificate can resemble the alias asked for: CN and extra fields.
def _lookalike(kind: str, alias: str) -> dict[str, Any]:
    """The certificate fields of a look-alike of `alias`, by kind."""
    if kind == "cn_alias_extended":
        return {"common_name": f"{alias}2"}
    if kind == "cn_alias_truncated":
        return {"common_name": alias[:-1] or "x"}
    if kind == "cn_upper_case":
        return {"common_name": alias.upper()}
    if kind == "two_cns_alias_last":  # `dict(getpeercert()["subject"])` keeps the last
        return {"common_name": _IMPOSTOR, "subject_cns": (_IMPOSTOR, alias)}
    if kind == "two_cns_alias_first":
        return {"common_name": _IMPOSTOR, "subject_cns": (alias, _IMPOSTOR)}
    if kind == "alias_in_organisation":
        return {"common_name": _IMPOSTOR, "organisation": alias}
    if kind == "cn_alias_nul_suffix":  # equal to the alias for a C string compare
        return {"common_name": f"{alias}\x00{_IMPOSTOR}"}
    if kind == "cn_alias_fullwidth":  # equal to the alias after NFKC
        return {"common_name": "".join(_fullwidth(c) for c in alias)}
    return {"common_name": _IMPOSTOR, "dns_names": (alias,)}


_LOOKALIKES = (
    "cn_alias_extended",
    "cn_alias_truncated",
    "cn_upper_case",
    "two_cns_alias_last",
    "two_cns_alias_first",
    "alias_in_organisation",
    "alias_in_subject_alt_name",
    "cn_alias_nul_suffix",
    "cn_alias_fullwidth",
)


# Look-alikes that are not one valid alias's certificate (PKI-ID-4: "A peer certificate
# whose subject has no CN or more than one MUST be refused").
_REFUSED_CERTIFICATES = ("two_cns_alias_last", "two_cns_alias_first")


@pytest.mark.req("PKI-ID-1", "PKI-ID-4", "PKI-TLS-7")
@pytest.mark.parametrize("lookalike", _LOOKALIKES)
def test_initiator_refuses_lookalike_responder_certificate(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, lookalike: str
) -> None:
    alias = responder_alias(target)
    fields = _lookalike(lookalike, alias)
    cert = lab_pki(target).employee(fields.pop("common_name"), **fields)
    run, hostile = run_initiator(
        target, tmp_path, transcripts, cert=cert, script=honest_get_script(CONTENT)
    )
    require_reached(run, hostile, request=False)
    judge_refusal(
        run,
        hostile,
        f"PKI-ID-1/4: asked for {alias!r}, the responder's certificate is {lookalike} "
        f"(CN {cert.common_name!r})",
        # A mismatch sends no frame at all (PKI-ID-1); a certificate refused under
        # PKI-ID-4 MAY be answered with EROR auth_failed after the handshake (PKI-TLS-7).
        auth_eror_allowed=lookalike in _REFUSED_CERTIFICATES,
    )
    # A valid certificate of ANOTHER alias is PKI-ID-1's mismatch: "How it ends that
    # connection (a TLS alert, close_notify, or a TCP close) is its choice". A subject
    # with two CNs is a certificate PKI-ID-4 says "MUST be refused": the initiator ends
    # an established TLS connection, with close_notify or an alert, never a bare FIN
    # [PKI-TLS-7].
    if lookalike not in _REFUSED_CERTIFICATES:
        return
    ragged = [
        c.end.describe()
        for c in hostile.channels
        if c.end is not None and not ended_cleanly(c.end) and c.end.kind != "tls_alert"
    ]
    if ragged:
        raise ConformanceFailure.evidence(
            f"PKI-TLS-7: how the initiator left the impostor ({lookalike})",
            "a TLS close_notify or alert, then the TCP close",
            "; ".join(ragged),
            note=run.describe(),
        )


@pytest.mark.req("PKI-ID-1")
def test_initiator_checks_the_alias_again_after_a_busy_retry(
    target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    """The first connection is closed before TLS, as a responder over its limits does; a
    client that tries again (it may: LIM-9) meets an impostor — a valid certificate of
    the organisation whose CN is the alias asked for plus `2` — and must refuse it as on
    a first attempt: no application frame, no file, no success. (A client that does not
    retry fails at once, which is conforming too.)"""
    alias = responder_alias(target)
    cert = lab_pki(target).employee(f"{alias}2")
    outdir = tmp_path / "out"
    outdir.mkdir()
    run, hostile = run_initiator_watched(
        target,
        tmp_path,
        transcripts,
        cert=cert,
        script=honest_get_script(CONTENT),
        out=outdir / "received.bin",
        refuse_first=1,
    )
    sent = hostile.frames_received()
    if sent or run.kept_file or run.succeeded:
        raise ConformanceFailure.evidence(
            f"PKI-ID-1: asked for {alias!r}; the first connection closed before TLS, the "
            f"next one presented {cert.common_name!r}",
            "no application frame to the impostor, no file kept, a failure reported",
            f"frames sent {sent}, file kept: {run.kept_file}, {run.describe()}",
            note=f"{len(hostile.transcripts)} connection(s) made",
        )


def _suite_alias(target: Target, workdir: Path) -> str:
    cert, _key = suite_identity(target, workdir)
    alias = read_certificate(pem_decode(cert.read_text())).common_name
    if not alias:
        pytest.skip("the suite's identity has no CN")
    return alias


_OUTSIDER = "sft-outsider"
# Subjects that are not a single valid alias: refusing the certificate is fine too.
_INVALID_SUBJECTS = (
    "upper_case",
    "two_cns_suite_last",
    "two_cns_suite_first",
    "no_cn",
    "no_cn_alias_in_subject_alt_name",
    "nul_suffix",
    "fullwidth",
    "trailing_space",
)


# ...and a certificate carrying a subjectAltName, which PKI-CERT-1 does not give an
# employee (CA-ENR-17: "an employee certificate MUST NOT carry one"): PKI-CERT-9 lets a
# responder refuse such a departure ("a conformance case MUST NOT judge that choice").
_REFUSABLE = (*_INVALID_SUBJECTS, "alias_in_subject_alt_name")


def _outsiders(alias: str) -> dict[str, dict[str, Any]]:
    """Certificates (CertProfile fields) that resemble the suite's allowed alias."""
    return {
        "upper_case": {"common_name": alias.upper()},
        "truncated": {"common_name": alias[:-1] or "x"},
        "extended": {"common_name": f"{alias}-{_OUTSIDER}"},
        "prefixed": {"common_name": f"{_OUTSIDER}-{alias}"},
        "two_cns_suite_last": {"common_name": _OUTSIDER, "subject_cns": (_OUTSIDER, alias)},
        "two_cns_suite_first": {"common_name": _OUTSIDER, "subject_cns": (alias, _OUTSIDER)},
        "alias_in_subject_alt_name": {"common_name": _OUTSIDER, "dns_names": (alias,)},
        "no_cn": {"common_name": _OUTSIDER, "subject_cns": (), "organisation": alias},
        # No CN at all, the alias only as a DNS subjectAltName: what a responder that
        # falls back to the SAN when the CN is missing (host-name habits) takes for it.
        "no_cn_alias_in_subject_alt_name": {
            "common_name": _OUTSIDER,
            "subject_cns": (),
            "dns_names": (alias,),
        },
        # What a C string compare (`strcmp` stops at NUL), a Unicode normalisation (NFKC
        # folds fullwidth letters) or a trim makes equal to the alias.
        "nul_suffix": {"common_name": f"{alias}\x00{_OUTSIDER}"},
        "fullwidth": {"common_name": "".join(_fullwidth(c) for c in alias)},
        "trailing_space": {"common_name": f"{alias} "},
    }


def _fullwidth(char: str) -> str:
    """The fullwidth form of an ASCII letter or digit (NFKC maps it back), else `char`."""
    return chr(ord(char) + 0xFEE0) if char.isascii() and char.isalnum() else char


def _claims(alias: str) -> dict[str, str]:
    """Members a confused responder might read an identity from [PKI-ID-2]."""
    return {"alias": alias, "user": alias, "from": alias, "cn": alias}


@pytest.mark.req("PKI-ID-2", "PKI-ID-3", "PKI-ID-4")
@pytest.mark.parametrize("request_kind", ["get", "get-missing", "get-bad-name", "put"])
def test_allow_list_is_exact_for_every_request(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, request_kind: str
) -> None:
    """Each look-alike of the suite's alias asks (claiming the suite's alias in its
    frames): `forbidden`, then close; a put is never stored. `get-missing` asks for a
    file the share does not hold: the allow list answers before the share is looked at,
    so it too is `forbidden` (a responder that opens the file first answers not_found and
    keeps the connection, telling an outsider what the share holds). `get-bad-name` asks
    for a name §3.5 refuses: `forbidden` too, and then the close (a responder that checks
    the name before the allow list answers its non-fatal `forbidden` and stays open)."""
    if not target.has("allow-list"):
        unsupported("the target does not declare feature 'allow-list'")
    if request_kind == "put" and not target.has("put"):
        unsupported("the target does not declare feature 'put'")
    assert target.root is not None
    lab = lab_pki(target)
    alias = _suite_alias(target, tmp_path)
    problems = []
    for label, fields in _outsiders(alias).items():
        outsider = "+".join(fields.get("subject_cns", (fields["common_name"],))) or "(no CN)"
        cert, key = lab.employee(fields.pop("common_name"), **fields).write(tmp_path, label)
        result = connect_pki(
            target.host,
            target.port,
            client_context(target.root, cert, key),
            name=label,
            server_hostname=alias,  # the claim again, as SNI [PKI-ID-2]
        )
        if isinstance(result, HandshakeRefused):
            transcripts.add(result.transcript)
            continue  # refusing the handshake is stricter than required, and allowed
        transcripts.add(result)
        # "then close" means at once, not when the idle timeout would close it anyway.
        result.close_within = close_bound(target.limits.idle_timeout)
        try:
            if request_kind == "get":
                name = target.files[0].name if target.files else "hello.txt"
                result.send_frame("RQFL", {"name": name, **_claims(alias)})
            elif request_kind in ("get-missing", "get-bad-name"):
                name = fresh_name("sft-outsider-missing")
                if request_kind == "get-bad-name":
                    name = f"../{name}"
                result.send_frame("RQFL", {"name": name, **_claims(alias)})
            else:
                name = fresh_name("sft-outsider")
                data = b"an outsider's put\n"
                offer = {"name": name, "size": len(data), **_claims(alias)}
                result.send_frame("PUTF", offer)
                # A responder that accepted gets the data at once: the proof is on disk.
                result.send_frame("DATA", data)
                result.send_frame(
                    "DONE", {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
                )
            answers: list[Expectation] = [ExpectError("forbidden", then_close=True)]
            # Refusing the certificate is fine too; so is refusing any initiator off the
            # allow list right after the handshake (PKI-ID-3: "MAY instead refuse such an
            # initiator at the handshake, as it refuses a certificate (PKI-TLS-10)").
            answers += [ExpectError("auth_failed"), ExpectClose()]
            outcome = result.expect(answers)
        finally:
            result.close()
        stored = (
            request_kind == "put" and target.inbox is not None and (target.inbox / name).exists()
        )
        if not outcome.ok or stored:
            problems.append(
                f"{outsider!r} ({label}) {request_kind}: {outcome.describe()}"
                + (f"\nstored {name} in the inbox" if stored else "")
            )
    if problems:
        raise ConformanceFailure(
            f"PKI-ID-3/4: employees whose alias only resembles {alias!r} (which the allow "
            "list holds), each claiming it in its frames (PKI-ID-2):\n" + "\n".join(problems)
        )


@pytest.mark.req("PKI-ID-3")
def test_allow_list_holds_for_the_responders_own_alias(
    target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    """A valid employee certificate whose alias is the responder's own, when the declared
    allow list does not hold it: every request `forbidden`, then the close. A responder
    that takes a peer of its own alias for itself ("a connection from myself is trusted")
    serves it past the list."""
    if not target.has("allow-list"):
        unsupported("the target does not declare feature 'allow-list'")
    own = target.responder_alias
    if target.allow is None or own is None:
        pytest.skip("the target declares no `allow` list or no `responder_alias` ([pki])")
    if own in target.allow:
        pytest.skip(f"the declared allow list holds the responder's own alias {own!r}")
    assert target.root is not None
    cert, key = lab_pki(target).employee(own).write(tmp_path, "own-alias")
    result = connect_pki(
        target.host, target.port, client_context(target.root, cert, key), name="own alias"
    )
    if isinstance(result, HandshakeRefused):
        transcripts.add(result.transcript)
        return  # refusing the handshake is stricter than required, and allowed
    transcripts.add(result)
    result.close_within = close_bound(target.limits.idle_timeout)
    try:
        name = target.files[0].name if target.files else "hello.txt"
        result.send_frame("RQFL", {"name": name})
        # PKI-ID-3: forbidden then the close, or refused right after the handshake as a
        # certificate is (PKI-TLS-10: EROR auth_failed, or the close without an EROR).
        outcome = result.expect(
            [ExpectError("forbidden", then_close=True), ExpectError("auth_failed"), ExpectClose()]
        )
    finally:
        result.close()
    if not outcome.ok:
        raise ConformanceFailure.evidence(
            f"PKI-ID-3: a valid employee certificate of alias {own!r} — the responder's own, "
            f"not on its declared allow list {list(target.allow)} — asks for {name!r}",
            "EROR forbidden, then the close (or a refusal after the handshake, PKI-TLS-10)",
            outcome.describe(),
        )
