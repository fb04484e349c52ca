"""Round 20 (lead): decimal numbers of any length (CA-ENR-9, ERR-6).

HTTP numbers are 1*DIGIT (RFC 9110 §8.6, §10.2.3) with no bound on their length; since
Python 3.11 `int()` refuses a string of more than 4,300 digits with a ValueError nobody
expects. B113, B115 and B116 found the reference's CA answering `500 internal` to a
Content-Length of 5,000 digits (nines: a 413 was due; zeros then the body's length: the
body was to be read) and `sft enroll` dying with a traceback on a Retry-After of as many
digits. Both now judge the digits (reference/pki/ca_server.py, reference/digits.py); these
mutants put the bare `int()` back:

- lead20-ca-length-int-limit     the CA converts Content-Length with int() as it stands
                                 (test_ca_length_forms.py: 4,400 nines, 4,400 zeros + n)
- lead20-enr-retry-after-int-limit  `sft enroll` reads Retry-After with int() as it stands
                                 (test_enroll_retry_after_forms.py: 1 s in 4,401 digits)
"""

from __future__ import annotations

from conformance.selftest.mutant import Mutant, _module
from conformance.selftest.mutants_app import _patch_source

__all__ = ["MUTANTS"]

_GROUP = "lead20"


def _ca_length_int_limit() -> None:
    _patch_source(
        _module("reference.pki.ca_server")._Handler,
        "_read_json",
        ("    judged = decimal_at_most(length_text, _LONGEST_LENGTH)\n", ""),
        (
            "    length_text = str(_LONGEST_LENGTH if judged is None else judged)\n",
            "",
        ),
    )


def _enr_retry_after_int_limit() -> None:
    _patch_source(
        _module("reference.pki.enroll"),
        "enroll",
        (
            "decimal_at_most(wait, _BUSY_WAIT_CAP) if ascii_digits(wait) else 1",
            "(s if (s := int(wait)) <= _BUSY_WAIT_CAP else None) if ascii_digits(wait) else 1",
        ),
    )


MUTANTS: tuple[Mutant, ...] = (
    Mutant(
        name="lead20-ca-length-int-limit",
        group=_GROUP,
        profile="pki",
        requirement="CA-ENR-9",
        test_file="test_ca_length_forms.py",
        description="the CA converts Content-Length with int(), whose digit limit raises",
        apply=_ca_length_int_limit,
        ca=True,
    ),
    Mutant(
        name="lead20-enr-retry-after-int-limit",
        group=_GROUP,
        profile="pki",
        requirement="ERR-6",
        test_file="test_enroll_retry_after_forms.py",
        description="`sft enroll` reads Retry-After with int(), whose digit limit raises",
        apply=_enr_retry_after_int_limit,
        client=True,
        enroll=True,
    ),
)
