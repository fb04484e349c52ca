"""Profile pki-legacy: enrolments that arrive at the same moment stay apart (§7.2).

On the right credentials the CA answers `200` with a certificate for THE KEY POSTED IN
THAT REQUEST (LEG-CA-FMT-2). test_legacy_ca0*.py's cases post one request at a time, so a
CA can pass them and still carry a request's key from where it is parsed to where the
certificate is signed through state that every request shares:
- a field of the server (or a static) that holds "the key being enrolled" while the
  credentials are decrypted and checked;
- a table of keys by client host, or by alias, written when the request arrives and read
  back when the certificate is signed: two enrolments from one machine, or of one alias,
  at once, each get the other's key;
- a serial, subject or answer buffer built in shared state.
Here six enrolments of the --enroll account, each with a key of its own, are posted at
the same moment (three rounds: a race that a round misses is given two more tries); every
`200` MUST carry a certificate for its own request's key and CN = the alias. A `429` is
throttling (LEG-CA-5 reports it): not judged. The keys are public keys only (random
2048-bit moduli, e = 65537): the legacy CA checks no proof of possession (LEG-CA-2), so
the suite needs no private key to see which key was certified.
"""

from __future__ import annotations

import http.client
import os
import threading

import pytest
from Crypto.PublicKey import RSA

from conformance.legacy import der, pki0
from conformance.legacy.embedded import LegacyPkiTarget

pytestmark = pytest.mark.xdist_group("pki-legacy")

AT_ONCE = 6
ROUNDS = 3


def _fail(ids: str, evidence: str) -> None:
    pytest.fail(f"{ids} violated: {evidence}", pytrace=False)


def public_only_key() -> RSA.RsaKey:
    """An RSA-2048 public key with a random modulus: cheap, and distinct per call."""
    n = int.from_bytes(os.urandom(256), "big") | (1 << 2047) | 1
    return RSA.construct((n, 65537), consistency_check=False)


def _public_pem(key: RSA.RsaKey) -> bytes:
    return key.export_key("PEM") + b"\n"


def _post_all(url: str, bodies: list[bytes]) -> list[tuple[int, bytes] | str]:
    """Every body posted from its own thread, released together."""
    results: list[tuple[int, bytes] | str] = ["not answered"] * len(bodies)
    start = threading.Barrier(len(bodies))

    def post(i: int) -> None:
        try:
            start.wait(10.0)
            results[i] = pki0.post_verify(url, bodies[i], timeout=20.0)
        except (OSError, http.client.HTTPException, threading.BrokenBarrierError) as exc:
            results[i] = f"no answer ({type(exc).__name__}: {exc})"

    threads = [threading.Thread(target=post, args=(i,), daemon=True) for i in range(len(bodies))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30.0)
    return results


def _describe(
    result: tuple[int, bytes] | str, posted: RSA.RsaKey, others: list[RSA.RsaKey], alias: str
) -> str | None:
    """None when the answer is right (or not judged); otherwise what was wrong."""
    if isinstance(result, str):
        return result
    status, answer = result
    if status == 429:
        return None
    if status != 200:
        return f"{status} {answer[:40]!r}"
    try:
        cert = der.read_certificate_leniently(answer)
    except ValueError:
        return f"200 but no certificate the suite can read ({answer[:40]!r})"
    wrong = []
    if cert.public_key != posted.public_key():
        which = [i + 1 for i, key in enumerate(others) if key.public_key() == cert.public_key]
        wrong.append(
            f"the certificate carries request {which[0]}'s key"
            if which
            else "the certificate carries a key no request posted"
        )
    if cert.subject_cn != alias:
        wrong.append(f"CN={cert.subject_cn!r}")
    return "200, but " + " and ".join(wrong) if wrong else None


@pytest.mark.req("LEG-CA-FMT-2")
def test_enrolments_posted_at_once_each_certify_their_own_key(
    pki_legacy: LegacyPkiTarget,
) -> None:
    if not (pki_legacy.ca_url and pki_legacy.enroll and pki_legacy.root):
        pytest.skip("needs the CA: --ca-url, --enroll ALIAS:PASSWORDFILE and --root")
    alias, password = pki_legacy.enroll
    root_pem, url = pki_legacy.root.read_bytes(), pki_legacy.ca_url
    check = public_only_key()
    status, answer = pki0.post_verify(
        url, pki0.verify_body(root_pem, alias, password, _public_pem(check))
    )
    if _describe((status, answer), check, [], alias) is not None or status != 200:
        pytest.skip(
            f"not judged: one enrolment alone was answered {status} {answer[:40]!r}, not a "
            "certificate for its key (test_legacy_ca0.py's cases say why)"
        )
    for round_no in range(1, ROUNDS + 1):
        keys = [public_only_key() for _ in range(AT_ONCE)]
        bodies = [pki0.verify_body(root_pem, alias, password, _public_pem(k)) for k in keys]
        results = _post_all(url, bodies)
        wrong = []
        for i, (result, key) in enumerate(zip(results, keys, strict=True)):
            what = _describe(result, key, keys, alias)
            if what is not None:
                wrong.append(f"request {i + 1}: {what}")
        if wrong:
            _fail(
                "LEG-CA-FMT-2 (the right credentials MUST be answered 200 with a certificate, "
                "CN = the alias, for the public_key posted in THAT request)",
                f"one enrolment alone is certified for its key; round {round_no}: {AT_ONCE} "
                f"enrolments of {alias!r}, each with its own key, posted at once: "
                + "; ".join(wrong),
            )
