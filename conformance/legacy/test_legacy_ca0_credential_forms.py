"""Profile pki-legacy: every form of CRED the format allows is the same credentials (§7.2).

`payload` is `OAEP(root public key, CRED)`, CRED the UTF-8 JSON text
`{"name": ALIAS, "password": PASSWORD}`, and OAEP (SHA-256, RSA-2048) carries at most 190
bytes (§7.1.2). test_legacy_ca0.py enrols with the --enroll account's credentials as the
suite writes them (about 40 bytes, every character as itself). A CA can take those and
still refuse the same credentials written another way the format allows; the right
credentials MUST get the certificate (LEG-CA-FMT-2), and the payload is a valid
`OAEP(root, CRED)` (LEG-CA-FMT-1):
- sizes: a bound checked with `>=` where `>` was meant ("190 is the maximum": `if
  len(cred) >= 190`), a decryption buffer one byte short, a "sanity limit": the
  credentials padded with JSON whitespace to exactly 190 bytes (the maximum) and to 189;
- escapes: a hand-written JSON reader that keeps `\\uXXXX` as the six characters it is
  written with (or decodes only some escapes): the alias and the password each written
  entirely as `\\u` escapes are the same strings to any JSON parser (the seed's `json`).
"""

from __future__ import annotations

import base64
import json

import pytest
from Crypto.PublicKey import RSA

from conformance.legacy import der, pki0
from conformance.legacy.embedded import LegacyPkiTarget

pytestmark = pytest.mark.xdist_group("pki-legacy")

OAEP_MAX = 190  # RSA-2048, OAEP with SHA-256: 256 - 2*32 - 2 bytes


def _enrol(target: LegacyPkiTarget, cred: bytes) -> tuple[int, bytes, str]:
    """Post `cred` sealed to the root with a suite RSA key: (status, answer, CN)."""
    assert target.ca_url and target.root
    public_pem = pki0.suite_key(4).public_key().export_key("PEM") + b"\n"
    root = RSA.import_key(target.root.read_bytes())
    body = json.dumps(
        {
            "payload": base64.b64encode(pki0.oaep_encrypt(root, cred)).decode(),
            "public_key": public_pem.decode(),
        }
    ).encode()
    status, answer = pki0.post_verify(str(target.ca_url), body)
    cn = ""
    if status == 200:
        try:
            cn = der.read_certificate_leniently(answer).subject_cn
        except ValueError:
            cn = ""
    return status, answer, cn


def _account(target: LegacyPkiTarget) -> tuple[str, str]:
    """The --enroll account, after checking that its plain enrolment is answered 200."""
    if not (target.ca_url and target.enroll and target.root):
        pytest.skip("needs the CA: --ca-url, --enroll ALIAS:PASSWORDFILE and --root")
    alias, password = target.enroll
    status, _, _ = _enrol(target, json.dumps({"name": alias, "password": password}).encode())
    if status != 200:
        pytest.skip(f"not judged: the enrolment itself was answered {status} "
                    "(test_legacy_ca0 reports the status)")  # fmt: skip
    return alias, password


def _refused(alias: str, form: str, status: int, answer: bytes, cn: str) -> str:
    return (
        "LEG-CA-FMT-2, LEG-CA-FMT-1 (CRED is any JSON text of the credentials an OAEP payload "
        f"holds, up to {OAEP_MAX} bytes; the right credentials MUST get the certificate): "
        f"{alias!r}'s credentials, answered 200 as the suite writes them, {form} were "
        f"answered {status} {answer[:80]!r}"
        + (f" (a certificate for CN={cn!r})" if status == 200 else "")
    )


@pytest.mark.req("LEG-CA-FMT-2", "LEG-CA-FMT-1")
@pytest.mark.parametrize("size", [OAEP_MAX, OAEP_MAX - 1])
def test_credentials_up_to_the_oaep_maximum_are_accepted(
    pki_legacy: LegacyPkiTarget, size: int
) -> None:
    """The --enroll account's credentials padded after the opening brace with JSON
    whitespace to `size` bytes (190: the largest an OAEP payload holds; 189: one under):
    200 and a certificate for the alias, as the unpadded credentials get."""
    alias, password = _account(pki_legacy)
    plain = json.dumps({"name": alias, "password": password}).encode()
    if len(plain) > size:
        pytest.skip(f"the --enroll credentials are longer than {size} bytes as they are")
    cred = b"{" + b" " * (size - len(plain)) + plain[1:]
    status, answer, cn = _enrol(pki_legacy, cred)
    assert status == 200 and cn == alias, _refused(
        alias, f"padded with JSON whitespace to {size} bytes", status, answer, cn
    )


@pytest.mark.req("LEG-CA-FMT-2", "LEG-CA-FMT-1")
def test_credentials_written_with_unicode_escapes_are_the_same(
    pki_legacy: LegacyPkiTarget,
) -> None:
    """The --enroll account's alias and password, every character written as a `\\uXXXX`
    escape (UTF-16 for characters past U+FFFF, as JSON has it): the same strings, so 200
    and a certificate for the alias."""
    alias, password = _account(pki_legacy)

    def escaped(text: str) -> str:
        units = text.encode("utf-16-be")
        return "".join(
            f"\\u{int.from_bytes(units[i : i + 2], 'big'):04x}" for i in range(0, len(units), 2)
        )

    cred = f'{{"name": "{escaped(alias)}", "password": "{escaped(password)}"}}'.encode()
    if len(cred) > OAEP_MAX:
        pytest.skip(f"the escaped credentials are {len(cred)} bytes, over {OAEP_MAX}")
    assert json.loads(cred) == {"name": alias, "password": password}
    status, answer, cn = _enrol(pki_legacy, cred)
    assert status == 200 and cn == alias, _refused(
        alias, "with every character of the alias and the password a \\u escape", status,
        answer, cn,
    )  # fmt: skip
