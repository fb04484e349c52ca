"""The CRL keeps every earlier revocation, of every alias (SPEC §4.4: CA-ENR-8, CA-ENR-11).

CA-ENR-8: `GET /v1/crl` lists every revocation made before the request; CA-ENR-11:
revoking an alias ADDS all its unexpired certificates to the CRL. CA-ENR-11's own case
revokes one fresh alias and looks for its serials: a CA fitted to that example — whose
revoke writes the revoked list afresh with the alias it revokes ("the revocation list"
as one variable), keeps only the last alias's entries, or empties the list when an alias
with no certificate is revoked — passes it, and un-revokes every earlier certificate at
the next revocation.

The case adds three fresh aliases with the target's `ca_user_add_cmd`, enrols the first
twice and the second once (the third never), then revokes them one after the other with
`ca_revoke_cmd`, fetching the CRL after each: every serial revoked so far MUST still be
listed each time.
"""

from __future__ import annotations

import secrets

import pytest

from conformance import ca_support as ca
from conformance.target import Target
from conformance.wire import ConformanceFailure

pytestmark = [pytest.mark.profile("pki"), pytest.mark.side("ca"), pytest.mark.xdist_group("ca")]


def _serial(target: Target, alias: str, secret: str, what: str) -> int:
    csr = ca.csr_pem(ca.CsrKey.ec("P-256"), ca.name((ca.OID_CN, alias)))
    answer = ca.enrol(target, alias, secret, csr)
    obj = ca.json_body(answer, what)
    if answer.status != 200 or not isinstance(obj.get("certificate"), str):
        pytest.skip(f"{what}: {answer.describe()} (enrolment is judged by CA-ENR-2's cases)")
    return ca.read_issued(obj["certificate"]).serial


def _hexes(serials: set[int]) -> str:
    return ", ".join(hex(s) for s in sorted(serials))


@pytest.mark.req("CA-ENR-8", "CA-ENR-11")
def test_each_revocation_keeps_the_earlier_ones_listed(pki_target: Target) -> None:
    ca.ca_address(pki_target)
    if not (pki_target.ca_user_add_cmd and pki_target.ca_revoke_cmd):
        pytest.skip("needs the CA's administration commands ([pki] ca_user_add_cmd, ca_revoke_cmd)")
    tag = secrets.token_hex(4)
    aliases = [f"rv{n}-{tag}" for n in (1, 2, 3)]
    secrets_of = {alias: secrets.token_urlsafe(15) for alias in aliases}
    for alias in aliases:
        ca.admin_command(pki_target, "add", alias, stdin=secrets_of[alias] + "\n")
    # The first alias holds two certificates, the second one, the third none.
    held: dict[str, set[int]] = {alias: set() for alias in aliases}
    for alias, times in zip(aliases, (2, 1, 0), strict=True):
        for n in range(times):
            held[alias].add(
                _serial(pki_target, alias, secrets_of[alias], f"enrolment {n + 1} of {alias!r}")
            )
    revoked: set[int] = set()
    history: list[str] = []
    for step, alias in enumerate(aliases, start=1):
        ca.admin_command(pki_target, "revoke", alias)
        listed = ca.fetch_crl(pki_target).serials
        history.append(
            f"revoke {alias!r} ({len(held[alias])} certificate(s)): CRL of {len(listed)} entries"
        )
        if step == 1 and not held[alias] <= listed:
            pytest.skip(
                f"the CRL after the first revocation lacks {_hexes(held[alias] - listed)}: "
                "CA-ENR-11's own case judges that"
            )
        now_due = revoked | held[alias]
        missing = revoked - listed  # the earlier revocations: this case's concern
        if missing or not held[alias] <= listed:
            raise ConformanceFailure.evidence(
                f"CA-ENR-8/CA-ENR-11: three fresh aliases, {aliases[0]!r} enrolled twice, "
                f"{aliases[1]!r} once, {aliases[2]!r} never; revoked one after the other "
                f"with the target's ca_user_add_cmd/ca_revoke_cmd, GET /v1/crl after each: "
                + "; ".join(history),
                f"after revocation {step}, every serial revoked so far listed "
                f"({_hexes(now_due)})",
                f"missing {_hexes(now_due - listed)}"
                + (" (revoked earlier, listed before)" if missing else ""),
                note="revoking adds to the CRL; it lists every revocation made before the "
                "request (CA-ENR-8)",
            )
        revoked = now_due
