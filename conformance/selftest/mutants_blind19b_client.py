"""Blind red-team round 19, second pass: the sft-eke/1 CLIENT (`sft eke get/put`), helper B107.

Written from docs/SPEC.md §1-§3, §5, §6 and the reference's eke client alone (client.py,
handshake.py, records.py, crypto.py, transport.py, app.py, transfer.py, cli/eke.py), before
any case file or conformance module was read, through the round's six lenses, as a short
second pass (~8 mutants). The ideas were checked against the ~1040 registered client
mutants first; those that repeated one (an empty get skipping RSFL.sha256 —
b15cl3-pki-empty-skips-rsfl-sha —, a commit that copies through a symlink —
b6cli-eke-commit-copies-through-symlink —, the integrity EROR quoting content —
b10cli-eror-quotes-content —, RSFL.sha256 taken as authoritative —
b7cli-pki-rsfl-sha-authoritative) were dropped before writing.

L1 library defaults
  b19b-cli-user-limit-escaped-json  the user name's 64-byte limit counted on its JSON
                                   form as json.dumps writes it by default (ensure_ascii:
                                   `é` is the six characters \\u00e9): a valid name of
                                   11 or more non-ASCII characters is refused locally
  b19b-cli-sweep-resolves-links    the stale-temporary sweep resolves each entry
                                   (Path.resolve(), "to be safe") and stats and unlinks the
                                   resolved path: an old `.sft-partial-*` symbolic link has
                                   its TARGET, a file outside the output directory, deleted
L2 porting idioms
  b19b-cli-th-user-modified-utf8   th's `u16be(len(U)) ‖ U` written as Java's
                                   DataOutputStream.writeUTF does (modified UTF-8: a
                                   character above U+FFFF as two 3-byte surrogates): a user
                                   name holding an emoji never logs in
  b19b-cli-salt-user-modified-utf8 the same writeUTF habit in the scrypt salt
  b19b-cli-sweep-prefix-ignorecase the sweep matches `.sft-partial-` case-insensitively
                                   (equalsIgnoreCase, a case-insensitive file system's
                                   habit): an old user file `.SFT-PARTIAL-notes` is removed
L5 what the user and the peer are told
  b19b-cli-request-answered-unsupported  a request frame from the server (RQFL or PUTF in
                                   place of an answer, or mid-get) is answered EROR
                                   unsupported ("this client serves nothing", non-fatal)
                                   instead of unexpected_frame (fatal)
L6 refactoring slips
  b19b-cli-sweep-first-only        the sweep returns after its first removal (the loop's
                                   `return removed` indented one level too far): of two
                                   stale temporaries one is left
(No L3 or L4 idea survived the check against the registered mutants in the time of this
pass: busy-retry freshness, put retries, RSFL digests with empty gets, output caches and
resumed temporaries are all registered.)

Blind run (each against the file named blind): 2 of 7 detected by the file named —
sweep-prefix-ignorecase (test_client_sweep_prefix.py plants `.SFT-PARTIAL-upper-case`) and
sweep-first-only (test_eke_client_transfer.py). 2 more by other existing files:
request-answered-unsupported (test_client_lies.py rqfl-mid-get; the named
test_eke_client_answers.py has no request frame) and
salt-user-modified-utf8 (test_eke_client_keys.py test_client_counts_a_user_name_in_utf8_bytes
logs in as 'zoë-ü-🔑'; the named test_eke_client.py missed it; the new
test_eke_client_user_name_characters.py catches it too). Missed: user-limit-escaped-
json (test_eke_client_user_names.py: its 32 × `é` name is a slow variant),
th-user-modified-utf8 (test_eke_client_keys.py fails the login but files it under EKE-PW-1,
not EKE-KS-1), sweep-resolves-links (test_eke_client_transfer.py: no symbolic link among
its temporaries).

Class check added after the blind run: request-awaiting-unsupported (the request refused
`unsupported` only where an answer is awaited, in place of RSFL): test_client_lies.py
(mid-get only) and the slow RQFL/PUTF strays of test_eke_client_get_stray_ends.py (after the
last byte) miss it.

After the pass's cases all 8 are detected:
  test_eke_client_user_name_characters.py EKE-PW-1 / EKE-KS-1 / EKE-HS-1 a valid 64-byte
                                   user name of 2- and 4-byte characters (24 × é, 4 × 😀:
                                   192 characters of ASCII-escaped JSON, 72 bytes of
                                   modified UTF-8) logs in (slow: 16 emoji; 21 × € + x)
  test_eke_client_server_requests.py FRM-6 an RQFL or a PUTF from the server in place of
                                   the RSFL (slow: after RSFL and 1 byte) is answered
                                   EROR unexpected_frame, the get fails
  test_client_sweep_links.py       APP-STORE-3 a day-old `.sft-partial-*` symbolic link to a
                                   file outside the output directory (and a dangling one):
                                   the sweep leaves the target intact (eke and pki)
"""

from __future__ import annotations

import json
from typing import Any

from conformance.selftest.mutant import Mutant, _module
from conformance.selftest.mutants_app import _patch_source

__all__ = ["MUTANTS"]

_GROUP = "blind19b-client"


def _crypto() -> Any:
    return _module("reference.eke.crypto")


def _rebind_sweep() -> None:
    transfer = _module("reference.transfer")
    _module("reference.cli.eke").remove_stale_partials = transfer.remove_stale_partials


def _modified_utf8(text: str) -> bytes:
    """Java's modified UTF-8 (DataOutputStream.writeUTF without its length prefix)."""
    units = text.encode("utf-16-be", "surrogatepass")
    out = bytearray()
    for i in range(0, len(units), 2):
        u = (units[i] << 8) | units[i + 1]
        if 0 < u < 0x80:
            out.append(u)
        elif u < 0x800:
            out += bytes((0xC0 | (u >> 6), 0x80 | (u & 0x3F)))
        else:
            out += bytes((0xE0 | (u >> 12), 0x80 | ((u >> 6) & 0x3F), 0x80 | (u & 0x3F)))
    return bytes(out)


# -- L1 ------------------------------------------------------------------------------------


def _user_limit_escaped_json() -> None:
    crypto = _crypto()
    crypto._b19b_json = json
    _patch_source(
        crypto,
        "check_user_name",
        (
            "if not 1 <= len(raw) <= MAX_USER_BYTES:",
            "if not 1 <= len(_b19b_json.dumps(user)) - 2 <= MAX_USER_BYTES:  # mutant",
        ),
    )


def _sweep_resolves_links() -> None:
    transfer = _module("reference.transfer")
    _patch_source(
        transfer,
        "remove_stale_partials",
        (
            "info = entry.stat(follow_symlinks=False)",
            "target = Path(entry.path).resolve()  # mutant: 'resolve to be safe'\n"
            "            info = target.stat()",
        ),
        ("os.unlink(entry.path)", "os.unlink(target)"),
    )
    _rebind_sweep()


# -- L2 ------------------------------------------------------------------------------------


def _th_user_modified_utf8() -> None:
    crypto = _crypto()
    crypto._b19b_mutf8 = _modified_utf8
    _patch_source(
        crypto,
        "transcript_hash",
        ('raw = user.encode("utf-8")', "raw = _b19b_mutf8(user)  # mutant: writeUTF"),
    )


def _salt_user_modified_utf8() -> None:
    crypto = _crypto()
    crypto._b19b_mutf8 = _modified_utf8
    _patch_source(
        crypto,
        "password_key",
        (
            "salt=_user_salt(check_user_name(user)),",
            "salt=_user_salt((check_user_name(user), _b19b_mutf8(user))[1]),  # mutant",
        ),
    )


def _sweep_prefix_ignorecase() -> None:
    transfer = _module("reference.transfer")
    _patch_source(
        transfer,
        "remove_stale_partials",
        (
            "if not entry.name.startswith(PARTIAL_PREFIX):",
            "if not entry.name.lower().startswith(PARTIAL_PREFIX):  # mutant: ignore case",
        ),
    )
    _rebind_sweep()


# -- L5 ------------------------------------------------------------------------------------


def _request_answered_unsupported(*, awaiting_only: bool = False) -> None:
    client = _client_module()
    errors = _module("reference.errors")
    messages = _module("reference.messages")
    app_mod = _module("reference.app")
    lookup = app_mod.ApplicationConnection._lookup

    def _lookup(self: Any, frame_type: bytes) -> Any:
        try:
            return lookup(self, frame_type)
        except errors.RemoteProtocolError:
            awaiting = (app_mod.I.GET_SENT, app_mod.I.PUT_SENT)
            if (
                bytes(frame_type) in (b"RQFL", b"PUTF")
                and self.role is app_mod.INITIATOR
                and (not awaiting_only or self.state in awaiting)
            ):
                # mutant: "we serve nothing": a request is refused as an unsupported
                # operation (non-fatal), not as a frame out of place
                raise errors.RemoteProtocolError(
                    errors.ErrorCode.UNSUPPORTED, "this client serves no files"
                ) from None
            raise

    def _b19b_answer(stream: Any, exc: Any) -> None:
        if exc.code is errors.ErrorCode.UNSUPPORTED:
            frame = messages.encode_message(messages.ErrorFrame(exc.code, exc.message))
            stream.sock.sendall(stream.channel.seal(frame))
            return
        stream.send(
            messages.ErrorFrame(
                exc.code if exc.code.fatal else errors.ErrorCode.INTERNAL, exc.message
            )
        )

    app_mod.ApplicationConnection._lookup = _lookup
    client._b19b_answer = _b19b_answer
    _patch_source(
        client.EkeClient,
        "_next",
        ("stream.send(", "_b19b_answer(stream, exc) if True else stream.send("),
    )


def _client_module() -> Any:
    return _module("reference.eke.client")


# -- L6 ------------------------------------------------------------------------------------


def _sweep_first_only() -> None:
    transfer = _module("reference.transfer")
    _patch_source(
        transfer,
        "remove_stale_partials",
        (
            "            os.unlink(entry.path)\n            removed += 1\n",
            "            os.unlink(entry.path)\n            removed += 1\n"
            "            return removed  # mutant: indented one level too far\n",
        ),
    )
    _rebind_sweep()


def _m(
    name: str,
    requirement: str,
    test_file: str,
    description: str,
    apply: Any,
    *,
    strict: bool = False,
) -> Mutant:
    return Mutant(
        name, _GROUP, "eke", requirement, test_file, description, apply, client=True, strict=strict
    )


MUTANTS: tuple[Mutant, ...] = (
    # L1
    _m(
        "b19b-cli-user-limit-escaped-json",
        "EKE-PW-1",
        "test_eke_client_user_name_characters.py",
        "L1: the user name's 64-byte limit counted on json.dumps' default (ensure_ascii) form: "
        "a valid name of 11+ non-ASCII characters is refused locally, no EKE1 sent",
        _user_limit_escaped_json,
    ),
    _m(
        "b19b-cli-sweep-resolves-links",
        "APP-STORE-3",
        "test_client_sweep_links.py",
        "L1/L4: the sweep resolves each .sft-partial-* entry (Path.resolve) and unlinks the "
        "resolved path: an old symbolic link has its target outside the directory deleted",
        _sweep_resolves_links,
    ),
    # L2
    _m(
        "b19b-cli-th-user-modified-utf8",
        "EKE-KS-1",
        "test_eke_client_user_name_characters.py",
        "L2: th's user name written as Java's writeUTF (modified UTF-8): a name holding a "
        "character above U+FFFF never logs in",
        _th_user_modified_utf8,
    ),
    _m(
        "b19b-cli-salt-user-modified-utf8",
        "EKE-PW-1",
        "test_eke_client_keys.py",
        "L2: the scrypt salt's user name written as Java's writeUTF (modified UTF-8): a name "
        "holding a character above U+FFFF never logs in",
        _salt_user_modified_utf8,
    ),
    _m(
        "b19b-cli-sweep-prefix-ignorecase",
        "APP-STORE-3",
        "test_client_sweep_prefix.py",
        "L2: the sweep matches .sft-partial- ignoring case: an old user file "
        ".SFT-PARTIAL-notes in the output directory is removed",
        _sweep_prefix_ignorecase,
    ),
    # L5
    _m(
        "b19b-cli-request-answered-unsupported",
        "FRM-6",
        "test_client_lies.py",
        "L5: an RQFL or PUTF from the server in place of an answer is answered EROR "
        "unsupported (non-fatal), not unexpected_frame",
        _request_answered_unsupported,
    ),
    _m(
        "b19b-cli-request-awaiting-unsupported",
        "FRM-6",
        "test_eke_client_server_requests.py",
        "L5 (after the blind run, a class check): only where an answer is awaited (after RQFL "
        "or PUTF) is a request from the server answered EROR unsupported; mid-get it is "
        "unexpected_frame",
        lambda: _request_answered_unsupported(awaiting_only=True),
    ),
    # L6
    _m(
        "b19b-cli-sweep-first-only",
        "APP-STORE-3",
        "test_eke_client_transfer.py",
        "L6: the sweep returns after its first removal: of two stale temporaries one is left",
        _sweep_first_only,
    ),
)
