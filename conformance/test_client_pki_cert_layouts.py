"""sft-pki/1 INITIATOR: a responder certificate's defect is refused however the
certificate is laid out (docs/SPEC.md §4.2).

The other initiator certificate cases mint their defective certificates one way: an ECDSA
P-256 key and the extensions in the order BasicConstraints, KeyUsage, ExtendedKeyUsage,
SubjectKeyIdentifier, AuthorityKeyIdentifier. A check that depends on that layout passes
them and lets the same defect through in another one: a loop over the extensions that
stops at the first one it does not judge (`break` for `continue`: with the key identifiers
first, nothing is judged), or checks written for one kind of key only (an "RSA path"
that leaves the extensions to OpenSSL). RFC 5280 fixes no order of extensions, and
PKI-CERT-1 allows RSA keys as well as P-256 ones (PKI-CERT-9: "MUST NOT be refused for
the kind of key it holds").

Each case presents, for the alias the client asks for, a root-issued certificate with one
defect — CA:TRUE [PKI-CERT-6], no ExtendedKeyUsage [PKI-CERT-5], a KeyUsage of
keyEncipherment alone [PKI-CERT-9] — in a layout: the key identifiers first, the
extensions reversed, or an RSA-2048 key. The refusal is `judge_refusal`'s: non-zero exit,
no file, no application frame but an optional `EROR auth_failed`. A control runs the
same layouts without a defect, so that a client refusing a layout as such is not judged
on it: a refusal of a valid certificate is no conformance to claim credit for.

Fixtures (conformance/plugin.py): `target` (pki, lab mode), `transcripts`, `tmp_path`.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import pytest

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
from conformance.test_client_pki_cert_forms import extension_oid, reissue
from conformance.wire import ConformanceFailure
from conformance.x509 import (
    EKU_CLIENT_AUTH,
    EKU_SERVER_AUTH,
    Certificate,
    CertProfile,
    KeyPair,
    _oid,
)

__all__: list[str] = []

pytestmark = [pytest.mark.profile("pki"), pytest.mark.side("initiator")]

CONTENT = b"initiator certificate layouts\n"

_KEY_IDS = (_oid("2.5.29.14"), _oid("2.5.29.35"))  # SubjectKeyIdentifier, AuthorityKeyId


@functools.cache
def _rsa_key() -> KeyPair:
    """One RSA-2048 key per process (generating one costs up to a second)."""
    return KeyPair.generate("rsa", rsa_bits=2048)


def _key_ids_first(extensions: list[bytes]) -> list[bytes]:
    first = [e for e in extensions if extension_oid(e) in _KEY_IDS]
    return first + [e for e in extensions if extension_oid(e) not in _KEY_IDS]


def _reversed(extensions: list[bytes]) -> list[bytes]:
    return list(reversed(extensions))


_DEFECTS: dict[str, tuple[str, dict[str, Any]]] = {
    "ca_true": ("PKI-CERT-6", {"ca": True, "key_usage": ("digitalSignature", "keyCertSign")}),
    "no_eku": ("PKI-CERT-5", {"eku": None}),
    "key_encipherment": ("PKI-CERT-9", {"key_usage": ("keyEncipherment",)}),
    "none": ("", {}),
}


def _certificate(target: Target, defect: str, layout: str) -> Certificate:
    alias = responder_alias(target)
    root = lab_pki(target).root
    fields: dict[str, Any] = {"eku": (EKU_CLIENT_AUTH, EKU_SERVER_AUTH), **_DEFECTS[defect][1]}
    profile = CertProfile(common_name=alias, **fields)
    if layout == "rsa":
        return root.issue(profile, key=_rsa_key())
    edit = _key_ids_first if layout == "key_ids_first" else _reversed
    return reissue(root, profile, edit=edit)


_LAYOUTS = ("key_ids_first", "reversed", "rsa")
# The default run: every defect and every layout at least once; the rest with -m slow.
_DEFAULT = {
    ("ca_true", "key_ids_first"),
    ("ca_true", "rsa"),
    ("no_eku", "reversed"),
    ("no_eku", "rsa"),
    ("key_encipherment", "key_ids_first"),
}


def _params() -> list[object]:
    params: list[object] = []
    for defect, (req, _) in _DEFECTS.items():
        if defect == "none":
            continue
        for layout in _LAYOUTS:
            marks = [pytest.mark.req(req)]
            if (defect, layout) not in _DEFAULT:
                marks.append(pytest.mark.slow)
            params.append(pytest.param(defect, layout, marks=marks, id=f"{defect}-{layout}"))
    return params


def _accepts_layout(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, layout: str
) -> bool:
    """Whether the client takes a valid certificate in `layout` (it MUST for RSA,
    PKI-CERT-9; an order of extensions it refuses leaves nothing to judge here)."""
    run, hostile = run_initiator(
        target,
        tmp_path,
        transcripts,
        cert=_certificate(target, "none", layout),
        script=honest_get_script(CONTENT),
    )
    require_reached(run, hostile, request=False)
    return run.succeeded and run.kept_file


@pytest.mark.parametrize(("defect", "layout"), _params())
def test_initiator_refuses_a_defect_in_any_layout(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, defect: str, layout: str
) -> None:
    req = _DEFECTS[defect][0]
    cert = _certificate(target, defect, layout)
    run, hostile = run_initiator(
        target, tmp_path, transcripts, cert=cert, script=honest_get_script(CONTENT)
    )
    require_reached(run, hostile, request=False)
    what = f"{req}: responder certificate {defect}, laid out {layout}"
    try:
        judge_refusal(run, hostile, what)
    except ConformanceFailure:
        if not _accepts_layout(target, tmp_path, transcripts, layout):
            pytest.skip(f"the client refuses a valid certificate laid out {layout} too")
        raise
