"""Generate the known-answer vectors of docs/SPEC.md §8 from fixed seeds.

    python -m conformance.vectors.generate          # (re)write conformance/vectors/*.json
    python -m conformance.vectors.generate --check  # exit 1 unless every file is reproduced

Every "random" value comes from SHAKE256 over a fixed label, so the output is the same
on every machine; the crypto is the conformance toolkit's own (`conformance.eke`,
pycryptodome), written from the spec independently of `reference/`.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import struct
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from Crypto.Hash import SHAKE256

from conformance import eke
from conformance.vectors import VECTOR_DIR, VECTOR_FILES

__all__ = ["build_all", "main", "render"]

FRAME_LIMIT = 1_048_832
_SEED_LABEL = b"sft vectors/1 "


def _seeded(label: str, n: int) -> bytes:
    """Deterministic bytes for one named random value."""
    out: bytes = SHAKE256.new(_SEED_LABEL + label.encode()).read(n)
    return out


def _exponent(label: str) -> int:
    """A 320-bit exponent with the top bit set, as EKE-X-1 describes the reference's."""
    n = int.from_bytes(_seeded(label, eke.EXPONENT_BITS // 8), "big")
    return n | (1 << (eke.EXPONENT_BITS - 1))


def _document(profile: str, description: str, vectors: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "profile": profile,
        "description": description,
        "generator": "python -m conformance.vectors.generate",
        "vectors": vectors,
    }


def _hex384(n: int) -> str:
    return eke.element_to_bytes(n).hex()


# ---------------------------------------------------------------- frames.json


def _frame(frame_type: str, payload: bytes) -> bytes:
    return eke.encode_frame(frame_type.encode("ascii"), payload)


def _valid_frames(vid: str, comment: str, frames: list[tuple[str, bytes, Any]]) -> dict[str, Any]:
    encoded = b"".join(_frame(t, p) for t, p, _ in frames)
    return {
        "id": vid,
        "valid": True,
        "comment": comment,
        "encoded": encoded.hex(),
        "frames": [{"type": t, "payload": p.hex(), "json": j} for t, p, j in frames],
    }


def _invalid_frame(
    vid: str, comment: str, data: bytes, error: str, *, eof: bool, requirement: str
) -> dict[str, Any]:
    return {
        "id": vid,
        "valid": False,
        "comment": comment,
        "requirement": requirement,
        "input": data.hex(),
        "eof": eof,
        "limit": FRAME_LIMIT,
        "error": error,
    }


def build_frames() -> dict[str, Any]:
    digest = hashlib.sha256(b"hello, world\n").hexdigest()
    vectors: list[dict[str, Any]] = []

    def control(obj: dict[str, Any]) -> bytes:
        return eke.encode_json(obj)

    singles: list[tuple[str, str, str, dict[str, Any] | None, bytes]] = [
        ("rqfl", "get request", "RQFL", {"name": "reports/q3.pdf"}, b""),
        (
            "rsfl-get",
            "get answer",
            "RSFL",
            {"name": "hello.txt", "size": 13, "sha256": digest},
            b"",
        ),
        ("rsfl-put", "put acceptance", "RSFL", {"accept": True, "name": "hello.txt"}, b""),
        ("putf", "put offer", "PUTF", {"name": "hello.txt", "size": 13, "sha256": digest}, b""),
        ("done", "end of a transfer", "DONE", {"size": 13, "sha256": digest}, b""),
        (
            "eror",
            "error frame",
            "EROR",
            {"code": 6, "name": "not_found", "message": "no such file"},
            b"",
        ),
        ("bye", "end of the connection", "BYE_", {}, b""),
        (
            "size-max",
            "largest integer member (FRM-11)",
            "DONE",
            {"size": 2**63 - 1, "sha256": digest},
            b"",
        ),
        ("data-1", "smallest DATA (FRM-13)", "DATA", None, b"\x00"),
        ("data-bytes", "DATA carries raw bytes, not JSON", "DATA", None, b"hello, world\n"),
    ]
    for vid, comment, ftype, obj, raw in singles:
        payload = control(obj) if obj is not None else raw
        vectors.append(_valid_frames(f"frame-{vid}", comment, [(ftype, payload, obj)]))

    vectors.append(
        _valid_frames(
            "frame-unknown-member",
            "members the schema does not define are ignored (FRM-10); json shows the full object",
            [
                (
                    "RQFL",
                    control({"name": "a.txt", "x-future": [1, 2]}),
                    {"name": "a.txt", "x-future": [1, 2]},
                )
            ],
        )
    )
    spaced = b'{ "name" : "caf\\u00e9 \xe2\x82\xac" }'
    vectors.append(
        _valid_frames(
            "frame-json-whitespace-escapes",
            "any valid JSON encoding of the object is accepted: whitespace, \\u escapes, raw UTF-8",
            [("RQFL", spaced, {"name": "café €"})],
        )
    )
    vectors.append(
        _valid_frames(
            "frame-pipelined",
            "three frames in one input are three frames (FRM-4)",
            [
                ("RQFL", control({"name": "a"}), {"name": "a"}),
                ("RQFL", control({"name": "b"}), {"name": "b"}),
                ("BYE_", control({}), {}),
            ],
        )
    )

    def invalid(
        vid: str, comment: str, data: bytes, error: str, req: str, *, eof: bool = True
    ) -> None:
        vectors.append(
            _invalid_frame(f"frame-{vid}", comment, data, error, eof=eof, requirement=req)
        )

    rq = control({"name": "a"})
    invalid(
        "type-lowercase", "type bytes outside A-Z 0-9 _", _frame("rqfl", rq), "bad_frame", "FRM-2"
    )
    invalid("type-dash", "type bytes outside A-Z 0-9 _", _frame("RQ-L", rq), "bad_frame", "FRM-2")
    invalid(
        "type-nul",
        "type bytes outside A-Z 0-9 _",
        b"RQF\x00" + struct.pack(">I", len(rq)) + rq,
        "bad_frame",
        "FRM-2",
    )
    invalid(
        "too-large",
        "announced length one above the default limit: refused on the header",
        b"DATA" + struct.pack(">I", FRAME_LIMIT + 1),
        "frame_too_large",
        "FRM-3",
        eof=False,
    )
    invalid(
        "too-large-max",
        "announced length 2^32-1: refused on the header",
        b"DATA\xff\xff\xff\xff",
        "frame_too_large",
        "FRM-3",
        eof=False,
    )
    invalid(
        "control-too-large",
        "a control payload above 65 536 bytes",
        b"RQFL" + struct.pack(">I", 65_537),
        "frame_too_large",
        "FRM-8",
        eof=False,
    )
    invalid(
        "truncated-header",
        "EOF after 5 header bytes: a failed connection, not a frame",
        _frame("RQFL", rq)[:5],
        "truncated",
        "FRM-7",
    )
    invalid(
        "truncated-payload",
        "EOF one byte before the end of the payload",
        _frame("RQFL", rq)[:-1],
        "truncated",
        "FRM-7",
    )
    invalid(
        "unknown-type",
        "well-formed frame of a type the profile does not define",
        _frame("ZZZZ", control({})),
        "unexpected_frame",
        "FRM-5",
    )
    bad_payloads: list[tuple[str, str, bytes, str]] = [
        ("non-utf8", "payload is not UTF-8", b'{"name": "\xff\xfe"}', "FRM-9"),
        ("not-json", "payload is not JSON", b'{"name": "a"', "FRM-9"),
        ("top-array", "top-level value is not an object", b'["a"]', "FRM-9"),
        ("top-string", "top-level value is not an object", b'"a"', "FRM-9"),
        ("duplicate-key", "duplicate key at top level", b'{"name": "a", "name": "b"}', "FRM-9"),
        (
            "duplicate-nested",
            "duplicate key in a nested object",
            b'{"name": "a", "x": {"k": 1, "k": 2}}',
            "FRM-9",
        ),
        ("nan", "NaN is not JSON", b'{"name": "a", "x": NaN}', "FRM-9"),
        ("infinity", "Infinity is not JSON", b'{"name": "a", "x": Infinity}', "FRM-9"),
        ("minus-infinity", "-Infinity is not JSON", b'{"name": "a", "x": -Infinity}', "FRM-9"),
        ("missing-member", "required member missing", b'{"nom": "a"}', "FRM-9"),
        ("name-not-string", "member of the wrong JSON type", b'{"name": 5}', "FRM-12"),
        ("empty-payload", "an empty control payload is not a JSON object", b"", "FRM-9"),
    ]
    for vid, comment, payload, req in bad_payloads:
        invalid(vid, comment, _frame("RQFL", payload), "bad_frame", req)
    sha = '"' + digest + '"'
    bad_sizes: list[tuple[str, str, str]] = [
        ("size-fraction", "1.0 is not an integer", "1.0"),
        ("size-exponent", "1e3 is not an integer", "1e3"),
        ("size-negative", "negative size", "-1"),
        ("size-2-63", "2^63 is above 2^63-1", str(2**63)),
        ("size-bool", "true is not an integer", "true"),
        ("size-string", "a string is not an integer", '"13"'),
    ]
    for vid, comment, size in bad_sizes:
        payload = ('{"size": ' + size + ', "sha256": ' + sha + "}").encode()
        invalid(vid, comment, _frame("DONE", payload), "bad_frame", "FRM-11")
    invalid(
        "sha256-upper",
        "sha256 must be lowercase hex",
        _frame("DONE", control({"size": 13, "sha256": digest.upper()})),
        "bad_frame",
        "FRM-12",
    )
    invalid(
        "sha256-short",
        "sha256 must be 64 hex characters",
        _frame("DONE", control({"size": 13, "sha256": digest[:63]})),
        "bad_frame",
        "FRM-12",
    )
    invalid("data-empty", "an empty DATA frame", _frame("DATA", b""), "bad_frame", "FRM-13")
    return _document(
        "all",
        "Frame encoding and decoding (SPEC §1). Valid: `encoded` decodes to `frames` (type, "
        "payload hex, parsed JSON or null for DATA). Invalid: decoding `input` with the frame "
        "limit `limit` raises `error` (an ERR-2 name, or `truncated` for EOF inside a frame, "
        "FRM-7); `eof: false` means the error is due as soon as `input` has arrived, before "
        "any further byte. Control payloads are checked against the schema of SPEC §3.1.",
        vectors,
    )


# ---------------------------------------------------------------- password key

_USERS: list[tuple[str, str, str, str]] = [
    ("ascii", "alice", "correct horse battery staple", "plain ASCII"),
    ("unicode-nfc", "zoë", "p\u00e4ssw\u00f6rd", "UTF-8 user and password (NFC)"),
    (
        "unicode-nfd",
        "zoë",
        "pa\u0308sswo\u0308rd",
        "same password in NFD: a different key, passwords are not normalised",
    ),
    ("spaces", "bob", "  spaced out  ", "leading/trailing spaces are kept"),
    ("user-64", "u" * 64, "x", "longest user name (64 bytes)"),
]


def build_password_key() -> dict[str, Any]:
    vectors: list[dict[str, Any]] = []
    for vid, user, password, comment in _USERS:
        vectors.append(
            {
                "id": f"pw-{vid}",
                "valid": True,
                "comment": comment,
                "kind": "scrypt",
                "user": user,
                "user_hex": user.encode("utf-8").hex(),
                "password_hex": password.encode("utf-8").hex(),
                "salt": (
                    b"sft-eke/1" + struct.pack(">H", len(user.encode())) + user.encode()
                ).hex(),
                "pw": eke.password_key(password, user).hex(),
            }
        )
    secret = _seeded("server_secret", 32)
    for user in ("mallory", "alice"):
        vectors.append(
            {
                "id": f"fake-{user}",
                "valid": True,
                "comment": "EKE-HS-3 key for a user the server does not know",
                "kind": "fake",
                "user": user,
                "user_hex": user.encode("utf-8").hex(),
                "server_secret": secret.hex(),
                "pw": eke.fake_password_key(secret, user).hex(),
            }
        )
    return _document(
        "sft-eke/1",
        "Password key (EKE-PW-1): kind scrypt: pw = scrypt(password_hex bytes, salt, N=2^15, "
        "r=8, p=1, 32); kind fake: pw = HMAC-SHA256(server_secret, 'sft-eke/1 fake' ‖ user) "
        "(EKE-HS-3).",
        vectors,
    )


# ---------------------------------------------------------------- Feistel


def _feistel_rounds(pw: bytes, block: bytes) -> list[str]:
    """L(i+1) ‖ R(i+1) after each round, for debugging an implementation step by step."""
    half = eke.ELEMENT_LEN // 2
    left, right = block[:half], block[half:]
    out = []
    for i in range(eke.FEISTEL_ROUNDS):
        f = SHAKE256.new(b"sft-eke/1 feistel" + pw + bytes([i]) + right).read(half)
        left, right = right, bytes(a ^ b for a, b in zip(left, f, strict=True))
        out.append((left + right).hex())
    return out


def build_feistel() -> dict[str, Any]:
    vectors: list[dict[str, Any]] = []
    pw_alice = eke.password_key("correct horse battery staple", "alice")
    cases: list[tuple[str, bytes, bytes, str]] = [
        (
            "element",
            pw_alice,
            eke.element_to_bytes(pow(eke.G, _exponent("feistel x"), eke.P)),
            "an encoded group element under alice's key; `rounds` gives L‖R after each round",
        ),
        ("zeros", pw_alice, bytes(384), "all-zero block"),
        (
            "ones",
            pw_alice,
            b"\xff" * 384,
            "all-0xff block (not an element: E_pw permutes all strings)",
        ),
        (
            "random",
            _seeded("feistel pw", 32),
            _seeded("feistel block", 384),
            "random key and block",
        ),
    ]
    for vid, pw, plain, comment in cases:
        vector: dict[str, Any] = {
            "id": f"feistel-{vid}",
            "valid": True,
            "comment": comment,
            "pw": pw.hex(),
            "plaintext": plain.hex(),
            "ciphertext": eke.feistel_encrypt(pw, plain).hex(),
        }
        if vid == "element":
            vector["rounds"] = _feistel_rounds(pw, plain)
        vectors.append(vector)
    return _document(
        "sft-eke/1",
        "E_pw / D_pw (EKE-FEI-1/2): ciphertext = E_pw(plaintext) and plaintext = D_pw(ciphertext).",
        vectors,
    )


# ---------------------------------------------------------------- ±X


def build_pm_encoding() -> dict[str, Any]:
    vectors: list[dict[str, Any]] = []
    elements = [
        ("g", eke.G, "the generator itself"),
        ("g2", pow(eke.G, 2, eke.P), "g^2"),
        ("gx", pow(eke.G, _exponent("pm x"), eke.P), "g^x for a 320-bit x"),
        ("gy", pow(eke.G, _exponent("pm y"), eke.P), "g^y for another 320-bit y"),
    ]
    for vid, element, comment in elements:
        for s in (0, 1):
            encoded = eke.pm_encode(element, s)
            assert eke.pm_decode(encoded) == element
            vectors.append(
                {
                    "id": f"pm-{vid}-s{s}",
                    "valid": True,
                    "comment": f"{comment}, s = {s}" + (" (X' is a non-residue)" if s else ""),
                    "X": _hex384(element),
                    "s": s,
                    "X_prime": _hex384(encoded),
                    "jacobi_X_prime": eke.jacobi(encoded, eke.P),
                    "recovered": _hex384(element),
                }
            )
    invalid = [
        ("zero", 0, "X' = 0"),
        ("one", 1, "X' = 1"),
        ("p-minus-1", eke.P - 1, "X' = p − 1"),
        ("p", eke.P, "X' = p"),
        ("p-plus-1", eke.P + 1, "X' = p + 1"),
        ("max", (1 << 3072) - 1, "X' = 2^3072 − 1"),
    ]
    for vid, value, comment in invalid:
        vectors.append(
            {
                "id": f"pm-invalid-{vid}",
                "valid": False,
                "comment": comment + ": rejected (EKE-X-3)",
                "X_prime": _hex384(value),
                "error": "auth_failed",
            }
        )
    return _document(
        "sft-eke/1",
        "±X encoding (EKE-X-2/3): X' = X (s = 0) or p − X (s = 1), 384-byte big-endian; the "
        "receiver rejects invalid X' (reported as auth_failed at the point of EKE-HS-8) and "
        "recovers X as whichever of X', p − X' has Jacobi symbol 1.",
        vectors,
    )


# ---------------------------------------------------------------- handshake


def _handshake_parties(
    label: str, user: str, client_pw: bytes, server_pw: bytes
) -> tuple[eke.ClientHandshake, eke.ServerHandshake]:
    client = eke.ClientHandshake(
        user=user,
        pw=client_pw,
        exponent=_exponent(label + " x"),
        sign_bit=1,
        na=_seeded(label + " Na", 32),
    )
    server = eke.ServerHandshake(
        pw=server_pw,
        exponent=_exponent(label + " y"),
        sign_bit=0,
        ns=_seeded(label + " Ns", 32),
    )
    return client, server


def _json_frame(frame_type: bytes, obj: dict[str, Any]) -> bytes:
    return eke.encode_frame(frame_type, eke.encode_json(obj))


def build_handshake() -> dict[str, Any]:
    vectors: list[dict[str, Any]] = []
    user, password = "alice", "correct horse battery staple"
    pw = eke.password_key(password, user)

    client, server = _handshake_parties("hs", user, pw, pw)
    m1 = client.eke1()
    m2 = server.on_eke1(m1)
    m3 = client.on_eke2(m2)
    m4 = server.on_eke3(m3)
    client.on_eke4(m4)
    assert client.keys is not None and client.keys == server.keys
    keys = client.keys
    x_elem = pow(eke.G, client.exponent, eke.P)
    y_elem = pow(eke.G, server.exponent, eke.P)
    c_send, _c_recv = client.record_layer()
    s_send, s_recv = server.record_layer()
    req = _json_frame(b"RQFL", {"name": "hello.txt"})
    rec1 = c_send.seal(req)
    assert s_recv.open(rec1) == req
    digest = hashlib.sha256(b"hello, world\n").hexdigest()
    answers = [
        _json_frame(b"RSFL", {"name": "hello.txt", "size": 13, "sha256": digest}),
        eke.encode_frame(b"DATA", b"hello, world\n"),
        _json_frame(b"DONE", {"size": 13, "sha256": digest}),
    ]
    server_records = [s_send.seal(f) for f in answers]
    vectors.append(
        {
            "id": "hs-alice",
            "valid": True,
            "comment": "a complete handshake, then a get of hello.txt in records"
            " (seq 0 c2s, 0-2 s2c)",
            "user": user,
            "password_hex": password.encode().hex(),
            "pw": pw.hex(),
            "x": format(client.exponent, "x"),
            "s_x": client.sign_bit,
            "X": _hex384(x_elem),
            "X_prime": _hex384(eke.pm_encode(x_elem, client.sign_bit)),
            "A": client.a.hex(),
            "y": format(server.exponent, "x"),
            "s_y": server.sign_bit,
            "Y": _hex384(y_elem),
            "Y_prime": _hex384(eke.pm_encode(y_elem, server.sign_bit)),
            "B": server.b.hex(),
            "Ns": server.ns.hex(),
            "Na": client.na.hex(),
            "th": keys.th.hex(),
            "Z": keys.z.hex(),
            "PRK": keys.prk.hex(),
            "Kcs": keys.kcs.hex(),
            "Kcc": keys.kcc.hex(),
            "key_c2s": keys.key_c2s.hex(),
            "iv_c2s": keys.iv_c2s.hex(),
            "key_s2c": keys.key_s2c.hex(),
            "iv_s2c": keys.iv_s2c.hex(),
            "C2": m2["c"],
            "C3": m3["c"],
            "C4": m4["c"],
            "eke1": _json_frame(b"EKE1", m1).hex(),
            "eke2": _json_frame(b"EKE2", m2).hex(),
            "eke3": _json_frame(b"EKE3", m3).hex(),
            "eke4": _json_frame(b"EKE4", m4).hex(),
            "records_c2s": [{"seq": 0, "inner": req.hex(), "record": rec1.hex()}],
            "records_s2c": [
                {"seq": i, "inner": f.hex(), "record": r.hex()}
                for i, (f, r) in enumerate(zip(answers, server_records, strict=True))
            ],
        }
    )

    # Wrong password: the server's EKE2 is pinned; the client cannot verify C2.
    wrong_pw = eke.password_key("correct horse battery stapler", user)
    client, server = _handshake_parties("hs-wrong", user, wrong_pw, pw)
    m1 = client.eke1()
    m2 = server.on_eke1(m1)
    try:
        client.on_eke2(m2)
    except eke.EkeError as exc:
        assert exc.name == "auth_failed"
    else:
        raise AssertionError("a wrong password verified C2")
    vectors.append(
        {
            "id": "hs-wrong-password",
            "valid": False,
            "comment": "client key from a wrong password: verifying C2 of eke2 fails (EKE-HS-4)",
            "user": user,
            "client_pw": wrong_pw.hex(),
            "server_pw": pw.hex(),
            "x": format(client.exponent, "x"),
            "s_x": client.sign_bit,
            "y": format(server.exponent, "x"),
            "s_y": server.sign_bit,
            "Ns": server.ns.hex(),
            "eke1": _json_frame(b"EKE1", m1).hex(),
            "eke2": _json_frame(b"EKE2", m2).hex(),
            "fails_at": "client verifying EKE2",
            "error": "auth_failed",
        }
    )

    # Unknown user: the server proceeds with the fake key of EKE-HS-3.
    secret = _seeded("server_secret", 32)
    ghost = "mallory"
    fake = eke.fake_password_key(secret, ghost)
    guess = eke.password_key("hunter2", ghost)
    client, server = _handshake_parties("hs-unknown", ghost, guess, fake)
    m1 = client.eke1()
    m2 = server.on_eke1(m1)
    vectors.append(
        {
            "id": "hs-unknown-user",
            "valid": False,
            "comment": "unknown user: the server answers with the fake key (EKE-HS-3), the client "
            "fails at C2 exactly as for a wrong password",
            "user": ghost,
            "server_secret": secret.hex(),
            "server_pw": fake.hex(),
            "client_pw": guess.hex(),
            "x": format(client.exponent, "x"),
            "s_x": client.sign_bit,
            "y": format(server.exponent, "x"),
            "s_y": server.sign_bit,
            "Ns": server.ns.hex(),
            "eke1": _json_frame(b"EKE1", m1).hex(),
            "eke2": _json_frame(b"EKE2", m2).hex(),
            "fails_at": "client verifying EKE2",
            "error": "auth_failed",
        }
    )

    # Invalid X' hidden under the right key: the server must fail the handshake (at EKE3).
    for vid, value in (("zero", 0), ("one", 1), ("p-minus-1", eke.P - 1), ("p", eke.P)):
        a = eke.feistel_encrypt(pw, eke.element_to_bytes(value))
        vectors.append(
            {
                "id": f"hs-invalid-x-{vid}",
                "valid": False,
                "comment": "EKE1 whose A decrypts under the right key to an invalid X' (EKE-X-3): "
                "the server answers EKE2 and fails any EKE3 with auth_failed (EKE-HS-8)",
                "user": user,
                "pw": pw.hex(),
                "X_prime": _hex384(value),
                "eke1": _json_frame(b"EKE1", {"user": user, "a": a.hex()}).hex(),
                "fails_at": "server verifying EKE3",
                "error": "auth_failed",
            }
        )
    return _document(
        "sft-eke/1",
        "Complete sft-eke/1 handshakes (SPEC §5.3-5.5) with fixed x, y, sign bits, Ns, Na: "
        "every frame's bytes (payloads are compact JSON with keys in the order of §5.3; "
        "receivers accept any JSON encoding), th, Z, PRK and every derived key, then records "
        "of a get. x and y are hexadecimal integers; elements are 384-byte hex.",
        vectors,
    )


# ---------------------------------------------------------------- records


def build_records() -> dict[str, Any]:
    vectors: list[dict[str, Any]] = []
    key = _seeded("record key", 32)
    iv = _seeded("record iv", 12)
    other_key = _seeded("record other key", 32)
    digest = hashlib.sha256(b"hello, world\n").hexdigest()
    inners = [
        ("rqfl-seq0", 0, _json_frame(b"RQFL", {"name": "hello.txt"})),
        ("rsfl-seq1", 1, _json_frame(b"RSFL", {"name": "hello.txt", "size": 13, "sha256": digest})),
        ("data-seq2", 2, eke.encode_frame(b"DATA", b"hello, world\n")),
        ("done-seq255", 255, _json_frame(b"DONE", {"size": 13, "sha256": digest})),
        ("bye-seq-2-32", 2**32 + 7, _json_frame(b"BYE_", {})),
        ("data-seq-max", 2**64 - 1, eke.encode_frame(b"DATA", _seeded("record data", 100))),
    ]
    for vid, seq, inner in inners:
        vectors.append(
            {
                "id": f"rec-{vid}",
                "valid": True,
                "comment": "RECD | u32be(len(C)) | C, AD = the 8-byte header",
                "key": key.hex(),
                "iv": iv.hex(),
                "seq": seq,
                "nonce": eke.record_nonce(iv, seq).hex(),
                "inner": inner.hex(),
                "record": eke.seal_record(key, iv, seq, inner).hex(),
            }
        )
    base_inner = _json_frame(b"RQFL", {"name": "hello.txt"})
    base = eke.seal_record(key, iv, 5, base_inner)

    def flip(data: bytes, index: int) -> bytes:
        return data[:index] + bytes([data[index] ^ 0x01]) + data[index + 1 :]

    def bad(vid: str, comment: str, record: bytes, seq: int, error: str, rkey: bytes = key) -> None:
        vectors.append(
            {
                "id": f"rec-invalid-{vid}",
                "valid": False,
                "comment": comment,
                "key": rkey.hex(),
                "iv": iv.hex(),
                "seq": seq,
                "record": record.hex(),
                "error": error,
            }
        )

    bad(
        "tampered-ciphertext",
        "one ciphertext bit flipped (sealed at seq 5)",
        flip(base, 8),
        5,
        "auth_failed",
    )
    bad("tampered-tag", "one tag bit flipped", flip(base, len(base) - 1), 5, "auth_failed")
    hdr = b"RECD" + struct.pack(">I", len(base) - 8 - 1)
    bad(
        "truncated",
        "last byte cut and the header adjusted to match",
        hdr + base[8:-1],
        5,
        "auth_failed",
    )
    bad("replayed", "opened at seq 6: a replay of the record of seq 5", base, 6, "auth_failed")
    bad("reordered", "opened at seq 4: delivered before its predecessor", base, 4, "auth_failed")
    bad(
        "wrong-key",
        "sealed with another key (e.g. the other direction's)",
        base,
        5,
        "auth_failed",
        other_key,
    )
    two = base_inner + _json_frame(b"BYE_", {})
    bad(
        "inner-two-frames",
        "authentic record whose plaintext is two frames (EKE-REC-1)",
        eke.seal_record(key, iv, 5, two),
        5,
        "bad_frame",
    )
    short = eke.encode_frame(b"DATA", b"hello")[:-2]
    bad(
        "inner-partial-frame",
        "authentic record whose plaintext is a partial frame (EKE-REC-1)",
        eke.seal_record(key, iv, 5, short),
        5,
        "bad_frame",
    )
    return _document(
        "sft-eke/1",
        "Records (EKE-REC-*): record = seal(key, iv, seq, inner) with nonce = iv XOR "
        "(0^4 ‖ u64be(seq)); invalid records must be refused with `error` when opened with "
        "`key`, `iv` and the expected sequence number `seq` (auth_failed: the record does not "
        "authenticate, the connection closes, EKE-REC-4; bad_frame: the plaintext is not "
        "exactly one frame, EKE-REC-1).",
        vectors,
    )


# ---------------------------------------------------------------- driver

_BUILDERS: dict[str, Callable[[], dict[str, Any]]] = {
    "frames.json": build_frames,
    "eke_password_key.json": build_password_key,
    "eke_feistel.json": build_feistel,
    "eke_pm_encoding.json": build_pm_encoding,
    "eke_handshake.json": build_handshake,
    "eke_records.json": build_records,
}
assert tuple(_BUILDERS) == VECTOR_FILES


def render(document: dict[str, Any]) -> bytes:
    return (json.dumps(document, indent=1, ensure_ascii=False) + "\n").encode("utf-8")


def build_all() -> dict[str, bytes]:
    """Every vector file's exact bytes, by file name."""
    return {name: render(builder()) for name, builder in _BUILDERS.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m conformance.vectors.generate")
    parser.add_argument(
        "--check",
        action="store_true",
        help="verify the files instead of writing them (exit 1 on a difference)",
    )
    parser.add_argument("--dir", type=Path, default=VECTOR_DIR, help="output directory")
    args = parser.parse_args(argv)
    outputs = build_all()
    if args.check:
        stale = [
            n
            for n, data in outputs.items()
            if not (args.dir / n).is_file() or (args.dir / n).read_bytes() != data
        ]
        for name in stale:
            print(f"{name}: differs from what the generator produces", file=sys.stderr)
        return 1 if stale else 0
    for name, data in outputs.items():
        tmp = args.dir / f".{name}.tmp"
        tmp.write_bytes(data)
        tmp.replace(args.dir / name)
        print(f"wrote {args.dir / name} ({len(data)} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
