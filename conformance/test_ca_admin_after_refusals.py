"""The administration commands work whatever logins the CA refused before (SPEC §4.4:
CA-ENR-11).

CA-ENR-11: revoking an alias adds all its unexpired certificates to the CRL, and the
revoke command is how (`[pki] ca_revoke_cmd`). A CA that records a refused login in its
store ("last failed login", an audit row) and leaves that write uncommitted until the
next enrolment holds the database's write lock meanwhile: the administrator's revoke,
run beside the serving CA, waits for the lock and fails — after one wrong password the
alias cannot be revoked. The admin cases revoke after enrolments only, which commit.

Each case: a fresh account enrols (200), then one refused login is made —

- `wrong-password`: the account's alias with a wrong password (401);
- `unknown-alias`: an alias no account has (401);
- `bad-csr`: the account's right password with a CSR whose signature does not verify
  (400 bad_csr, or 401: CA-ENR-21);

then the revoke command for the account MUST succeed (exit status 0) and the CRL MUST
list the certificate; and a second fresh account MUST be added (the add command succeeds)
and enrol. The commands already worked for the first account, so a failure here is what
the refused login left behind.
"""

from __future__ import annotations

import json
import secrets
import shlex
import subprocess

import pytest

from conformance import ca_support as ca
from conformance.target import Target
from conformance.wire import ConformanceFailure

pytestmark = [
    pytest.mark.profile("pki"),
    pytest.mark.side("ca"),
    pytest.mark.xdist_group("ca-admin-after-refusals"),
]

_COMMAND_TIMEOUT = 30.0


def _run(target: Target, which: str, alias: str, stdin: str = "") -> tuple[int, str]:
    template = target.ca_user_add_cmd if which == "add" else target.ca_revoke_cmd
    assert template is not None
    argv = [part.format(alias=alias) for part in shlex.split(template)]
    try:
        done = subprocess.run(
            argv, input=stdin.encode(), capture_output=True, timeout=_COMMAND_TIMEOUT, check=False
        )
    except subprocess.TimeoutExpired:
        return -1, f"no exit within {_COMMAND_TIMEOUT:.0f} s"
    except OSError as exc:
        pytest.skip(f"the CA's {which} command could not run: {exc}")
    return done.returncode, done.stderr.decode(errors="replace")[-300:]


def _valid_csr(alias: str) -> str:
    return ca.csr_pem(ca.CsrKey.ec("P-256"), ca.name((ca.OID_CN, alias)))


def _broken_signature_csr(alias: str) -> str:
    good = _valid_csr(alias)
    lines = good.strip().splitlines()
    body = lines[1:-1]
    # Flip one base64 character inside the signature (the last line holds its tail).
    last = body[-1]
    index = max(0, len(last.rstrip("=")) - 3)
    flipped = "A" if last[index] != "A" else "B"
    body[-1] = last[:index] + flipped + last[index + 1 :]
    return "\n".join([lines[0], *body, lines[-1]]) + "\n"


@pytest.mark.req("CA-ENR-11")
@pytest.mark.parametrize("refusal", ["wrong-password", "unknown-alias", "bad-csr"])
def test_admin_commands_after_a_refused_login(pki_target: Target, refusal: str) -> None:
    if not pki_target.ca_user_add_cmd or not pki_target.ca_revoke_cmd:
        pytest.skip("needs the CA's administration commands ([pki] ca_user_add_cmd, ca_revoke_cmd)")
    alias = f"admin-after-{secrets.token_hex(5)}"
    password = f"pw-{secrets.token_urlsafe(12)}"
    code, err = _run(pki_target, "add", alias, password + "\n")
    if code != 0:
        pytest.skip(f"the add command failed before any login (exit {code}): {err}")
    first = ca.enrol(pki_target, alias, password, _valid_csr(alias))
    if first.status != 200:
        pytest.skip(f"{alias!r}'s enrolment failed: {first.describe()}")
    serial = ca.read_issued(json.loads(first.body)["certificate"]).serial
    if refusal == "wrong-password":
        refused = ca.enrol(pki_target, alias, f"wrong-{secrets.token_hex(4)}", _valid_csr(alias))
    elif refusal == "unknown-alias":
        ghost = ca.ghost_alias()
        refused = ca.enrol(pki_target, ghost, password, _valid_csr(ghost))
    else:
        refused = ca.enrol(pki_target, alias, password, _broken_signature_csr(alias))
    if refused.status == 200:
        raise ConformanceFailure(
            f"CA-ENR-11 context: the refused login was answered 200: {refused.describe()}"
        )
    context = (
        f"CA-ENR-11: a fresh account {alias!r} enrolled (200, serial {serial:x}); then one "
        f"refused login ({refusal.replace('-', ' ')}: {refused.status}); then the "
        "administrator's commands, beside the serving CA"
    )
    code, err = _run(pki_target, "revoke", alias)
    if code != 0:
        raise ConformanceFailure.evidence(
            context,
            "the revoke command succeeds (exit 0), as it did before any refused login",
            f"revoke exit {code}: {err!r}",
            note="a refused login left a write of the CA's store uncommitted (its lock held)",
        )
    crl = ca.fetch_crl(pki_target)
    if serial not in crl.serials:
        raise ConformanceFailure.evidence(
            context,
            f"the CRL lists {alias!r}'s certificate (serial {serial:x}) once the revoke "
            "command has returned",
            f"the CRL lists {len(crl.serials)} serials, not that one",
        )
    other = f"admin-after-{secrets.token_hex(5)}"
    code, err = _run(pki_target, "add", other, password + "\n")
    if code != 0:
        raise ConformanceFailure.evidence(
            context,
            "the add command succeeds for another fresh account",
            f"add exit {code}: {err!r}",
        )
