"""sft-pki/1 INITIATOR: the alias compared as the bytes it is, with the CN as the bytes it
is (docs/SPEC.md §4.3, PKI-ID-1, PKI-ID-4).

PKI-ID-4: the comparison is "byte-exact on the subject's single CN". The other initiator
cases try look-alike CNs that case folding, trimming, a prefix, a NUL or Unicode
compatibility normalisation turn into the alias. These try the transformations they
leave out, each of which a real client applies somewhere:

- characters dropped: the CN is the alias with a zero-width space, a soft hyphen or a
  combining accent inside or after it — `encode("ascii", "ignore")`, a "sanitising"
  step before the comparison, or a terminal-safe copy of the name, leaves the alias;
- the alias used as a pattern: asked for an alias holding a `.` (PKI-CERT-2 allows it),
  the responder's CN has another character in that place — a comparison by regular
  expression, glob or host-name wildcard rules takes the `.` for "any character";
- two CNs in ONE relative distinguished name (a multi-valued RDN, `CN=a+CN=b`): "a
  subject with more than one CN MUST be refused", whichever of them is the alias — a
  count of the RDNs holding a CN finds one.

Each refusal is `judge_refusal`'s: non-zero exit, no file, no application frame but an
optional `EROR auth_failed` [PKI-TLS-7]. The certificates are issued by the organisation
root and valid in every other respect.

Fixtures (conformance/plugin.py): `target` (pki, lab mode), `transcripts`, `tmp_path`.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from Crypto.Util.asn1 import DerSetOf

from conformance._wire_fixtures import (
    TranscriptBook,
    honest_get_script,
    judge_refusal,
    lab_pki,
    require_reached,
    responder_alias,
    run_initiator,
)
from conformance.target import Target
from conformance.x509 import (
    Certificate,
    CertificateAuthority,
    CertProfile,
    KeyPair,
    _children,
    _now,
    _oid,
    _prim,
    _seq,
    _signed,
    _split,
    _tbs_certificate,
)

__all__: list[str] = []

pytestmark = [pytest.mark.profile("pki"), pytest.mark.side("initiator")]

CONTENT = b"initiator alias forms\n"

_CN = "2.5.4.3"


def _dropped_form(alias: str, kind: str) -> str:
    """The alias with characters a lossy ASCII conversion drops."""
    middle = max(1, len(alias) // 2)
    if kind == "zero_width_space":
        return alias[:middle] + "\u200b" + alias[middle:]
    if kind == "soft_hyphen":
        return alias[:middle] + "\u00ad" + alias[middle:]
    if kind == "combining_accent":
        return alias + "\u0301"
    return alias + "\u00e9"  # latin_suffix: é


@pytest.mark.req("PKI-ID-4")
@pytest.mark.parametrize(
    "kind",
    [
        "zero_width_space",
        "combining_accent",
        pytest.param("soft_hyphen", marks=pytest.mark.slow),
        pytest.param("latin_suffix", marks=pytest.mark.slow),
    ],
)
def test_initiator_refuses_a_common_name_that_only_loses_characters_to_the_alias(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, kind: str
) -> None:
    alias = responder_alias(target)
    cn = _dropped_form(alias, kind)
    run, hostile = run_initiator(
        target,
        tmp_path,
        transcripts,
        cert=lab_pki(target).employee(cn),
        script=honest_get_script(CONTENT),
    )
    require_reached(run, hostile, request=False)
    judge_refusal(
        run,
        hostile,
        f"PKI-ID-4: asked for {alias!r}, the responder's certificate CN is {cn!r} "
        f"({cn.encode()!r}): dropping its non-ASCII characters gives the alias, its bytes "
        "are another name",
    )


@pytest.mark.req("PKI-ID-4", "PKI-ID-1")
def test_initiator_compares_an_alias_with_a_dot_as_text_not_as_a_pattern(
    target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    """Asked for `sft.peer`, the responder's valid certificate names `sftxpeer`: the
    `.` is a character of the alias (PKI-CERT-2), not "any character"."""
    asked, cn = "sft.peer", "sftxpeer"
    run, hostile = run_initiator(
        target,
        tmp_path,
        transcripts,
        cert=lab_pki(target).employee(cn),
        script=honest_get_script(CONTENT),
        alias=asked,
    )
    require_reached(run, hostile, request=False)
    judge_refusal(
        run,
        hostile,
        f"PKI-ID-4: asked for {asked!r}, the responder's certificate CN is {cn!r}",
        auth_eror_allowed=False,
    )


def _with_subject(ca: CertificateAuthority, profile: CertProfile, subject: bytes) -> Certificate:
    """`ca.issue(profile)` with the subject Name replaced by `subject` (DER)."""
    key = KeyPair.generate()
    tbs, serial = _tbs_certificate(profile, key, ca.name_der, ca.key_id, ca.key, _now())
    fields = _children(_split(tbs)[1])
    fields[5] = subject  # version [0], serial, signature, issuer, validity, subject, ...
    return Certificate(_signed(_seq(*fields), ca.key), key, serial, profile.common_name)


def _multi_valued_cn(names: tuple[str, ...]) -> bytes:
    """A Name of one RDN holding a CN attribute for each of `names` (DER sorts them)."""
    attributes = [_seq(_oid(_CN), _prim(0x0C, n.encode("utf-8"))) for n in names]
    return _seq(bytes(DerSetOf(attributes).encode()))


@pytest.mark.req("PKI-ID-4")
@pytest.mark.parametrize(
    "other",
    ["shorter", pytest.param("longer", marks=pytest.mark.slow)],
)
def test_initiator_refuses_two_common_names_in_one_rdn(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, other: str
) -> None:
    """The subject is one RDN `CN=alias+CN=other`: two CNs, refused like two RDNs of one CN
    each. The other CN is shorter than the alias (DER's SET OF order puts it first, the
    alias last) or longer (the alias first)."""
    alias = responder_alias(target)
    name = "x" if other == "shorter" else f"{alias}-impostor"
    cert = _with_subject(
        lab_pki(target).root, CertProfile(common_name=alias), _multi_valued_cn((alias, name))
    )
    run, hostile = run_initiator(
        target, tmp_path, transcripts, cert=cert, script=honest_get_script(CONTENT)
    )
    require_reached(run, hostile, request=False)
    judge_refusal(
        run,
        hostile,
        f"PKI-ID-4: asked for {alias!r}, the responder's subject is one RDN holding two CNs "
        f"({alias!r} and {name!r})",
    )
