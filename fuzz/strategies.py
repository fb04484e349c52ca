"""Hypothesis strategies: valid-by-construction frames and honest scripts, then mutations.

Every frame type of every profile has a strategy that only produces frames a
conformant sender could emit (FRM-14); hostility comes from composing `fuzz.mutators`
over them (`mutations`, `cases`). Honest scripts are the conversations an initiator
may have: gets of a file the target serves or of a missing one, puts of fresh files,
pipelined requests, `BYE_`.

A ``channel`` case of a campaign is a *session* (`sessions`): a list of requests on one
connection, so that one handshake carries many. The requests before the last are mostly
hostile but legal — the answers a conformant responder gives them are non-fatal and keep
the connection open (gets of missing, refused and unknown-member names, puts refused for
the name, the size or an existing file, whole puts in tiny writes), one in
`_PREFIX_MUTATED_ONE_IN` with byte mutations too; the last carries the full mutation set
(usually fatal). Draws are cheap by design: one hypothesis example is one session drawn
as a handful of integers, from which its requests and their mutations derive
(`session_request`, `mutation_from_seed`: the kinds and ranges of `mutations`); one
session in `_STRUCTURED_ONE_IN` draws its last request from the structured strategies.
Hypothesis' own draws, not the target, bounded the rate before (cProfile: ~20 ms of
drawing per session against ~10 ms for a handshake).
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from hypothesis import strategies as st

from conformance.wire import ERROR_CODES, control, error_payload, frame_bytes
from fuzz.cases import SEALS, Case, Profile, Stage, Write
from fuzz.mutators import JSON_ABUSES, LYING_LENGTHS, WRONG_TYPE_VALUES, Mutation, apply_all

__all__ = [
    "Knowledge",
    "APP_TYPES",
    "EKE_HANDSHAKE_TYPES",
    "names",
    "hostile_names",
    "rqfl",
    "putf",
    "data_frame",
    "done",
    "eror",
    "bye",
    "rsfl_get",
    "rsfl_put",
    "app_frames",
    "eke1",
    "eke3",
    "eke2",
    "eke4",
    "honest_scripts",
    "mutations",
    "session_request",
    "mutation_from_seed",
    "sessions",
    "cases",
]

APP_TYPES: Final = (b"RQFL", b"RSFL", b"PUTF", b"DATA", b"DONE", b"EROR", b"BYE_")
EKE_HANDSHAKE_TYPES: Final = (b"EKE1", b"EKE2", b"EKE3", b"EKE4", b"RECD")
_NAME_ALPHABET: Final = "abcdefghijklmnopqrstuvwxyz0123456789._-"
# Small puts keep a long campaign's inbox small; sizes still cross a DATA split.
_MAX_PUT: Final = 2048


@dataclass(frozen=True)
class Knowledge:
    """What the fuzzer knows about the target: a file it serves, and its bytes."""

    file_name: str = "fuzz-known.bin"
    file_bytes: bytes = b""
    user: str = ""
    # A file outside the share, reachable only by a path escape (embedded targets).
    canary_name: str = ""
    canary_bytes: bytes = b""


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --- names --------------------------------------------------------------------------------


@functools.lru_cache(maxsize=64)
def names() -> st.SearchStrategy[str]:
    """Valid names (APP-NAME-1): relative components of safe characters."""
    component = st.text(_NAME_ALPHABET, min_size=1, max_size=24).filter(
        lambda c: c not in (".", "..")
    )
    return st.lists(component, min_size=1, max_size=3).map("/".join)


@functools.lru_cache(maxsize=64)
def hostile_names(knowledge: Knowledge) -> st.SearchStrategy[str]:
    """Names a responder must refuse or use literally (APP-NAME-2..4, APP-NAME-3)."""
    escapes = ["../" * k + (knowledge.canary_name or "etc/hostname") for k in (1, 2, 6)]
    return st.one_of(
        st.sampled_from(
            [
                *escapes,
                "/etc/hostname",
                "..",
                ".",
                "a/../../x",
                "a//b",
                "a\\..\\b",
                "C:x",
                "%2e%2e/x",
                "a\x00b",
                "a\x1fb",
                "a\x7fb",
                "x" * 256,
                "a/" * 2100,
                "",
            ]
        ),
        st.text(min_size=1, max_size=40),
    )


# --- application frames (valid by construction) -------------------------------------------


@functools.lru_cache(maxsize=64)
def rqfl(knowledge: Knowledge) -> st.SearchStrategy[bytes]:
    name = st.one_of(st.just(knowledge.file_name), names(), hostile_names(knowledge))
    return name.map(lambda n: frame_bytes("RQFL", control({"name": n})))


def putf(name: str, content: bytes, with_sha: bool) -> bytes:
    obj: dict[str, object] = {"name": name, "size": len(content)}
    if with_sha:
        obj["sha256"] = _sha(content)
    return frame_bytes("PUTF", control(obj))


@functools.lru_cache(maxsize=64)
def data_frame() -> st.SearchStrategy[bytes]:
    return st.binary(min_size=1, max_size=512).map(lambda b: frame_bytes("DATA", b))


def done(content: bytes) -> bytes:
    return frame_bytes("DONE", control({"size": len(content), "sha256": _sha(content)}))


@functools.lru_cache(maxsize=64)
def eror() -> st.SearchStrategy[bytes]:
    return st.sampled_from(sorted(ERROR_CODES.values())).map(
        lambda c: frame_bytes("EROR", error_payload(c, "fuzz"))
    )


def bye() -> bytes:
    return frame_bytes("BYE_", control({}))


@functools.lru_cache(maxsize=64)
def rsfl_get() -> st.SearchStrategy[bytes]:
    return st.tuples(names(), st.binary(max_size=64)).map(
        lambda t: frame_bytes(
            "RSFL", control({"name": t[0], "size": len(t[1]), "sha256": _sha(t[1])})
        )
    )


@functools.lru_cache(maxsize=64)
def rsfl_put() -> st.SearchStrategy[bytes]:
    return names().map(lambda n: frame_bytes("RSFL", control({"accept": True, "name": n})))


@functools.lru_cache(maxsize=64)
def app_frames(knowledge: Knowledge) -> st.SearchStrategy[bytes]:
    """One valid frame of any §3.1 type (any direction): the splice/wrong-state pool."""
    return st.one_of(
        rqfl(knowledge),
        st.tuples(names(), st.binary(max_size=64), st.booleans()).map(
            lambda t: putf(t[0], t[1], t[2])
        ),
        data_frame(),
        st.binary(max_size=64).map(done),
        eror(),
        st.just(bye()),
        rsfl_get(),
        rsfl_put(),
        st.binary(min_size=0, max_size=32).map(lambda b: frame_bytes("ZZZZ", b)),
    )


# --- sft-eke/1 handshake frames ----------------------------------------------------------


@functools.lru_cache(maxsize=64)
def _hex_bytes(n: int) -> st.SearchStrategy[str]:
    return st.binary(min_size=n, max_size=n).map(bytes.hex)


@functools.lru_cache(maxsize=64)
def eke1(user: st.SearchStrategy[str] | None = None) -> st.SearchStrategy[bytes]:
    """EKE1 with a well-formed `a` (768 hex characters) [EKE-HS-1]."""
    users = user if user is not None else st.text(_NAME_ALPHABET, min_size=1, max_size=16)
    return st.tuples(users, _hex_bytes(384)).map(
        lambda t: frame_bytes("EKE1", control({"user": t[0], "a": t[1]}))
    )


@functools.lru_cache(maxsize=64)
def eke3() -> st.SearchStrategy[bytes]:
    return _hex_bytes(80).map(lambda c: frame_bytes("EKE3", control({"c": c})))


@functools.lru_cache(maxsize=64)
def eke2() -> st.SearchStrategy[bytes]:
    return st.tuples(_hex_bytes(384), _hex_bytes(48)).map(
        lambda t: frame_bytes("EKE2", control({"b": t[0], "c": t[1]}))
    )


@functools.lru_cache(maxsize=64)
def eke4() -> st.SearchStrategy[bytes]:
    return _hex_bytes(48).map(lambda c: frame_bytes("EKE4", control({"c": c})))


# Strategies are built once per argument set (lru_cache): constructing and validating
# hypothesis strategies on every draw cost more than running a session (cProfile).

# --- honest scripts -----------------------------------------------------------------------


@st.composite
def _put_script(draw: st.DrawFn) -> list[bytes]:
    # A random token keeps names unique across a campaign (APP-PUT-3 answers `exists`
    # to a repeat, which is valid too, but would make most puts trivial).
    token = draw(st.integers(0, (1 << 48) - 1))
    name = f"fuzz-{token:012x}.bin"
    content = _content(draw(st.integers(1, _MAX_PUT)), draw(st.integers(0, (1 << 32) - 1)))
    pieces = draw(st.integers(1, 3))
    step = -(-len(content) // pieces)
    frames = [putf(name, content, draw(st.booleans()))]
    frames += [frame_bytes("DATA", content[i : i + step]) for i in range(0, len(content), step)]
    frames.append(done(content))
    return frames


@functools.lru_cache(maxsize=64)
def _get_script(knowledge: Knowledge) -> st.SearchStrategy[list[bytes]]:
    return rqfl(knowledge).map(lambda f: [f])


@functools.lru_cache(maxsize=64)
def honest_scripts(
    profile: Profile, stage: Stage, knowledge: Knowledge
) -> st.SearchStrategy[list[bytes]]:
    """Conversations a conformant initiator may have at `stage` (before mutation)."""
    if stage == "channel":
        request = st.one_of(_get_script(knowledge), _put_script())
        return st.tuples(st.lists(request, min_size=1, max_size=3), st.booleans()).map(
            lambda t: [f for script in t[0] for f in script] + ([bye()] if t[1] else [])
        )
    if stage == "eke2":
        return eke3().map(lambda f: [f])
    if profile == "eke":
        return st.tuples(eke1(), st.booleans(), eke3()).map(
            lambda t: [t[0], t[2]] if t[1] else [t[0]]
        )
    raise ValueError(f"no honest script for {profile}/{stage}")


# --- mutations ----------------------------------------------------------------------------


@functools.lru_cache(maxsize=64)
def _pool(profile: Profile, stage: Stage, knowledge: Knowledge) -> st.SearchStrategy[bytes]:
    if profile == "eke" and stage != "channel":
        return st.one_of(eke1(), eke2(), eke3(), eke4(), app_frames(knowledge))
    return st.one_of(app_frames(knowledge), eke1(), eke3())


@functools.lru_cache(maxsize=64)
def mutations(profile: Profile, stage: Stage, knowledge: Knowledge) -> st.SearchStrategy[Mutation]:
    """One mutation of any kind; indices are taken modulo the script length when applied."""
    idx = st.integers(0, 15)
    kinds: list[st.SearchStrategy[Mutation]] = [
        st.builds(Mutation, st.just("flip"), idx, st.tuples(st.integers(0, 1 << 16))),
        st.builds(
            Mutation, st.just("set_byte"), idx, st.tuples(st.integers(0, 63), st.integers(0, 255))
        ),
        st.builds(Mutation, st.just("truncate"), idx, st.tuples(st.integers(0, 1 << 12))),
        st.builds(Mutation, st.just("end_after"), idx),
        st.builds(Mutation, st.just("lie_length"), idx, st.tuples(st.sampled_from(LYING_LENGTHS))),
        st.builds(
            Mutation,
            st.just("set_type"),
            idx,
            st.tuples(
                st.one_of(
                    st.sampled_from([*APP_TYPES, *EKE_HANDSHAKE_TYPES, b"ZZZZ", b"rqfl"]),
                    st.binary(min_size=4, max_size=4),
                )
            ),
        ),
        st.builds(
            Mutation,
            st.just("wrong_json_type"),
            idx,
            st.tuples(st.integers(0, 4), st.integers(0, len(WRONG_TYPE_VALUES) - 1)),
        ),
        st.builds(Mutation, st.just("json_abuse"), idx, st.tuples(st.sampled_from(JSON_ABUSES))),
        st.builds(Mutation, st.just("split"), idx, st.tuples(st.integers(0, 1 << 12))),
        st.builds(
            Mutation,
            st.just("tiny_writes"),
            idx,
            st.tuples(st.integers(2, 24), st.integers(0, 1 << 16)),
        ),
        st.builds(Mutation, st.just("duplicate"), idx),
        st.builds(Mutation, st.just("reorder"), idx, st.tuples(idx)),
        st.builds(Mutation, st.just("drop"), idx),
        st.builds(Mutation, st.just("splice"), idx, st.tuples(_pool(profile, stage, knowledge))),
        st.builds(Mutation, st.just("pause"), idx, st.tuples(st.integers(1, 120))),
    ]
    if profile == "eke" and stage == "channel":
        kinds.append(
            st.builds(
                Mutation,
                st.just("reseal"),
                idx,
                st.tuples(st.sampled_from([s for s in SEALS if s != "honest"])),
            )
        )
    return st.one_of(kinds)


# --- sessions: many requests per handshake --------------------------------------------------

# One prefix request in this many also gets byte mutations (most of those are fatal and
# end the session: more would waste the requests drawn after them).
_PREFIX_MUTATED_ONE_IN: Final = 16
# Names a responder refuses (forbidden, non-fatal) or does not have (not_found).
_REFUSED_NAMES: Final = (
    "../x", "../../etc/hostname", "/etc/hostname", "..", ".", "a/../../x", "a//b",
    "a\\..\\b", "C:x", "a\x00b", "a\x1fb", "a\x7fb", "a\u0085b", "invoice\u202efdp.exe",
    "x" * 256, "a/" * 2100,
)
_ODD_NAMES: Final = ("%2e%2e/x", "A", "\u00e9t\u00e9", "\u20ac", "a b", "x" * 255, "-", "._x")
# A put larger than any sane maximum file size (LIM-3's default is 4 GiB): too_large.
_HUGE_SIZE: Final = 1 << 50
_PUT_NONCE: Final = itertools.count(random.SystemRandom().getrandbits(24))
_REQUEST_KINDS: Final = (
    "get_known", "get_missing", "get_refused", "get_odd", "get_extra_member",
    "put", "put_refused", "put_too_large", "put_again",
)


def _content(size: int, seed: int) -> bytes:
    # Not hypothesis' bytes: drawing 2 KiB byte by byte costs more than a request.
    return random.Random(seed).randbytes(size)


def session_request(
    seed: int, knowledge: Knowledge, put_names: list[str], salt: int = 0
) -> list[bytes]:
    """One hostile but legal request, derived from `seed`: a conformant responder answers
    it non-fatally (§3.3–3.5) and stays in IDLE. Seed 0 is the simplest: a get of the
    known file. `put_names` holds the session's stored puts (for `exists`); a whole put
    adds its name.

    One drawn integer per request, not a structure of draws: hypothesis' per-draw cost,
    not the target, bounded the rate (cProfile); the session still shrinks request by
    request, and the last request keeps the full hypothesis structure."""
    if seed == 0:
        return [frame_bytes("RQFL", control({"name": knowledge.file_name}))]
    rng = random.Random(seed)
    kind = rng.choice(_REQUEST_KINDS)
    extra = {"fuzz": rng.randrange(1 << 16)} if kind == "get_extra_member" else {}
    if kind.startswith("get"):
        if kind == "get_missing":
            name = f"fuzz-missing-{rng.getrandbits(32):08x}.bin"
        elif kind == "get_refused":
            name = rng.choice(_REFUSED_NAMES)
        elif kind == "get_odd":
            name = rng.choice(_ODD_NAMES)
        else:
            name = knowledge.file_name
        return [frame_bytes("RQFL", control({"name": name, **extra}))]
    if kind == "put_refused":
        return [frame_bytes("PUTF", control({"name": rng.choice(_REFUSED_NAMES), "size": 1}))]
    if kind == "put_too_large":
        return [frame_bytes("PUTF", control({"name": "fuzz-huge.bin", "size": _HUGE_SIZE}))]
    if kind == "put_again" and put_names:
        # A name this session already stored: `exists` (APP-PUT-3), nothing sent after.
        return [frame_bytes("PUTF", control({"name": rng.choice(put_names), "size": 1}))]
    # Names must be fresh across sessions: a name stored by an earlier session would be
    # answered `exists` and the put's DATA then be fatal, ending this one. Hypothesis
    # repeats seeds and salts (its mutation phase, replays), so a per-process counter
    # is mixed in: only the name, never the shape of the request, varies on a replay.
    fresh = rng.getrandbits(48) ^ salt ^ (next(_PUT_NONCE) << 16)
    name = f"fuzz-{fresh & ((1 << 48) - 1):012x}.bin"
    content = rng.randbytes(rng.randint(1, _MAX_PUT))
    put_names.append(name)
    pieces = rng.randint(1, 3)
    step = -(-len(content) // pieces)
    frames = [putf(name, content, rng.random() < 0.5)]
    frames += [frame_bytes("DATA", content[i : i + step]) for i in range(0, len(content), step)]
    frames.append(done(content))
    return frames


# --- seed-derived mutations: the same kinds and ranges as `mutations`, from one integer ---

# Chance that a drawn integer argument is a boundary value (hypothesis biases its own
# integer draws the same way; a seed-derived argument would otherwise almost never be 0).
_BOUNDARY_ONE_IN: Final = 6
_MUTATION_KINDS: Final = (
    "flip", "set_byte", "truncate", "end_after", "lie_length", "set_type",
    "wrong_json_type", "json_abuse", "split", "tiny_writes", "duplicate", "reorder",
    "drop", "splice", "pause",
)
_SET_TYPES: Final = (*APP_TYPES, *EKE_HANDSHAKE_TYPES, b"ZZZZ", b"rqfl")


def _int(rng: random.Random, low: int, high: int) -> int:
    if rng.randrange(_BOUNDARY_ONE_IN) == 0:
        return rng.choice((low, min(low + 1, high), max(high - 1, low), high))
    return rng.randint(low, high)


# One pause in this many is drawn from the whole range (1..120 ms); the others are short.
_LONG_PAUSE_ONE_IN: Final = 8
_SHORT_PAUSE_MS: Final = 8


def _pause_millis(rng: random.Random) -> int:
    """A pause splits the input in time: a few milliseconds already make the target read
    what came before on its own, and sleeping is the one cost of a session that neither
    the fuzzer nor the target spends working (pauses of 1..120 ms drawn evenly were half
    of a worker's wall time, cProfile). Long pauses (a target with a too short read
    timeout) stay, boundary values included, one draw in `_LONG_PAUSE_ONE_IN`."""
    if rng.randrange(_LONG_PAUSE_ONE_IN) == 0:
        return _int(rng, 1, 120)
    return _int(rng, 1, _SHORT_PAUSE_MS)


def _rng_name(rng: random.Random, knowledge: Knowledge) -> str:
    pick = rng.randrange(5)
    if pick == 0:
        return knowledge.file_name
    if pick == 1:
        return rng.choice(_REFUSED_NAMES)
    if pick == 2:
        return rng.choice(_ODD_NAMES)
    if pick == 3 and knowledge.canary_name:
        return knowledge.canary_name
    size = _int(rng, 1, 40)
    return "".join(rng.choice(_NAME_ALPHABET) for _ in range(size))


def _rng_frame(rng: random.Random, profile: Profile, knowledge: Knowledge) -> bytes:
    """One valid frame of any type (the splice pool of `_pool` for a channel), from `rng`."""
    pick = rng.randrange(11)
    blob = rng.randbytes(_int(rng, 0, 64))
    if pick == 0:
        return frame_bytes("RQFL", control({"name": _rng_name(rng, knowledge)}))
    if pick == 1:
        return putf(_rng_name(rng, knowledge), blob, rng.random() < 0.5)
    if pick == 2:
        return frame_bytes("DATA", rng.randbytes(_int(rng, 1, 512)))
    if pick == 3:
        return done(blob)
    if pick == 4:
        return frame_bytes("EROR", error_payload(rng.choice(sorted(ERROR_CODES.values())), "fuzz"))
    if pick == 5:
        return bye()
    if pick == 6:
        obj = {"name": _rng_name(rng, knowledge), "size": len(blob), "sha256": _sha(blob)}
        return frame_bytes("RSFL", control(obj))
    if pick == 7:
        return frame_bytes("RSFL", control({"accept": True, "name": _rng_name(rng, knowledge)}))
    if pick == 8:
        return frame_bytes("ZZZZ", blob[:32])
    if pick == 9:
        user = knowledge.user if rng.random() < 0.5 and knowledge.user else "fuzz"
        return frame_bytes("EKE1", control({"user": user, "a": rng.randbytes(384).hex()}))
    return frame_bytes("EKE3", control({"c": rng.randbytes(80).hex()}))


def mutation_from_seed(seed: int, profile: Profile, knowledge: Knowledge) -> Mutation:
    """One mutation of a channel script derived from `seed`: the kinds and argument
    ranges of `mutations(profile, "channel", ...)`, boundary values favoured. A session
    is drawn as a few integers, not a structure of draws: hypothesis' per-draw cost, not
    the target, bounded the mutated session rate (cProfile: ~20 ms per session drawn)."""
    rng = random.Random(seed)
    kinds = _MUTATION_KINDS + (("reseal",) if profile == "eke" else ())
    kind = rng.choice(kinds)
    index = _int(rng, 0, 15)
    args: tuple[object, ...] = ()
    if kind == "flip":
        args = (_int(rng, 0, 1 << 16),)
    elif kind == "set_byte":
        args = (_int(rng, 0, 63), _int(rng, 0, 255))
    elif kind in ("truncate", "split"):
        args = (_int(rng, 0, 1 << 12),)
    elif kind == "lie_length":
        args = (rng.choice(LYING_LENGTHS),)
    elif kind == "set_type":
        args = (rng.choice(_SET_TYPES) if rng.random() < 0.75 else rng.randbytes(4),)
    elif kind == "wrong_json_type":
        args = (_int(rng, 0, 4), rng.randrange(len(WRONG_TYPE_VALUES)))
    elif kind == "json_abuse":
        args = (rng.choice(JSON_ABUSES),)
    elif kind == "tiny_writes":
        args = (_int(rng, 2, 24), _int(rng, 0, 1 << 16))
    elif kind == "reorder":
        args = (_int(rng, 0, 15),)
    elif kind == "splice":
        args = (_rng_frame(rng, profile, knowledge),)
    elif kind == "pause":
        args = (_pause_millis(rng),)
    elif kind == "reseal":
        args = (rng.choice([s for s in SEALS if s != "honest"]),)
    return Mutation(kind, index, args)


def _script_from_seed(
    seed: int, knowledge: Knowledge, put_names: list[str], salt: int
) -> list[bytes]:
    """The last request's honest script (as `honest_scripts` for a channel): 1..3 gets
    or puts, then BYE_ or not. Seed 0: a get of the known file."""
    if seed == 0:
        return session_request(0, knowledge, put_names, salt)
    rng = random.Random(seed)
    frames: list[bytes] = []
    for _ in range(rng.randint(1, 3)):
        if rng.random() < 0.5:
            frames.append(frame_bytes("RQFL", control({"name": _rng_name(rng, knowledge)})))
        else:
            frames += session_request(rng.getrandbits(32) | 1, knowledge, put_names, salt)
    if rng.random() < 0.5:
        frames.append(bye())
    return frames


@functools.lru_cache(maxsize=64)
def _session_parts() -> st.SearchStrategy[tuple[int, int, int, int, int]]:
    seed = st.integers(0, (1 << 32) - 1)
    return st.tuples(
        st.integers(0, (1 << 48) - 1),  # salt
        # Requests before the last, modulo max_requests: a bounded draw would be 0 in ~40 %
        # of examples (hypothesis favours the bounds), a session of one request.
        seed,
        seed,  # the prefix's requests
        seed,  # the last request's script
        st.integers(0, _STRUCTURED_ONE_IN - 1),
    )


@functools.lru_cache(maxsize=64)
def _mutation_seeds(max_mutations: int) -> st.SearchStrategy[list[int]]:
    return st.lists(st.integers(0, (1 << 32) - 1), max_size=max_mutations)


@functools.lru_cache(maxsize=64)
def _structured_mutations(
    profile: Profile, knowledge: Knowledge, max_mutations: int
) -> st.SearchStrategy[list[Mutation]]:
    # Built once: hypothesis validates a new strategy tree on first draw (~1 s for this one).
    return st.lists(mutations(profile, "channel", knowledge), max_size=max_mutations)


# One session in this many draws its last request with hypothesis' structured strategies
# (`honest_scripts`, `mutations`: drawn names, frames byte by byte) instead of seeds.
_STRUCTURED_ONE_IN: Final = 8


@st.composite
def sessions(
    draw: st.DrawFn,
    profile: Profile,
    knowledge: Knowledge,
    max_requests: int = 32,
    max_mutations: int = 3,
) -> Case:
    """A channel session: legal-hostile requests, then one with 0..max_mutations mutations.

    One hypothesis example is one session, drawn as a handful of integers: the number of
    requests before the last (0..max_requests-1) and a seed from which they derive (seed 0:
    gets of the known file), the last request's script seed and one seed per mutation (one
    session in `_STRUCTURED_ONE_IN`: the structured strategies). Shrinking drops the prefix,
    then mutations, then simplifies seeds towards 0."""
    put_names: list[str] = []
    salt, prefix_draw, prefix_seed, script_seed, structured = draw(_session_parts())
    prefix_count = prefix_draw % max(1, max_requests)
    rng = random.Random(prefix_seed)
    requests: list[tuple[Write, ...]] = []
    described: list[str] = []
    for _ in range(prefix_count):
        request_seed = rng.getrandbits(32) if prefix_seed else 0
        known_puts = len(put_names)
        frames = session_request(request_seed, knowledge, put_names, salt)
        muts: tuple[Mutation, ...] = ()
        if request_seed % _PREFIX_MUTATED_ONE_IN == 1:
            muts = tuple(
                mutation_from_seed(rng.getrandbits(32), profile, knowledge)
                for _ in range(rng.randint(1, 2))
            )
            del put_names[known_puts:]  # a mutated put may not have been stored
        requests.append(apply_all(tuple(Write(f) for f in frames), muts))
        described += [f"r{len(requests)}:{m.describe()}" for m in muts]
    if structured == _STRUCTURED_ONE_IN - 1:
        last = draw(honest_scripts(profile, "channel", knowledge))
        last_muts = tuple(draw(_structured_mutations(profile, knowledge, max_mutations)))
    else:
        last = _script_from_seed(script_seed, knowledge, put_names, salt)
        last_muts = tuple(
            mutation_from_seed(s, profile, knowledge) for s in draw(_mutation_seeds(max_mutations))
        )
    requests.append(apply_all(tuple(Write(f) for f in last), last_muts))
    described += [f"r{len(requests)}:{m.describe()}" for m in last_muts]
    writes = tuple(w for r in requests for w in r)
    counts = tuple(len(r) for r in requests)
    return Case(profile, "channel", writes, tuple(described), requests=counts)


@st.composite
def cases(
    draw: st.DrawFn,
    profile: Profile,
    knowledge: Knowledge,
    stages: Sequence[Stage] | None = None,
    max_mutations: int = 3,
    max_requests: int = 1,
) -> Case:
    """An honest script of a drawn stage with 0..max_mutations mutations composed over it;
    with `max_requests` > 1 a channel case is a session of that many requests at most."""
    default: tuple[Stage, ...] = (
        ("connect", "eke2", "channel") if profile == "eke" else ("channel",)
    )
    stage = draw(st.sampled_from(list(stages if stages is not None else default)))
    if stage == "channel" and max_requests > 1:
        return draw(sessions(profile, knowledge, max_requests, max_mutations))
    frames = draw(honest_scripts(profile, stage, knowledge))
    muts = draw(st.lists(mutations(profile, stage, knowledge), max_size=max_mutations))
    writes = apply_all(tuple(Write(f) for f in frames), muts)
    return Case(profile, stage, writes, tuple(m.describe() for m in muts))
