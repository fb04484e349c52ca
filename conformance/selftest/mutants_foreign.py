"""Mistakes first seen in foreign implementations, planted in the reference.

The clean-room implementations in other languages (conformance/selftest/independent/:
eke4 in Go, ca2 in Go, pki4 in Java) made mistakes their languages invite, which the
suite only caught after new cases were written. Each family is planted here in the
reference too, so that the cases stay proven on more than one implementation:

- JSON member names matched without regard to case (Go's encoding/json, decoding into a
  struct, takes `{"NAME": ...}` as the `name` field; a hand-written parser may fold keys),
  in the server and in both clients [FRM-9], and for the put client's acceptance
  [APP-PUT-9];
- chunked request bodies read whole, with no limit (Go's net/http reads them for a
  handler; a hand-written loop does the same) [CA-ENR-9];
- of two Content-Length fields that differ, the first or the last taken (a hand-written
  header dict, Python's `headers.get`) — request smuggling behind a proxy [CA-ENR-9];
- certificate serial numbers from a generator seeded the same at every start (Go 1.19's
  math/rand, `new Random(0)`, `random.seed(0)`): unique within one run, repeated after a
  restart [CA-ENR-10].
"""

from __future__ import annotations

import json
import random
from typing import Any

from conformance.selftest.mutant import Mutant, _module
from conformance.selftest.mutants_app import _patch_source

__all__ = ["MUTANTS"]


def _keys_casefolded() -> None:
    """Control objects' member names folded to lower case before the schema sees them."""
    frames = _module("reference.frames")
    messages = _module("reference.messages")
    original = frames.loads_control

    def loads_control(payload: Any) -> dict[str, Any]:
        value = original(payload)
        return {str(key).lower(): member for key, member in value.items()}

    frames.loads_control = loads_control
    messages.loads_control = loads_control


def _serials_seeded() -> None:
    """Serials from a generator seeded with a constant at start-up (64 random bits each)."""
    ca = _module("reference.pki.ca")
    generator = random.Random(20261205)

    def serial() -> int:
        return generator.getrandbits(64) | (1 << 63)

    ca._serial = serial


def _chunked_unbounded() -> None:
    """A body sent `Transfer-Encoding: chunked` is read to its last chunk, unbounded."""
    handler = _module("reference.pki.ca_server")._Handler
    original = handler._read_json

    def read_json(self: Any) -> dict[str, Any]:
        if "chunked" not in self.headers.get("Transfer-Encoding", "").lower():
            return dict(original(self))
        body = b""
        while True:
            size = int(self.rfile.readline().strip().split(b";")[0], 16)
            if size == 0:
                self.rfile.readline()
                break
            body += self.rfile.read(size)
            self.rfile.readline()
        value = json.loads(body)
        return value if isinstance(value, dict) else {}

    handler._read_json = read_json


def _client_temp_in_slash_tmp() -> None:
    """The client's temporary file made in a hard-coded /tmp (C's mkstemp("/tmp/sft-XXXXXX"),
    a literal path in any language), not in $TMPDIR nor beside the output: linked at DONE."""
    share = _module("reference.share")
    _patch_source(
        share.PartialFile,
        "create",
        ("dir_fd = os.open(destination.parent,", "dir_fd = os.open('/tmp',"),
        ("destination.name,", "str(destination.absolute()),"),
    )


def _content_length_picked(which: int) -> Any:
    """Of several Content-Length fields, one is taken (http.server's `headers.get` takes
    the first; a dict built from the header lines keeps the last)."""

    def apply() -> None:
        handler = _module("reference.pki.ca_server")._Handler
        pick = "lengths[:1]" if which == 0 else "lengths[-1:]"
        _patch_source(
            handler,
            "_read_json",
            ('lengths = self.headers.get_all("Content-Length") or []',
             f'lengths = self.headers.get_all("Content-Length") or []; lengths = {pick}'),
        )  # fmt: skip

    return apply


def _m(name: str, profile: str, requirement: str, test_file: str, description: str,
       apply: Any, *, client: bool = False, ca: bool = False) -> Mutant:  # fmt: skip
    return Mutant(
        name=f"foreign-{name}",
        group="foreign",
        profile=profile,
        requirement=requirement,
        test_file=test_file,
        description=description,
        apply=apply,
        client=client,
        ca=ca,
    )


_FOLD = "JSON member names matched case-insensitively (`NAME` taken as `name`)"
MUTANTS: tuple[Mutant, ...] = (
    _m("eke-json-keys-casefold", "eke", "FRM-9", "test_framing.py", _FOLD, _keys_casefolded),
    _m("pki-json-keys-casefold", "pki", "FRM-9", "test_framing.py", _FOLD, _keys_casefolded),
    _m(
        "eke-client-json-keys-casefold",
        "eke",
        "FRM-9",
        "test_eke_client_transfer.py",
        _FOLD + ", in the client's get",
        _keys_casefolded,
        client=True,
    ),
    _m(
        "pki-client-json-keys-casefold",
        "pki",
        "FRM-9",
        "test_pki_initiator_transfer.py",
        _FOLD + ", in the initiator's get",
        _keys_casefolded,
        client=True,
    ),
    _m(
        "pki-client-put-accept-key-casefold",
        "pki",
        "APP-PUT-9",
        "test_client_put.py",
        _FOLD + ": `Accept` taken as the put's acceptance",
        _keys_casefolded,
        client=True,
    ),
    _m(
        "pki-client-temp-in-slash-tmp",
        "pki",
        "APP-STORE-1",
        "test_pki_initiator_transfer.py",
        "the initiator's temporary file in a hard-coded /tmp, linked at DONE",
        _client_temp_in_slash_tmp,
        client=True,
    ),
    _m(
        "eke-client-temp-in-slash-tmp",
        "eke",
        "APP-STORE-1",
        "test_eke_client_transfer.py",
        "the EKE client's temporary file in a hard-coded /tmp, linked at DONE",
        _client_temp_in_slash_tmp,
        client=True,
    ),
    _m(
        "ca-chunked-body-unbounded",
        "pki",
        "CA-ENR-9",
        "test_ca.py",
        "a chunked request body is read to its end, past the 64 KiB limit",
        _chunked_unbounded,
        ca=True,
    ),
    _m(
        "ca-content-length-first-wins",
        "pki",
        "CA-ENR-9",
        "test_ca.py",
        "of two Content-Length fields that differ, the first is taken (smuggling)",
        _content_length_picked(0),
        ca=True,
    ),
    _m(
        "ca-content-length-last-wins",
        "pki",
        "CA-ENR-9",
        "test_ca.py",
        "of two Content-Length fields that differ, the last is taken (smuggling)",
        _content_length_picked(-1),
        ca=True,
    ),
    _m(
        "ca-serials-seeded-at-start",
        "pki",
        "CA-ENR-10",
        "test_ca_serial_restart.py",
        "serials from a generator seeded with a constant at start-up: repeated after a restart",
        _serials_seeded,
        ca=True,
    ),
)
