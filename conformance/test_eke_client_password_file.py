"""PWF-1: the eke client under test reads its password file as SPEC says.

Once "not observable: how tools read password files" — but the client under test is a
command the suite starts with `{password_file}`, a file the suite writes, and the
server it logs in to is the target, which knows the account's password exactly. The
account used is one whose password a trim would change (leading/trailing spaces; the
embedded reference's `zoë`), so each file says something only the exact reading passes:

- `PASSWORD\\r\\n`: exactly one CRLF goes — the login MUST succeed (a client that
  trims white space, or removes only the LF, logs in with another password);
- `PASSWORD\\nsecond line\\n`: a second line MUST be refused, not dropped — the client
  MUST NOT log in (it got no file);
- `PASSWORD\\r`: a lone CR at the end MUST be refused — `rstrip("\\r\\n")` logs in.

A refused file is judged by what the client did (no file kept), and by what it shows:
its output (stdout and stderr) MUST NOT show the password nor the refused file's second
line (half of the password, for all the client knows) — PWF-1 "an error that does not
show the password". The second line is a random token, and the password is looked for
only when it is long enough (8 characters once stripped) not to occur by chance.
"""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest

from conformance._wire_fixtures import known_file
from conformance.eke_hostile import (
    ClientResult,
    HostileEkeServer,
    ServerView,
    client_template,
    client_user,
    eke_pw,
    establish,
    run_case,
    run_client,
    serve_records,
)
from conformance.plugin import TranscriptBook
from conformance.target import Account, Target
from conformance.wire import ConformanceFailure, RawConnection, ReceivedFrame, deadline_after

_TIMEOUT = 30.0
_EXACT_TIMEOUT = 5.0
_EXACT_NAME = "offered.txt"
_EXACT_CONTENT = b"the file served once the exact password logged in\n"


def _account(target: Target) -> Account:
    """An account whose password white-space trimming would change (else: skip)."""
    for account in target.accounts:
        if account.password != account.password.strip() and "\r" not in account.password:
            return account
    pytest.skip(
        "no declared account has a password with leading or trailing white space: a "
        "trimmed password file could not be told from an exact one"
    )
    raise AssertionError("unreachable")


@pytest.mark.req("PWF-1")
def test_initiator_reads_its_password_file_exactly(eke_target: Target, tmp_path: Path) -> None:
    template = client_template(eke_target)
    account = _account(eke_target)
    shared = known_file(eke_target)
    problems: list[str] = []
    second_line = "second-line-" + secrets.token_hex(8)
    for label, content, must_log_in in (
        ("PASSWORD + CRLF", account.password + "\r\n", True),
        ("PASSWORD + LF + a second line", account.password + f"\n{second_line}\n", False),
        ("PASSWORD + a lone CR", account.password + "\r", False),
    ):
        password_file = tmp_path / f"pw-{len(problems)}-{must_log_in}"
        password_file.write_bytes(content.encode("utf-8"))
        password_file.chmod(0o600)
        out = tmp_path / f"out-{label.replace(' ', '_')}" / shared.name
        out.parent.mkdir()
        run = run_client(
            template,
            host=eke_target.host,
            port=eke_target.port,
            name=shared.name,
            out=out,
            user=account.user,
            password_file=password_file,
            timeout=_TIMEOUT,
        )
        if must_log_in and not (run.succeeded and out.exists()):
            problems.append(
                f"{label}: the get of {shared.name!r} as {account.user!r} failed ("
                f"{run.describe()}): exactly one CRLF is removed and nothing else trimmed"
            )
        if not must_log_in and out.exists():
            problems.append(
                f"{label}: the client logged in and kept {shared.name!r} ({run.describe()}): "
                "such a file MUST be refused"
            )
        if not must_log_in:
            output = run.stdout + run.stderr
            shown = [
                what
                for what, secret in (
                    ("the password", account.password.strip()),
                    ("the file's second line", second_line),
                )
                if len(secret) >= 8 and secret in output
            ]
            if shown:
                problems.append(
                    f"{label}: the client's output shows {' and '.join(shown)} "
                    f"({run.describe()}): a refused password file is refused with an error "
                    "that does not show the password"
                )
    if problems:
        raise ConformanceFailure(
            "Expected: the password file read as PWF-1 says (UTF-8, one line; exactly one "
            "trailing LF or CRLF removed; a second line or a lone CR refused)\n"
            "Actual:   " + "\n          ".join(problems)
        )


# Passwords a lenient reader changes although PWF-1 keeps them: the file is UTF-8 text
# whose first line (up to LF) is the password, and nothing else is removed. A leading
# U+FEFF is a character of the password, not a byte-order mark to drop ("utf-8-sig");
# VT, FF, FS, GS, RS, NEL, U+2028 and U+2029 are not line ends (str.splitlines(),
# universal-newline readers and Unicode line breakers split there); a trailing tab and
# space are not trimmed.
_EXACT_PASSWORDS = {
    "leading-u+feff": "\ufeffbom-first-" + secrets.token_hex(4),
    "unicode-line-separators": (
        "ls-" + secrets.token_hex(3) + "\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029-end \t"
    ),
}


@pytest.mark.req("PWF-1")
@pytest.mark.side("initiator")
@pytest.mark.xdist_group("eke-client")
@pytest.mark.parametrize("label", sorted(_EXACT_PASSWORDS))
def test_initiator_uses_every_character_of_its_password_file(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook, label: str
) -> None:
    """The suite plays the server, holding pw derived from the password exactly as the
    file holds it (no line ending at all here); the get completes only for a client that
    logged in with every character of it."""
    if eke_target.client_cmd and eke_target.client_stdin:
        pytest.skip("an interactive client is typed its password: the file is the suite's")
    if eke_target.client_cmd and "{password_file}" not in eke_target.client_cmd:
        pytest.skip("the client command takes no {password_file}: it reads no file of ours")
    password = _EXACT_PASSWORDS[label]
    pw = eke_pw(client_user(eke_target), password)

    def behaviour(raw: RawConnection, view: ServerView) -> None:
        channel = establish(raw, view, pw, _EXACT_TIMEOUT)
        if channel is not None:
            serve_records(channel, view, {_EXACT_NAME: _EXACT_CONTENT}, _EXACT_TIMEOUT)

    case = run_case(
        eke_target,
        tmp_path,
        transcripts,
        behaviour,
        name=_EXACT_NAME,
        password=password,
        timeout=_EXACT_TIMEOUT,
    )
    result = case.result
    if result.succeeded and result.kept_file and result.out.read_bytes() == _EXACT_CONTENT:
        return
    logged_in = case.view.saw("EKE3") and bool(case.view.inner)
    raise ConformanceFailure.evidence(
        f"PWF-1: a password file holding {password.encode('utf-8')!r} ({label}), the "
        "server deriving pw from exactly that",
        "the login and the get complete: every character of the file's line is the password",
        ("the login completed but the get did not: " if logged_in else "the login failed: ")
        + result.describe(),
        note=case.describe(),
    )


# --------------------------------------------------------------------------------------
# PWF-1: a password file the eke client under test MUST refuse is never used.
#
# The cases above judge the refusals by the login: a client that keeps a lone CR at the end
# (or reads an empty file as an empty password) logs in with a wrong password and fails,
# which looks like a refusal. Here the client is pointed at the suite's own listener,
# which only watches: a client that refused the file (PWF-1) never sends `EKE1`; one that
# sends `EKE1` has taken a password from the file, whatever it was. (Connecting and then
# giving up is allowed: only the `EKE1` shows a password in use.)
#
# Files: a lone CR at the end, a CR inside, an empty file, a file holding only LF or only
# CRLF (empty once the line ending goes), and bytes that are not UTF-8.
# --------------------------------------------------------------------------------------

_WATCH_TIMEOUT = 5.0
_REFUSED_PASSWORD = "pwf-refused-" + secrets.token_hex(6)

_REFUSED_FILES = {
    "lone-cr-at-the-end": (_REFUSED_PASSWORD + "\r").encode(),
    "cr-inside": (_REFUSED_PASSWORD[:4] + "\r" + _REFUSED_PASSWORD[4:] + "\n").encode(),
    "empty-file": b"",
    "lf-only": b"\n",
    "crlf-only": b"\r\n",
    "not-utf-8": _REFUSED_PASSWORD.encode() + b"\xff\xfe\n",
}


def _watch(raw: RawConnection, view: ServerView) -> None:
    """Read the client's first frame (bounded), answer nothing, close."""
    event = raw.recv_frame(deadline_after(_WATCH_TIMEOUT))
    if isinstance(event, ReceivedFrame):
        view.frames.append(event.type.decode("ascii", "replace"))
    view.ended = event.describe()
    raw.close()


def offer_password_file(
    eke_target: Target, template: str, tmp_path: Path, content: bytes
) -> tuple[HostileEkeServer, ClientResult]:
    """The client run once with a password file holding `content` (mode 0600), against a
    listener that reads its first frame and answers nothing."""
    secret = tmp_path / "secret"
    secret.mkdir(mode=0o700)
    password_file = secret / "client.password"
    password_file.touch(mode=0o600)
    password_file.write_bytes(content)
    outdir = tmp_path / "out"
    outdir.mkdir()
    with HostileEkeServer(
        _watch, timeout=_WATCH_TIMEOUT, accept_timeout=3 * _WATCH_TIMEOUT
    ) as server:
        result = run_client(
            template,
            host=server.host,
            port=server.port,
            name="hello.txt",
            out=outdir / "received.bin",
            user=client_user(eke_target),
            password_file=password_file,
            timeout=6 * _WATCH_TIMEOUT,
            success=eke_target.client_success if eke_target.client_cmd else None,
        )
    server.check()
    return server, result


@pytest.mark.side("initiator")
@pytest.mark.xdist_group("eke-client")
@pytest.mark.req("PWF-1")
@pytest.mark.parametrize("label", sorted(_REFUSED_FILES))
def test_initiator_never_uses_a_password_file_it_must_refuse(
    eke_target: Target, tmp_path: Path, label: str
) -> None:
    if eke_target.client_cmd and eke_target.client_stdin:
        pytest.skip("an interactive client is typed its password: the file is the suite's")
    template = client_template(eke_target)
    if "{password_file}" not in template:
        pytest.skip("the client command takes no {password_file}: it reads no file of ours")
    server, result = offer_password_file(eke_target, template, tmp_path, _REFUSED_FILES[label])
    if server.view.saw("EKE1") or result.succeeded:
        raise ConformanceFailure.evidence(
            f"PWF-1: the client was given a password file that must be refused ({label}: "
            f"{_REFUSED_FILES[label][-12:]!r} at its end)",
            "the file refused with an error: no EKE1 sent (no password taken from it), "
            "non-zero exit",
            f"the suite's listener saw {server.view.frames or 'no frame'}; {result.describe()}",
        )
