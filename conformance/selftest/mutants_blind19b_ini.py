"""Blind red-team round 19b (helper B108, a short second pass): the sft-pki/1 initiator
(`sft get`, `sft put`) and the enrolment client (`sft enroll`), through round 19's six
lenses.

Written blind, from docs/SPEC.md §3.5, §4.1-§4.4 and the reference's pki/client.py,
enroll.py, tls.py, alias.py, share.check_name, transfer.Initiator, cli/pki.py and
cli/ca.py's `_enroll` only, before any case file was opened. Every idea was checked
against the names and descriptions of the 533 registered pki initiator and enrolment
client mutants (mutants_blind19_ini.py's fifteen included); none repeats one.

lens 1 (library defaults):
    enr-retry-after-isdigit  ERR-6      a 503's Retry-After read with str.isdigit() alone
                                        (no isascii): a superscript or another Unicode
                                        digit passes isdigit, int() raises, the enrolment
                                        ends in a traceback
    ini-alias-by-hostname    PKI-ID-4   the alias left to the TLS library's host name
                                        check (server_hostname=alias, check_hostname): a
                                        DNS subjectAltName naming the alias passes, the CN
                                        (another alias) is never compared
lens 2 (porting idioms):
    enr-cn-ignore-case       CA-ENR-12  the answer's CN compared with equalsIgnoreCase:
                                        a certificate for our key with CN ALICE is kept
                                        for alice
    enr-cn-c-string          CA-ENR-12  the answer's CN read as a C string: alice\\0x is
                                        alice
    ini-name-c-buffers       APP-NAME-7 the initiator's name checks sized as C buffers with
                                        their NUL (char name[4096], char part[255]): a
                                        name of exactly 4096 bytes or a component of
                                        exactly 255 is refused before it is requested
lens 5 (what the user and the peer are told):
    enr-busy-gives-up-0      CA-ENR-12  giving up on a CA that stays 503 busy is a warning:
                                        nothing is written and `sft enroll` exits 0
    ini-control-limit-code   FRM-8      a control payload over 64 KiB is answered bad_frame
                                        ("not a control frame"), not frame_too_large
lens 6 (refactoring slips):
    enr-alias-among-cns      CA-ENR-12  `names != [alias]` rewritten `alias not in names`:
                                        a certificate for our key whose subject holds our
                                        alias among other CNs is kept
(Lenses 3 and 4: every idea for this area — a busy retry repeating a put, a CRL cache
refresh during the handshake, an earlier identity's files — was registered already or is
declared not observable through a target's commands.)

Blind measure (8 written, each against the case file named blind): 0 caught. Two were
caught by existing files once aimed at them: ini-alias-by-hostname by
test_pki_identity.py (its impostor CN with the alias as a DNS subjectAltName) and
ini-control-limit-code by test_client_pki_eror_fatality.py (and test_pki_initiator_
transfer.py). One is not registered (NOT_JUDGED below):
  - ini-name-c-buffers: APP-NAME-7 is the receiver's; no MUST makes an initiator ask for
    every name a receiver must take (test_pki_initiator_eror_messages.py says so and
    skips). A SPEC sentence is proposed in the round's report ("an initiator MUST NOT
    refuse, for its length, a name within APP-NAME-1's limits").

The other five were missed by every existing file citing their requirement (the four
enrolment mutants by each CA-ENR-12 file: test_enroll_client, _answers, _answer_edges,
_hostile_bodies, _renewal_answers, _second_run, _trust_sources, test_client_run_enrolment,
_enrol_edges; enr-cn-c-string against test_enroll_client, _answers, _hostile_bodies and
the two run files only;
enr-retry-after-isdigit by test_enroll_hostile_bodies.py); the round's new case files
catch them (7 of 7 registered mutants caught after the round):
  test_enroll_answer_subject_exact.py   enr-cn-ignore-case, enr-cn-c-string,
                                        enr-alias-among-cns (no case gave the client a
                                        certificate for its key whose CN only folds,
                                        truncates or is one of several to the alias;
                                        test_enroll_hostile_bodies.py's two-CN subjects
                                        judge ERR-6 only)
  test_enroll_never_answered_outcome.py enr-busy-gives-up-0 (503 and 429 answered every
                                        time: exit 0 is the failure; test_enroll_client's
                                        429 case judges what is stored, and an exit 0 with
                                        nothing stored is inconclusive there)
  test_enroll_retry_after_forms.py      enr-retry-after-isdigit (no case sent a Retry-After
                                        a parser trips over; the hostile CA writes heads
                                        as UTF-8, so the case sends its head as ISO-8859-1
                                        octets through SSLContext.sslsocket_class)
The three files add about 6 s to the default run against the reference (8 cases); the
slow run adds three variants. Every case PASSES enroll.sh (the independent enrolment
client; the files are in test_enroll_sh.py's list).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from conformance.selftest.mutant import Mutant, _module
from conformance.selftest.mutants_app import _patch_source

__all__ = ["MUTANTS", "NOT_JUDGED"]


def _tls() -> Any:
    return _module("reference.pki.tls")


def _client() -> Any:
    return _module("reference.pki.client")


def _enroll() -> Any:
    return _module("reference.pki.enroll")


# --- lens 1 ---------------------------------------------------------------------------


def _enr_retry_after_isdigit() -> None:
    _patch_source(
        _enroll(),
        "enroll",
        (
            "decimal_at_most(wait, _BUSY_WAIT_CAP) if ascii_digits(wait) else 1",
            "(s if (s := int(wait)) <= _BUSY_WAIT_CAP else None) if wait.isdigit() else 1",
        ),
    )


def _ini_alias_by_hostname() -> None:
    _patch_source(
        _tls(),
        "client_context",
        (
            "    ctx.check_hostname = False\n",
            "    ctx.check_hostname = True  # the alias is the name we connect to\n",
        ),
    )
    _patch_source(
        _client().PkiSession,
        "_connect_once",
        (
            "sock = context.wrap_socket(raw)",
            "sock = context.wrap_socket(raw, server_hostname=self.alias)",
        ),
        (
            "if name != self.alias:  # [PKI-ID-1]",
            "if False:  # [PKI-ID-1]: checked by the TLS library (server_hostname)",
        ),
    )


# --- lens 2 ---------------------------------------------------------------------------


def _enr_cn_ignore_case() -> None:
    _patch_source(
        _enroll(),
        "enroll",
        (
            "if names != [alias]:",
            "if len(names) != 1 or names[0].lower() != alias.lower():  # equalsIgnoreCase",
        ),
    )


def _enr_cn_c_string() -> None:
    _patch_source(
        _enroll(),
        "enroll",
        (
            "names = [a.value for a in",
            'names = [a.value.split("\\0")[0] for a in',
        ),
    )


def _ini_name_c_buffers() -> None:
    share = _module("reference.share")
    _patch_source(
        share,
        "check_name",
        (
            "if not 1 <= size <= MAX_NAME_BYTES:",
            "if not 1 <= size < MAX_NAME_BYTES:  # char name[4096], NUL included",
        ),
        (
            'if len(part.encode("utf-8")) > MAX_COMPONENT_BYTES:',
            'if len(part.encode("utf-8")) >= MAX_COMPONENT_BYTES:  # char part[255]',
        ),
    )
    _module("reference.transfer").check_name = share.check_name


# --- lens 5 ---------------------------------------------------------------------------


def _enr_busy_gives_up_0() -> None:
    _patch_source(
        _enroll(),
        "enroll",
        (
            '        raise EnrollError(f"the CA is busy: gave up after {tries} tries")\n',
            "        import sys\n"
            "\n"
            '        print(f"warning: the CA is busy ({tries} tries): enrol again later",'
            " file=sys.stderr)\n"
            "        return Identity(out_dir)  # nothing to write: not our failure\n",
        ),
    )


def _ini_control_limit_code() -> None:
    _patch_source(
        _module("reference.app").ApplicationConnection,
        "_check_header",
        (
            'ErrorCode.FRAME_TOO_LARGE, f"control payload of {length} bytes [FRM-8]"',
            'ErrorCode.BAD_FRAME, f"control payload of {length} bytes [FRM-8]"',
        ),
    )
    frames = _module("reference.frames")
    _patch_source(
        frames,
        "loads_control",
        ("            ErrorCode.FRAME_TOO_LARGE,\n", "            ErrorCode.BAD_FRAME,\n"),
    )
    _module("reference.messages").loads_control = frames.loads_control


# --- lens 6 ---------------------------------------------------------------------------


def _enr_alias_among_cns() -> None:
    _patch_source(_enroll(), "enroll", ("if names != [alias]:", "if alias not in names:"))


# --- registry -------------------------------------------------------------------------


def _m(
    name: str,
    lens: int,
    requirement: str,
    test_file: str,
    apply: Callable[[], None],
    description: str,
    *,
    enroll: bool = False,
    strict: bool = False,
) -> Mutant:
    prefix = "b19benr" if enroll else "b19bini"
    return Mutant(
        name=f"{prefix}-{name}",
        group="blind19b-ini",
        profile="pki",
        requirement=requirement,
        test_file=test_file,
        description=f"L{lens}: {description}",
        apply=apply,
        client=True,
        enroll=enroll,
        strict=strict,
    )


_WRITTEN: tuple[Mutant, ...] = (
    _m(
        "retry-after-isdigit",
        1,
        "ERR-6",
        "test_enroll_retry_after_forms.py",
        _enr_retry_after_isdigit,
        "a 503's Retry-After is read with str.isdigit() alone (no isascii): a Unicode digit "
        "such as a superscript passes isdigit, int() raises, and the enrolment ends in a "
        "traceback",
        enroll=True,
    ),
    _m(
        "alias-by-hostname",
        1,
        "PKI-ID-4",
        "test_pki_identity.py",
        _ini_alias_by_hostname,
        "the alias is left to the TLS library's host name check (server_hostname=alias, "
        "check_hostname on): a responder certificate with a DNS subjectAltName naming the "
        "alias passes, its CN (another alias) is never compared",
    ),
    _m(
        "cn-ignore-case",
        2,
        "CA-ENR-12",
        "test_enroll_answer_subject_exact.py",
        _enr_cn_ignore_case,
        "the answer's CN is compared with the alias ignoring case (equalsIgnoreCase): a "
        "certificate for our key with CN ALICE is kept for alice",
        enroll=True,
    ),
    _m(
        "cn-c-string",
        2,
        "CA-ENR-12",
        "test_enroll_answer_subject_exact.py",
        _enr_cn_c_string,
        "the answer's CN is read as a C string: a certificate for our key with CN "
        "'alice\\0x' is kept for alice",
        enroll=True,
    ),
    _m(
        "name-c-buffers",
        2,
        "APP-NAME-7",
        "test_client_pki_request_names.py",
        _ini_name_c_buffers,
        "the initiator's name checks are sized as C buffers holding their NUL (char "
        "name[4096], char part[255]): a name of exactly 4096 bytes, or a component of "
        "exactly 255, is refused before it is requested",
    ),
    _m(
        "busy-gives-up-0",
        5,
        "CA-ENR-12",
        "test_enroll_never_answered_outcome.py",
        _enr_busy_gives_up_0,
        "giving up on a CA that stays 503 busy is a warning, not a failure: nothing is "
        "written and `sft enroll` exits 0",
        enroll=True,
    ),
    _m(
        "control-limit-code",
        5,
        "FRM-8",
        "test_client_pki_eror_fatality.py",
        _ini_control_limit_code,
        "a control payload over 64 KiB is answered bad_frame ('not a control frame'), "
        "not frame_too_large",
    ),
    _m(
        "alias-among-cns",
        6,
        "CA-ENR-12",
        "test_enroll_answer_subject_exact.py",
        _enr_alias_among_cns,
        "`names != [alias]` rewritten `alias not in names`: a certificate for our key whose "
        "subject holds our alias among other CNs is kept",
        enroll=True,
    ),
)

# Written blind and measured, then judged no MUST the suite may FAIL (see the top
# docstring): not registered.
_NOT_JUDGED_NAMES = frozenset({"b19bini-name-c-buffers"})
MUTANTS: tuple[Mutant, ...] = tuple(m for m in _WRITTEN if m.name not in _NOT_JUDGED_NAMES)
NOT_JUDGED: tuple[Mutant, ...] = tuple(m for m in _WRITTEN if m.name in _NOT_JUDGED_NAMES)
