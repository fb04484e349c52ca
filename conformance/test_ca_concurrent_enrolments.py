"""Enrolments of several aliases at the same time (SPEC §4.4, CA-ENR-2, CA-ENR-4).

test_ca_csr.py enrols one alias after the other. Here two or three accounts enrol
together, each from its own fresh source address (the per-address pending cap of
CA-ENR-14 never applies), released at once by a barrier, for a few rounds: every
answer must be 200 (CA-ENR-2: nothing a concurrent enrolment does may fail this one —
no 500 from a store shared without its lock) and carry a certificate naming that
request's alias and holding that request's key (CA-ENR-4) — not the certificate or the
alias of the request next to it (state kept on a shared object: the CA, the handler
class, a module).
"""

from __future__ import annotations

import secrets
import threading

import pytest

from conformance import ca_support as ca
from conformance.target import Account, Target
from conformance.wire import ConformanceFailure

pytestmark = [pytest.mark.profile("pki"), pytest.mark.xdist_group("ca")]

_ROUNDS = 4


def _accounts(target: Target) -> list[Account]:
    """The enrolment account and two more: declared ones, else fresh users."""
    first = ca.enrolee(target)
    accounts = [first, *target.enroll[1:3]]
    while len(accounts) < 3:
        account = Account(f"ce-{secrets.token_hex(5)}", secrets.token_urlsafe(15))
        ca.admin_command(target, "add", account.user, stdin=account.password + "\n")
        accounts.append(account)
    return accounts


def _one_round(
    target: Target, accounts: list[Account]
) -> tuple[list[ca.CsrKey], list[ca.CaAnswer | BaseException | None]]:
    """Every account enrols once, all released together; a fresh key and address each."""
    keys = [ca.CsrKey.ec("P-256") for _ in accounts]
    csrs = [
        ca.csr_pem(key, ca.name((ca.OID_CN, account.user)))
        for key, account in zip(keys, accounts, strict=True)
    ]
    sources = [ca.sources(target).fresh() for _ in accounts]
    answers: list[ca.CaAnswer | BaseException | None] = [None] * len(accounts)
    barrier = threading.Barrier(len(accounts), timeout=ca.TIMEOUT)

    def enrol(i: int) -> None:
        try:
            barrier.wait()
            account = accounts[i]
            answers[i] = ca.enrol(
                target, account.user, account.password, csrs[i], source=sources[i]
            )
        except BaseException as exc:  # reported by the caller
            answers[i] = exc

    threads = [threading.Thread(target=enrol, args=(i,)) for i in range(len(accounts))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=3 * ca.TIMEOUT)
    return keys, answers


@pytest.mark.req("CA-ENR-4", "CA-ENR-2")
def test_concurrent_enrolments_each_get_their_own_certificate(pki_target: Target) -> None:
    ca.ca_address(pki_target)
    accounts = _accounts(pki_target)
    problems: list[tuple[str, str]] = []
    for round_no in range(_ROUNDS):
        keys, answers = _one_round(pki_target, accounts)
        for i, answer in enumerate(answers):
            who = f"round {round_no + 1}, {accounts[i].user!r}"
            if not isinstance(answer, ca.CaAnswer):
                problems.append(("CA-ENR-2", f"{who}: no answer ({answer!r})"))
                continue
            if answer.status == 503:
                continue  # busy (CA-ENR-14 allows it on a shared key): not judged here
            obj = ca.json_body(answer, f"enrolment of {accounts[i].user!r}")
            if answer.status != 200 or not isinstance(obj.get("certificate"), str):
                problems.append(("CA-ENR-2", f"{who}: {answer.describe()}"))
                continue
            cert = ca.read_issued(obj["certificate"])
            if cert.subject_attributes != ((ca.OID_CN, accounts[i].user),):
                problems.append(
                    (
                        "CA-ENR-4",
                        f"{who}: the certificate's subject is {list(cert.subject_attributes)}",
                    )
                )
            if cert.spki != keys[i].spki():
                others = [j for j, k in enumerate(keys) if k.spki() == cert.spki]
                whose = f" (the key of {accounts[others[0]].user!r}'s request)" if others else ""
                problems.append(
                    ("CA-ENR-4", f"{who}: the certificate holds another key than the CSR's{whose}")
                )
    if problems:
        raise ConformanceFailure(
            f"enrolments of {[a.user for a in accounts]} at the same time, {_ROUNDS} rounds: "
            + " | ".join(f"{rid}: {text}" for rid, text in problems),
            violates=sorted({rid for rid, _ in problems}),
        )
