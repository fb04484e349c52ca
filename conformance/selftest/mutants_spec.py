"""Mutants for the statements the spec-consistency review added or tightened: disguising
names (APP-NAME-8), the record nonce layout (EKE-REC-2), the transcript's length prefix
(EKE-KS-1) and the CA's key types and KeyUsage (PKI-CERT-1, CA-ENR-13). (Bugs in the
HKDF, Feistel or scrypt recipes break every handshake, which the suite reports as a
broken target: those are pinned by the external known answers, VEC-3, instead.)

Each is planted by monkeypatching the reference inside the mutant's own subprocess (see
conformance/selftest/mutants.py); the suite must FAIL the named requirement.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from conformance.selftest.mutant import Mutant, _module
from conformance.selftest.mutants_app import _patch_source

__all__ = ["MUTANTS"]

_BIDI = frozenset(map(chr, [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]))


def _share() -> Any:
    return _module("reference.share")


def _check_with(extra: Callable[[str], bool], *, strip: bool = False) -> Callable[[str], Any]:
    """check_name as APP-NAME-1/2 had it (C0 and DEL only), plus `extra` as the C1/bidi
    rule: the shape in which a hurried implementer adds APP-NAME-8."""
    share = _share()
    original = share.check_name

    def c0_only(name: str) -> Any:
        # The reference's own check, with C1 and bidi characters masked out of its view.
        masked = "".join("x" if 0x80 <= ord(c) <= 0x9F or c in _BIDI else c for c in name)
        parts = original(masked)
        return name.split("/") if masked != name else parts

    def check_name(name: str) -> Any:
        if strip:
            name = name.strip()
        if extra(name):
            raise share.NameRefused("control characters are not allowed in names")
        return c0_only(name)

    return check_name


def _install_check(check: Callable[[str], Any]) -> None:
    _share().check_name = check


def _names_rlo_only() -> None:
    # "the RTLO trick": U+202E is the famous one, so it is the one refused.
    _install_check(_check_with(lambda n: any(0x80 <= ord(c) <= 0x9F or c == "\u202e" for c in n)))


def _names_c1_misses_9f() -> None:
    # range(0x80, 0x9F): the end of a half-open range is the last C1 control, U+009F.
    c1 = frozenset(map(chr, range(0x80, 0x9F)))
    _install_check(_check_with(lambda n: any(c in c1 or c in _BIDI for c in n)))


def _names_isolates_allowed() -> None:
    # Embeddings/overrides (U+202A-U+202E) refused; the isolates U+2066-U+2069 forgotten.
    _install_check(
        _check_with(lambda n: any(0x80 <= ord(c) <= 0x9F or 0x202A <= ord(c) <= 0x202E for c in n))
    )


def _names_c1_as_utf8_bytes() -> None:
    # "C1 is 0x80-0x9F": checked on the UTF-8 bytes, so '€' (E2 82 AC) is refused too.
    def bad_bytes(name: str) -> bool:
        raw = name.encode("utf-8", "surrogatepass")
        return any(0x80 <= b <= 0x9F for b in raw) or not _BIDI.isdisjoint(name)

    _install_check(_check_with(bad_bytes))


def _names_stripped_before_check() -> None:
    # "trim the name the user typed": str.strip() removes U+0085 (NEL) and U+001C-U+001F.
    share = _share()
    strict = share.check_name
    original_open = share.ShareDirectory.open

    def open_(self: Any, name: str) -> Any:
        return original_open(self, name.strip())

    def check_name(name: str) -> Any:
        return strict(name.strip())

    share.ShareDirectory.open = open_
    share.check_name = check_name


def _names_put_unchecked() -> None:
    # APP-NAME-8 added to the get path only: the inbox keeps the older C0-only check.
    share = _share()
    lenient = _check_with(lambda n: False)
    original = share.Inbox.target_name

    def target_name(self: Any, name: str) -> str:
        saved = share.check_name
        share.check_name = lenient
        try:
            result: str = original(self, name)
        finally:
            share.check_name = saved
        return result

    share.Inbox.target_name = target_name


def _names_basename_only() -> None:
    # The new rule is applied to the file's own name, not to its directories.
    def last_component(name: str) -> bool:
        leaf = name.rsplit("/", 1)[-1]
        return any(0x80 <= ord(c) <= 0x9F or c in _BIDI for c in leaf)

    _install_check(_check_with(last_component))


def _eke_nonce_sequence_high() -> None:
    # "IV XOR the 96-bit sequence number" read as u64be(seq) ‖ 0^4: the counter lands in
    # the first eight bytes of the nonce. Record 0 is unaffected; record 1 is not.
    crypto = _module("reference.eke.crypto")
    _patch_source(
        crypto._RecordCipher, "_next_nonce", ("(self._iv ^ seq)", "(self._iv ^ (seq << 32))")
    )
    _patch_source(crypto.RecordOpener, "open", ("(self._iv ^ seq)", "(self._iv ^ (seq << 32))"))


def _eke_nonce_sequence_little_endian() -> None:
    # struct.pack("<Q", seq): the sequence number XORed into the IV little-endian.
    crypto = _module("reference.eke.crypto")
    swapped = "(self._iv ^ int.from_bytes(seq.to_bytes(8, 'little'), 'big'))"
    _patch_source(crypto._RecordCipher, "_next_nonce", ("(self._iv ^ seq)", swapped))
    _patch_source(crypto.RecordOpener, "open", ("(self._iv ^ seq)", swapped))


def _eke_transcript_user_length_in_characters() -> None:
    # u16be(len(U)) with len() of the str: right for ASCII names, wrong for "zoë".
    crypto = _module("reference.eke.crypto")
    _patch_source(
        crypto,
        "transcript_hash",
        ('struct.pack("!H", len(raw))', 'struct.pack("!H", len(user))'),
    )


def _ca_key_usage_not_critical() -> None:
    # KeyUsage added with critical=False, as most extensions are.
    ca = _module("reference.pki.ca")
    _patch_source(
        ca,
        "_leaf_builder",
        (
            "            critical=True,\n        )\n        .add_extension(x509.ExtendedKeyUsage",
            "            critical=False,\n        )\n        .add_extension(x509.ExtendedKeyUsage",
        ),
    )


def _ca_rsa_key_encipherment() -> None:
    # "RSA certificates get keyEncipherment", as TLS 1.2 habits have it.
    ca = _module("reference.pki.ca")
    _patch_source(
        ca,
        "_leaf_builder",
        ("key_encipherment=False,", "key_encipherment=isinstance(public_key, rsa.RSAPublicKey),"),
    )


def _ca_any_strong_curve() -> None:
    # "P-256 or stronger": P-384 and P-521 keys are accepted.
    ca = _module("reference.pki.ca")
    _patch_source(
        ca,
        "_check_public_key",
        (
            "if not isinstance(public_key.curve, ec.SECP256R1):",
            "if public_key.curve.key_size < 256:",
        ),
    )


def _m(
    name: str,
    profile: str,
    requirement: str,
    test_file: str,
    description: str,
    apply: Callable[[], None],
    *,
    ca: bool = False,
    default: bool = False,
) -> Mutant:
    return Mutant(
        f"spec-{name}",
        "spec-review",
        profile,
        requirement,
        test_file,
        description,
        apply,
        default=default,
        ca=ca,
    )


_NAMES = "test_app_names_controls.py"

MUTANTS: tuple[Mutant, ...] = (
    _m(
        "names-rlo-only",
        "eke",
        "APP-NAME-8",
        _NAMES,
        "among the bidi characters only U+202E (RLO) is refused",
        _names_rlo_only,
        default=True,
    ),
    _m(
        "names-c1-misses-9f",
        "pki",
        "APP-NAME-8",
        _NAMES,
        "C1 refused as range(0x80, 0x9F): U+009F passes",
        _names_c1_misses_9f,
    ),
    _m(
        "names-isolates-allowed",
        "eke",
        "APP-NAME-8",
        _NAMES,
        "embeddings/overrides refused, the isolates U+2066-U+2069 not",
        _names_isolates_allowed,
    ),
    _m(
        "names-c1-as-utf8-bytes",
        "pki",
        "APP-NAME-8",
        _NAMES,
        "C1 checked on UTF-8 bytes: ordinary names such as '€' are refused",
        _names_c1_as_utf8_bytes,
    ),
    _m(
        "names-stripped-before-check",
        "eke",
        "APP-NAME-8",
        _NAMES,
        "names are str.strip()ped before the check and use: U+0085 vanishes",
        _names_stripped_before_check,
    ),
    _m(
        "names-put-unchecked",
        "pki",
        "APP-NAME-8",
        _NAMES,
        "the C1/bidi rule applied to gets only, not to puts",
        _names_put_unchecked,
    ),
    _m(
        "names-basename-only",
        "eke",
        "APP-NAME-8",
        _NAMES,
        "the C1/bidi rule applied to the last component only",
        _names_basename_only,
    ),
    _m(
        "eke-nonce-sequence-high",
        "eke",
        "EKE-REC-2",
        "test_eke_records.py",
        "record nonce = iv XOR (u64be(seq) ‖ 0^4) instead of (0^4 ‖ u64be(seq))",
        _eke_nonce_sequence_high,
    ),
    _m(
        "eke-nonce-sequence-little-endian",
        "eke",
        "EKE-REC-2",
        "test_eke_records.py",
        "record nonce = iv XOR (0^4 ‖ u64le(seq))",
        _eke_nonce_sequence_little_endian,
    ),
    _m(
        "eke-transcript-user-length-in-characters",
        "eke",
        "EKE-KS-1",
        "test_eke_handshake.py",
        "th's u16be(len(U)) counts characters, not UTF-8 bytes",
        _eke_transcript_user_length_in_characters,
    ),
    _m(
        "ca-key-usage-not-critical",
        "pki",
        "PKI-CERT-1",
        "test_ca_csr.py",
        "the CA marks the employee certificate's KeyUsage non-critical",
        _ca_key_usage_not_critical,
        ca=True,
    ),
    _m(
        "ca-rsa-key-encipherment",
        "pki",
        "PKI-CERT-1",
        "test_ca_csr.py",
        "the CA adds keyEncipherment to RSA employee certificates",
        _ca_rsa_key_encipherment,
        ca=True,
    ),
    _m(
        "ca-any-strong-curve",
        "pki",
        "CA-ENR-13",
        "test_ca_csr.py",
        "the CA accepts any EC curve of at least 256 bits (P-384, P-521)",
        _ca_any_strong_curve,
        ca=True,
    ),
)
