"""A connection that keeps asking is served for as long as it asks (docs/SPEC.md APP-2).

APP-2: "A connection MUST support several transfers, one after another." No count ends
that: a responder that borrows a web server's hardening (a keep-alive request limit —
nginx's `keepalive_requests`, 100 by default for years — or a per-connection counter
that overflows a small integer) closes the long-lived connection of a sync job or a
mirror after its n-th request, which the cases' two or three requests per connection
never reach. Here one connection makes a few hundred requests — gets of a known file
and of a missing name, alternately — and each must be answered as the first one was.
Bounded: at most `_REQUESTS` requests and `_BUDGET` seconds (the case SKIPs, judging
nothing more, when the target is too slow to make them within it).
"""

from __future__ import annotations

import hashlib
import secrets
import time

import pytest

from conformance._wire_fixtures import AppChannel, get_file, require
from conformance.target import Target
from conformance.wire import ConformanceFailure, ExpectError

__all__: list[str] = []

_REQUESTS = 300  # above the keep-alive limits web servers ship with (100; some 256)
_BUDGET = 60.0  # seconds for all of them


@pytest.mark.req("APP-2")
def test_one_connection_is_served_for_hundreds_of_requests(
    target: Target, app_channel: AppChannel
) -> None:
    require(target, "get")
    small = [f for f in target.files if 0 < f.size <= 64 * 1024]
    if not small:
        pytest.skip("the target declares no known file of 1 byte to 64 KiB (`[files]`)")
    file = min(small, key=lambda f: f.size)
    missing = f"sft-conformance-missing-{secrets.token_hex(6)}"
    channel = app_channel()
    started = time.monotonic()
    for index in range(_REQUESTS):
        if time.monotonic() - started > _BUDGET:
            pytest.skip(
                f"only {index} requests within {_BUDGET:g} s: the target is too slow for "
                "this case (nothing judged beyond them)"
            )
        name = file.name if index % 2 == 0 else missing
        try:
            result = get_file(
                channel, name, also=[ExpectError("not_found")], served=index % 2 == 0
            )
        except ConformanceFailure as exc:
            raise ConformanceFailure(
                f"APP-2: request {index + 1} of {_REQUESTS} on one connection (RQFL "
                f"{name!r}; the {index} before it were answered)\n"
                "Expected: answered like the first ones: several transfers, one after "
                "another, with no limit on their number\n"
                f"Actual:   {exc}",
                violates=("APP-2",),
            ) from None
        if index % 2 == 0 and hashlib.sha256(result.data).hexdigest() != file.sha256:
            raise ConformanceFailure(
                f"APP-2: get {index + 1} of {file.name!r} on one connection: "
                f"{len(result.data)} bytes whose SHA-256 is not the file's ({file.size} "
                "bytes)",
                violates=("APP-2",),
            )
