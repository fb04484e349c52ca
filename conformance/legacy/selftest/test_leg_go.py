"""The legacy audit held against leg-go: a clean-room Go 1.19 implementation of the seeds'
designs (conformance/legacy/selftest/leg_go/: eke/0 server and client, pki/0 responder,
requester, enrolment client and CA; its choices at the top of leg_go/main.go), written
from the seed documents and docs/SPEC.md §7 alone, with the standard library only
(net, crypto/rsa OAEP, crypto/x509, math/big, net/http, encoding/json). A faithful
implementation must be judged exactly the seed design whatever its language (every
LEG-*-FMT case PASS, every flaw FAIL with its evidence, exit 0), and a deviating one
reported under the right ID. Its CA is the second foreign legacy CA the audit meets
(after leg-node's): the CA cases run against it through `--ca-url` / `--enroll`, and the
responder under audit holds a certificate that CA issued (`leggo enroll`).

It is built here with the installed `go` into a cache directory (never into the tree; no
module downloads: GOFLAGS=-mod=mod GOPROXY=off). Without `go` (Debian: golang-go,
>= 1.19) every audit SKIPs with the reason.

- `test_leg_go_eke0_is_judged_the_legacy_design`, `..._pki0_...` (default run of the
  legacy self-test): the clean programs, audited as a deployment would be.
- `test_a_leg_go_fault_is_reported` (SFT_SELFTEST=all): each planted fault
  (`SFT_INDEPENDENT_FAULTS`, the table in leg_go/faults.go, mirrored in `FAULTS` here)
  makes the audit exit 1 reporting its ID: a format case FAILing ("FAIL ID"), a flaw's
  unexpected pass ("PASS ID"); never an ERROR.
- `test_fault_tables_agree` (always, no go needed): the two tables agree.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from conformance.legacy.selftest.foreign import Foreign, audit_eke, audit_pki, judge_fault
from conformance.legacy.selftest.test_independent import _check, eke_files, org
from conformance.legacy.selftest.test_leg_node import EKE_CLEAN, EKE_CLIENT_CLEAN, PKI_CLEAN

__all__ = ["FAULTS", "eke_files", "leggo", "org"]  # fixtures, imported to be found by pytest

SOURCE = Path(__file__).resolve().parent / "leg_go"
_BUILD_DIR = Path(tempfile.gettempdir()) / f"sft-leg-go-build-{os.getuid()}"
_BINARY = _BUILD_DIR / "leggo"
pytestmark = pytest.mark.xdist_group("legacy-leg-go")

# name -> "FAIL ID" | "PASS ID" | "EVIDENCE ID": what the audit must report for that fault
# (as test_seedport.py judges them; EVIDENCE: the flaw still FAILs, exit 0 as for the seed,
# and its evidence shows what `EVIDENCE` below says of the change); the program is the
# name's prefix (eke- / pki- / ca-).
FAULTS: dict[str, str] = {
    "eke-length-uint32": "FAIL LEG-EKE-FMT-3",
    "eke-p-atoi": "FAIL LEG-EKE-FMT-3",
    "eke-readfull-user": "FAIL LEG-EKE-FMT-3",
    "eke-pad-spaces": "FAIL LEG-EKE-FMT-3",
    "eke-pad-left": "FAIL LEG-EKE-FMT-3",
    "eke-key-last-digits": "FAIL LEG-EKE-FMT-4",
    "eke-key-fillbytes": "FAIL LEG-EKE-FMT-4",
    "eke-cbc-reused": "FAIL LEG-EKE-FMT-4",
    "eke-ecb": "FAIL LEG-EKE-FMT-4",
    "eke-digest-upper": "FAIL LEG-EKE-FMT-5",
    "eke-last-chunk-dropped": "FAIL LEG-EKE-FMT-5",
    "eke-goroutine-per-conn": "PASS LEG-EKE-12",
    "eke-user-checked": "PASS LEG-EKE-2",
    "eke-rand-exponent": "PASS LEG-EKE-4",
    "eke-println-acks": "FAIL LEG-EKE-FMT-3",
    "eke-client-println": "FAIL LEG-EKE-FMT-1",
    "eke-client-commit-early": "FAIL LEG-EKE-FMT-6",
    "eke-client-eof-ok": "FAIL LEG-EKE-FMT-6",
    "pki-length-le": "FAIL LEG-PKI-FMT-1",
    "pki-length-uint64": "FAIL LEG-PKI-FMT-1",
    "pki-rsfl-oaep-sha1": "FAIL LEG-PKI-FMT-6",
    "pki-rsfl-oaep-label": "FAIL LEG-PKI-FMT-6",
    "pki-rsfl-pkcs1v15": "FAIL LEG-PKI-FMT-6",
    "pki-piece-128": "FAIL LEG-PKI-FMT-6",
    "pki-empty-file-frame": "FAIL LEG-PKI-FMT-6",
    "pki-rsci-silent": "FAIL LEG-PKI-FMT-4",
    "pki-rscv-chain": "FAIL LEG-PKI-FMT-4",
    "pki-single-read": "FAIL LEG-PKI-FMT-1",
    "pki-rsci-no-close": "FAIL LEG-PKI-FMT-4",
    "pki-open-error-reads-on": "FAIL LEG-PKI-FMT-7",
    "pki-filepath-join": "EVIDENCE LEG-PKI-5",
    "pki-go-join": "PASS LEG-PKI-5",
    "ca-wrong-password-403": "FAIL LEG-CA-FMT-3",
    "ca-body-limit-400": "FAIL LEG-CA-FMT-3",
    "ca-base64-raw": "FAIL LEG-CA-FMT-1",
    "ca-base64-url": "FAIL LEG-CA-FMT-1",
    "ca-sha1-signature": "FAIL LEG-CA-FMT-2",
    "ca-extensions": "PASS LEG-CA-6",
    # round 2
    "eke-r2-ns-binary": "FAIL LEG-EKE-FMT-4",
    "eke-r2-m18-from-ns": "FAIL LEG-EKE-FMT-4",
    "eke-r2-length-hex": "FAIL LEG-EKE-FMT-3",
    "eke-r2-chunk-overlap": "FAIL LEG-EKE-FMT-5",
    "eke-r2-digest-first-chunk": "FAIL LEG-EKE-FMT-5",
    "eke-r2-client-no-digest-commits": "FAIL LEG-EKE-FMT-6",
    "eke-r2-client-digest-prefix": "FAIL LEG-EKE-FMT-6",
    "pki-r2-piece-101": "FAIL LEG-PKI-FMT-6",
    "pki-r2-short-piece-dropped": "FAIL LEG-PKI-FMT-6",
    "pki-r2-rscv-der": "FAIL LEG-PKI-FMT-4",
    "pki-r2-sece-der": "FAIL LEG-PKI-FMT-3",
    "pki-r2-rqfl-nul": "FAIL LEG-PKI-FMT-5",
    "pki-r2-rqfl-sha1": "FAIL LEG-PKI-FMT-5",
    "ca-r2-unknown-alias-404": "FAIL LEG-CA-FMT-3",
    "ca-r2-octet-stream": "FAIL LEG-CA-FMT-2",
    "ca-r2-alias-in-o": "FAIL LEG-CA-FMT-2",
    "ca-r2-bad-key-500": "FAIL LEG-CA-FMT-3",
    # round 3 (session 11, L8)
    "eke-r3-key-cache-user": "FAIL LEG-EKE-FMT-4",
    "eke-r3-password-fold": "FAIL LEG-EKE-FMT-3",
    "eke-r3-m9-exactly-39": "FAIL LEG-EKE-FMT-2",
    "eke-r3-key-seed-p": "FAIL LEG-EKE-FMT-4",
    "eke-r3-m18-own-na": "FAIL LEG-EKE-FMT-4",
    "eke-r3-client-ns-constant": "FAIL LEG-EKE-FMT-4",
    "eke-r3-client-digest-fallback": "FAIL LEG-EKE-FMT-6",
    "pki-r3-verified-cn-cache": "FAIL LEG-PKI-FMT-4",
    "pki-r3-parse-error-open": "FAIL LEG-PKI-FMT-4",
    "pki-r3-get-header-one-read": "FAIL LEG-PKI-FMT-1",
    "pki-r3-get-short-piece-ends": "FAIL LEG-PKI-FMT-6",
    "pki-r3-sealed-cache": "FAIL LEG-PKI-FMT-6",
    "pki-r3-rscv-echo": "FAIL LEG-PKI-FMT-4",
    "ca-r3-alias-fold": "FAIL LEG-CA-FMT-3",
    "ca-r3-root-pubkey": "FAIL LEG-CA-FMT-2",
    "ca-r3-validity-ns": "FAIL LEG-CA-FMT-2",
    "ca-r3-pkcs1-fallback": "FAIL LEG-CA-FMT-1",
    # round 4 (session 12, L10, blind)
    "eke-r4-m11-own-g": "PASS LEG-EKE-3",
    "eke-r4-client-m15-swapped": "FAIL LEG-EKE-FMT-4",
    "eke-r4-digest-eager": "FAIL LEG-EKE-FMT-3",
    "eke-r4-m11-zero-padded": "FAIL LEG-EKE-FMT-3",
    "eke-r4-auth-sticky": "FAIL LEG-EKE-FMT-3",
    "pki-r4-rscv-no-newline": "FAIL LEG-PKI-FMT-4",
    "pki-r4-peer-key-shared": "FAIL LEG-PKI-FMT-6",
    "pki-r4-sigalg-switch": "FAIL LEG-PKI-FMT-4",
    "ca-r4-parent-template": "FAIL LEG-CA-FMT-2",
    "ca-r4-status-before-key": "FAIL LEG-CA-FMT-3",
    "ca-r4-outer-name": "FAIL LEG-CA-FMT-2",
    "ca-r4-subject-from-root": "FAIL LEG-CA-FMT-2",
    "ca-r4-fprintln-cert": "FAIL LEG-CA-FMT-2",
    "ca-r4-verify-prefix": "FAIL LEG-CA-FMT-3",
    # round 5 (session 13, L12, blind)
    "eke-r5-password-trimspace": "FAIL LEG-EKE-FMT-3",
    "eke-r5-retry-password-only": "FAIL LEG-EKE-FMT-3",
    "eke-r5-pad-to-p-digits": "FAIL LEG-EKE-FMT-3",
    "eke-r5-client-digest-decode-open": "FAIL LEG-EKE-FMT-6",
    "eke-r5-client-part-left": "FAIL LEG-EKE-FMT-6",
    "pki-r5-empty-sece-anonymous": "FAIL LEG-PKI-FMT-4",
    "pki-r5-alias-sessions-leak": "FAIL LEG-PKI-FMT-4",
    "ca-r5-unknown-alias-zero-value": "FAIL LEG-CA-FMT-3",
    "ca-r5-cred-json-ignored": "FAIL LEG-CA-FMT-3",
    "ca-r5-json-reused-struct": "FAIL LEG-CA-FMT-3",
    "ca-r5-active-leak": "FAIL LEG-CA-FMT-2",
    "ca-r5-body-limit-kb": "FAIL LEG-CA-FMT-3",
    "ca-r5-password-truncated-compare": "FAIL LEG-CA-FMT-3",
    # round 6 (session 14, L15, blind; the lens of each in leg_go/faults.go)
    "eke-r6-pw-shadowed": "FAIL LEG-EKE-FMT-3",
    "eke-r6-client-check-deferred": "FAIL LEG-EKE-FMT-6",
    "pki-r6-sig-err-typo": "FAIL LEG-PKI-FMT-4",
    "eke-r6-tries-per-conn": "FAIL LEG-EKE-FMT-3",
    "ca-r6-limit-per-member": "FAIL LEG-CA-FMT-3",
    "eke-r6-reader-carryover": "FAIL LEG-EKE-FMT-3",
    "pki-r6-file-handle-cache": "FAIL LEG-PKI-FMT-6",
    "ca-r6-shared-answer-buffer": "FAIL LEG-CA-FMT-2",
    "pki-r6-chain-key-last": "FAIL LEG-PKI-FMT-6",
    "pki-r6-name-nul-trimmed": "FAIL LEG-PKI-FMT-7",
    "eke-r6-client-out-probe": "FAIL LEG-EKE-FMT-6",
    "eke-r6-client-p-early": "FAIL LEG-EKE-FMT-1",
    "pki-r6-verified-host": "FAIL LEG-PKI-FMT-4",
    "ca-r6-retry-window": "FAIL LEG-CA-FMT-3",
    "eke-r6-m18-per-connection": "FAIL LEG-EKE-FMT-4",
    # round 7 (session 15, L16, blind; the lens of each in leg_go/faults.go)
    "pki-r7-sece-on-accept": "FAIL LEG-PKI-FMT-4",
    "pki-r7-session-lock": "FAIL LEG-PKI-FMT-4",
    "pki-r7-own-alias-refused": "FAIL LEG-PKI-FMT-4",
    "eke-r7-m11-echoes-m9": "FAIL LEG-EKE-FMT-3",
    "ca-r7-undecryptable-401": "FAIL LEG-CA-FMT-3",
    "pki-r7-read-error-rsci": "FAIL LEG-PKI-FMT-7",
    "pki-r7-sig-and-issuer": "FAIL LEG-PKI-FMT-4",
    "ca-r7-and-for-or": "FAIL LEG-CA-FMT-3",
    "eke-r7-pw-len-or-equal": "FAIL LEG-EKE-FMT-3",
    "ca-r7-pending-keys": "FAIL LEG-CA-FMT-2",
    "eke-r7-transfers-capped": "FAIL LEG-EKE-FMT-3",
    "ca-r7-key-by-host": "FAIL LEG-CA-FMT-2",
    # round 18 (session 18, LG18, blind; the lens of each in leg_go/faults.go)
    "eke-r18-m19-newline": "FAIL LEG-EKE-FMT-3",
    "eke-r18-m13-pkcs7": "FAIL LEG-EKE-FMT-4",
    "eke-r18-group-per-connection": "FAIL LEG-EKE-FMT-4",
    "eke-r18-client-ack12-early": "FAIL LEG-EKE-FMT-1",
    "pki-r18-rsci-reason": "FAIL LEG-PKI-FMT-4",
    "pki-r18-serve-next-rqfl": "FAIL LEG-PKI-FMT-6",
    "pki-r18-get-skip-bad-piece": "FAIL LEG-PKI-FMT-6",
    "ca-r18-json-decoder-trailing": "FAIL LEG-CA-FMT-3",
    "ca-r18-verify-subtree": "FAIL LEG-CA-FMT-2",
    "ca-r18-serial-unix-seconds": "FAIL LEG-CA-FMT-2",
}


def _build() -> Path:
    go = shutil.which("go")
    if go is None:
        pytest.skip("`go` (Debian: golang-go, >= 1.19) is not on PATH: leg-go cannot be built")
    _BUILD_DIR.mkdir(mode=0o700, exist_ok=True)
    env = dict(os.environ)
    env.pop("SFT_INDEPENDENT_FAULTS", None)
    env.update(
        GOFLAGS="-mod=mod", GOPROXY="off", GOCACHE=str(_BUILD_DIR / "cache"),
        GOPATH=str(_BUILD_DIR / "gopath"), CGO_ENABLED="0",
    )  # fmt: skip
    done = subprocess.run(
        [go, "build", "-o", str(_BINARY), "."], cwd=SOURCE, env=env, capture_output=True,
        text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, f"go build failed:\n{done.stderr[-3000:]}"
    return _BINARY


@pytest.fixture(scope="module")
def leggo() -> Iterator[Path]:
    """The Go program, built once per module run into the cache directory."""
    yield _build()


def _program(binary: Path) -> Foreign:
    exe = str(binary)
    return Foreign(
        name="leg-go",
        eke_serve=lambda pw, served: [exe, "eke-serve", "-port", "0", "-user", "yash101",
                                      "-password-file", str(pw), "-file", str(served)],
        eke_get=f"{exe} eke-get {{host}} {{port}} {{user}} {{password_file}} {{out}}",
        ca_serve=lambda root, root_key, users: [exe, "ca-serve", "-port", "0", "-root-key",
                                                str(root_key), "-root-cert", str(root),
                                                "-users", str(users)],
        enroll=lambda url, root, alias, pw, key, cert: [
            exe, "enroll", "-ca", url, "-root", str(root), "-alias", alias,
            "-password-file", str(pw), "-key-out", str(key), "-cert-out", str(cert)],
        pki_serve=lambda key, cert, root, share: [exe, "pki-serve", "-port", "0", "-key",
                                                  str(key), "-cert", str(cert), "-root",
                                                  str(root), "-share", str(share)],
        pki_get=f"{exe} pki-get {{key}} {{cert}} {{host}} {{port}} {{name}} {{out}}",
    )  # fmt: skip


def test_leg_go_eke0_is_judged_the_legacy_design(
    leggo: Path, eke_files: tuple[Path, Path], tmp_path: Path
) -> None:
    code, report = audit_eke(_program(leggo), eke_files, tmp_path)
    _check(code, report, EKE_CLEAN, EKE_CLIENT_CLEAN)


def test_leg_go_pki0_is_judged_the_legacy_design(
    leggo: Path, org: dict[str, Path], tmp_path: Path
) -> None:
    code, report = audit_pki(_program(leggo), org, tmp_path)
    _check(code, report, PKI_CLEAN)


# --- planted faults -----------------------------------------------------------------


def test_fault_tables_agree() -> None:
    table = re.findall(
        r'^\s*\{"([a-z0-9-]+)", "((?:FAIL|PASS|EVIDENCE) [A-Z0-9-]+)", ',
        (SOURCE / "faults.go").read_text(encoding="utf-8"),
        flags=re.MULTILINE,
    )
    assert dict(table) == FAULTS
    assert len(table) == len(FAULTS) >= 20


# For an "EVIDENCE" fault: (what the flaw's evidence must show, what it must not).
EVIDENCE = {"pki-filepath-join": ("etc/passwd", "'/etc/passwd'")}

_PER_FAULT = pytest.mark.skipif(
    os.environ.get("SFT_SELFTEST") != "all", reason="per-fault audits: SFT_SELFTEST=all"
)


@_PER_FAULT
@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_a_leg_go_fault_is_reported(
    fault: str, leggo: Path, eke_files: tuple[Path, Path], org: dict[str, Path], tmp_path: Path
) -> None:
    if fault.startswith("eke-"):
        code, report = audit_eke(_program(leggo), eke_files, tmp_path, fault)
    else:
        code, report = audit_pki(_program(leggo), org, tmp_path, fault)
    judge_fault(fault, FAULTS[fault], code, report, EVIDENCE)
