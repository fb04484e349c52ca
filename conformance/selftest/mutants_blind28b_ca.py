"""Blind red-team round 28, second pass (helper B231): the CA (issuance, CRL, logins, its
HTTPS and its connection slots), through the six lenses of /work/briefs/s28/common.md.

Phase 1 (blind): written from docs/SPEC.md (§4.2, §4.4, §6) and the reference's CA
(reference/pki/ca.py, ca_server.py, reference/cli/ca.py) before any case file, conformance
module, independent implementation or the first pass's report was opened, then checked
against the names and descriptions of the registered CA mutants. Replaced as repeats (r):
the 413 body logged (b27bca-log-oversized-body), X-Forwarded-For as the address
(b9ca-forwarded-for-trusted), RSA CSRs' signature unchecked (b10ca-pop-ec-only), proof of
possession cached per key (b4ca-pop-cached-by-key), serials from a time-seeded generator
(b15ca-serial-time-seeded), a revoked alias's own 401 message (b18b-ca-revoked-message),
a right password with a bad CSR left pending (b10ca-pending-leak-bad-csr), the partial
reservation (b16ca-busy-partial-reservation), the CA's IP addresses free as aliases
(b9ca-hostname-ips-ignored), the root route serving a bundle (b9ca-root-bundle), a login
remembered per TLS session (b23ca-resumed-session-login), a password digest in the log
(b27bca-log-password-fingerprint), an unknown CSR signature algorithm taken as verified
(b13ca-csr-unknown-sigalg-passes). All run in the CA's server process (`ca=True`).

Lens 1 — the thin MUSTs:
- b28bca-busy-dumps-pending: the 503 busy message carries the throttle's table of pending
  attempts, repr'd ("pending={'alias:bob': 2, 'addr:127.0.0.1': 4}") (ERR-6: a debug dump;
  it also names the other aliases being logged in at that moment).
Lens 2 — lost errors:
- b28bca-evicted-slot-leak: `_forget` pops the connection's handle without a default: for a
  connection closed to make room (its handle already taken) it raises KeyError in the
  thread's `finally`, before the slot is given back; each eviction leaks a slot (LIM-5).
Lens 3 — every ending:
- (dropped) b28bca-empty-crl-204: a CRL with no revocation answered 204 without a body:
  unobservable on a provisioned target (its CRL always lists the `revoked` identity).
Lens 4 — retries, reconnects and resumes:
- (dropped) b28bca-unlock-keeps-backoff: the running CA sees the unlock but keeps the
  alias's failure entry (backoff at the cap, the next wrong password re-locks at once):
  test_ca_unlock_while_serving.py tolerates the kept backoff by design and SPEC does not
  say that an unlock resets the count (a sentence is proposed in the round's report).
Lens 5 — two implementations of one rule:
- b28bca-get-bad-length-kept: the read routes' "body left unread" test reads a
  Content-Length with int(): a value that is no length (`5.0`, `-1`, `abc`) counts as no
  body, the connection is kept and the bytes after the head are served as a next request;
  the enrolment's reader refuses the same value (CA-ENR-9).
Lens 6 — concurrency in the idiom:
- b28bca-evict-waits-under-lock: room is made by closing the longest-waiting connection and
  then waiting for its slot while still holding the waiting-table lock its thread needs to
  give the slot back: the wait times out and the newcomer is refused (LIM-5).
- b28bca-worker-pool-handshakes: connections served by a pool of 8 workers (handshake
  included), the connection limit counted apart: silent sockets below the limit take every
  worker, no eviction runs, every other client queues behind their handshake timeout.
Post-blind siblings (phase 3):
- b28bca-get-first-length-only: the read routes look at the first Content-Length only.
- b28bca-throttled-dumps-failures: the 429 message carries the keys' failure counts.

Blind run (phase 2): of the 5 judged, 2 caught by the named file (evicted-slot-leak,
evict-waits-under-lock: test_ca_flood_keeps_the_newcomer.py), 1 more by the whole suite
(get-bad-length-kept: test_interop_ca_zero_like_lengths.py), 2 missed by every citing file
(busy-dumps-pending; worker-pool-handshakes: test_ca_silent_flood.py runs past the
selftest's 180 s, its flood's opening unbounded).
Phase 3 cases: test_ca_busy_answers_dump_nothing.py (a burst of concurrent wrong logins
of two aliases, then one more each: no answer holds a counter table, dump marks, the
other alias or another address of the burst), test_ca_unread_length_forms.py (no-length
Content-Length forms on every route no body is read on: one answer, then the close),
test_ca_held_bodies_any_target_form.py (held enrolment bodies in each target form; 48
silent TCP connections below the limit: honest clients served within 5 s).
"""

from __future__ import annotations

from typing import Any

from conformance.selftest.mutant import Mutant
from conformance.selftest.mutants_blind27_ca import _patch, _patch_dispatch, _srv

__all__ = ["MUTANTS"]

_GROUP = "blind28b-ca"


def _busy_dumps_pending() -> None:
    _patch(
        _srv()._Handler,
        "_enroll",
        (
            '                "too many logins in progress; retry after 1 s",\n',
            '                "too many logins in progress; retry after 1 s"\n'
            '                f" (pending={dict(throttle._pending)!r})",\n',
        ),
    )


def _evicted_slot_leak() -> None:
    _patch(
        _srv().CaServer,
        "_forget",
        (
            "            handle = self._handles.pop(raw, None)\n",
            "            handle = self._handles.pop(raw)\n",
        ),
    )


def _empty_crl_204() -> None:
    _patch_dispatch(
        (
            "                crl = self.server.ca.crl().public_bytes(serialization.Encoding.DER)\n",
            "                signed = self.server.ca.crl()\n"
            "                if len(signed) == 0:  # nothing revoked: nothing to send\n"
            "                    self._send(HTTPStatus.NO_CONTENT, b'', 'application/pkix-crl')\n"
            "                    return\n"
            "                crl = signed.public_bytes(serialization.Encoding.DER)\n",
        ),
    )


def _unlock_keeps_backoff() -> None:
    _patch(
        _srv().LoginThrottle,
        "_hard_locked",
        (
            "                # `sft ca user unlock` ran in another process.\n"
            "                self._forget(key)\n",
            "                # `sft ca user unlock` ran in another process.\n",
        ),
    )


def _get_bad_length_kept() -> None:
    _patch(
        _srv()._Handler,
        "_body_left_unread",
        (
            '        return any(value.strip(" \\t") != "0" for value in lengths)\n',
            "        def announced(value: str) -> int:\n"
            "            try:\n"
            "                return int(value)\n"
            "            except ValueError:\n"
            "                return 0  # no length: no body\n"
            "\n"
            "        return any(announced(value) > 0 for value in lengths)\n",
        ),
    )


def _evict_waits_under_lock() -> None:
    _patch(
        _srv().CaServer,
        "_close_oldest_waiting",
        (
            "            handle = self._handles.pop(oldest)\n"
            '        _log("every connection slot taken: closed the longest-waiting connection")\n'
            "        with contextlib.suppress(OSError):\n"
            "            handle.shutdown(socket.SHUT_RDWR)\n"
            "        handle.close()\n"
            "        return self._slots.acquire(timeout=_SLOT_GIVEN_BACK)\n",
            "            handle = self._handles.pop(oldest)\n"
            "            _log(\n"
            '                "every connection slot taken: closed the longest-waiting connection"\n'
            "            )\n"
            "            with contextlib.suppress(OSError):\n"
            "                handle.shutdown(socket.SHUT_RDWR)\n"
            "            handle.close()\n"
            "            return self._slots.acquire(timeout=_SLOT_GIVEN_BACK)\n",
        ),
    )


def _worker_pool_handshakes() -> None:
    import threading

    server = _srv().CaServer
    original = server.process_request_thread
    workers = threading.BoundedSemaphore(8)

    def process_request_thread(self: Any, request: Any, client_address: Any) -> None:
        with workers:  # a fixed pool of 8 workers; the others queue
            original(self, request, client_address)

    server.process_request_thread = process_request_thread


def _get_first_length_only() -> None:
    _patch(
        _srv()._Handler,
        "_body_left_unread",
        (
            '        return any(value.strip(" \\t") != "0" for value in lengths)\n',
            '        return bool(lengths) and lengths[0].strip(" \\t") != "0"\n',
        ),
    )


def _throttled_dumps_failures() -> None:
    _patch(
        _srv()._Handler,
        "_enroll",
        (
            "        if wait:\n",
            "        counts = {\n"
            "            k: throttle._keys[k].count for k in keys if k in throttle._keys\n"
            "        }\n"
            "        if wait:\n",
        ),
        (
            '                f"too many failed logins; retry after {wait} s",\n',
            '                f"too many failed logins; retry after {wait} s"\n'
            '                f" (failures={counts})",\n',
        ),
    )


def _m(name: str, requirement: str, test_file: str, description: str, apply: Any) -> Mutant:
    return Mutant(
        name=name,
        group=_GROUP,
        profile="pki",
        requirement=requirement,
        test_file=test_file,
        description=description,
        apply=apply,
        ca=True,
    )


MUTANTS: tuple[Mutant, ...] = (
    _m(
        "b28bca-busy-dumps-pending",
        "ERR-6",
        "test_ca_busy_answers_dump_nothing.py",
        "L1: the 503 busy message carries the throttle's pending table repr'd "
        "(pending={'alias:bob': 2, 'addr:127.0.0.1': 4}): a debug dump naming the aliases "
        "being logged in",
        _busy_dumps_pending,
    ),
    _m(
        "b28bca-evicted-slot-leak",
        "LIM-5",
        "test_ca_flood_keeps_the_newcomer.py",
        "L2: _forget pops the handle without a default: a connection closed to make room "
        "raises KeyError in its thread's finally before its slot is given back; each eviction "
        "leaks a slot until the CA admits no one",
        _evicted_slot_leak,
    ),
    _m(
        "b28bca-get-bad-length-kept",
        "CA-ENR-9",
        "test_ca_unread_length_forms.py",
        "L5: the read routes' body-left-unread test reads Content-Length with int(): a value "
        "that int() refuses or reads as no more than 0 (5.0, -1, abc) counts as no body, the "
        "connection is kept and the bytes after the head are served as a next request",
        _get_bad_length_kept,
    ),
    _m(
        "b28bca-evict-waits-under-lock",
        "LIM-5",
        "test_ca_flood_keeps_the_newcomer.py",
        "L6: after closing the longest-waiting connection the CA waits for its slot while "
        "holding the waiting-table lock the closed connection's thread needs to give it back: "
        "the wait times out and the newcomer is refused",
        _evict_waits_under_lock,
    ),
    _m(
        "b28bca-worker-pool-handshakes",
        "LIM-5",
        "test_ca_held_bodies_any_target_form.py",
        "L6: connections served by a pool of 8 workers, handshake included, the connection "
        "limit counted apart: 8 silent sockets take every worker while the slots are far "
        "from full, and every other client waits out their handshake timeout",
        _worker_pool_handshakes,
    ),
    _m(
        "b28bca-get-first-length-only",
        "CA-ENR-9",
        "test_ca_unread_length_forms.py",
        "(post-blind) L5: the read routes' body-left-unread test looks at the first "
        "Content-Length field only: `0` then `37` counts as no body, the connection is kept "
        "and the 37 bytes after the head are served as a next request",
        _get_first_length_only,
    ),
    _m(
        "b28bca-throttled-dumps-failures",
        "ERR-6",
        "test_ca_busy_answers_dump_nothing.py",
        "(post-blind) L1: the 429 message carries the failure counts of the login's keys, "
        "repr'd (failures={'alias:bob': 4, 'addr:127.0.0.1': 4}): a debug dump of the throttle",
        _throttled_dumps_failures,
    ),
)
