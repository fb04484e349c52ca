"""sft-pki/1: the ENROLMENT client reads its password file as UTF-8 whatever the locale it
runs in (docs/SPEC.md PWF-1).

"A password file MUST be read as UTF-8 text" — not as the locale's character set. A
client that decodes with the locale's codeset (C's `mbstowcs` after `setlocale(LC_ALL,
"")`, Java's default charset, Python's `open()` without an encoding on interpreters that
do not force UTF-8, `nl_langinfo(CODESET)`) reads it right on a desktop whose locale is
`*.UTF-8`, and wrongly where it is often run: a service, a container or a cron job under
the C/POSIX locale, whose codeset is ASCII. There a non-ASCII password is refused as
"not text", or sent as other characters (Latin-1, replacement characters), and the
enrolment fails for a password that is right. The other password cases run in the
suite's own environment, usually a UTF-8 locale.

The suite's hostile CA (test_enroll_client.py's, honest answer) receives the enrolment of
a password file holding characters of two, three and four UTF-8 bytes, the client run
with `LC_ALL=C` and `LANG=C`. The client MUST exit 0 and the CA MUST receive exactly that
password.

Fixtures (conformance/plugin.py): `target` (pki, lab mode), `tmp_path`.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance import test_enroll_client as enrol
from conformance._wire_fixtures import lab_pki
from conformance.target import Target

__all__: list[str] = []

pytestmark = [pytest.mark.profile("pki"), pytest.mark.side("initiator")]

PASSWORD = "Zq7 Grüße € \U0001f511 pw"  # noqa: S105 - a test password: 2-, 3- and 4-byte characters
_C_LOCALE = {"LC_ALL": "C", "LANG": "C"}


@pytest.mark.req("PWF-1")
def test_enrolment_client_reads_a_utf8_password_file_under_the_c_locale(
    target: Target, tmp_path: Path
) -> None:
    lab = lab_pki(target)
    content = (PASSWORD + "\n").encode("utf-8")
    run = enrol._run(
        target,
        tmp_path,
        enrol._ca_certificate(lab),
        enrol._honest(lab),
        lab=lab,
        password_file=content,
        env=_C_LOCALE,
    )
    context = (
        f"PWF-1: enrolment run with LC_ALL=C LANG=C (codeset ASCII), password file "
        f"{content!r} (UTF-8)"
    )
    sent = [(r.json() or {}).get("password") for r in run.ca.enrolments()]
    if not sent or any(p != PASSWORD for p in sent):
        enrol._fail(
            context,
            f"the password {PASSWORD!r} exactly: the file read as UTF-8, not in the locale's "
            "codeset",
            run,
            f"the CA received {sent!r}" if sent else "the CA received no enrolment",
            req="PWF-1",
        )
    if run.returncode != 0:
        enrol._fail(context, "exit 0 (an honest CA certified the key)", run, req="PWF-1")
