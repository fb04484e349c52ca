"""sft-eke/1: no DIGEST of a password, `pw` or session key in the server's log, whatever
its spelling (EKE-THR-3), read from the file the target declares (`[eke] server_log`).

EKE-THR-3: the server MUST NOT log passwords, `pw`, keys or handshake secrets, "in any
encoding ..., nor any part or digest of them". test_eke_server_log_secrets.py and
test_eke_log_nonces.py look for the secrets themselves and a few digests in contiguous
lower-case hex; test_ops_eke_log_number_forms.py for the secrets spelt as numbers. A server
that logs an account's "key fingerprint" so that administrators can compare stores — the
SHA-256 of `pw` as OpenSSH prints one (`SHA256:` and base64) or as a certificate viewer
does (upper-case hex bytes separated by colons) — or a "session id" that is an MD5 of a
key, writes a value against which an offline search tests password guesses (a digest of
`pw` is a scrypt away from the password) or that names the session's key.

The case makes one failed login of an account (right name, wrong key) and one successful
login of it, reads what the log gained, and looks for every 8-byte window of the MD5,
SHA-1, SHA-224, SHA-256, SHA-384, SHA-512, SHA3-256, BLAKE2b and BLAKE2s of the password
(UTF-8), of `pw` and of each key of the successful session (Z, PRK, Kcs, Kcc, record keys
and IVs): in hex of either case with any of `:`, `-`, `.`, `_` or white space between the
digits removed, and in standard and URL-safe base64 (windows aligned on 3 bytes, so that
any encoder spells them alike). A chance match needs 64 bits to agree: never in practice.
SKIP without a log file or an account.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Callable

import pytest

from conformance.eke_channel import EkeChannel, password_key_cached
from conformance.eke_support import SourceAddresses
from conformance.target import Target
from conformance.test_eke_server_log_secrets import logins_logged
from conformance.wire import ConformanceFailure

__all__: list[str] = []

pytestmark = [pytest.mark.profile("eke")]

_KEYS = ("z", "prk", "kcs", "kcc", "key_c2s", "iv_c2s", "key_s2c", "iv_s2c")
_DIGESTS = (
    "md5", "sha1", "sha224", "sha256", "sha384", "sha512", "sha3_256", "blake2b", "blake2s",
)  # fmt: skip
_WINDOW = 8  # bytes of a digest that must agree: 64 bits
_SEPARATORS = re.compile(r"[\s:._\-]")


def _digests(label: str, secret: bytes) -> dict[str, bytes]:
    return {f"{name.upper()} of {label}": hashlib.new(name, secret).digest() for name in _DIGESTS}


def _hex_windows(digest: bytes) -> set[str]:
    return {digest[i : i + _WINDOW].hex() for i in range(len(digest) - _WINDOW + 1)}


def _base64_windows(digest: bytes) -> set[str]:
    found: set[str] = set()
    for i in range(0, len(digest) - 8, 3):  # 9 bytes from a 3-byte boundary: 12 characters
        part = digest[i : i + 9]
        found.add(base64.b64encode(part).decode("ascii"))
        found.add(base64.urlsafe_b64encode(part).decode("ascii"))
    return found


@pytest.mark.req("EKE-THR-3")
def test_the_servers_log_holds_no_digest_of_a_secret(
    eke_target: Target,
    eke_sources: SourceAddresses,
    eke_channel_factory: Callable[..., EkeChannel],
) -> None:
    logged = logins_logged(eke_target, eke_sources, eke_channel_factory)
    log, account, keys, added = logged.log, logged.account, logged.keys, logged.added
    text = added.decode("latin-1")
    squashed = _SEPARATORS.sub("", text).lower()
    digests: dict[str, bytes] = {}
    digests.update(_digests("the password", account.password.encode("utf-8")))
    digests.update(_digests("pw", password_key_cached(account.password, account.user)))
    for name in _KEYS:
        digests.update(_digests(f"the session's {name}", getattr(keys, name)))
    found: list[str] = []
    for label, digest in digests.items():
        if any(window in squashed for window in _hex_windows(digest)):
            found.append(f"the {label} (hex)")
        elif any(window in text for window in _base64_windows(digest)):
            found.append(f"the {label} (base64)")
    if found:
        raise ConformanceFailure.evidence(
            f"EKE-THR-3: a failed login of {account.user!r} (a wrong key), then a successful "
            f"one; what the server's log ({log}) gained meanwhile ({len(added)} bytes)",
            "no digest of the password, pw or a session key, nor 8 bytes of one, in any "
            "spelling",
            "the log holds 8 bytes or more of " + "; ".join(sorted(found)),
            note="a digest of pw (a 'key fingerprint') lets an offline search test password "
            "guesses against the log",
        )
