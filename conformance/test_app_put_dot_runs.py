"""Put names with runs of dots inside longer components are stored (SPEC §3.4 APP-PUT-2, §3.5).

Fixtures (conformance/plugin.py): `target`, `app_channel()`. APP-NAME-2 refuses a
component that IS `.` or `..`, and nothing else about dots: `a..b`, `..x`, `x..`, `...`
and `....` are ordinary components, and a put of a name made of them MUST be stored under
its basename [APP-PUT-2] like any other legitimate name.

The class of bug (lens 5 of round 17, content that looks like structure): a traversal
check written on the text instead of the components — `".." in name`,
`strings.Contains(name, "..")`, a regular expression `\\.\\.` — or a component check that
strips dots first, refusing a legitimate name `forbidden`. One representative per place a
run of dots can sit: inside, at the start or end of the basename, alone or longer than
two as a directory component, and on both sides of a `/`. Stored is checked on the wire
(`DONE`, then a new `PUTF` of the basename is `exists`) and, when the target declares its
inbox, on disk.
"""

from __future__ import annotations

import uuid

import pytest

from conformance._wire_fixtures import AppChannel, judge_put_stored_under_basename, require
from conformance.target import Target


def _tag() -> str:
    return uuid.uuid4().hex[:10]


# id -> the offered name for a fresh tag; every component is neither `.` nor `..`.
_NAMES = {
    "inside": lambda t: f"sft-b17-{t}..txt",
    "leading": lambda t: f"..sft-b17-{t}",
    "trailing": lambda t: f"sft-b17-{t}..",
    "four-dots": lambda t: f"sft-b17-{t}....",
    "dir-three-dots": lambda t: f".../sft-b17-{t}.txt",
    "dir-around-slash": lambda t: f"a../..b/sft-b17-{t}.txt",
}


def _components_are_legal(name: str) -> bool:
    return all(part not in ("", ".", "..") for part in name.split("/"))


@pytest.mark.req("APP-PUT-2", "APP-PUT-1")
@pytest.mark.parametrize("kind", list(_NAMES))
def test_put_of_a_name_with_dot_runs_is_stored(
    target: Target, app_channel: AppChannel, kind: str
) -> None:
    """PUTF of a name whose components hold runs of dots but are not `.` or `..`: accepted,
    stored under its basename (DONE, then a new PUTF of the basename is `exists`), and in a
    declared inbox holding the bytes sent."""
    require(target, "put")
    offered = _NAMES[kind](_tag())
    base = offered.rsplit("/", 1)[-1]
    assert _components_are_legal(offered) and 1 <= len(base.encode()) <= 255
    judge_put_stored_under_basename(
        target,
        app_channel(),
        offered,
        f"{kind}: no component is `.` or `..`, so APP-NAME-2 does not refuse it",
    )
