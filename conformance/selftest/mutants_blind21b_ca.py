"""Blind red-team round 21, second pass (helper B129): the CA (HTTP enrolment API, CRL,
admin CLI), through the six lenses of /work/briefs/s21/common_b.md.

Phase 1 (blind): written from docs/SPEC.md (§4.2, §4.4, §6) and the reference's CA
(reference/pki/ca.py, ca_server.py, reference/cli/ca.py) before any case file,
conformance module or independent implementation was opened, and before the first
pass's mutants_blind21_ca.py. About twenty ideas were checked against the names and
descriptions of the registered mutants (3690, some 700 of them the CA's); the CA's
throttle, framing and CRL are saturated (pending-reservation leaks on every refusal,
read1 bodies, X-Forwarded-For and address:port keys, the `_body_read` flag per request,
empty Content-Length / Transfer-Encoding values, empty passwords and subjects, revoked
aliases with no certificate, SQL LIKE look-ups: all there). What is new is the CA's
LIM-5 eviction (the connection that has waited longest is closed when every slot is
taken), which the lead just wrote and which had two mutants (lead21-ca-no-room-for-
waiting, lead21-ca-handshake-only-evictable); every entry below breaks it in a way
those two do not. All run in the CA's server process (`ca=True`).

Lens 1 — released on every exit path:
- b21bca-ended-connection-stays-waiting: an ended connection is dropped from the handle
  table but not from the waiting queue ("it left the queue when its request came"); a
  connection that ends while waiting (a failed handshake, a client gone between
  requests) leaves a stale entry, and the next eviction picks it, finds no handle
  (KeyError in the accept loop) and the newcomer is closed: as many honest newcomers
  refused as connections ever ended.
Lens 2 — the network's freedom:
- b21bca-busy-at-request-line: a request counts as begun (never cut) once its request
  line is in; a head whose header lines come later, in pieces or not at all, holds an
  unevictable slot until the idle timeout.
Lens 3 — which identity is checked:
- b21bca-evicts-own-address-only: to make room the CA closes the longest-waiting
  connection of the NEWCOMER's own address ("never cut someone else's"): silent
  connections of one address keep every other address out (no per-address cap stands
  in for it).
Lens 4 — the right checks in the wrong order:
- b21bca-slot-taken-before-given-back: after closing the longest-waiting connection the
  newcomer takes a slot at once (non-blocking, "never block the accept loop"), before
  the closed connection's thread has given its slot back: the newcomer is refused
  while the one closed for it is gone too.
- b21bca-busy-before-body: an enrolment is marked in progress once its head is
  complete, its body still to come: a client that sends the head of a POST and holds
  the body keeps an unevictable slot.
Lens 5 — absent, empty, null, zero: nothing new (the first pass's empty-field mutants
  and the registered zero-length and revoked-with-no-certificate ones cover what was
  found; the eviction code has no default a missing value could take).
Lens 6 — only the first one checked:
- b21bca-first-request-only-evictable: a connection is evictable until its first
  request (the mark is set at admission, not again after each answer): a keep-alive
  connection idle after one answered request holds its slot for the idle timeout.

Blind run (phase 2: each mutant against the case file its name suggested,
test_ca_silent_flood.py, before any case was read): 3 of 6 detected —
ended-connection-stays-waiting (tls-done, mid-head), evicts-own-address-only (tls-done,
mid-head: the flood comes from 100 addresses), slot-taken-before-given-back (tcp-only,
tls-done). Missed by it and by every other file citing LIM-5 for the CA
(test_ca_stalled_clients.py, test_ca_unhappy_paths.py,
test_ca_closing_answers_free_slots.py): busy-at-request-line, busy-before-body,
first-request-only-evictable. Why the flood missed busy-at-request-line although it
holds connections mid-head: it sends and moves on, and when the honest client comes the
CA has not yet read the last holds' bytes, so they are still "waiting" and the honest
client evicts one of them (in-process: 9 of 64 still waiting after 100 holds). Whether a
CA took a connection for busy too early is seen only once it has read what the
connection sent.

Phase 3: test_ca_flood_after_an_answer.py (LIM-5): 100 connections, each from its own
address, each sending GET /v1/root with a second request pipelined behind it in the same
write; all answers are read (so the CA has read what came with each request), then GET
/v1/crl and an honest enrolment from fresh addresses must be answered 200 within 5 s.
Stages: idle after the answer; a pipelined request line alone; a pipelined enrolment
head complete with nothing of its body (the boundary, the default run's one case: a CA
that takes a connection for busy at an answer, at a request line or at a complete head
holds it there); half of that body. Catches the class "a connection taken for busy
before its request is in" at each point a request passes: all three misses FAIL
(default case), and it PASSes the unmodified reference (three runs, ~1.5 s each).
Independents: ca1 PASS (all four stages); ca2 FAILs next-head-no-body and
next-half-body, deterministically — a real LIM-5 deviation: ca2/server.go takes a
connection out of `waiting` as soon as http.ReadRequest returns the head, so connections
holding an enrolment's body are never closed to make room (the reference's
`_enrolment_body_follows` is exactly that rule); ca3 FAILed next-head-no-body in 2 of 8
runs, the first two, under load ~8, none of the six after (GET /v1/crl unanswered within
5 s, the enrolment answered; cause not found: ca3 has no connection limit, its CRL is an
openssl subprocess). Not added to ca_harness.CA_FILES until ca2 is fixed and ca3's
intermittent timeout is understood.
"""

from __future__ import annotations

import contextlib
import socket
from typing import Any

from conformance.selftest.mutant import Mutant, _module

__all__ = ["MUTANTS"]


def _server() -> Any:
    return _module("reference.pki.ca_server")


def _ended_connection_stays_waiting() -> None:
    from conformance.selftest.mutants_app import _patch_source

    _patch_source(
        _server().CaServer,
        "_forget",
        ("self._waiting.pop(raw, None)\n", "pass  # it left the queue with its request\n"),
    )


def _busy_at_request_line() -> None:
    server = _server()
    base = server.BaseHTTPRequestHandler

    def parse_request(self: Any) -> bool:
        if (self.raw_requestline or b"").strip():
            self.server.waiting(False)  # a request has begun: never cut it
        complete: bool = base.parse_request(self)
        return complete

    server._Handler.parse_request = parse_request


def _evicts_own_address_only() -> None:
    server = _server()
    original_process = server.CaServer.process_request

    def process_request(self: Any, request: Any, client_address: Any) -> None:
        self._b21b_newcomer = client_address[0]
        original_process(self, request, client_address)

    def close_oldest_waiting(self: Any) -> bool:
        # Room is made among the newcomer's own connections: closing another client's
        # connection to admit this one would not be fair.
        newcomer = getattr(self, "_b21b_newcomer", None)
        with self._waiting_lock:
            oldest = None
            for raw in self._waiting:
                with contextlib.suppress(OSError):
                    if raw.getpeername()[0] == newcomer:
                        oldest = raw
                        break
            if oldest is None:
                return False
            del self._waiting[oldest]
            handle = self._handles.pop(oldest)
        with contextlib.suppress(OSError):
            handle.shutdown(socket.SHUT_RDWR)
        handle.close()
        acquired: bool = self._slots.acquire(timeout=server._SLOT_GIVEN_BACK)
        return acquired

    server.CaServer.process_request = process_request
    server.CaServer._close_oldest_waiting = close_oldest_waiting


def _slot_taken_before_given_back() -> None:
    from conformance.selftest.mutants_app import _patch_source

    _patch_source(
        _server().CaServer,
        "_close_oldest_waiting",
        ("self._slots.acquire(timeout=_SLOT_GIVEN_BACK)", "self._slots.acquire(blocking=False)"),
    )


def _busy_before_body() -> None:
    server = _server()

    def enrolment_body_follows(self: Any) -> bool:
        return False  # the head is in: the request is in progress

    server._Handler._enrolment_body_follows = enrolment_body_follows


def _first_request_only_evictable() -> None:
    server = _server()
    # The waiting mark is set at admission and taken off at the first request; no
    # connection is marked waiting again after an answer.
    server._Handler.handle_one_request = server.BaseHTTPRequestHandler.handle_one_request


def _m(name: str, req: str, test_file: str, description: str, apply: Any) -> Mutant:
    return Mutant(
        f"b21bca-{name}", "blind21b-ca", "pki", req, test_file, description, apply, ca=True
    )


MUTANTS: tuple[Mutant, ...] = (
    # lens 1
    _m(
        "ended-connection-stays-waiting",
        "LIM-5",
        "test_ca_silent_flood.py",
        "L1: an ended connection leaves the handle table but not the waiting queue: the next "
        "eviction picks the stale entry (KeyError in the accept loop) and the newcomer is "
        "closed, once per connection that ever ended",
        _ended_connection_stays_waiting,
    ),
    # lens 2
    _m(
        "busy-at-request-line",
        "LIM-5",
        "test_ca_flood_after_an_answer.py",
        "L2: a request counts as begun once its request line is in: a head whose header "
        "lines come later (in pieces, or never) holds an unevictable slot",
        _busy_at_request_line,
    ),
    # lens 3
    _m(
        "evicts-own-address-only",
        "LIM-5",
        "test_ca_silent_flood.py",
        "L3: room is made by closing the longest-waiting connection of the newcomer's own "
        "address only: silent connections from one address keep every other address out",
        _evicts_own_address_only,
    ),
    # lens 4
    _m(
        "slot-taken-before-given-back",
        "LIM-5",
        "test_ca_silent_flood.py",
        "L4: after closing the longest-waiting connection the newcomer takes a slot at once "
        "(non-blocking), before the closed one's thread gave it back: the newcomer is refused",
        _slot_taken_before_given_back,
    ),
    _m(
        "busy-before-body",
        "LIM-5",
        "test_ca_flood_after_an_answer.py",
        "L4: an enrolment is marked in progress once its head is complete, its body still "
        "to come: a POST head whose body is held keeps an unevictable slot",
        _busy_before_body,
    ),
    # lens 6
    _m(
        "first-request-only-evictable",
        "LIM-5",
        "test_ca_flood_after_an_answer.py",
        "L6: a connection is evictable only until its first request: a keep-alive connection "
        "idle after one answered request holds its slot for the idle timeout",
        _first_request_only_evictable,
    ),
)
