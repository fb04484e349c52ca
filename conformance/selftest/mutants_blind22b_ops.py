"""Blind red-team round 22, second pass (helper B141): OPERATIONS — storage, limits, restarts,
stores — through the six lenses of /work/briefs/s22/common_b.md. Phase 1 (blind): written
from docs/SPEC.md (§2, §3.3-§3.7, §5.6, §6) and the reference's operations code
(reference/cli/eke.py, cli/ca.py's restart, admission.py, closing.py, share.py, buffers.py,
app.py's responder states, eke/server.py, eke/store.py, eke/throttle.py, pki/peer.py's
dispatch) before any case file or independent implementation was opened. A first list was
checked against the names and descriptions of the 3808 registered mutants; the ideas found
there (the put name reserved and leaked after an aborted put, the server's own address as
the throttle key, the pending login abandoned by a restart, the lost update of a failure
count, the write-behind throttle queue, the inbox remembering names, the whole-frame
sendall, the per-connection temporary counter, the loser's temporary kept ...) were
dropped; what is left are the ideas below (the unlock one written after the first
measurements, the same blind way: before any unlock case was read).

Lens 1 — residue after an aborted request:
- b22bops-eke-receipt-kept-after-lost-race: the responder's receipt of a verified put is
  set only when none is held ("a DONE is verified once") and cleared only when its DONE
  goes out: after a put that lost the race (`exists` instead of DONE) the next put on that
  connection is acknowledged with the LOSER's size and sha256.
- b22bops-pki-receipt-kept-after-lost-race: the same on the pki responder (the application
  layer is shared).
Lens 3 — check-then-act between sessions:
- b22bops-eke-temp-name-per-second (near-sibling of the registered per-connection counter):
  the temporary's "random" part is the process id and the current second: two puts
  accepted within one second (two connections) collide at O_EXCL and the second PUTF is
  answered `internal` (fatal) instead of RSFL{accept}.
Lens 4 — two spellings of one value:
- b22bops-eke-throttle-db-nocase: the failure table's key column is declared COLLATE
  NOCASE (memory keeps names as sent): the rows of `Ghost` and `ghost` overwrite each other
  on disk, and a success of one deletes the other's row: a restart brings back the wrong
  count.
- b22bops-eke-unlock-case-blind: `sft eke user unlock NAME` deletes the name's failure rows
  COLLATE NOCASE ("administrators type names in any case"): unlocking `ghost` also unlocks
  `Ghost`, a hard-locked user name nobody unlocked.
Lenses 2, 5 and 6: every idea written for them (a pipelined BYE_ behind DONE, the whole-frame
send deadline, the write-behind throttle queue, the restart that forgets pending logins,
the server's own address as the key, the client's non-fatal EROR kept open ...) was found
registered; none is left.

Blind result (each mutant against the file first named, --only-req): 2 of 5 detected —
eke- and pki-receipt-kept-after-lost-race (test_app_put_race_aftermath.py).
Against the other case files citing the requirement, 1 more was caught (test_file now
names the file): temp-name-per-second (test_app_put_concurrent.py, APP-STORE-1; the first
guess, test_app_put_beside_puts_in_progress.py, does not cite APP-STORE-1 and catches it
under APP-PUT-1).
Missed by every file tried, and the cases that now catch their class (each passes the
reference three times and the independents listed in the report):
- throttle-db-nocase (EKE-THR-8: missed by test_ops_eke_restart_name_shapes.py,
  test_eke_restart.py, test_eke_restart_locks.py, test_eke_restart_name_syntax.py,
  test_eke_throttling.py, test_ops_eke_restart_counts.py, test_ops_eke_restart_spent_locks.py;
  test_eke_restart_pending.py and test_ops_eke_table_order.py do not cite it) ->
  test_ops_eke_restart_name_twins.py: four pairs of distinct user names that one looser
  store key equates (ASCII case, one trailing space, non-ASCII case, NFC/NFD); the name
  fails N - 1 times, its twin once after it; after a restart the name's next EKE1 is EKE2
  (EKE-THR-7: fewer than N), one more failure locks it (EKE-THR-8), and the twin with two
  failures is still answered EKE2 (EKE-THR-7). The name-shape case only round-trips single
  names: a store that conflates two names gives each back in its own spelling.
- unlock-case-blind (EKE-THR-11: missed by test_eke_unlock_while_serving.py,
  test_eke_hard_lock_bound.py, test_eke_restart.py, test_eke_restart_locks.py,
  test_eke_throttled_cost.py, test_eke_throttling.py, test_ops_eke_restart_counts.py) ->
  test_eke_unlock_exact_name.py: the unlocked name ` Ghost-…_é ` (spaces at both ends, NFD)
  and six others a looser comparison or a transformed argument equates with it (ASCII lower
  case, `_` -> `x` for SQL LIKE, without the trailing space, without both spaces, NFC,
  `É`) are hard-locked; after the declared unlock of the first, each of the six is still
  refused `throttled` and the first is answered EKE2.
Post-blind siblings, written after the cases to show they take the class:
throttle-db-rtrim and throttle-db-keys-casefold -> test_ops_eke_restart_name_twins.py;
unlock-like, unlock-rtrim and unlock-name-stripped -> test_eke_unlock_exact_name.py (the
last one made the case unlock a name with a space at each end, in NFD, and check that
name's own unlock too).
Final: 5 of 5 blind mutants detected, and the 5 siblings (test_mutants -k b22bops: 10).
"""

from __future__ import annotations

import os
import threading
import time
from typing import Any

from conformance.selftest.mutant import Mutant, _module
from conformance.selftest.mutants_app import _patch_source

__all__ = ["MUTANTS"]

_GROUP = "blind22b-ops"


def _unindent(text: str) -> str:
    """`text` written at the method's indentation in its file, as _patch_source sees it."""
    return "".join(
        line[4:] if line.startswith("    ") else line for line in text.splitlines(keepends=True)
    )


def _patch_method(owner: Any, attr: str, *edits: tuple[str, str]) -> None:
    _patch_source(owner, attr, *((_unindent(old), _unindent(new)) for old, new in edits))


# -- lens 1: residue after an aborted request ---------------------------------------------------


def _receipt_kept_after_lost_race() -> None:
    _patch_method(
        _module("reference.app").ApplicationConnection,
        "_on_control",
        (
            "                if self.role is RESPONDER:\n"
            "                    self._verified_put = message\n",
            "                if self.role is RESPONDER and self._verified_put is None:\n"
            "                    # one receipt per put: a DONE is verified once\n"
            "                    self._verified_put = message\n",
        ),
    )


# -- lens 3: check-then-act between sessions -------------------------------------------------


_TEMP_LOCK = threading.Lock()


def _temp_name_per_second() -> None:
    share = _module("reference.share")
    prefix = share.PARTIAL_PREFIX

    def temp_name() -> str:
        with _TEMP_LOCK:
            return f"{prefix}{os.getpid()}-{int(time.time())}"

    share._b22b_temp_name = temp_name
    _patch_method(
        share.PartialFile,
        "__init__",
        (
            '        self.temp_name = f"{PARTIAL_PREFIX}{secrets.token_hex(12)}"\n',
            "        self.temp_name = _b22b_temp_name()  # unique: our pid and the second\n",
        ),
    )


# -- lens 4: two spellings of one value --------------------------------------------------------


def _throttle_db_nocase() -> None:
    throttle = _module("reference.eke.throttle")
    old = "    key TEXT NOT NULL,\n"
    if old not in throttle._SCHEMA:
        raise RuntimeError("mutant: the throttle schema changed")
    throttle._SCHEMA = throttle._SCHEMA.replace(old, "    key TEXT NOT NULL COLLATE NOCASE,\n")


def _throttle_db_rtrim() -> None:
    throttle = _module("reference.eke.throttle")
    old = "    key TEXT NOT NULL,\n"
    if old not in throttle._SCHEMA:
        raise RuntimeError("mutant: the throttle schema changed")
    throttle._SCHEMA = throttle._SCHEMA.replace(old, "    key TEXT NOT NULL COLLATE RTRIM,\n")


def _throttle_db_keys_casefold() -> None:
    tables = _module("reference.eke.throttle")._FailureTables
    _patch_method(
        tables,
        "__setitem__",
        (
            "                (key[0], key[1], entry.failures, entry.last),\n",
            "                (key[0], key[1].casefold(), entry.failures, entry.last),\n",
        ),
    )
    _patch_method(
        tables,
        "_forget",
        (
            "key)\n",
            "(key[0], key[1].casefold()))\n",
        ),
    )


def _unlock_where(where: str, comment: str) -> Any:
    def apply() -> None:
        _patch_method(
            _module("reference.eke.throttle").Throttle,
            "unlock",
            (
                '            return self._entries.pop(("user", user), None) is not None\n',
                (
                    '            had = self._entries.pop(("user", user), None) is not None\n'
                    "            if self._db is not None:  # COMMENT\n"
                    "                cur = self._db.execute(\n"
                    "                    \"DELETE FROM failures WHERE kind = 'user'\"\n"
                    '                    " AND CLAUSE",\n'
                    "                    (user,),\n"
                    "                )\n"
                    "                had = had or cur.rowcount > 0\n"
                    "            return had\n"
                )
                .replace("COMMENT", comment)
                .replace("CLAUSE", where),
            ),
        )

    return apply


_unlock_case_blind = _unlock_where("key = ? COLLATE NOCASE", "names typed in any case")


def _unlock_name_stripped() -> None:
    _patch_source(
        _module("reference.cli.eke"),
        "_user_unlock",
        (
            "            had = throttle.unlock(args.name)\n",
            "            had = throttle.unlock(args.name.strip())  # a pasted name's blanks\n",
        ),
    )


def _m(
    name: str,
    profile: str,
    requirement: str,
    test_file: str,
    description: str,
    apply: Any,
    *,
    strict: bool = False,
) -> Mutant:
    return Mutant(
        name=name,
        group=_GROUP,
        profile=profile,
        requirement=requirement,
        test_file=test_file,
        description=description,
        apply=apply,
        strict=strict,
    )


MUTANTS: tuple[Mutant, ...] = (
    _m(
        "b22bops-eke-receipt-kept-after-lost-race",
        "eke",
        "APP-PUT-5",
        "test_app_put_race_aftermath.py",
        "L1: the receipt of a verified put is set only when none is held and cleared only when"
        " DONE goes out: after a put that lost the race (exists instead of DONE) the next put"
        " on the connection is acknowledged with the loser's size and sha256",
        _receipt_kept_after_lost_race,
    ),
    _m(
        "b22bops-pki-receipt-kept-after-lost-race",
        "pki",
        "APP-PUT-5",
        "test_app_put_race_aftermath.py",
        "L1: (pki) the receipt of a verified put is kept after a put that lost the race: the"
        " next put on the connection is acknowledged with the loser's size and sha256",
        _receipt_kept_after_lost_race,
    ),
    _m(
        "b22bops-eke-temp-name-per-second",
        "eke",
        "APP-STORE-1",
        "test_app_put_concurrent.py",
        "L3: the temporary's random part is the pid and the current second: two puts accepted"
        " in one second collide at O_EXCL and the second PUTF is answered internal",
        _temp_name_per_second,
    ),
    _m(
        "b22bops-eke-throttle-db-nocase",
        "eke",
        "EKE-THR-8",
        "test_ops_eke_restart_name_twins.py",
        "L4: the throttle database's key column is COLLATE NOCASE while memory keeps names as"
        " sent: Ghost's and ghost's rows overwrite each other, a restart brings back the"
        " wrong count",
        _throttle_db_nocase,
    ),
    _m(
        "b22bops-eke-unlock-case-blind",
        "eke",
        "EKE-THR-11",
        "test_eke_unlock_exact_name.py",
        "L4: `sft eke user unlock NAME` deletes the name's failure rows case-blind (COLLATE"
        " NOCASE: 'administrators type names in any case'): unlocking ghost also unlocks Ghost,"
        " a user name nobody unlocked",
        _unlock_case_blind,
    ),
    # post-blind siblings, written after the case to show it takes the class
    _m(
        "b22bops-eke-throttle-db-rtrim",
        "eke",
        "EKE-THR-8",
        "test_ops_eke_restart_name_twins.py",
        "(post-blind) the throttle database's key column is COLLATE RTRIM: `ghost` and"
        " `ghost ` share one row on disk, a restart gives the first the second's count",
        _throttle_db_rtrim,
    ),
    _m(
        "b22bops-eke-throttle-db-keys-casefold",
        "eke",
        "EKE-THR-8",
        "test_ops_eke_restart_name_twins.py",
        "(post-blind) failure rows are written under casefold(user) (memory keeps names as"
        " sent): a restart gives `Ghost` the count of `ghost`",
        _throttle_db_keys_casefold,
    ),
    _m(
        "b22bops-eke-unlock-like",
        "eke",
        "EKE-THR-11",
        "test_eke_unlock_exact_name.py",
        "(post-blind) the unlock deletes rows WHERE key LIKE NAME: `_` matches any character"
        " and ASCII case is ignored, other user names are unlocked too",
        _unlock_where("key LIKE ?", "a pattern helps with odd names"),
    ),
    _m(
        "b22bops-eke-unlock-rtrim",
        "eke",
        "EKE-THR-11",
        "test_eke_unlock_exact_name.py",
        "(post-blind) the unlock compares names COLLATE RTRIM: unlocking `x` also unlocks `x `",
        _unlock_where("key = ? COLLATE RTRIM", "trailing blanks are typing noise"),
    ),
    _m(
        "b22bops-eke-unlock-name-stripped",
        "eke",
        "EKE-THR-11",
        "test_eke_unlock_exact_name.py",
        "(post-blind) `sft eke user unlock` strips the name it is given (a pasted name's"
        " blanks): ` x ` stays locked and `x`, another user name, is unlocked",
        _unlock_name_stripped,
    ),
)
