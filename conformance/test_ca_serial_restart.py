"""CA-ENR-10 across restarts: a serial never repeats, also after the CA restarts.

A CA that draws its serials from a generator seeded with a constant — Go 1.19's
`math/rand` global source (seeded with 1 at every start), C's unseeded `rand()`,
`random.seed(0)` — passes every case within one run of the CA: its serials are long,
look random and differ. After a restart the sequence starts over, and the first
certificates of the new process carry the serials of the first certificates of the old
one. With a declared restart command (`[pki] ca_restart_cmd`, run without a shell; the CA
comes back on the same URL) the suite restarts the CA twice and enrols right after each
restart, a few times: no serial may be seen twice. (Two restarts, since the suite cannot
know which serials the CA issued at its own start.) Without a restart command the case
SKIPs.
"""

from __future__ import annotations

import pytest

from conformance import ca_support as ca
from conformance.target import Target
from conformance.test_eke_restart import restart_and_wait
from conformance.wire import ConformanceFailure

__all__: list[str] = []

pytestmark = [pytest.mark.profile("pki"), pytest.mark.side("ca")]

_PER_RESTART = 2  # enrolments right after each restart


@pytest.mark.req("CA-ENR-10")
def test_serials_do_not_repeat_across_restarts_of_the_ca(pki_target: Target) -> None:
    command = pki_target.ca_restart_cmd
    if not command:
        pytest.skip(
            "the target declares no restart command for its CA ([pki] ca_restart_cmd): "
            "serials across a restart cannot be compared"
        )
    account = ca.enrolee(pki_target)
    host, port = ca.ca_address(pki_target)
    root = ca.root_info(pki_target)
    seen: dict[int, str] = {}
    repeats: list[str] = []
    for round_ in ("after restart 1", "after restart 2"):
        restart_and_wait(command, host, port)
        for n in range(_PER_RESTART):
            key = ca.CsrKey.ec("P-256")
            csr = ca.csr_pem(key, ca.name((ca.OID_CN, account.user)))
            cert, _problems = ca.enrol_and_read(pki_target, account, key, csr, root)
            where = f"enrolment {n + 1} {round_}"
            if cert.serial in seen:
                repeats.append(f"{cert.serial:#x} ({seen[cert.serial]}, again {where})")
            seen.setdefault(cert.serial, where)
    if repeats:
        raise ConformanceFailure(
            f"CA-ENR-10: serials repeat across restarts of the CA (`{command}`): "
            + "; ".join(repeats)
            + " — serials come from a generator seeded the same at every start, not a "
            "cryptographic random source"
        )
