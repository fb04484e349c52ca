"""The reserved prefix is `.sft-partial-` exactly: its other spellings are ordinary names
(SPEC §3.5 APP-NAME-9, APP-NAME-3; §3.4 APP-PUT-2; §3.3 APP-GET-2); both profiles.

APP-NAME-9 reserves the names whose last component starts with `.sft-partial-` (a put of
one is `forbidden`); APP-NAME-3 says a name is used literally, never "case-folded or
Unicode-normalised before use"; APP-PUT-2: a name §3.5 does not refuse MUST NOT be refused.
A receiver that compares the prefix through a fold — `name.lower().startswith(...)`, a
habit from case-insensitive file systems (macOS, Windows), `casefold()` (which also turns
the long s `ſ` into `s`), or an NFKC pass (full-width `．` into `.`) — refuses names that
are not reserved: `.SFT-PARTIAL-x`, `.Sft-Partial-x`, `.ſft-partial-x`, `．sft-partial-x`.
A file of such a name in the share is served [APP-GET-2] (a get of one is not `forbidden`,
nor `not_found` while the file is there), and a put of one is stored under it [APP-PUT-2].
test_app_reserved_prefix_lookalikes.py covers the prefix in the wrong place; this file its
spellings. The get cases need a share on this host the suite can write to (`share`), the
put cases the `put` feature.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable

import pytest

from conformance._wire_fixtures import (
    AppChannel,
    get_file,
    judge_put_stored_under_basename,
    require,
)
from conformance.target import Target
from conformance.wire import ConformanceFailure, ExpectError

PREFIX = ".sft-partial-"

# id -> a legitimate name for a fresh tag: a spelling of the prefix that is not the prefix.
_NAMES: dict[str, Callable[[str], str]] = {
    "upper-case": lambda t: f".SFT-PARTIAL-{t}.bin",
    "mixed-case": lambda t: f".Sft-Partial-{t}.bin",
    "long-s (casefold)": lambda t: f".\u017fft-partial-{t}.bin",
    "fullwidth-stop (NFKC)": lambda t: f"\uff0esft-partial-{t}.bin",
}


def _legitimate(name: str) -> bool:
    return not name.rsplit("/", 1)[-1].startswith(PREFIX)


@pytest.mark.req("APP-PUT-2", "APP-NAME-3")
@pytest.mark.parametrize("kind", list(_NAMES))
def test_put_of_another_spelling_of_the_prefix_is_stored(
    target: Target, app_channel: AppChannel, kind: str
) -> None:
    require(target, "put")
    name = _NAMES[kind](secrets.token_hex(5))
    assert _legitimate(name)
    judge_put_stored_under_basename(
        target,
        app_channel(),
        name,
        f"{kind}: the reserve is {PREFIX!r} exactly, compared literally (APP-NAME-3, APP-NAME-9)",
    )


@pytest.mark.req("APP-GET-2", "APP-NAME-3")
@pytest.mark.parametrize("kind", list(_NAMES))
def test_get_of_another_spelling_of_the_prefix_is_served(
    target: Target, app_channel: AppChannel, kind: str
) -> None:
    require(target, "get")
    share = target.share
    if share is None or not share.is_dir():
        pytest.skip("the target declares no share on this host the suite can write to (`share`)")
    name = _NAMES[kind](secrets.token_hex(5))
    assert _legitimate(name)
    content = f"the file {name!r}\n".encode()
    path = share / name
    try:
        try:
            path.write_bytes(content)
        except OSError as exc:
            pytest.skip(f"cannot write into the declared share: {exc}")
        result = get_file(
            app_channel(), name, also=[ExpectError("not_found"), ExpectError("forbidden")]
        )
        if result.refused is not None or result.data != content:
            raise ConformanceFailure.evidence(
                f"APP-GET-2: RQFL {name!r} ({kind}), a regular file of {len(content)} bytes "
                "in the share",
                f"RSFL and its bytes: only a last component starting with {PREFIX!r} itself "
                "is reserved, and names are compared literally (APP-NAME-3)",
                result.refused.describe()
                if result.refused is not None
                else f"{len(result.data)} other bytes",
            )
    finally:
        path.unlink(missing_ok=True)
