"""Blind red-team round 19 (helper B104): the sft-pki/1 initiator (`sft get`, `sft put`) and
the enrolment client (`sft enroll`), planted through the six lenses of round 19.

Written blind, from docs/SPEC.md §1-§4 and §6 and the reference's pki/client.py, enroll.py,
tls.py, alias.py, transfer.py, app.py, messages.py, frames.py, share.py and cli/pki.py,
cli/options.py only, before any case file was opened. The first list (about thirty ideas)
was checked against the names and descriptions of the 515 registered pki client mutants
(and the enrolment client's 82): most were there already and were replaced (r) before the
run — a str body encoded ISO-8859-1 by http.client, the EC key compared on x alone, the CN
read as a C string, the CN's 64-character buffer, the system trust store, SSLKEYLOGFILE,
the dict(subject) idiom, SHA-256 compared on a prefix or case-blind, EROR codes held in
32 bits or converted with int(), sizes held in 32 bits, a fixed or request-derived
temporary name, an existing empty output replaced, a key written in place keeping its
mode, an old root.pem or ca-url trusted, a verified alias cached in the identity
directory, `strict=False` JSON, a failed get removing every temporary. The replacements
aim at mechanisms no registered mutant uses.

lens 1 (library defaults):
    eku-openssl-purpose    PKI-CERT-5  the initiator's own EKU check only refuses a missing
                                       extension; a present one is left to OpenSSL's
                                       ssl_server purpose check, which takes Netscape's and
                                       Microsoft's Server Gated Crypto OIDs for serverAuth
    json-bytes-autodetect  FRM-9       control payloads handed to json.loads as bytes: its
                                       encoding detection takes UTF-16, UTF-32 and a UTF-8
                                       BOM, none of which is a UTF-8 JSON text
    wire-name-fsencode     FRM-14      names go out as os.fsencode does (surrogateescape): a
                                       name given as bytes that are not UTF-8 is sent raw, an
                                       invalid UTF-8 control payload
    temp-srand-time (r)    APP-STORE-1 the temporary's "random" part from `random` seeded
                                       with the time in whole seconds (srand(time(NULL))):
                                       two gets started in the same second collide
lens 2 (porting idioms):
    digest-biginteger      FRM-14      the SHA-256 in hex made as a big integer (Java's
                                       new BigInteger(1, d).toString(16)): a digest with a
                                       leading zero loses it, 63 characters (put), and an
                                       honest get of such a file is refused
    cn-byte-narrowed       PKI-ID-4    the CN's characters narrowed to bytes (a Java (byte)
                                       cast of each char): CN šŬũţť (U+0161 ...) is alice
    rsfl-size-zero-value   FRM-9       a get's RSFL decoded into a struct (Go's zero values):
                                       `size` or `name` missing is 0 or ""
lens 3 (feature interactions):
    bye-ends-complete-get  APP-GET-6   BYE_ (the responder leaving) once every announced
                                       byte of a get arrived is taken as its end: the file is
                                       kept, DONE never verified
lens 4 (trusting its own earlier state):
    crl-cache-unchecked    PKI-CERT-12 a cached crl.der is used without check_crl (it was
                                       checked when fetched)
    output-replace-shorter APP-GET-6   an existing output shorter than the announced size is
                                       an interrupted earlier download of it (wget -c): the
                                       get replaces it
lens 5 (what the user and the peer are told):
    eror-content-quoted    ERR-5       a frame not allowed in the state is answered
                                       unexpected_frame quoting its first 64 payload bytes
                                       (within ERR-5's echo bound) — a DATA frame's file
                                       content
    eror-names-request     ERR-1       the initiator's EROR message names the request
                                       ("get NAME: ...") in full, with no cap: a long name
                                       makes it longer than 512 characters
lens 6 (refactoring slips):
    sweep-first-only       APP-STORE-3 the stale sweep's `return` one level too deep: it
                                       removes the first stale temporary it meets, the
                                       others stay
    data-max-off-by-one    FRM-13      the DATA length check `1 <= n < 1 MiB`: the largest
                                       DATA frame (exactly 1 048 576 bytes) is refused
    enr-root-swallowed     CA-ENR-12   the enrolment's root-signature check is wrapped in
                                       `except Exception: pass` ("some CAs sign with
                                       algorithms the library cannot verify"): a certificate
                                       for our key from another issuer is kept

Blind measure (15 written, each against the case file named blind): 2 caught —
rsfl-size-zero-value (test_client_pki_member_sets.py) and output-replace-shorter
(test_pki_initiator_transfer.py). Four more were caught by existing files once aimed at
them: temp-srand-time by test_client_store_side_by_side.py (two gets side by side into
one directory), digest-biginteger by test_app_put_digest_digits.py (a put whose digest
begins with 000; re-cited from FRM-14 to APP-PUT-4, the requirement that case judges),
sweep-first-only by test_pki_initiator_transfer.py (its sweep case plants several stale
temporaries) and data-max-off-by-one by test_client_lies.py (its 1 MiB frame at the limit).

Two are not registered (NOT_JUDGED below):
  - crl-cache-unchecked: an initiator's CRL source is its own configuration (the
    `client_cmd` template names no CRL and no CA; the identity directory, and its
    crl.der, is the harness's), and PKI-CERT-12 is declared not observable on the wire;
  - root-swallowed: CA-ENR-12 says a certificate is kept only from a 200 answer "whose
    certificate holds that key"; a certificate for the key issued by another CA holds
    it. No MUST says the enrolment client checks the issuer (the reference does); a SPEC
    sentence is proposed in the round's report.

The other seven were missed by every existing file citing their requirement; the round's
new case files catch them (13 of 13 registered mutants caught after the round):
  test_pki_initiator_server_purpose_oids.py  eku-openssl-purpose (no case presented an
                                       EKU whose OID a TLS library takes for serverAuth:
                                       the Server Gated Crypto OIDs)
  test_pki_initiator_payload_encodings.py    json-bytes-autodetect (the responder's UTF-16 /
                                       UTF-32 twin existed; no initiator case)
  test_pki_initiator_undecodable_names.py    wire-name-fsencode (no case gave the initiator
                                       a name whose bytes are not UTF-8, to get or to put:
                                       both are judged now; the mutant as first
                                       written still refused it locally — a second encode in
                                       check_name — and was fixed after the blind run; the
                                       fixed one is missed by every existing FRM-14 file too)
  test_pki_initiator_alias_narrowed_chars.py cn-byte-narrowed (no CN that only narrows to the
                                       alias: each character's low byte)
  test_pki_initiator_get_ended_without_done.py bye-ends-complete-get (a get ended after all
                                       bytes by BYE_ or a second RSFL; EROR and the close had
                                       cases)
  test_pki_initiator_eror_messages.py        eror-content-quoted (no stray DATA refused for
                                       its state: the file quoted from it) and
                                       eror-names-request (no long request name behind an
                                       owed EROR: a message over 512 characters)
The six files add about 20 s to the default run against the reference (15 cases of about
1.3 s; the slow run adds three variants); every case PASSES the seven pki independents
(pki1-pki7, initiators through their `get`/`put`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from conformance.selftest.mutant import Mutant, _module
from conformance.selftest.mutants_app import _patch_source

__all__ = ["MUTANTS", "NOT_JUDGED"]


def _tls() -> Any:
    return _module("reference.pki.tls")


def _client() -> Any:
    return _module("reference.pki.client")


def _enroll() -> Any:
    return _module("reference.pki.enroll")


def _app() -> Any:
    return _module("reference.app")


def _frames() -> Any:
    return _module("reference.frames")


def _messages() -> Any:
    return _module("reference.messages")


def _transfer() -> Any:
    return _module("reference.transfer")


def _share() -> Any:
    return _module("reference.share")


# --- lens 1 ---------------------------------------------------------------------------


def _eku_openssl_purpose() -> None:
    _patch_source(
        _tls(),
        "check_peer_certificate",
        (
            "    if wanted not in eku:\n",
            "    # the initiator: OpenSSL's ssl_server purpose check judges a present EKU\n"
            "    if as_server and wanted not in eku:\n",
        ),
    )


def _json_bytes_autodetect() -> None:
    frames = _frames()
    _patch_source(
        frames,
        "loads_control",
        ('text = bytes(payload).decode("utf-8")', "text = bytes(payload)  # json detects it"),
    )
    _messages().loads_control = frames.loads_control


def _wire_name_fsencode() -> None:
    frames = _frames()
    share = _share()
    _patch_source(
        frames,
        "dumps_control",
        (").encode()", ').encode("utf-8", "surrogateescape")  # os.fsencode'),
    )
    _messages().dumps_control = frames.dumps_control
    _patch_source(
        share,
        "check_name",
        (
            '.encode("utf-8"))',  # the name's and each component's byte counts
            '.encode("utf-8", "surrogateescape"))',
        ),
    )
    _transfer().check_name = share.check_name
    cli_pki = _module("reference.cli.pki")
    cli_pki.wire_name = lambda name, **_: name  # names are file names: bytes as they come


def _srand_hex() -> str:
    import random

    random.seed(int(time.time()))  # srand(time(NULL))
    return f"{random.getrandbits(96):024x}"


def _temp_srand_time() -> None:
    share = _share()
    share._b19_rand_hex = _srand_hex
    _patch_source(
        share.PartialFile,
        "__init__",
        ("secrets.token_hex(12)", "_b19_rand_hex()"),
    )


# --- lens 2 ---------------------------------------------------------------------------


def _digest_biginteger() -> None:
    _patch_source(
        _transfer().PipelinedSha256,
        "hexdigest",
        (
            "return self._sha.hexdigest()",
            'return format(int(self._sha.hexdigest(), 16), "x")  # BigInteger.toString(16)',
        ),
    )


def _cn_byte_narrowed() -> None:
    _patch_source(
        _tls(),
        "_common_name",
        (
            "    return names[0].value\n",
            '    return "".join(chr(ord(c) & 0xFF) for c in names[0].value)  # (byte) c\n',
        ),
    )


def _rsfl_size_zero_value() -> None:
    messages = _messages()
    messages._SCHEMAS["RSFL-get"] = {
        "name": ("str", False),
        "size": ("int", False),
        "sha256": ("sha256", False),
    }
    _patch_source(
        messages,
        "decode_message",
        (
            'return FileResponse(obj["name"], obj["size"], obj.get("sha256"))',
            'return FileResponse(obj.get("name", ""), obj.get("size", 0), obj.get("sha256"))',
        ),
    )
    _app().decode_message = messages.decode_message


# --- lens 3 ---------------------------------------------------------------------------


def _bye_ends_complete_get() -> None:
    app = _app()
    app._TRANSITIONS[(app.I.RECEIVING, app.T_BYE)] = app.I.IDLE
    _patch_source(
        _transfer()._Channel,
        "receive_file",
        (
            "        elif isinstance(event, ErrorFrame):\n",
            "        elif isinstance(event, Bye) and received == size:\n"
            "            self.release_buffers()\n"
            "            return Done(received, '')  # the responder left: all bytes are here\n"
            "        elif isinstance(event, ErrorFrame):\n",
        ),
    )


# --- lens 4 ---------------------------------------------------------------------------


def _crl_cache_unchecked() -> None:
    _patch_source(
        _client(),
        "load_crl",
        (
            "                data = cache.read_bytes()\n"
            "                check_crl(data, root_pem)\n"
            "                return data\n",
            "                data = cache.read_bytes()  # checked when it was fetched\n"
            "                return data\n",
        ),
    )


def _output_replace_shorter() -> None:
    _patch_source(
        _transfer().Initiator,
        "get",
        (
            "    if destination.exists() and not overwrite:\n",
            "    shorter = (\n"
            "        destination.stat().st_size\n"
            "        if destination.is_file() and not destination.is_symlink()\n"
            "        else None\n"
            "    )\n"
            "    if destination.exists() and not overwrite and shorter is None:\n",
        ),
        (
            "        with PartialFile.create(destination, response.size) as partial:\n",
            "        if shorter is not None and not overwrite:\n"
            "            if shorter >= response.size:\n"
            "                raise FileExistsError(f'{destination} exists')\n"
            "            overwrite = True  # an interrupted earlier download of it\n"
            "        with PartialFile.create(destination, response.size) as partial:\n",
        ),
    )


# --- lens 5 ---------------------------------------------------------------------------


def _eror_content_quoted() -> None:
    _patch_source(
        _app().ApplicationConnection,
        "_next_event",
        (
            "    nxt = self._lookup(frame_type)\n",
            "    if (self.state, frame_type) not in _TRANSITIONS:\n"
            "        shown = min(length, 64)  # ERR-5: at most 64 bytes echoed\n"
            "        if len(buf) < shown:\n"
            "            return self._starved()\n"
            "        raise RemoteProtocolError(\n"
            "            ErrorCode.UNEXPECTED_FRAME,\n"
            "            f\"unexpected {frame_type.decode('ascii')} in state \"\n"
            "            f'{self.state.value}: {bytes(buf[:shown])!r}',\n"
            "        )\n"
            "    nxt = self._lookup(frame_type)\n",
        ),
    )


def _eror_names_request() -> None:
    transfer = _transfer()
    _module("reference.messages").MAX_MESSAGE_CHARS = 1 << 20  # no cap of its own
    _patch_source(
        transfer.Initiator,
        "get",
        ("    check_name(name)\n", "    check_name(name)\n    self._b19_what = f'get {name}'\n"),
    )
    _patch_source(
        transfer.Initiator,
        "_guard",
        (
            "    self.channel.fail(exc)\n",
            "    what = getattr(self, '_b19_what', None)\n"
            "    if what is not None:\n"
            "        exc.message = f'{what}: {exc.message}'\n"
            "    self.channel.fail(exc)\n",
        ),
    )


# --- lens 6 ---------------------------------------------------------------------------


def _sweep_first_only() -> None:
    _patch_source(
        _transfer(),
        "remove_stale_partials",
        (
            "            removed += 1\n",
            "            removed += 1\n            return removed  # one level too deep\n",
        ),
    )


def _data_max_off_by_one() -> None:
    _patch_source(
        _app().ApplicationConnection,
        "_check_header",
        (
            "not 1 <= length <= MAX_DATA_PAYLOAD",
            "not 1 <= length < MAX_DATA_PAYLOAD",
        ),
    )


def _enr_root_swallowed() -> None:
    _patch_source(
        _enroll(),
        "enroll",
        (
            "    except (ValueError, TypeError, Exception) as exc:\n"
            "        raise EnrollError(\n"
            '            f"the certificate is not signed by the root: {type(exc).__name__}"\n'
            "        ) from None\n",
            "    except Exception:\n"
            "        pass  # some CAs sign with algorithms the library cannot verify\n",
        ),
    )


# --- registry -------------------------------------------------------------------------


def _m(
    name: str,
    lens: int,
    requirement: str,
    test_file: str,
    apply: Callable[[], None],
    description: str,
    *,
    enroll: bool = False,
    strict: bool = False,
) -> Mutant:
    prefix = "b19enr" if enroll else "b19ini"
    return Mutant(
        name=f"{prefix}-{name}",
        group="blind19-ini",
        profile="pki",
        requirement=requirement,
        test_file=test_file,
        description=f"L{lens}: {description}",
        apply=apply,
        client=True,
        enroll=enroll,
        strict=strict,
    )


_WRITTEN: tuple[Mutant, ...] = (
    _m(
        "eku-openssl-purpose",
        1,
        "PKI-CERT-5",
        "test_pki_initiator_server_purpose_oids.py",
        _eku_openssl_purpose,
        "the initiator's own EKU check only refuses a missing extension; a present one is left "
        "to OpenSSL's ssl_server purpose check, which takes the Server Gated Crypto OIDs "
        "(Netscape's, Microsoft's) for serverAuth",
    ),
    _m(
        "json-bytes-autodetect",
        1,
        "FRM-9",
        "test_pki_initiator_payload_encodings.py",
        _json_bytes_autodetect,
        "control payloads are handed to json.loads as bytes: its encoding detection takes "
        "UTF-16 and UTF-32 (with or without a byte order mark), neither a UTF-8 JSON text",
    ),
    _m(
        "wire-name-fsencode",
        1,
        "FRM-14",
        "test_pki_initiator_undecodable_names.py",
        _wire_name_fsencode,
        "request names are encoded as os.fsencode does (surrogateescape): a name given as "
        "bytes that are not UTF-8 goes out raw, in a control payload that is not UTF-8",
    ),
    _m(
        "temp-srand-time",
        1,
        "APP-STORE-1",
        "test_client_store_side_by_side.py",
        _temp_srand_time,
        "the get's temporary's random part comes from `random` seeded with the time in whole "
        "seconds (srand(time(NULL))): two gets into one directory started in the same second "
        "pick the same name, and the second fails",
    ),
    _m(
        "digest-biginteger",
        2,
        "APP-PUT-4",
        "test_app_put_digest_digits.py",
        _digest_biginteger,
        "SHA-256 digests are written in hex as a big integer (new BigInteger(1, d)"
        ".toString(16)): a digest with leading zero digits loses them (63 characters in the "
        "put's DONE), and an honest get of such a file is refused",
    ),
    _m(
        "cn-byte-narrowed",
        2,
        "PKI-ID-4",
        "test_pki_initiator_alias_narrowed_chars.py",
        _cn_byte_narrowed,
        "the responder's CN is narrowed to bytes before the alias checks (a Java (byte) cast "
        "of each char): CN \u0161\u016c\u0169\u0163\u0165 (U+0161 U+016C ...) passes for alice",
    ),
    _m(
        "rsfl-size-zero-value",
        2,
        "FRM-9",
        "test_client_pki_member_sets.py",
        _rsfl_size_zero_value,
        "a get's RSFL is decoded into a struct (Go's zero values): a missing `size` is 0 and "
        'a missing `name` is "", not bad_frame',
    ),
    _m(
        "bye-ends-complete-get",
        3,
        "APP-GET-6",
        "test_pki_initiator_get_ended_without_done.py",
        _bye_ends_complete_get,
        "a BYE_ from the responder once every announced byte of a get arrived is its leaving "
        "after the transfer: the file is kept under its final name, DONE never verified",
    ),
    _m(
        "crl-cache-unchecked",
        4,
        "PKI-CERT-12",
        "test_pki_certs.py",
        _crl_cache_unchecked,
        "the identity directory's cached crl.der is used without its signature and nextUpdate "
        "checks (they were made when it was fetched)",
    ),
    _m(
        "output-replace-shorter",
        4,
        "APP-GET-6",
        "test_pki_initiator_transfer.py",
        _output_replace_shorter,
        "an existing output file shorter than the announced size is taken for an interrupted "
        "earlier download of it (wget -c) and replaced by the get",
    ),
    _m(
        "eror-content-quoted",
        5,
        "ERR-5",
        "test_pki_initiator_eror_messages.py",
        _eror_content_quoted,
        "a frame not allowed in the initiator's state is answered unexpected_frame quoting "
        "its first 64 payload bytes (ERR-5's echo bound kept): a stray DATA frame's file "
        "content goes into the EROR",
    ),
    _m(
        "eror-names-request",
        5,
        "ERR-1",
        "test_pki_initiator_eror_messages.py",
        _eror_names_request,
        "the initiator's EROR messages name the get's request in full ('get NAME: ...'), "
        "with no cap of their own: a long name makes the message longer than 512 characters",
    ),
    _m(
        "sweep-first-only",
        6,
        "APP-STORE-3",
        "test_pki_initiator_transfer.py",
        _sweep_first_only,
        "the stale sweep's `return` sits one level too deep: the first stale temporary it "
        "meets is removed, the others stay",
    ),
    _m(
        "data-max-off-by-one",
        6,
        "FRM-13",
        "test_client_lies.py",
        _data_max_off_by_one,
        "the DATA length check reads `1 <= n < 1 MiB`: the largest DATA frame (exactly "
        "1 048 576 bytes) is refused bad_frame",
    ),
    _m(
        "root-swallowed",
        6,
        "CA-ENR-12",
        "test_enroll_client.py",
        _enr_root_swallowed,
        "the enrolment's root-signature check of the answer is wrapped in `except Exception: "
        "pass` ('some CAs sign with algorithms the library cannot verify'): a certificate "
        "for its key from another issuer is kept",
        enroll=True,
    ),
)

# Written blind and measured, then judged not observable through a target's declared
# commands, or no MUST the suite may FAIL (see the top docstring): not registered.
# root-swallowed is registered since the lead made CA-ENR-12 say the issuer is checked
# (round 19) and test_enroll_client.py's certificates for the key from another issuer.
_NOT_JUDGED_NAMES = frozenset({"b19ini-crl-cache-unchecked"})
MUTANTS: tuple[Mutant, ...] = tuple(m for m in _WRITTEN if m.name not in _NOT_JUDGED_NAMES)
NOT_JUDGED: tuple[Mutant, ...] = tuple(m for m in _WRITTEN if m.name in _NOT_JUDGED_NAMES)
