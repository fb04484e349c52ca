"""Blind red-team round 19, third pass (helper B110): the sft-pki/1 RESPONDER and the
application protocol it serves, through the six lenses of round 19
(/work/briefs/s19/common_c.md). A short pass: six mutants.

Phase 1 (blind): written from docs/SPEC.md (§1-§3, §4.1-§4.3, §6) and the reference's
responder code (reference/pki/peer.py, reference/transfer.py, share.py, app.py,
messages.py) before any case file or independent implementation was opened. Every idea was
checked against the names and descriptions of the 3 436 registered mutants; those that
repeated a registered idea were replaced before any code was written (dropped: os.access /
os.path.exists following a dangling link at PUTF — b9op2-exists-follows-links —, the
reserved prefix compared case-blind, an "" PUTF.sha256 taken as absent — b13eke-optional-
falsy-absent —, the inbox listed once per connection — b10ops-*-inbox-snapshot —, DONE
before the commit, the losing put's exists swallowed, the digest as a BigInteger —
b19ini-digest-biginteger —, the component rules applied to the first component only —
b13eke-dotdot-first-component —, session tickets and the CRL, temporary names from a
per-connection counter or RNG).

Lens 1 — library defaults and their surprises:
  b19cpki-name-purepath-parts      check_name splits the name with PurePosixPath(name).parts,
                                   which collapses "a//b", drops "." components and a
                                   trailing "/": `a//b.txt`, `./x.txt`, `a/./b.txt`,
                                   `x.txt/` pass (".." is kept, and still refused)
Lens 2 — porting idioms:
  b19cpki-basename-strncpy-254     the stored name is copied into a 255-byte C buffer with
                                   strncpy + NUL: a 255-byte basename is stored (and checked
                                   for existence) under its first 254 bytes
Lens 3 — feature interactions:
  b19cpki-inbox-writer-busy        one put at a time per inbox ("serialise the writers"): a
                                   PUTF of ANY name while another connection's put is
                                   receiving is answered busy (fatal) — busy is not one of
                                   APP-PUT-1's answers
Lens 4 — trusting its own earlier state:
  b19cpki-empty-file-is-leftover   an empty regular file under the put's name is taken for
                                   a leftover of a crashed put (an implementation that
                                   creates the final name first) and replaced: a 0-byte file
                                   in the inbox does not make its name exist
Lens 5 — what the user and the peer are told:
  b19cpki-link-target-in-answer    the answer to a name that meets a symbolic link says where
                                   the link leads ("-> /etc/..."): the get's forbidden and
                                   the put's exists messages name the target
Lens 6 — refactoring slips:
  b19cpki-walk-closes-share-fd     the walk down a name's directories closes the directory
                                   it leaves without the `!= share fd` guard: the first get
                                   with a directory part closes the share's own descriptor,
                                   and every later get of that responder fails

Blind result (each mutant against the file first named, --only-req): 3 of 6 detected —
name-purepath-parts (test_app_names.py), basename-strncpy-254 (test_app_put_names.py),
walk-closes-share-fd (test_app_get.py).
Against every other case file citing the requirement, 2 more were caught (test_file now
names the file): empty-file-is-leftover (test_app_put_existing_content.py; missed by
test_app_inbox_files.py, test_app_inbox_now.py, test_app_put.py, test_app_share_and_inbox.py,
test_app_put_inbox_links.py, test_app_put_name_memory.py, test_app_late_repeats.py) and
link-target-in-answer (test_app_escape_link_answers.py; missed by
test_app_link_target_existence.py and test_app_names.py).
Missed, 1: inbox-writer-busy (APP-PUT-1: test_app_put.py, test_app_inbox_now.py,
test_app_refused_put_followers.py, test_interop_split_puts.py,
test_app_put_existing_content.py, test_interop_refused_put_state.py). The scenario was met
by test_app_put_concurrent.py (two fresh names, the second PUTF while the first put is in
progress), whose failure names APP-STORE-1 only (its note blames a colliding temporary),
so APP-PUT-1 stayed PASS under --only-req APP-PUT-1.
After (the case of this pass): all 6 detected, and the class check below:
- test_app_put_beside_puts_in_progress.py: a PUTF on a second connection while a put is
  in progress at each stage (accepted with no data, midway, every byte sent but no DONE):
  another fresh name MUST be accepted (APP-PUT-1), stored and acknowledged, and the other
  put then ends with its own DONE (APP-PUT-5); the same name is accepted or `exists`, and
  when accepted ends `exists` once the other is stored (APP-PUT-8), or the connection takes
  a later put; an answer that comes only once the other put's idle timeout has passed waited
  for it (LIM-5). Class check b19cpki-inbox-writer-lock-waits (a lock instead of busy: the
  PUTF waits until the other put ends) caught as LIM-5. The file passed the reference three
  times (8 cases, ~1 s in all) and the independents pki1..pki7 and eke1..eke7; it is in
  PKI_FILES.
"""

from __future__ import annotations

import os
import stat
from pathlib import PurePosixPath
from typing import Any

from conformance.selftest.mutant import Mutant, _module
from conformance.selftest.mutants_app import _patch_source

__all__ = ["MUTANTS"]

_GROUP = "blind19c-pki"


def _transfer() -> Any:
    return _module("reference.transfer")


def _share() -> Any:
    return _module("reference.share")


# --- lens 1: library defaults --------------------------------------------------------------


def _name_purepath_parts() -> None:
    share = _share()
    share._b19c_PurePosixPath = PurePosixPath
    _patch_source(
        share,
        "check_name",
        ('parts = name.split("/")', "parts = list(_b19c_PurePosixPath(name).parts)"),
    )


# --- lens 2: porting idioms ------------------------------------------------------------------


def _basename_strncpy_254() -> None:
    share = _share()
    original = share.check_name

    def check_name(name: str) -> list[str]:
        parts: list[str] = original(name)
        raw = parts[-1].encode("utf-8")
        if len(raw) > 254:  # char stored[255]; strncpy(stored, base, 254); stored[254] = 0
            parts[-1] = raw[:254].decode("utf-8", "ignore")
        return parts

    _patch_source(
        share.Inbox,
        "target_name",
        ("base = check_name(name)[-1]", "base = _b19c_check_name(name)[-1]"),
    )
    share._b19c_check_name = check_name


# --- lens 3: feature interactions -----------------------------------------------------------


def _inbox_writer_busy() -> None:
    transfer = _transfer()
    transfer._B19C_WRITERS = [0]
    _patch_source(
        transfer.Responder,
        "_put",
        (
            "final = inbox.target_name(request.name)",
            "if _B19C_WRITERS[0]:  # one writer per inbox at a time\n"
            "            self.channel.send(\n"
            '                ErrorFrame(ErrorCode.BUSY, "another put is being stored; try later")\n'
            "            )\n"
            "            return\n"
            "        final = inbox.target_name(request.name)",
        ),
        (
            "self.receiving = True",
            "self.receiving = True\n        _B19C_WRITERS[0] += 1",
        ),
        (
            "self.receiving = False",
            "self.receiving = False\n            _B19C_WRITERS[0] -= 1",
        ),
    )


# --- lens 4: trusting its own earlier state ----------------------------------------------------


def _empty_file_is_leftover() -> None:
    share = _share()
    original = share.Inbox.target_name

    def target_name(self: Any, name: str) -> str:
        base = share.check_name(name)[-1]
        try:
            st = os.stat(base, dir_fd=self._fd, follow_symlinks=False)
        except OSError:
            st = None
        if st is not None and stat.S_ISREG(st.st_mode) and st.st_size == 0:
            # "an empty file under the name is what a crashed put of ours left": clear it
            os.unlink(base, dir_fd=self._fd)
        result: str = original(self, name)
        return result

    share.Inbox.target_name = target_name


# --- lens 5: what the peer is told -------------------------------------------------------------


def _link_target_in_answer() -> None:
    share = _share()
    share._b19c_os = os

    def _symlink_refused_at(name: str, part: str, dir_fd: int) -> Any:
        try:
            target = os.readlink(part, dir_fd=dir_fd)
        except OSError:
            target = "?"
        return share.NameRefused(
            f"symbolic links are not served: {share._shown(name)} -> {target[:64]}"
        )

    share._b19c_symlink_refused_at = _symlink_refused_at
    _patch_source(
        share.ShareDirectory,
        "_open_component",
        (
            "raise _symlink_refused(name) from None",
            "raise _b19c_symlink_refused_at(name, part, dir_fd) from None",
        ),
    )
    _patch_source(
        share.Inbox,
        "target_name",
        (
            "raise RemoteProtocolError(ErrorCode.EXISTS, "
            'f"{_shown(base)} already exists in the inbox")',
            "try:\n"
            "        where = ' -> ' + _b19c_os.readlink(base, dir_fd=self._fd)[:64]\n"
            "    except OSError:\n"
            "        where = ''\n"
            "    raise RemoteProtocolError(\n"
            '        ErrorCode.EXISTS, f"{_shown(base)} already exists in the inbox{where}"\n'
            "    )",
        ),
    )


# --- lens 6: refactoring slips -------------------------------------------------------------------


def _walk_closes_share_fd() -> None:
    _patch_source(
        _share().ShareDirectory,
        "open",
        (
            "            if current != self._fd:\n                os.close(current)\n"
            "            current = child",
            "            os.close(current)\n            current = child",
        ),
    )


# --- after the blind run: class check of the new case ---------------------------------------


def _inbox_writer_lock_waits() -> None:
    transfer = _transfer()
    transfer._B19C_LOCK = _module("threading").Lock()
    _patch_source(
        transfer.Responder,
        "_put",
        (
            "self.channel.send(PutAccepted(final))",
            "_B19C_LOCK.acquire()  # one writer per inbox: the next put waits its turn\n"
            "        self._b19c_locked = True\n"
            "        self.channel.send(PutAccepted(final))",
        ),
        (
            "self.receiving = False",
            "self.receiving = False\n"
            "            if getattr(self, '_b19c_locked', False):\n"
            "                self._b19c_locked = False\n"
            "                _B19C_LOCK.release()",
        ),
    )
    original_run = transfer.Responder.run

    def run(self: Any) -> None:
        try:
            original_run(self)
        finally:
            if getattr(self, "_b19c_locked", False):  # a put cut short still holds it
                self._b19c_locked = False
                transfer._B19C_LOCK.release()

    transfer.Responder.run = run


def _m(
    name: str, requirement: str, test_file: str, description: str, apply: Any, **kw: Any
) -> Mutant:
    return Mutant(
        name=name,
        group=_GROUP,
        profile="pki",
        requirement=requirement,
        test_file=test_file,
        description=description,
        apply=apply,
        **kw,
    )


MUTANTS: tuple[Mutant, ...] = (
    _m(
        "b19cpki-name-purepath-parts",
        "APP-NAME-2",
        "test_app_names.py",
        "L1: names split with PurePosixPath(name).parts: a//b.txt, ./x.txt, a/./b.txt and x.txt/ "
        "pass (empty and '.' components collapsed)",
        _name_purepath_parts,
    ),
    _m(
        "b19cpki-basename-strncpy-254",
        "APP-PUT-2",
        "test_app_put_names.py",
        "L2: the stored name copied with strncpy into char[255]: a 255-byte basename is stored "
        "under its first 254 bytes",
        _basename_strncpy_254,
    ),
    _m(
        "b19cpki-inbox-writer-busy",
        "APP-PUT-1",
        "test_app_put_beside_puts_in_progress.py",
        "L3: one put at a time per inbox: a PUTF of any name while another connection's put is "
        "receiving is answered busy (fatal)",
        _inbox_writer_busy,
    ),
    _m(
        "b19cpki-empty-file-is-leftover",
        "APP-PUT-3",
        "test_app_put_existing_content.py",
        "L4: an empty regular file under the put's name is taken for a crashed put's leftover "
        "and replaced",
        _empty_file_is_leftover,
    ),
    _m(
        "b19cpki-link-target-in-answer",
        "APP-NAME-6",
        "test_app_escape_link_answers.py",
        "L5: the answer to a name meeting a symbolic link says where it leads: the get's "
        "forbidden and the put's exists messages name the link's target",
        _link_target_in_answer,
    ),
    _m(
        "b19cpki-walk-closes-share-fd",
        "APP-GET-2",
        "test_app_get.py",
        "L6: the walk closes the directory it leaves without the share-fd guard: the first get "
        "with a directory part closes the share's descriptor; later gets fail",
        _walk_closes_share_fd,
    ),
    # after the blind run: a class check of test_app_put_beside_puts_in_progress.py
    _m(
        "b19cpki-inbox-writer-lock-waits",
        "LIM-5",
        "test_app_put_beside_puts_in_progress.py",
        "(class check) one put at a time per inbox, by a lock: a PUTF of any name waits, "
        "unanswered, until the other connection's put ends",
        _inbox_writer_lock_waits,
    ),
)
