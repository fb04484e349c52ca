"""The CA's administration works while the CA serves (SPEC §4.4, CA-ENR-11).

Revoking an alias MUST add all its unexpired certificates to the CRL [CA-ENR-11], and
the target declares the command that does it (`[pki] ca_revoke_cmd`): an administrator
revokes while the CA runs, not after stopping it. A CA that takes its store for itself
once it has served an enrolment — SQLite's `locking_mode=EXCLUSIVE` "for speed", an
exclusive file lock, a store kept in memory and written back at exit — leaves the
command failing (or its revocation unseen) exactly when it is needed: after a
certificate was handed out.

With the declared restart and administration commands (`ca_restart_cmd`,
`ca_user_add_cmd`, `ca_revoke_cmd`): the CA restarts (a process that has not yet served
anyone); two fresh users are added and one of them, never enrolled, is revoked — the
commands work on the running CA; the other enrols; then revoking it must succeed too,
and the next CRL must list its certificate. Without those commands: SKIP.
"""

from __future__ import annotations

import secrets
import shlex
import subprocess
from concurrent.futures import ThreadPoolExecutor

import pytest

from conformance import ca_support as ca
from conformance.target import Account, Target
from conformance.test_eke_restart import restart_and_wait
from conformance.wire import ConformanceFailure

__all__: list[str] = []

pytestmark = [pytest.mark.profile("pki"), pytest.mark.side("ca")]

_COMMAND_TIMEOUT = 30.0


_TRIES = 5


def _run(template: str, alias: str, stdin: str = "") -> str | None:
    """Runs a declared administration command: None when it exits 0, else what happened."""
    argv = [part.format(alias=alias) for part in shlex.split(template)]
    try:
        done = subprocess.run(
            argv, input=stdin.encode(), capture_output=True, timeout=_COMMAND_TIMEOUT, check=False
        )
    except OSError as exc:
        return f"`{shlex.join(argv)}` did not run: {exc}"
    except subprocess.TimeoutExpired:
        return f"`{shlex.join(argv)}` still running after {_COMMAND_TIMEOUT:g} s"
    if done.returncode != 0:
        err = done.stderr.decode(errors="replace")[-300:]
        return f"`{shlex.join(argv)}` exited {done.returncode}: {err!r}"
    return None


@pytest.mark.req("CA-ENR-11")
def test_an_alias_is_revoked_while_the_ca_serves(pki_target: Target) -> None:
    command = pki_target.ca_restart_cmd
    if not command:
        pytest.skip("the target declares no restart command for its CA ([pki] ca_restart_cmd)")
    template, add = pki_target.ca_revoke_cmd, pki_target.ca_user_add_cmd
    if not (add and template):
        pytest.skip("needs the CA's administration commands ([pki] ca_user_add_cmd, ca_revoke_cmd)")
    host, port = ca.ca_address(pki_target)
    root = ca.root_info(pki_target)
    # The CA restarted, a process that has served no one yet: the commands must work on
    # it. Something else may reach the CA first (a peer refetching its CRL): a few tries.
    failures: list[str] = []
    for _ in range(_TRIES):
        restart_and_wait(command, host, port)
        enrolled = Account(f"aw-{secrets.token_hex(5)}", secrets.token_urlsafe(15))
        idle = Account(f"ai-{secrets.token_hex(5)}", secrets.token_urlsafe(15))
        with ThreadPoolExecutor(2) as pool:  # both adds at once: a short window
            added = list(
                pool.map(lambda who: _run(add, who.user, who.password + "\n"), (enrolled, idle))
            )
        problem = next((p for p in added if p), None) or _run(template, idle.user)
        if problem is None:
            break
        failures.append(problem)
    else:
        pytest.skip(f"the CA's administration commands failed on a just restarted CA: {failures}")
    key = ca.CsrKey.ec("P-256")
    csr = ca.csr_pem(key, ca.name((ca.OID_CN, enrolled.user)))
    cert, _problems = ca.enrol_and_read(pki_target, enrolled, key, csr, root)
    problem = _run(template, enrolled.user)
    if problem is not None:
        raise ConformanceFailure.evidence(
            f"CA-ENR-11: the declared revoke command for {enrolled.user!r}, which holds "
            f"certificate {cert.serial:#x} from this CA",
            f"done (exit 0), as it was for {idle.user!r} on the same running CA moments "
            "before the enrolment: an administrator revokes while the CA serves",
            problem,
        )
    crl = ca.fetch_crl(pki_target)
    if cert.serial not in crl.serials:
        raise ConformanceFailure.evidence(
            f"CA-ENR-11: {enrolled.user!r} enrolled (certificate {cert.serial:#x}) and was "
            "revoked with the declared command (exit 0) while the CA served",
            "the next CRL lists the certificate",
            f"a CRL of {len(crl.serials)} entries without it (thisUpdate {crl.this_update})",
        )
