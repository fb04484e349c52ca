"""The legacy audit held against leg-node: a clean-room Node.js implementation of the
seeds' designs (conformance/legacy/selftest/leg_node/: eke0.mjs server and client,
pki0.mjs responder, requester, enrolment client and CA; choices at the top of each file),
written from the seed documents and docs/SPEC.md §7 alone. Every implementation the
legacy audit had met before was Python; a faithful one must be judged exactly the seed
design whatever its language (every LEG-*-FMT case PASS, every flaw FAIL with its
evidence, exit 0), and a deviating one reported under the right ID.

- `test_leg_node_eke0_is_judged_the_legacy_design`, `..._pki0_...` (`slow`: `tox -e
  independent`): the clean programs, audited as a deployment would be (the pki/0
  responder enrolled at the Node CA with `pki0.mjs enroll`, the CA cases against that
  CA too).
- `test_a_leg_node_fault_is_reported` (SFT_SELFTEST=all): each planted fault
  (`SFT_INDEPENDENT_FAULTS`, the FAULTS table in leg_node/wire.mjs, mirrored in
  `FAULTS` here) makes the audit exit 1 reporting its ID: a format case FAILing
  ("FAIL ID"), a flaw's unexpected pass ("PASS ID"); never an ERROR.
- `test_fault_tables_agree` (always, no node needed): the two tables agree.

Without `node` (>= 20) on PATH the audits SKIP with the reason.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from conformance.legacy.selftest.foreign import Foreign, audit_eke, audit_pki, judge_fault
from conformance.legacy.selftest.test_independent import (
    _EKE_ALWAYS,
    _PKI_ALWAYS,
    _check,
    eke_files,
    org,
)

__all__ = ["FAULTS", "eke_files", "org"]  # fixtures, imported to be found by pytest

SOURCE = Path(__file__).resolve().parent / "leg_node"

# name -> (program, "FAIL ID" | "PASS ID" | "EVIDENCE ID"): what the audit must report
# for that fault (as test_seedport.py judges them; EVIDENCE: the flaw still FAILs, and
# its evidence shows what `EVIDENCE` below says of the change, exit 0 as for the seed).
FAULTS: dict[str, tuple[str, str]] = {
    "eke-pad-nul": ("eke0", "FAIL LEG-EKE-FMT-3"),
    "eke-readline-user": ("eke0", "FAIL LEG-EKE-FMT-3"),
    "eke-password-trim": ("eke0", "FAIL LEG-EKE-FMT-3"),
    "eke-close-after-wrong-password": ("eke0", "FAIL LEG-EKE-FMT-3"),
    "eke-fixed-group": ("eke0", "PASS LEG-EKE-3"),
    "eke-random-exponent": ("eke0", "PASS LEG-EKE-4"),
    "eke-ciphertext-utf8": ("eke0", "FAIL LEG-EKE-FMT-4"),
    "eke-server-checks-ns": ("eke0", "PASS LEG-EKE-7"),
    "eke-one-login-per-connection": ("eke0", "FAIL LEG-EKE-FMT-3"),
    "eke-length-padded": ("eke0", "FAIL LEG-EKE-FMT-3"),
    "eke-file-off-by-one": ("eke0", "FAIL LEG-EKE-FMT-5"),
    "eke-digest-base64": ("eke0", "FAIL LEG-EKE-FMT-5"),
    "eke-concurrent": ("eke0", "PASS LEG-EKE-12"),
    "eke-client-writes-out": ("eke0", "FAIL LEG-EKE-FMT-6"),
    "eke-client-checks-na": ("eke0", "PASS LEG-EKE-7"),
    "eke-client-keeps-short": ("eke0", "FAIL LEG-EKE-FMT-6"),
    "eke-client-no-digest-ok": ("eke0", "FAIL LEG-EKE-FMT-6"),
    "eke-client-ignores-digest": ("eke0", "FAIL LEG-EKE-FMT-6"),
    "pki-length-le": ("pki0", "FAIL LEG-PKI-FMT-1"),
    "pki-rsfl-oaep-sha1": ("pki0", "FAIL LEG-PKI-FMT-6"),
    "pki-rqfl-oaep-sha1": ("pki0", "FAIL LEG-PKI-FMT-5"),
    "pki-checkissued": ("pki0", "FAIL LEG-PKI-FMT-4"),
    "pki-check-validity": ("pki0", "EVIDENCE LEG-PKI-3"),
    "pki-confined": ("pki0", "PASS LEG-PKI-5"),
    "pki-error-frame": ("pki0", "FAIL LEG-PKI-FMT-7"),
    "pki-frame-per-chunk": ("pki0", "FAIL LEG-PKI-FMT-6"),
    "pki-missing-file-hangs": ("pki0", "FAIL LEG-PKI-FMT-7"),
    "pki-piece-190": ("pki0", "FAIL LEG-PKI-FMT-6"),
    "pki-rsci-reason": ("pki0", "FAIL LEG-PKI-FMT-4"),
    "pki-rscv-der": ("pki0", "FAIL LEG-PKI-FMT-4"),
    "pki-sece-der": ("pki0", "FAIL LEG-PKI-FMT-3"),
    "pki-drops-short-last-piece": ("pki0", "FAIL LEG-PKI-FMT-6"),
    "pki-wait-for-close": ("pki0", "FAIL LEG-PKI-FMT-6"),
    "ca-json-answer": ("pki0", "FAIL LEG-CA-FMT-2"),
    "ca-no-size-limit": ("pki0", "FAIL LEG-CA-FMT-3"),
    "ca-oaep-sha1": ("pki0", "FAIL LEG-CA-FMT-1"),
    "ca-password-prefix": ("pki0", "FAIL LEG-CA-FMT-3"),
    "ca-unknown-alias-404": ("pki0", "FAIL LEG-CA-FMT-3"),
    # round 2
    "r2-eke-wrong-pw-rereads-password": ("eke0", "FAIL LEG-EKE-FMT-3"),
    "r2-eke-na-second-block": ("eke0", "FAIL LEG-EKE-FMT-4"),
    "r2-eke-digest-upper": ("eke0", "FAIL LEG-EKE-FMT-5"),
    "r2-eke-digest-first-block": ("eke0", "FAIL LEG-EKE-FMT-5"),
    "r2-eke-second-login-no-ack": ("eke0", "FAIL LEG-EKE-FMT-3"),
    "r2-eke-length-newline": ("eke0", "FAIL LEG-EKE-FMT-3"),
    "r2-eke-client-keeps-on-mismatch": ("eke0", "FAIL LEG-EKE-FMT-6"),
    "r2-eke-client-exit0-on-mismatch": ("eke0", "FAIL LEG-EKE-FMT-6"),
    "r2-pki-piece-99": ("pki0", "FAIL LEG-PKI-FMT-6"),
    "r2-pki-rqfl-le": ("pki0", "FAIL LEG-PKI-FMT-5"),
    "r2-pki-rsci-no-close": ("pki0", "FAIL LEG-PKI-FMT-4"),
    "r2-pki-empty-file-frame": ("pki0", "FAIL LEG-PKI-FMT-6"),
    "r2-ca-malformed-500": ("pki0", "FAIL LEG-CA-FMT-3"),
    "r2-ca-wrong-password-403": ("pki0", "FAIL LEG-CA-FMT-3"),
    "r2-ca-content-type-pem": ("pki0", "FAIL LEG-CA-FMT-2"),
    "r2-ca-any-path": ("pki0", "FAIL LEG-CA-FMT-3"),
    # round 3 (session 11, L8)
    "r3-eke-key-per-connection": ("eke0", "FAIL LEG-EKE-FMT-4"),
    "r3-eke-length-locale": ("eke0", "FAIL LEG-EKE-FMT-3"),
    "r3-eke-m18-ciphertext": ("eke0", "FAIL LEG-EKE-FMT-4"),
    "r3-eke-client-m11-exact38": ("eke0", "FAIL LEG-EKE-FMT-2"),
    "r3-eke-client-key-xs": ("eke0", "FAIL LEG-EKE-FMT-4"),
    "r3-eke-client-empty-fast-path": ("eke0", "FAIL LEG-EKE-FMT-6"),
    "r3-pki-any-block-verifies": ("pki0", "FAIL LEG-PKI-FMT-4"),
    "r3-pki-no-half-open": ("pki0", "FAIL LEG-PKI-FMT-6"),
    "r3-pki-twin-cache": ("pki0", "FAIL LEG-PKI-FMT-4"),
    "r3-pki-rqfl-own-key": ("pki0", "FAIL LEG-PKI-FMT-5"),
    "r3-eke-client-digest-timeout": ("eke0", "FAIL LEG-EKE-FMT-6"),
    "r3-ca-cert-cache": ("pki0", "FAIL LEG-CA-FMT-2"),
    "r3-ca-validity-swapped": ("pki0", "FAIL LEG-CA-FMT-2"),
    "r3-ca-alias-trim": ("pki0", "FAIL LEG-CA-FMT-3"),
    "r3-ca-oaep-sha1-fallback": ("pki0", "FAIL LEG-CA-FMT-1"),
    # round 4 (session 12, L10, blind)
    "r4-eke-client-m15-ciphertext": ("eke0", "FAIL LEG-EKE-FMT-4"),
    "r4-eke-m18-decrypt-flag": ("eke0", "FAIL LEG-EKE-FMT-4"),
    "r4-eke-digest-before-delivered": ("eke0", "FAIL LEG-EKE-FMT-3"),
    "r4-pki-rscv-optimistic": ("pki0", "FAIL LEG-PKI-FMT-4"),
    "r4-pki-sece-trimmed": ("pki0", "FAIL LEG-PKI-FMT-3"),
    "r4-pki-shared-peer-key": ("pki0", "FAIL LEG-PKI-FMT-6"),
    "r4-ca-issuer-cn-only": ("pki0", "FAIL LEG-CA-FMT-2"),
    "r4-ca-limit-header-only": ("pki0", "FAIL LEG-CA-FMT-3"),
    "r4-ca-outer-alias": ("pki0", "FAIL LEG-CA-FMT-2"),
    "r4-ca-pem-76": ("pki0", "FAIL LEG-CA-FMT-2"),
    # round 5 (session 13, L13, blind)
    "r5-pki-check-error-open": ("pki0", "FAIL LEG-PKI-FMT-4"),
    "r5-eke-client-digest-nonhex-open": ("eke0", "FAIL LEG-EKE-FMT-6"),
    "r5-ca-unknown-alias-passes": ("pki0", "FAIL LEG-CA-FMT-3"),
    "r5-ca-empty-password-skips": ("pki0", "FAIL LEG-CA-FMT-3"),
    "r5-pki-slot-leak-on-rsci": ("pki0", "FAIL LEG-PKI-FMT-4"),
    "r5-ca-alias-inflight-leak": ("pki0", "FAIL LEG-CA-FMT-2"),
    "r5-eke-inflight-leak": ("eke0", "FAIL LEG-EKE-FMT-3"),
    "r5-ca-limit-chars": ("pki0", "FAIL LEG-CA-FMT-3"),
    "r5-eke-digest-of-text": ("eke0", "FAIL LEG-EKE-FMT-5"),
    "r5-ca-limit-inclusive": ("pki0", "FAIL LEG-CA-FMT-3"),
    "r5-eke-client-auth-includes": ("eke0", "FAIL LEG-EKE-FMT-1"),
    "r5-pki-name-trimmed": ("pki0", "FAIL LEG-PKI-FMT-7"),
    "r5-ca-password-base-compare": ("pki0", "FAIL LEG-CA-FMT-3"),
    "r5-ca-key-from-refused": ("pki0", "FAIL LEG-CA-FMT-2"),
    # round 6 (session 14, L15, blind; the lens of each in leg_node/wire.mjs)
    "r6-pki-verify-promise": ("pki0", "FAIL LEG-PKI-FMT-4"),
    "r6-eke-client-digest-promise": ("eke0", "FAIL LEG-EKE-FMT-6"),
    "r6-pki-every-empty": ("pki0", "FAIL LEG-PKI-FMT-4"),
    "r6-ca-limit-per-chunk": ("pki0", "FAIL LEG-CA-FMT-3"),
    "r6-ca-size-counted-twice": ("pki0", "FAIL LEG-CA-FMT-3"),
    "r6-eke-shared-hash": ("eke0", "FAIL LEG-EKE-FMT-5"),
    "r6-pki-peer-module": ("pki0", "FAIL LEG-PKI-FMT-4"),
    "r6-ca-parts-leftover": ("pki0", "FAIL LEG-CA-FMT-3"),
    "r6-eke-client-writes-text": ("eke0", "FAIL LEG-EKE-FMT-6"),
    "r6-pki-key-from-last-block": ("pki0", "FAIL LEG-PKI-FMT-6"),
    "r6-eke-client-password-eager": ("eke0", "FAIL LEG-EKE-FMT-1"),
    "r6-eke-client-out-opened-early": ("eke0", "FAIL LEG-EKE-FMT-6"),
    "r6-eke-auth-per-connection": ("eke0", "FAIL LEG-EKE-FMT-3"),
    "r6-ca-socket-auth": ("pki0", "FAIL LEG-CA-FMT-3"),
    # round 7 (session 15, L17, blind; the lens of each in leg_node/wire.mjs)
    "r7-pki-sessions-chained": ("pki0", "FAIL LEG-PKI-FMT-4"),
    "r7-pki-max-connections": ("pki0", "FAIL LEG-PKI-FMT-4"),
    "r7-eke-client-waits-for-close": ("eke0", "FAIL LEG-EKE-FMT-6"),
    "r7-pki-rqfl-clear-fallback": ("pki0", "FAIL LEG-PKI-FMT-5"),
    "r7-pki-get-sece-as-rscv": ("pki0", "FAIL LEG-PKI-FMT-5"),
    "r7-ca-cred-plain-json": ("pki0", "FAIL LEG-CA-FMT-3"),
    "r7-pki-get-any-type-piece": ("pki0", "FAIL LEG-PKI-FMT-6"),
    "r7-eke-g-default": ("eke0", "FAIL LEG-EKE-FMT-3"),
    "r7-pki-second-frame-any-type": ("pki0", "FAIL LEG-PKI-FMT-5"),
    "r7-eke-pw-length-and": ("eke0", "FAIL LEG-EKE-FMT-3"),
    "r7-ca-base64-and": ("pki0", "FAIL LEG-CA-FMT-3"),
    "r7-ca-413-after-body": ("pki0", "FAIL LEG-CA-FMT-3"),
    "r7-ca-serial-race": ("pki0", "FAIL LEG-CA-FMT-2"),
    "r7-pki-shared-target": ("pki0", "FAIL LEG-PKI-FMT-6"),
    # round 17 (LG17, blind; the lens of each in leg_node/wire.mjs)
    "b17-ca-cred-max-refused": ("pki0", "FAIL LEG-CA-FMT-2"),
    "b17-eke-client-zero-length-skips-digest": ("eke0", "FAIL LEG-EKE-FMT-6"),
    "b17-ca-bad-key-401": ("pki0", "FAIL LEG-CA-FMT-3"),
    "b17-pki-get-skips-bad-piece": ("pki0", "FAIL LEG-PKI-FMT-6"),
    "b17-ca-cred-first-name": ("pki0", "FAIL LEG-CA-FMT-3"),
    "b17-pki-second-sece-replaces": ("pki0", "FAIL LEG-PKI-FMT-4"),
    "b17-eke-client-digest-startswith": ("eke0", "FAIL LEG-EKE-FMT-6"),
    "b17-eke-cipher-reused": ("eke0", "FAIL LEG-EKE-FMT-4"),
    "b17-eke-user-newline-password": ("eke0", "FAIL LEG-EKE-FMT-3"),
    "b17-ca-alias-case": ("pki0", "FAIL LEG-CA-FMT-3"),
    "b17-eke-logins-cap-4": ("eke0", "FAIL LEG-EKE-FMT-3"),
    # round 25 (blind; the lens of each in leg_node/wire.mjs)
    "b25-pki-length-le-fallback": ("pki0", "FAIL LEG-PKI-FMT-1"),
    "b25-pki-name-casefold": ("pki0", "FAIL LEG-PKI-FMT-7"),
    "b25-ca-key-bare-base64": ("pki0", "FAIL LEG-CA-FMT-3"),
    "b25-ca-cred-alias-member": ("pki0", "FAIL LEG-CA-FMT-3"),
    "b25-eke-m9-digits-of-p": ("eke0", "FAIL LEG-EKE-FMT-2"),
    "b25-eke-lockout-never-expires": ("eke0", "PASS LEG-EKE-10"),
    "b25-eke-ns-random-bytes": ("eke0", "FAIL LEG-EKE-FMT-4"),
    "b25-pki-name-lowercased": ("pki0", "FAIL LEG-PKI-FMT-7"),  # post-blind
    "b25-pki-length-16bit": ("pki0", "FAIL LEG-PKI-FMT-1"),  # post-blind
    # round 28 (blind; the lens of each in leg_node/wire.mjs)
    "b28-pki-dir-read-error-lost": ("pki0", "FAIL LEG-PKI-FMT-7"),
    "b28-ca-payload-raw-regex": ("pki0", "FAIL LEG-CA-FMT-1"),
    "b28-eke-client-resume-appends": ("eke0", "FAIL LEG-EKE-FMT-6"),
    "b28-eke-client-null-length-empty": ("eke0", "FAIL LEG-EKE-FMT-6"),
    "b28-ca-replay-cache": ("pki0", "PASS LEG-CA-3"),
}


def _node() -> str:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node (Node.js >= 20) is not on PATH: leg-node cannot run")
    version = subprocess.run(
        [node, "--version"], capture_output=True, text=True, timeout=30, check=False
    ).stdout.strip()
    match = re.fullmatch(r"v(\d+)\..*", version)
    if match is None or int(match.group(1)) < 20:
        pytest.skip(f"leg-node needs Node.js >= 20, found {version or 'nothing'}")
    return node


def _program(node: str) -> Foreign:
    eke0, pki0 = str(SOURCE / "eke0.mjs"), str(SOURCE / "pki0.mjs")
    return Foreign(
        name="leg-node",
        eke_serve=lambda pw, served: [node, eke0, "serve", "--port", "0", "--password-file",
                                      str(pw), "--file", str(served)],
        eke_get=f"{node} {eke0} get {{host}} {{port}} {{user}} {{password_file}} {{out}}",
        ca_serve=lambda root, root_key, accounts: [node, pki0, "ca", "--root", str(root),
                                                   "--root-key", str(root_key),
                                                   "--accounts", str(accounts)],
        enroll=lambda url, root, alias, pw, key, cert: [
            node, pki0, "enroll", "--ca-url", url, "--root", str(root), "--alias", alias,
            "--password-file", str(pw), "--key-out", str(key), "--cert-out", str(cert)],
        pki_serve=lambda key, cert, root, share: [node, pki0, "serve", "--key", str(key),
                                                  "--cert", str(cert), "--root", str(root),
                                                  "--share", str(share)],
        pki_get=f"{node} {pki0} get {{key}} {{cert}} {{host}} {{port}} {{name}} {{out}}",
        enroll_with_faults=False,
    )  # fmt: skip


# --- sft-eke/0 -------------------------------------------------------------------

EKE_CLEAN = {
    **_EKE_ALWAYS,
    **dict.fromkeys(
        ["LEG-EKE-2", "LEG-EKE-4", "LEG-EKE-6", "LEG-EKE-7", "LEG-EKE-12", "LIM-5", "EKE-HS-2"],
        "FAIL",
    ),
    "EKE-X-1": "FAIL",
    "LEG-EKE-FMT-6": "PASS",
}
EKE_CLIENT_CLEAN = {
    "test_the_client_sends_the_password_in_clear": "FAIL",
    "test_the_client_does_not_verify_the_servers_confirmation": "FAIL",
    "test_the_client_keeps_a_file_replaced_in_transit": "FAIL",
    "test_the_client_refuses_a_file_its_digest_does_not_match": "PASS",
}


# The whole legacy suite against it: `tox -e independent` (-m slow) runs it; the default
# run keeps the cheaper Go and C ports and the seed port [speed of the default run].
@pytest.mark.slow
def test_leg_node_eke0_is_judged_the_legacy_design(
    eke_files: tuple[Path, Path], tmp_path: Path
) -> None:
    code, report = audit_eke(_program(_node()), eke_files, tmp_path)
    _check(code, report, EKE_CLEAN, EKE_CLIENT_CLEAN)


# --- sft-pki/0 -------------------------------------------------------------------

PKI_CLEAN = {
    **_PKI_ALWAYS,
    **dict.fromkeys(
        [
            "LEG-PKI-3",
            "LEG-PKI-5",
            "PKI-ID-1",
            "PKI-TLS-4",
            "PKI-CERT-3",
            "PKI-CERT-5",
            "PKI-CERT-6",
            "APP-NAME-2",
            "APP-NAME-4",
        ],
        "FAIL",
    ),
    **dict.fromkeys(["LEG-PKI-FMT-7", "LEG-CA-FMT-1", "LEG-CA-FMT-2", "LEG-CA-FMT-3"], "PASS"),
    **dict.fromkeys([f"LEG-CA-{n}" for n in (1, 2, 3, 5, 6, 7)], "FAIL"),
}


# The whole legacy suite against it: `tox -e independent` (-m slow) runs it; the default
# run keeps the cheaper Go and C ports and the seed port [speed of the default run].
@pytest.mark.slow
def test_leg_node_pki0_is_judged_the_legacy_design(org: dict[str, Path], tmp_path: Path) -> None:
    code, report = audit_pki(_program(_node()), org, tmp_path)
    _check(code, report, PKI_CLEAN)


# --- planted faults -----------------------------------------------------------------


def test_fault_tables_agree() -> None:
    table = re.findall(
        r"^\s*\['([a-z0-9-]+)', '(eke0|pki0)', '((?:FAIL|PASS|EVIDENCE) [A-Z0-9-]+)',",
        (SOURCE / "wire.mjs").read_text(encoding="utf-8"),
        flags=re.MULTILINE,
    )
    assert {name: (prog, want) for name, prog, want in table} == FAULTS
    assert len(table) == len(FAULTS) >= 20


# For an "EVIDENCE" fault: (what the flaw's evidence must show, what it must not).
EVIDENCE = {"pki-check-validity": ("BasicConstraints CA:TRUE", "expired")}

_PER_FAULT = pytest.mark.skipif(
    os.environ.get("SFT_SELFTEST") != "all", reason="per-fault audits: SFT_SELFTEST=all"
)


@_PER_FAULT
@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_a_leg_node_fault_is_reported(
    fault: str, eke_files: tuple[Path, Path], org: dict[str, Path], tmp_path: Path
) -> None:
    program, want = FAULTS[fault]
    if program == "eke0":
        code, report = audit_eke(_program(_node()), eke_files, tmp_path, fault)
    else:
        code, report = audit_pki(_program(_node()), org, tmp_path, fault)
    judge_fault(fault, want, code, report, EVIDENCE)
