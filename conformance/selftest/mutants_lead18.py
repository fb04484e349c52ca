"""Round 18 (lead): PKI-CERT-2's characters, on both sides of sft-pki/1 — "an endpoint MUST
NOT refuse a peer for its alias's length or characters within this set".

The round-17 case (conformance/test_pki_alias_lengths.py) ran the 1- and 64-character
edges in the default run with an alias of letters, digits and one `-`; the forms with `.`,
`_` and a leading digit ran only in the slow run, which the mutant runs skip. An endpoint
that checks the peer's CN as a host name passed: aliases look like host names, and an
implementer who reuses a host-name validator (or writes one: labels of letters, digits
and `-`, no `_`, no empty label, no `-` or `.` at an end) refuses valid employees and
nobody else. Now the default run's 64-character alias starts with a digit, holds `..`,
`__`, `--` and ends in `._-`.

- lead18-pki-alias-host-name     the RESPONDER checks the client's CN as a host name
- lead18-ini-alias-host-name     the INITIATOR checks the responder's CN as a host name
- lead18-pki-alias-alnum-ends    the RESPONDER wants a letter or digit at BOTH ends

All three missed by the case as it stood (its aliases "q", "7" and
"z0123456789...x-y" are host names with alphanumeric ends); caught now.

LIM-6 ("A responder MUST bound the memory it spends per connection independently of file
size and of announced lengths") was listed as not observable. It is, for a target on the
suite's machine: conformance/test_app_memory_bound.py follows its connection to the
target's process and reads its memory. These mutants run on a reference started with a
256 MiB max file size (`max_file_size`: the suite's 2 MiB hides them), both profiles:

- lead18-eke-put-held / lead18-pki-put-held   the put's DATA kept in memory and written
                                               at DONE ("check the digest first")
- lead18-pki-get-read-whole                    a get read whole, then sent
- lead18-eke-put-reserve                       a buffer of the PUTF's announced size
"""

from __future__ import annotations

import re
from typing import Any

from conformance.selftest.mutant import Mutant, _module

__all__ = ["MUTANTS"]

_GROUP = "lead18"

# RFC 1123 host name, lower case, at most 64 characters in all.
_HOST_NAME = r"(?=.{1,64}\Z)[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*"
_ALNUM_ENDS = r"[a-z0-9](?:[a-z0-9._-]{0,62}[a-z0-9])?"


def _tls() -> Any:
    return _module("reference.pki.tls")


def _host_name() -> None:
    # check_peer_certificate reads the module global ALIAS_RE at each call: rebinding it
    # mutates the certificate check of the process it runs in (responder or client).
    _tls().ALIAS_RE = re.compile(_HOST_NAME)


def _alnum_ends() -> None:
    _tls().ALIAS_RE = re.compile(_ALNUM_ENDS)


_LARGE = 256 * 1024 * 1024  # the max file size of the LIM-6 mutants' reference


def _transfer() -> Any:
    return _module("reference.transfer")


def _put_held() -> None:
    # reference.share.PartialFile, which both servers' puts write through: the DATA kept
    # in memory, written to the temporary at the commit (after the digest was checked).
    from conformance.selftest.mutants_app import _patch_source

    partial = _module("reference.share").PartialFile
    _patch_source(
        partial,
        "write",
        (
            "    while view:\n"
            "        n = self._file.write(view)\n"
            "        if n is None or n <= 0:\n"
            '            raise OSError(errno.EIO, "short write")\n'
            "        view = view[n:]\n"
            "        self.written += n\n",
            "    self.__dict__.setdefault('_held', bytearray()).extend(view)\n"
            "    self.written += len(view)\n",
        ),
    )
    _patch_source(
        partial,
        "commit",
        (
            "    os.fsync(self._file.fileno())\n",
            "    self._file.write(self.__dict__.pop('_held', b''))\n"
            "    os.fsync(self._file.fileno())\n",
        ),
    )


def _get_read_whole() -> None:
    from conformance.selftest.mutants_app import _patch_source

    _patch_source(
        _transfer().Responder,
        "_get",
        (
            "self.channel.send_file(shared.file.readinto, shared.size, None)",
            "self.channel.send_file(__import__('io').BytesIO(shared.file.read()).readinto,"
            " shared.size, None)",
        ),
    )


def _eke_get_read_whole() -> None:
    from conformance.selftest.mutants_app import _patch_source

    _patch_source(
        _module("reference.eke.server").EkeServer,
        "_serve_get",
        (
            "        remaining = shared.size\n",
            "        remaining = shared.size\n"
            "        whole = __import__('io').BytesIO(shared.file.read())\n",
        ),
        (
            "stream.send_file_chunk(shared.file, remaining)",
            "stream.send_file_chunk(whole, remaining)",
        ),
    )


def _put_reserve() -> None:
    from conformance.selftest.mutants_app import _patch_source

    _patch_source(
        _module("reference.eke.server").EkeServer,
        "_begin_put",
        (
            "    partial = self._inbox.begin(target, request.size)\n",
            "    partial = self._inbox.begin(target, request.size)\n"
            "    partial._reserve = bytearray(request.size)\n",
        ),
    )


_MEMORY = "test_app_memory_bound.py"


def _memory(name: str, profile: str, description: str, apply: Any) -> Mutant:
    return Mutant(
        name=name,
        group=_GROUP,
        profile=profile,
        requirement="LIM-6",
        test_file=_MEMORY,
        description=description,
        apply=apply,
        max_file_size=_LARGE,
    )


MUTANTS: tuple[Mutant, ...] = (
    _memory(
        "lead18-eke-put-held",
        "eke",
        "the eke server keeps a put's DATA in memory and writes it at DONE",
        _put_held,
    ),
    _memory(
        "lead18-pki-put-held",
        "pki",
        "the pki responder keeps a put's DATA in memory and writes it at DONE",
        _put_held,
    ),
    _memory(
        "lead18-pki-get-read-whole",
        "pki",
        "the pki responder reads a file whole before it sends it",
        _get_read_whole,
    ),
    _memory(
        "lead18-eke-get-read-whole",
        "eke",
        "the eke server reads a file whole before it sends it",
        _eke_get_read_whole,
    ),
    _memory(
        "lead18-eke-put-reserve",
        "eke",
        "the eke server allocates a buffer of the size a PUTF announces",
        _put_reserve,
    ),
    Mutant(
        name="lead18-pki-alias-host-name",
        group=_GROUP,
        profile="pki",
        requirement="PKI-CERT-2",
        test_file="test_pki_alias_lengths.py",
        description=(
            "the responder checks the client's CN as an RFC 1123 host name: an alias with "
            "`_`, `..`, or `-`/`.` at an end is refused at the handshake"
        ),
        apply=_host_name,
    ),
    Mutant(
        name="lead18-ini-alias-host-name",
        group=_GROUP,
        profile="pki",
        requirement="PKI-CERT-2",
        test_file="test_pki_alias_lengths.py",
        description=(
            "the initiator checks the responder certificate's CN as an RFC 1123 host name: "
            "a responder whose alias holds `_` or ends in `-` is refused"
        ),
        apply=_host_name,
        client=True,
    ),
    Mutant(
        name="lead18-pki-alias-alnum-ends",
        group=_GROUP,
        profile="pki",
        requirement="PKI-CERT-2",
        test_file="test_pki_alias_lengths.py",
        description=(
            "the responder wants a letter or digit at both ends of the alias: an alias "
            "ending in `.`, `_` or `-` is refused at the handshake"
        ),
        apply=_alnum_ends,
    ),
)
