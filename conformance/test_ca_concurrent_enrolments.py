"""Enrolments of several aliases at the same time (SPEC §4.4, CA-ENR-2, CA-ENR-4).

test_ca_csr.py enrols one alias after the other. Here two or three accounts enrol
together, each from its own fresh source address (the per-address pending cap of
CA-ENR-14 never applies), released at once by a barrier, for a few rounds: every
answer must be 200 (CA-ENR-2: nothing a concurrent enrolment does may fail this one —
no 500 from a store shared without its lock) and carry a certificate naming that
request's alias and holding that request's key (CA-ENR-4) — not the certificate or the
alias of the request next to it (state kept on a shared object: the CA, the handler
class, a module). And one account enrolling twice at once (two keys): both enrolments
are answered 200 with a certificate for their own key — a CA that refuses the second
while the first runs fails an honest client.
"""

from __future__ import annotations

import secrets
import threading
import time

import pytest

from conformance import ca_support as ca
from conformance.plugin import inconclusive
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


_SAME_ALIAS = 2  # enrolments of one account at once: within any CA's pending allowance
_SAME_ROUNDS = 3
_MAX_BUSY_WAIT = 5  # s: the longest 503 Retry-After the case waits out before retrying


def _one_account(target: Target) -> Account:
    """A fresh account when the CA can add one (nothing else touches its counts), else
    the enrolment account."""
    if not target.ca_user_add_cmd:
        return ca.enrolee(target)
    account = Account(f"cs-{secrets.token_hex(5)}", secrets.token_urlsafe(15))
    ca.admin_command(target, "add", account.user, stdin=account.password + "\n")
    return account


@pytest.mark.req("CA-ENR-2", "CA-ENR-4")
def test_concurrent_enrolments_of_one_alias_each_get_a_certificate(pki_target: Target) -> None:
    """One account enrols twice at once (two keys, two fresh addresses, released by a
    barrier), for three rounds: each enrolment is answered 200 with a certificate for its
    own key — or 503 busy (CA-ENR-14: an attempt pending on the alias), and then, retried
    after its Retry-After, 200 (a Retry-After above 5 s, which CA-ENR-14 allows, is not
    waited out: that enrolment is not judged). An alias may hold several certificates
    (CA-ENR-11 revokes them all): a CA that refuses a second enrolment while one runs (409,
    429, 401) fails an honest client whose first attempt is still being answered."""
    ca.ca_address(pki_target)
    account = _one_account(pki_target)
    accounts = [account] * _SAME_ALIAS
    problems: list[tuple[str, str]] = []
    judged = 0
    for round_no in range(_SAME_ROUNDS):
        keys, answers = _one_round(pki_target, accounts)
        for i, answer in enumerate(answers):
            who = f"round {round_no + 1}, enrolment {i + 1} of {account.user!r}"
            if isinstance(answer, ca.CaAnswer) and answer.status == 503:
                wait = answer.headers.get("retry-after", "1").strip()
                if not wait.isdigit():
                    problems.append(("CA-ENR-2", f"{who}: 503 with Retry-After {wait!r}"))
                    continue
                if int(wait) > _MAX_BUSY_WAIT:
                    # CA-ENR-14 bounds Retry-After below (at least 1 s), not above: an
                    # allowed answer the case does not wait out, so not judged further.
                    continue
                time.sleep(max(1, int(wait)))  # the wait the CA asked for
                csr = ca.csr_pem(keys[i], ca.name((ca.OID_CN, account.user)))
                answer = ca.enrol(pki_target, account.user, account.password, csr)
            if not isinstance(answer, ca.CaAnswer):
                problems.append(("CA-ENR-2", f"{who}: no answer ({answer!r})"))
                continue
            judged += 1
            obj = ca.json_body(answer, f"enrolment of {account.user!r}")
            if answer.status != 200 or not isinstance(obj.get("certificate"), str):
                problems.append(("CA-ENR-2", f"{who}: {answer.describe()}"))
                continue
            cert = ca.read_issued(obj["certificate"])
            if cert.spki != keys[i].spki():
                problems.append(("CA-ENR-4", f"{who}: the certificate holds another key"))
    if problems:
        raise ConformanceFailure(
            f"{_SAME_ALIAS} enrolments of {account.user!r} at once (right password, valid "
            f"CSRs for two keys), {_SAME_ROUNDS} rounds; want each 200 with a certificate "
            "for its key (503 busy only as CA-ENR-14 allows, then 200): "
            + " | ".join(f"{rid}: {text}" for rid, text in problems),
            violates=sorted({rid for rid, _ in problems}),
        )
    if not judged:
        inconclusive(
            f"every enrolment of {account.user!r} was answered 503 with a Retry-After above "
            f"{_MAX_BUSY_WAIT} s: nothing the case waits for was judged"
        )
