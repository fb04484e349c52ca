"""Profile eke-legacy: message 1 is the rest of ONE read of up to 1024 bytes, whatever
its length (docs/SPEC.md §7.3.1, LEG-EKE-FMT-2).

The seed's server reads the user name with `recv(1024)`: a name of one write of up to
1024 bytes is the whole of message 1, `u_ack` follows, and the password is the next
read. test_legacy_eke0_names.py sends names of up to 200 bytes. A port that reads
message 1 into a smaller buffer — `recv(255)` (LOGIN_NAME_MAX), a `char name[256]`, a
`read(fd, buf, 512)`, a fixed field of 32 or 64 bytes — passes that and every
vector (the seed's user `yash101` is 7 bytes), yet misreads a longer name: the first
part is the name, the rest of the same read is taken for message 3 (the password), so
the account's password sent next is answered `Not Authenticated` (or, the rest read as a
second message 1, a stray `u_ack`).

Asked here: names of 256, 257, 300, 511, 512, 513, 1000 and 1024 bytes (each one write,
printable ASCII, so that no decoding is involved), each followed by the account's
password. The seed answers `u_ack` then `Authenticated` to each (any name logs in with
the one password: LEG-EKE-2), and the session then runs to message 24, which leaves the
shared connection at rest for the next name. A server that checks names (LEG-EKE-2
fixed: a short unknown name with the account's password, the control, gets `Wrong
Username` or `Not Authenticated`) is not judged here: its own case says so.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest

from conformance.legacy import eke0
from conformance.legacy.embedded import LegacyEkeTarget
from conformance.legacy.stream import Closed, TargetGone, TimedOut

pytestmark = pytest.mark.xdist_group("eke-legacy")

# Over the small buffers an implementer picks, up to the seed's recv(1024) (inclusive).
LENGTHS = (256, 257, 300, 511, 512, 513, 1000, 1024)


def _name(length: int) -> bytes:
    """A printable ASCII name of `length` bytes, different in every run."""
    head = f"user{secrets.token_hex(4)}-".encode()
    return (head + b"n" * length)[:length]


@pytest.fixture(scope="module")
def link(eke_legacy: LegacyEkeTarget) -> Iterator[eke0.EkeLink]:
    """This module's connection, shared by its sessions as test_legacy_eke0.py's are (a
    one-shot server spent by an earlier module refuses it: not judged, never evidence)."""
    shared = eke0.EkeLink(eke_legacy.host, eke_legacy.port, eke_legacy.password.encode())
    try:
        with shared.idle():
            pass
    except TargetGone as exc:
        pytest.skip(
            f"not judged: the server refused a new connection after serving earlier ones "
            f"(a one-shot server, spent by test_legacy_eke0.py's cases): {exc}"
        )
    yield shared
    shared.release()


@pytest.mark.req("LEG-EKE-FMT-2")
def test_a_long_user_name_is_one_message(
    link: eke0.EkeLink, eke_legacy: LegacyEkeTarget
) -> None:
    # The control: a short unknown name with the account's password. A server that
    # refuses it checks user names (LEG-EKE-2 fixed, `Wrong Username` or `Not
    # Authenticated`): its own case reports that, and the long names are not judged.
    control = _name(16)
    try:
        with link.session() as client:
            try:
                answer = client.login(control)
                if client.got.get(2) == b"u_ack" and answer == b"Authenticated":
                    client.finish()
            except (Closed, TimedOut, AssertionError) as exc:
                pytest.skip(f"not judged: the control login of {control!r} got {exc!r}")
    except TargetGone as exc:
        pytest.skip(f"not judged: the server refused a new connection ({exc})")
    if client.got.get(2) != b"u_ack" or answer != b"Authenticated":
        pytest.skip(
            f"not judged: the short unknown name {control!r} with the account's password got "
            f"{client.got.get(2)!r} / {answer!r}: the server checks user names (LEG-EKE-2 "
            "fixed; its case reports it)"
        )
    misread: list[str] = []
    for length in LENGTHS:
        name = _name(length)
        try:
            with link.session() as client:
                try:
                    answer = client.login(name)
                except (Closed, TimedOut) as exc:
                    misread.append(
                        f"{length} bytes: message 2 {client.got.get(2)!r}, then {exc!r} "
                        "after the account's password"
                    )
                    continue
                if client.got.get(2, b"").startswith(b"Wrong"):
                    pytest.skip(
                        f"not judged: a {length}-byte name got {client.got[2]!r}: the server "
                        "checks user names (LEG-EKE-2 fixed; its case reports it)"
                    )
                if client.got.get(2) != b"u_ack" or answer != b"Authenticated":
                    misread.append(
                        f"{length} bytes: message 2 {client.got.get(2)!r}, message 4 to the "
                        f"account's password {answer!r}"
                    )
                    continue
                try:
                    client.finish()
                except (Closed, TimedOut, AssertionError) as exc:
                    misread.append(
                        f"{length} bytes: logged in, then the session broke ({exc!r}; "
                        f"received so far {sorted(client.got)})"
                    )
        except TargetGone as exc:
            pytest.skip(f"not judged: the server refused a new connection ({exc})")
    assert not misread, (
        "LEG-EKE-FMT-2 (message 1 is the rest of one read of up to 1024 bytes, as the "
        "seed's recv(1024): a name of one write is the whole name, then `u_ack`, and the "
        "account's password is `Authenticated`) violated for names longer than the "
        "server's buffer: " + "; ".join(misread)
    )
