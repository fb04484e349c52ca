"""Round 19 (lead): the sft-pki/1 responder's start-up sweep (APP-STORE-3), observable now.

"A responder MUST also remove, when it starts, the `.sft-partial-*` files that an earlier
run left in its inbox (it owns its inbox)." Until round 19 a pki target file could declare
no restart, so only the eke server's sweep was judged: a pki responder with no sweep at
all, or with the initiator's age rule copied, passed every case (I26 planted the latter in
pki3 and had to drop it as not observable). Now `[pki] restart_cmd` declares one (the
reference's `sft peer serve` re-executes itself on SIGHUP, keeping its socket), and
conformance/test_pki_restart_sweep.py leaves temporaries of every age in the inbox.

- lead19-pki-no-startup-sweep    the responder never sweeps its inbox at start
- lead19-pki-startup-sweep-aged  it sweeps only what nobody wrote for longer than its idle
                                 timeout (the initiator's rule)
- lead19-pki-commit-complete-at-eof  a put whose every announced byte arrived is committed
                                 when its connection ends without DONE (the restart's close)

CA-ENR-12 now says what B104's root-swallowed mutant showed it left open: the enrolment
client keeps a certificate for its key only if it names the alias asked for and verifies
with the organisation root (test_enroll_client.py: the key certified by a foreign CA, by an
impostor copying the root's name and key identifier, for another alias):

- lead19-enr-no-alias-check      `sft enroll` never compares the answer's CN with the alias
- lead19-enr-issuer-name-only    it compares the answer's issuer NAME with the root's
                                 subject instead of verifying the signature
"""

from __future__ import annotations

from pathlib import Path

from conformance.selftest.mutant import Mutant, _module

__all__ = ["MUTANTS"]

_GROUP = "lead19"


def _no_sweep() -> None:
    _module("reference.pki.peer").remove_stale_partials = lambda directory, **_kw: 0


def _aged_sweep() -> None:
    peer = _module("reference.pki.peer")
    sweep = _module("reference.transfer").remove_stale_partials

    def aged(directory: Path, **_kw: object) -> int:
        return int(sweep(directory, older_than=5.0))  # the suite's idle timeout

    peer.remove_stale_partials = aged


def _commit_complete_at_eof() -> None:
    from conformance.selftest.mutants_app import _patch_source

    pad = " " * 12
    _patch_source(
        _module("reference.transfer").Responder,
        "_put",
        (
            f"{pad}self.channel.receive_file(partial, request.size, None)\n",
            f"{pad}try:\n"
            f"{pad}    self.channel.receive_file(partial, request.size, None)\n"
            f"{pad}except Exception:\n"
            f"{pad}    if partial.written == request.size:  # every byte is here\n"
            f"{pad}        partial.commit()\n"
            f"{pad}    raise\n",
        ),
    )


def _enroll_edit(old: str, new: str) -> None:
    from conformance.selftest.mutants_app import _patch_source

    _patch_source(_module("reference.pki.enroll"), "enroll", (old, new))


def _no_alias_check() -> None:
    _enroll_edit(
        "    if names != [alias]:  # none, several, or another: not the identity asked for\n",
        "    if not names:\n",
    )


def _issuer_name_only() -> None:
    _enroll_edit(
        "        cert.verify_directly_issued_by(root)\n",
        "        if cert.issuer != root.subject:\n"
        "            raise ValueError('another issuer')\n",
    )


def _length_any_whitespace() -> None:
    from conformance.selftest.mutants_app import _patch_source

    handler = _module("reference.pki.ca_server")._Handler
    _patch_source(
        handler,
        "_read_json",
        (
            'length_text = lengths[0].strip(" \\t") if lengths else None',
            "length_text = lengths[0].strip() if lengths else None",
        ),
    )


MUTANTS: tuple[Mutant, ...] = (
    Mutant(
        name="lead19-pki-no-startup-sweep",
        group=_GROUP,
        profile="pki",
        requirement="APP-STORE-3",
        test_file="test_pki_restart_sweep.py",
        description="the pki responder never removes an earlier run's temporaries at start",
        apply=_no_sweep,
    ),
    Mutant(
        name="lead19-pki-startup-sweep-aged",
        group=_GROUP,
        profile="pki",
        requirement="APP-STORE-3",
        test_file="test_pki_restart_sweep.py",
        description=(
            "the pki responder's start-up sweep removes only temporaries nobody wrote for "
            "longer than its idle timeout (the initiator's rule, copied)"
        ),
        apply=_aged_sweep,
    ),
    Mutant(
        name="lead19-pki-commit-complete-at-eof",
        group=_GROUP,
        profile="pki",
        requirement="APP-PUT-5",
        test_file="test_pki_restart_sweep.py",
        description=(
            "the pki responder commits a put whose every announced byte arrived when the "
            "connection ends before its DONE"
        ),
        apply=_commit_complete_at_eof,
    ),
    Mutant(
        name="lead19-enr-no-alias-check",
        group=_GROUP,
        profile="pki",
        requirement="CA-ENR-12",
        test_file="test_enroll_client.py",
        description="`sft enroll` keeps a root-issued certificate for its key whatever its CN",
        apply=_no_alias_check,
        client=True,
        enroll=True,
    ),
    Mutant(
        name="lead19-enr-issuer-name-only",
        group=_GROUP,
        profile="pki",
        requirement="CA-ENR-12",
        test_file="test_enroll_client.py",
        description=(
            "`sft enroll` checks the answer's issuer name against the root's subject instead "
            "of verifying its signature with the root"
        ),
        apply=_issuer_name_only,
        client=True,
        enroll=True,
    ),
    Mutant(
        name="lead19-ca-length-any-whitespace",
        group=_GROUP,
        profile="pki",
        requirement="CA-ENR-9",
        test_file="test_ca.py",
        description=(
            "the CA strips any whitespace (VT, FS, NEL, NBSP) around Content-Length, not "
            "only SP and HTAB"
        ),
        apply=_length_any_whitespace,
        ca=True,
    ),
)
