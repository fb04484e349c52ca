"""An sft-eke/1 CLIENT refusing its password file does not show the password (SPEC §0 PWF-1).

PWF-1: a file that is not UTF-8, that holds a CR or LF inside the password, or whose
password is empty "MUST be refused with an error that does not show the password".
test_eke_client_password_file.py checks that such a file is never used (no `EKE1`); here
the same files are given and the client's output (stdout and stderr) is searched for the
password: a refusal that quotes the file ("not UTF-8: b'...'", "two lines: '...'") shows
it. The password is a random token; it is looked for whole and by its second half (a
message may quote a cut or escaped part), in every file that holds it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance import test_eke_client_password_file as pwf
from conformance.eke_hostile import HostileEkeServer, client_template, client_user, run_client
from conformance.target import Target
from conformance.wire import ConformanceFailure

__all__: list[str] = []

pytestmark = [
    pytest.mark.profile("eke"),
    pytest.mark.side("initiator"),
    pytest.mark.xdist_group("eke-client"),
]

# Every refused file that holds (the second half of) the password.
_WITH_PASSWORD = sorted(
    label
    for label, content in pwf._REFUSED_FILES.items()
    if pwf._REFUSED_PASSWORD[len(pwf._REFUSED_PASSWORD) // 2 :].encode() in content
)


@pytest.mark.req("PWF-1")
@pytest.mark.parametrize("label", _WITH_PASSWORD)
def test_initiator_refusing_its_password_file_does_not_show_the_password(
    eke_target: Target, tmp_path: Path, label: str
) -> None:
    """The client's password file must be refused ({label}). [PWF-1] Its output holds no
    part of the password: neither the token nor its second half, escaped or not."""
    if eke_target.client_cmd and eke_target.client_stdin:
        pytest.skip("an interactive client is typed its password: the file is the suite's")
    template = client_template(eke_target)
    if "{password_file}" not in template:
        pytest.skip("the client command takes no {password_file}: it reads no file of ours")
    secret = tmp_path / "secret"
    secret.mkdir(mode=0o700)
    password_file = secret / "client.password"
    password_file.touch(mode=0o600)
    password_file.write_bytes(pwf._REFUSED_FILES[label])
    outdir = tmp_path / "out"
    outdir.mkdir()
    with HostileEkeServer(
        pwf._watch, timeout=pwf._WATCH_TIMEOUT, accept_timeout=3 * pwf._WATCH_TIMEOUT
    ) as server:
        result = run_client(
            template,
            host=server.host,
            port=server.port,
            name="hello.txt",
            out=outdir / "received.bin",
            user=client_user(eke_target),
            password_file=password_file,
            timeout=6 * pwf._WATCH_TIMEOUT,
            success=eke_target.client_success if eke_target.client_cmd else None,
        )
    token = pwf._REFUSED_PASSWORD
    output = result.stdout + "\n" + result.stderr
    shown = [part for part in (token, token[len(token) // 2 :]) if part in output]
    if shown:
        raise ConformanceFailure.evidence(
            f"PWF-1: a password file that must be refused ({label}), password {token!r}",
            "an error that does not show the password",
            f"the client's output shows {shown[0]!r}: {output.strip()[-300:]!r}",
        )
