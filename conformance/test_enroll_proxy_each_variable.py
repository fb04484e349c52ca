"""CA-ENR-1 at the ENROLMENT client: each proxy variable ALONE never gets the password
outside TLS (docs/SPEC.md CA-ENR-1).

"A proxy the enrolment client's environment names (`https_proxy`, `ALL_PROXY`) is used, if
at all, through a `CONNECT` tunnel: the request never travels to it in clear."
test_enroll_proxy_env.py names its listener in every proxy variable at once; a client
reads those variables in an order of precedence, and the path a fallback variable takes is
the one a quick test never reached: the tunnel written for `https_proxy`, while
`ALL_PROXY` (curl's fallback, or `HTTPS_PROXY` read by a second code path) is spoken to
as an http:// proxy — the request in absolute form over plain TCP, the password in it.
With every variable set, the first one wins and the fallback is never taken.

So the suite names its plain TCP listener (test_enroll_proxy_env.py's recorder) in ONE
variable at a time, the others unset (`no_proxy` empty), and runs an enrolment at the
honest CA of test_enroll_client.py. Judged as there: the password (in any encoding, or
any 6 of its characters in a row: conformance/secret_needles.py) is in nothing the
listener received. A client that ignores the proxy, or tunnels through it with CONNECT
(and then fails, the listener answering nothing), PASSES. Default run: `ALL_PROXY` and
`HTTPS_PROXY` (the upper-case forms, read second by most clients); slow: the lower-case
ones.

Fixtures (conformance/plugin.py): `target` (pki, lab mode: the target's `enroll_cmd`),
`tmp_path`.
"""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest

from conformance._wire_fixtures import lab_pki
from conformance.secret_needles import found_in, password_needles
from conformance.target import Target
from conformance.test_enroll_client import (
    HostileCa,
    _ca_certificate,
    _enroll_cmd,
    _fail,
    _honest,
    _server_context,
    run_against,
)
from conformance.test_enroll_proxy_env import _Recorder

__all__: list[str] = []

pytestmark = [pytest.mark.profile("pki"), pytest.mark.side("initiator")]

_VARIABLES = ("https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY")
_DEFAULT = {"ALL_PROXY", "HTTPS_PROXY"}


@pytest.mark.req("CA-ENR-1")
@pytest.mark.parametrize(
    "variable",
    [v if v in _DEFAULT else pytest.param(v, marks=pytest.mark.slow) for v in _VARIABLES],
)
def test_enrolment_client_never_hands_the_password_to_one_proxy_variable(
    target: Target, tmp_path: Path, variable: str
) -> None:
    _enroll_cmd(target)
    lab = lab_pki(target)
    assert target.root is not None
    password = secrets.token_urlsafe(16)
    ca = HostileCa(
        _server_context(tmp_path, _ca_certificate(lab)),
        _honest(lab),
        lab.root.crl_der(),
        target.root.read_bytes(),
    )
    with _Recorder() as proxy:
        env = dict.fromkeys((*_VARIABLES, "no_proxy", "NO_PROXY"), "")
        env[variable] = f"http://127.0.0.1:{proxy.port}"
        run = run_against(
            target, tmp_path, ca, password_file=(password + "\n").encode(), env=env
        )
    received = b"".join(proxy.received)
    found = found_in(received, password_needles(password))
    if found:
        first = received.split(b"\r\n", 1)[0][:120].decode("latin-1")
        _fail(
            f"CA-ENR-1: an enrolment with {variable} alone naming a plain TCP listener of "
            "the suite (the other proxy variables empty)",
            "the password never reaches the proxy outside TLS (ignored, or tunnelled with "
            "CONNECT)",
            run,
            f"the proxy received the password in clear ({found}; first line {first!r})",
            req="CA-ENR-1",
        )
