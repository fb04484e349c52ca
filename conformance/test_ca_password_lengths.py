"""A long password is checked whole at enrolment (docs/SPEC.md §4.4: CA-ENR-2).

CA-ENR-2: "The password is compared exactly as the account was given it (... no cap on
its length that the account store did not apply)". Password libraries carry caps of
their own that a CA inherits without knowing: bcrypt's 72 bytes, Django's and passlib's
4096 characters (their MAXIMUM_PASSWORD_LENGTH / MAX_PASSWORD_SIZE, refused as a wrong
password without hashing), fixed buffers counted in bytes. A password the account store
took is then either refused at enrolment (the cap refuses) or checked on its first
characters only (the cap truncates, and a wrong ending passes).

Each length is a fresh account added with that password (its add command's stdin; when
the command refuses it, the store applied the cap: SKIP), then its right password
(`200`) and the same password with its LAST character changed (`401`), each from a fresh
address (one failure per account: far below any throttle). Lengths just past the usual
caps, in characters and in UTF-8 bytes, and one near the 64 KiB body limit (CA-ENR-9).
"""

from __future__ import annotations

import secrets

import pytest

from conformance import ca_support as ca
from conformance.target import Target
from conformance.wire import ConformanceFailure

pytestmark = [
    pytest.mark.profile("pki"),
    pytest.mark.side("ca"),
    pytest.mark.xdist_group("ca-password-lengths"),
]

# (what the length is past, the password for a tag)
_LENGTHS = {
    # 4097 characters: one past Django's and passlib's 4096
    "4097-chars": lambda tag: (tag + "-" + "x" * 4096)[:4097],
    # 2049 characters, 4097 UTF-8 bytes: one past a 4096-byte buffer, far under 4096 chars
    "4097-bytes": lambda tag: (tag + "-" + "\u00e9" * 2048)[:2048] + "x",
    # 60 000 characters: the body still under 64 KiB with the CSR around it
    "60000-chars": lambda tag: (tag + "-" + "y" * 60000)[:60000],
}


def _last_changed(password: str) -> str:
    return password[:-1] + ("q" if password[-1] != "q" else "r")


@pytest.mark.req("CA-ENR-2")
@pytest.mark.parametrize(
    "length",
    # the byte boundary in the thorough run only: any cap under 60 000 fails the last one
    [pytest.param(k, marks=pytest.mark.slow) if k == "4097-bytes" else k for k in _LENGTHS],
)
def test_a_long_password_is_checked_whole(pki_target: Target, length: str) -> None:
    ca.ca_address(pki_target)
    if not pki_target.ca_user_add_cmd:
        pytest.skip("needs the CA's administration command ([pki] ca_user_add_cmd)")
    alias = f"long-pw-{secrets.token_hex(5)}"
    password = _LENGTHS[length](secrets.token_hex(4))
    ca.admin_command(pki_target, "add", alias, stdin=password + "\n")
    csr = ca.csr_pem(ca.CsrKey.ec("P-256"), ca.name((ca.OID_CN, alias)))
    size = f"{len(password)} characters, {len(password.encode())} UTF-8 bytes"
    pool = ca.sources(pki_target)
    right = ca.enrol(pki_target, alias, password, csr, source=pool.fresh())
    obj = ca.json_body(right, f"enrolment of {alias!r} with its {size} password")
    if right.status in (429, 503):
        pytest.skip(f"the right password was {right.describe()} (throttled; judged elsewhere)")
    if right.status != 200 or not isinstance(obj.get("certificate"), str):
        raise ConformanceFailure.evidence(
            f"CA-ENR-2: the account {alias!r} added with a password of {size} (the add "
            "command took it); its enrolment with that very password and a valid CSR, "
            "from a fresh address",
            '200 {"certificate": PEM}: no cap on the length that the account store did not apply',
            right.describe(),
            note="a password library's own cap (Django's and passlib's 4096 characters, "
            "a buffer counted in bytes) refusing what the store took",
        )
    wrong = _last_changed(password)
    answer = ca.enrol(pki_target, alias, wrong, csr, source=pool.fresh())
    obj = ca.json_body(answer, f"enrolment of {alias!r} with its last character changed")
    if answer.status == 401 and obj.get("error") == "auth_failed":
        return
    if answer.status in (429, 503):
        pytest.skip(f"the wrong password was {answer.describe()} (throttled; judged elsewhere)")
    raise ConformanceFailure.evidence(
        f"CA-ENR-2: the account {alias!r} (its password of {size} enrols: 200); then the "
        "same password with its LAST character changed, a valid CSR, from a fresh address",
        '401 {"error": "auth_failed"}: the password is compared whole',
        answer.describe(),
        note="the password checked on a prefix only (a cap that truncates): a wrong ending passes",
    )
