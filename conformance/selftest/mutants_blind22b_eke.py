"""Blind red-team round 22, second pass (helper B137): the sft-eke/1 SERVER, through the six
lenses of /work/briefs/s22/common_b.md. Phase 1 (blind): written from docs/SPEC.md (§0-§3,
§5, §6) and the reference's eke server code (reference/eke/server.py, handshake.py,
records.py, transport.py, throttle.py, store.py, crypto.py; reference/app.py, share.py)
before any case file or independent implementation was opened. A first list was checked
against the names and descriptions of the 3808 registered mutants; the ideas found there
(the sha256 of a refused PUTF kept, the frames of a put counted, the pending slot given
back at EKE2, a failure count read at EKE1 and written back, the transcript over the
escaped or NFC user name, a record opened under the other direction's key, a placeholder
under the final name, the success forgiven in memory only, the commit that replaces, a
throttled or busy EKE1 counted ...) were replaced by the ones below, written the same way.

Lens 1 — residue after an aborted request:
- b22beke-put-name-claimed-before-size: a put's name is claimed (a server-wide set of
  names being put, for APP-PUT-8) as soon as the name is checked, before the size limit;
  a PUTF refused too_large never gives its claim back: every later PUTF of that name, on
  any connection, is answered `exists` although nothing holds it.
Lens 3 — check-then-act between sessions:
- b22beke-exists-checked-at-last-data: the put's final name is re-checked when the DATA
  frame that completes the announced size arrives ("the loser of a race learns before
  its DONE") and the commit then renames over it: an entry made in the inbox between the
  last DATA and the DONE is replaced instead of answered `exists`.
- b22beke-uncontested-put-replaces: a put accepted while no other put of its name was in
  progress is the name's "owner" and commits with a plain rename; only a put accepted
  while another was in progress checks at its commit. Owner A and contender B of one
  name: B verified and stored first, then A's commit replaces B's file.
Lens 4 — two spellings of one value:
- b22beke-user-escaped-pair-split: the handshake's JSON string decoder decodes each
  \\uXXXX escape on its own: a user name outside the BMP sent as an escaped surrogate
  pair (json.dumps' default spelling) becomes two lone surrogates, an invalid name
  refused bad_frame, while the same name in raw UTF-8 is answered EKE2.
Lens 6 — reflection and role confusion:
- b22beke-eke4-as-confirmation: the server's confirmation state takes either
  confirmation frame type ("EKE3 or EKE4: the client's confirmation"), parsed with
  EKE3's schema: an EKE4 — the server's own frame — sent in place of EKE3 is judged as a
  confirmation (bad_frame or auth_failed), not unexpected_frame; a valid C3 in an EKE4
  frame logs in.

Blind result (each mutant against the file first named, --only-req, --no-rerun): 1 of 5
detected — eke4-as-confirmation (test_eke_handshake.py). Two first guesses named a file
that does not cite the requirement (test_app_put_refusal_leftovers.py: APP-STORE-3 only;
test_eke_handshake_json_spellings.py: EKE-HS-2/6), two named files that missed
(test_app_put_existing_content.py, test_app_put_race_loser.py).
Against the other case files citing the requirement, 3 more were caught (test_file now
names the file):
- put-name-claimed-before-size: test_eke_put_refusal_state.py's "name of a too_large offer
  can be put" (same and new connection) — under APP-PUT-8, which that file cites (the
  mutant's requirement is now APP-PUT-8; APP-PUT-1 is broken too, and no file citing
  APP-PUT-1 caught it: test_app_inbox_now.py's names gone from the inbox start from a
  stored or `exists` name, never from a too_large refusal).
- exists-checked-at-last-data and uncontested-put-replaces: test_app_put.py's concurrent
  puts of one name (both puts send every byte before either DONE, and the second
  verified replaces the first); uncontested-put-replaces also by test_app_put_inbox_links.py
  (a link planted during a put is replaced by the owner's commit).
  Class hardening for exists-checked-at-last-data (caught only because test_app_put.py's
  two puts both send every byte before either DONE): test_app_put_entry_before_done.py
  makes a file, a directory or a dangling link of the put's name after its last byte is
  written (the temporary seen at full size in the declared inbox) and before its DONE:
  `exists`, the entry unchanged — catches it on all three entries (both profiles run).
Missed by every file tried, and the case that now catches its class (passes the reference
three times and the seven unmodified eke independents eke1..eke7):
- user-escaped-pair-split (EKE-HS-3: test_eke_auth_failure_endings.py, test_eke_handshake.py,
  test_eke_thr_refusal_forms.py, test_eke_throttling.py, test_eke_user_name_code_points.py,
  test_eke_user_name_syntax.py, test_eke_user_names_invalid.py, test_vectors.py; under
  EKE-HS-2 test_eke_handshake_json_spellings.py — its fully escaped account names are ASCII
  or BMP, no surrogate pair —; under EKE-PW-5 test_eke_user_name_hostile_forms.py) ->
  test_eke_user_name_escapes.py: EKE1s of valid unknown names beyond the BMP spelled raw
  (control), as escaped surrogate pairs in lower- and upper-case hex, as json.dumps writes
  them by default, BMP and astral escapes mixed with raw ASCII, and the 64-byte boundary
  (sixteen 4-byte characters all escaped, 192 characters of JSON): EKE2 for each; and one
  name failed N times in one spelling then judged in the other (both directions) must be
  `throttled` (EKE-THR-1: one name, whatever its spelling).
Written after phase 2 (not blind; they show the class, or fill a lens the blind list left
empty):
- b22beke-user-escaped-pair-replaced (post-blind sibling, L4): each lone half becomes
  U+FFFD, a valid but other name: EKE2 comes, but the escaped spelling is counted apart
  from the raw one -> test_eke_user_name_escapes.py's two-spellings case (both
  directions). The first pass's b22eke-throttle-key-raw-json (keyed on the raw JSON text)
  is caught by it as well (EKE-THR-1).
- b22beke-stop-commits-complete-put (L5): a put whose announced bytes are all in but whose
  DONE has not come is committed when the server stops or restarts ("a restart must not
  lose a finished upload") -> test_ops_eke_restart_put_ends.py (APP-PUT-5). Planted first
  on the end-of-stream path only, it never fired under the suite's 1.5 s idle timeout: the
  idle timeout ends the held put inside the 5 s shutdown grace, before the stop's EOF; the
  mutant now keeps the put on whichever ends it while the server stops.
Final: 7 of 7 detected (test_mutants -k b22beke-).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from typing import Any

from conformance.selftest.mutant import Mutant, _module
from conformance.selftest.mutants_app import _patch_source

__all__ = ["MUTANTS"]

_GROUP = "blind22b-eke"


def _server() -> Any:
    return _module("reference.eke.server")


def _handshake() -> Any:
    return _module("reference.eke.handshake")


def _unindent(text: str) -> str:
    """`text` written at the method's indentation in its file, as _patch_source sees it
    (the method's source dedented by one class level)."""
    return "".join(
        line[4:] if line.startswith("    ") else line for line in text.splitlines(keepends=True)
    )


def _patch_method(owner: Any, attr: str, *edits: tuple[str, str]) -> None:
    _patch_source(owner, attr, *((_unindent(old), _unindent(new)) for old, new in edits))


def _release_on_end() -> None:
    """PartialFile.commit/abort call the `_b22b_release` a mutant attached (once)."""
    partial_cls = _module("reference.share").PartialFile

    def wrap(method: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
            try:
                return method(self, *args, **kwargs)
            finally:
                release = self.__dict__.pop("_b22b_release", None)
                if release is not None:
                    release()

        return wrapper

    partial_cls.commit = wrap(partial_cls.commit)
    partial_cls.abort = wrap(partial_cls.abort)


# -- lens 1: residue after an aborted request ---------------------------------------------


def _put_name_claimed_before_size() -> None:
    server = _server()
    server._b22b_claimed = set()
    _release_on_end()
    _patch_method(
        server.EkeServer,
        "_begin_put",
        (
            "        if request.size > self.config.max_file_size:\n"
            "            stream.send(ErrorFrame(ErrorCode.TOO_LARGE, "
            '"the file exceeds the size limit"))\n'
            "            return None\n"
            "        try:\n"
            "            target = self._inbox.target_name(request.name)\n"
            "        except RemoteProtocolError as exc:\n"
            "            stream.send(ErrorFrame(exc.code, exc.message))\n"
            "            return None\n"
            "        partial = self._inbox.begin(target, request.size)\n",
            "        try:\n"
            "            target = self._inbox.target_name(request.name)\n"
            "        except RemoteProtocolError as exc:\n"
            "            stream.send(ErrorFrame(exc.code, exc.message))\n"
            "            return None\n"
            "        with self._lock:  # [APP-PUT-8]: one put of a name at a time\n"
            "            if target in _b22b_claimed:\n"
            "                stream.send(ErrorFrame(ErrorCode.EXISTS, "
            '"a put of that name is in progress"))\n'
            "                return None\n"
            "            _b22b_claimed.add(target)\n"
            "        if request.size > self.config.max_file_size:\n"
            "            stream.send(ErrorFrame(ErrorCode.TOO_LARGE, "
            '"the file exceeds the size limit"))\n'
            "            return None\n"
            "        partial = self._inbox.begin(target, request.size)\n"
            "        partial._b22b_release = lambda: _b22b_claimed.discard(target)\n",
        ),
    )


# -- lens 5: half-done actions -------------------------------------------------------------


def _keep_if_complete(server: Any, partial: Any) -> bool:
    """At a stop: commit a put whose announced bytes are all in (no DONE verified)."""
    if server._stopping.is_set() and partial is not None and partial.written == partial.limit:
        partial.commit()  # "a restart must not lose a finished upload"
        return True
    return False


def _stop_commits_complete_put() -> None:
    server = _server()
    server._b22b_keep = _keep_if_complete
    _patch_method(
        server.EkeServer,
        "_serve_records",
        (
            "                except TimeoutError:\n",
            "                except TimeoutError:\n"
            "                    if _b22b_keep(self, partial):\n"
            "                        partial = None\n"
            "                        return\n",
        ),
        (
            "                except (AuthenticationFailed, TruncatedStream):\n",
            "                except (AuthenticationFailed, TruncatedStream):\n"
            "                    if _b22b_keep(self, partial):\n"
            "                        partial = None\n",
        ),
    )


# -- lens 3: check-then-act between sessions ------------------------------------------------


def _lexists_in(inbox: Any, name: str) -> bool:
    try:
        os.stat(name, dir_fd=inbox._fd, follow_symlinks=False)
    except FileNotFoundError:
        return False
    return True


def _commit_by_flag(attr: str, replace_when: bool) -> None:
    """_finish_put commits with overwrite=True when the partial's `attr` is `replace_when`."""
    _patch_method(
        _server().EkeServer,
        "_finish_put",
        (
            "        try:\n            partial.commit()\n",
            "        try:\n"
            f"            if getattr(partial, {attr!r}, None) is {replace_when!r}:\n"
            "                partial.commit(overwrite=True)  # found free earlier\n"
            "            else:\n"
            "                partial.commit()\n",
        ),
    )


def _exists_checked_at_last_data() -> None:
    server = _server()
    server._b22b_lexists = _lexists_in
    _patch_method(
        server.EkeServer,
        "_serve_records",
        (
            "                elif isinstance(event, Data):\n"
            "                    assert partial is not None\n"
            "                    partial.write(event.data)\n",
            "                elif isinstance(event, Data):\n"
            "                    assert partial is not None\n"
            "                    if partial.written + len(event.data) == partial.limit:\n"
            "                        # The last bytes: does the name still look free?\n"
            "                        partial._b22b_taken = _b22b_lexists(\n"
            "                            self._inbox, partial.final_name\n"
            "                        )\n"
            "                    partial.write(event.data)\n",
        ),
    )
    _commit_by_flag("_b22b_taken", False)


def _uncontested_put_replaces() -> None:
    server = _server()
    server._b22b_inflight = {}
    _release_on_end()

    def release(name: str) -> Callable[[], None]:
        def done() -> None:
            left = server._b22b_inflight.get(name, 0) - 1
            if left > 0:
                server._b22b_inflight[name] = left
            else:
                server._b22b_inflight.pop(name, None)

        return done

    server._b22b_release_for = release
    _patch_method(
        server.EkeServer,
        "_begin_put",
        (
            "        partial = self._inbox.begin(target, request.size)\n",
            "        partial = self._inbox.begin(target, request.size)\n"
            "        with self._lock:  # the owner: nobody else was putting this name\n"
            "            partial._b22b_owner = _b22b_inflight.get(target, 0) == 0\n"
            "            _b22b_inflight[target] = _b22b_inflight.get(target, 0) + 1\n"
            "        partial._b22b_release = _b22b_release_for(target)\n",
        ),
    )
    _commit_by_flag("_b22b_owner", True)


# -- lens 4: two spellings of one value -------------------------------------------------------

_ESCAPED_SURROGATE = re.compile(rb"\\u[dD][89abAB][0-9a-fA-F]{2}")


def _as_surrogates(text: str) -> str:
    out = []
    for ch in text:
        code = ord(ch)
        if code > 0xFFFF:
            code -= 0x10000
            out.append(chr(0xD800 + (code >> 10)) + chr(0xDC00 + (code & 0x3FF)))
        else:
            out.append(ch)
    return "".join(out)


def _split_escaped_pairs(frame_type: bytes, payload: bytes, obj: Any) -> Any:
    """What a decoder that decodes each \\uXXXX on its own makes of EKE1's user."""
    if (
        frame_type == b"EKE1"
        and isinstance(obj, dict)
        and isinstance(obj.get("user"), str)
        and _ESCAPED_SURROGATE.search(payload)
    ):
        obj["user"] = _as_surrogates(obj["user"])
    return obj


def _user_escaped_pair_split() -> None:
    handshake = _handshake()
    handshake._b22b_split = _split_escaped_pairs
    _patch_method(
        handshake._Handshake,
        "_read_frame",
        (
            "        obj = loads_control(payload)\n",
            "        obj = _b22b_split(frame_type, payload, loads_control(payload))\n",
        ),
    )


def _split_escaped_pairs_replaced(frame_type: bytes, payload: bytes, obj: Any) -> Any:
    """As _split_escaped_pairs, each half then replaced by U+FFFD (a lenient decoder)."""
    obj = _split_escaped_pairs(frame_type, payload, obj)
    if isinstance(obj, dict) and isinstance(obj.get("user"), str):
        obj["user"] = "".join("\ufffd" if 0xD800 <= ord(ch) <= 0xDFFF else ch for ch in obj["user"])
    return obj


def _user_escaped_pair_replaced() -> None:
    handshake = _handshake()
    handshake._b22b_split = _split_escaped_pairs_replaced
    _patch_method(
        handshake._Handshake,
        "_read_frame",
        (
            "        obj = loads_control(payload)\n",
            "        obj = _b22b_split(frame_type, payload, loads_control(payload))\n",
        ),
    )


# -- lens 6: reflection and role confusion ------------------------------------------------------


def _eke4_as_confirmation() -> None:
    handshake = _handshake()
    states = handshake.HandshakeState
    handshake._TRANSITIONS[(states.SERVER_AWAIT_EKE3, handshake.T_EKE4)] = (
        "_on_eke3",
        states.ESTABLISHED,
    )
    _patch_method(
        handshake._Handshake,
        "_read_frame",
        (
            "        check_schema(frame_type, obj, _SCHEMAS[frame_type])\n",
            "        schema_type = T_EKE3 if step[0] == '_on_eke3' else frame_type\n"
            "        check_schema(frame_type, obj, _SCHEMAS[schema_type])\n",
        ),
    )


MUTANTS: tuple[Mutant, ...] = (
    Mutant(
        "b22beke-put-name-claimed-before-size",
        _GROUP,
        "eke",
        "APP-PUT-8",
        "test_eke_put_refusal_state.py",
        "L1: a put's name is claimed when its name is checked, before the size limit; a PUTF "
        "refused too_large keeps the claim: every later PUTF of that name is `exists`",
        _put_name_claimed_before_size,
    ),
    Mutant(
        "b22beke-stop-commits-complete-put",
        _GROUP,
        "eke",
        "APP-PUT-5",
        "test_ops_eke_restart_put_ends.py",
        "L5 (written after phase 2): a put whose announced bytes have all arrived but whose "
        "DONE has not is committed when the server stops or restarts: unverified bytes under "
        "the final name",
        _stop_commits_complete_put,
    ),
    Mutant(
        "b22beke-exists-checked-at-last-data",
        _GROUP,
        "eke",
        "APP-PUT-3",
        "test_app_put.py",
        "L3: the final name is re-checked when the last DATA frame arrives and the commit "
        "then renames over it: an entry made in the inbox between the last DATA and DONE is "
        "replaced, not answered `exists`",
        _exists_checked_at_last_data,
    ),
    Mutant(
        "b22beke-uncontested-put-replaces",
        _GROUP,
        "eke",
        "APP-PUT-8",
        "test_app_put.py",
        "L3: a put accepted while no other put of its name was in progress commits with a "
        "plain rename: a contender accepted after it and stored first is replaced",
        _uncontested_put_replaces,
    ),
    Mutant(
        "b22beke-user-escaped-pair-split",
        _GROUP,
        "eke",
        "EKE-HS-3",
        "test_eke_user_name_escapes.py",
        "L4: each \\uXXXX of EKE1's user decoded on its own: a name outside the BMP sent as "
        "an escaped surrogate pair is two lone surrogates, refused bad_frame",
        _user_escaped_pair_split,
    ),
    Mutant(
        "b22beke-user-escaped-pair-replaced",
        _GROUP,
        "eke",
        "EKE-THR-1",
        "test_eke_user_name_escapes.py",
        "(post-blind sibling) L4: each \\uXXXX of EKE1's user decoded on its own and a lone "
        "half replaced by U+FFFD: a name outside the BMP sent escaped is another (valid) "
        "name, counted apart from its raw spelling",
        _user_escaped_pair_replaced,
    ),
    Mutant(
        "b22beke-eke4-as-confirmation",
        _GROUP,
        "eke",
        "EKE-HS-9",
        "test_eke_handshake.py",
        "L6: awaiting EKE3 the server also takes EKE4 (its own frame) as the client's "
        "confirmation, parsed as EKE3: not unexpected_frame",
        _eke4_as_confirmation,
    ),
)
