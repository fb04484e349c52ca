"""PWF-2 at the ENROLMENT CLIENT: a CA whose status line quotes the password does not make
the client print it.

PWF-2: a tool that takes a password "MUST NOT write it to its standard output or standard
error, whether it succeeds or fails and whatever the other side answers … A message the
other side sends (a CA's `message` or `error`, an `EROR`'s message) is shown, if at all,
without the password: one that holds a run of 6 or more of its characters … is not shown."
The other cases put the password in the CA's JSON `message` and `error` members, which a
client filters. The HTTP head is a message the CA sends too, and the first thing an HTTP
library quotes when it cannot parse it: Python's http.client raises `BadStatusLine` with
the whole line as its text, and a client that reports "cannot reach the CA: {error}"
prints it.

The suite's CA (test_enroll_client.py's, a certificate the root issued) reads the
enrolment request and answers with an honest body under a status line that is not
HTTP's and ends with the password it received:

- `not-http`: `SFT/1.0 401 <password>`;
- `code-not-digits`: `HTTP/1.1 4O1 <password>`.

The enrolment must fail (no HTTP answer: non-zero exit) and the client's standard output
and error must hold no run of 6 or more of the password's characters.

Fixtures (conformance/plugin.py): `target` (pki, lab mode, the target file's `enroll_cmd`),
`tmp_path`.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance._wire_fixtures import lab_pki
from conformance.target import Target
from conformance.test_enroll_answer_heads import _first_line, _RewritingContext
from conformance.test_enroll_client import (
    PASSWORD,
    HostileCa,
    _ca_certificate,
    _fail,
    _honest,
    _server_context,
    run_against,
)

__all__: list[str] = []

pytestmark = [pytest.mark.profile("pki"), pytest.mark.side("initiator")]

_RUN = 6  # PWF-2: a run of 6 or more of the password's characters
_LINES = {
    "not-http": b"SFT/1.0 401 " + PASSWORD.encode(),
    "code-not-digits": b"HTTP/1.1 4O1 " + PASSWORD.encode(),
}


def _runs_shown(output: str) -> list[str]:
    return sorted(
        {PASSWORD[i : i + _RUN] for i in range(len(PASSWORD) - _RUN + 1)}
        & {output[i : i + _RUN] for i in range(max(0, len(output) - _RUN + 1))}
    )


@pytest.mark.req("PWF-2")
@pytest.mark.parametrize("kind", list(_LINES))
def test_enrolment_client_hides_a_password_quoted_in_the_status_line(
    target: Target, tmp_path: Path, kind: str
) -> None:
    lab = lab_pki(target)
    assert target.root is not None
    context = _RewritingContext(
        _server_context(tmp_path, _ca_certificate(lab)), _first_line(_LINES[kind])
    )
    ca = HostileCa(context, _honest(lab), lab.root.crl_der(), target.root.read_bytes())  # type: ignore[arg-type]
    run = run_against(target, tmp_path, ca)
    if not ca.enrolments():
        pytest.fail(f"the enrolment client never sent its request: {run.describe()}")
    what = (
        f"PWF-2: the CA answers the enrolment under a status line ending with the password "
        f"({kind}: {_LINES[kind].decode()!r})"
    )
    shown = _runs_shown(run.output)
    if shown:
        _fail(
            what,
            "the password, or any run of 6 of its characters, nowhere in the client's output",
            run,
            f"its output holds {shown[:3]} (runs of the password)",
            req="PWF-2",
        )
    if run.returncode == 0:
        _fail(what, "the enrolment fails: this is no HTTP answer", run, "exit code 0", req="PWF-2")
