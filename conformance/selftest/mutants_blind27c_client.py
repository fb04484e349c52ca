"""Blind red-team round 27, third pass (helper B215): the sft-eke/1 CLIENT (`sft eke get` /
`sft eke put`) through the six lenses of /work/briefs/s27/common.md. Phase 1 written from
docs/SPEC.md (PWF-2, §1-3 from the client's side, §5's client duties) and the reference's
client code (reference/eke/client.py, handshake.py, crypto.RecordSealer, messages.py,
reference/redact.py, reference/cli/eke.py). Checked against the registered mutants (693
eke client ones) and the two earlier passes' tables: none repeats one. Ideas dropped as
registered (r): C4's Na compared on a prefix (b9cli-eke-na-prefix), an 8-bit EROR code
(b16cli-eror-code-u8), a temporary named after the final name (b25client-store1-temp-has-name).

L2 the assistant's draft
  b27cclient-pwf2-encoded-echo    a server's message is tested for the password only as it
                                  came: the same message holding it URL-encoded, in base64
                                  or in hex (an echoed login or Authorization line) is shown
                                  (PWF-2: "not the password in any encoding")
L3 cross-references and defined terms
  b27cclient-frm5-hs-keepalive    a clear NOOP or PING during the login is skipped as a
                                  keep-alive ("undefined types" read as a rule of the record
                                  phase only): the EKE2 after it is answered EKE3 (FRM-5)
  b27cclient-err3-data-eror-bye   the get's DATA loop says goodbye on its way out: after a
                                  fatal EROR (internal, timeout) among a get's DATA the
                                  client seals a BYE_, then closes (ERR-3: "in a get's DATA
                                  ... it sends nothing more on that connection, not a BYE_")
L4 interop is not conformance
  b27cclient-rec3-data-inner-ad   the zero-copy sealer (a put's DATA records) takes the inner
                                  frame's header (DATA | u32be(n)) as the associated data, not
                                  the record's header (its own server's opener does the same)
                                  (EKE-REC-3)
L5 two faults at once
  b27cclient-err8-code-from-name  an EROR without `code` (malformed, ERR-8) is repaired from
                                  its `name`: {"name": "not_found"} is a non-fatal refusal, the
                                  client stays and says BYE_ (ERR-8 with ERR-1)
L6 beyond the toy sizes
  b27cclient-err4-code-u32        the EROR code is kept in 32 bits (a JavaScript `>>> 0`, a
                                  uint32 field): 2^32 + 6 is read as not_found, a non-fatal
                                  refusal, not an unknown code (internal, fatal) (ERR-4)
Blind result (6): none detected by the file first named, none by the files citing the
requirement (SFT_MUTANT_FILES = every citing file but the two new ones). err3-data-eror-bye's
first version only kept the connection: the reference core then refused the BYE_ itself
(an equivalent mutant); it now seals the BYE_ as a client without that guard would.
Cases now catching their class:
  frm5-hs-keepalive, err3-data-eror-bye, rec3-data-inner-ad, err8-code-from-name,
  err4-code-u32                    -> test_eke_client_eror_enders.py
  pwf2-encoded-echo                -> test_eke_client_encoded_echoes.py
Post-blind siblings (after the cases, to show they take the class):
  b27cclient-post-err3-timeout-bye, b27cclient-post-err8-null-from-name.
"""

from __future__ import annotations

from typing import Any

from conformance.selftest.mutant import Mutant, _module
from conformance.selftest.mutants_app import _patch_method, _patch_source

__all__ = ["MUTANTS"]

_GROUP = "blind27c-client"


def _pwf2_encoded_echo() -> None:
    redact = _module("reference.redact")

    def views(message: str) -> Any:
        yield message

    redact._views = views


def _frm5_hs_keepalive() -> None:
    _patch_method(
        _module("reference.eke.handshake")._Handshake,
        "_read_frame",
        (
            "        step = _TRANSITIONS.get((self.state, frame_type))\n",
            "        if frame_type in (b'NOOP', b'PING'):  # keep-alive: skip it\n"
            "            if len(buf) < HEADER_SIZE + length:\n"
            "                return self._need_more()\n"
            "            del buf[: HEADER_SIZE + length]\n"
            "            return self._read_frame()\n"
            "        step = _TRANSITIONS.get((self.state, frame_type))\n",
        ),
    )


def _err3_data_eror_bye() -> None:
    cls = _module("reference.eke.client").EkeClient
    _patch_method(
        cls,
        "_next",
        (
            "            if event.fatal:\n                self._abandon()\n",
            "            if event.fatal:\n"
            "                if getattr(self, '_b27c_in_get', False):  # the get says goodbye\n"
            "                    with contextlib.suppress(OSError, ProtocolError):\n"
            "                        seal = stream.channel.seal_frame\n"
            "                        stream.sock.sendall(seal(b'BYE_', b'{}'))\n"
            "                self._abandon()\n",
        ),
    )
    _patch_method(
        cls,
        "_receive",
        (
            "            received = 0\n",
            "            received = 0\n            self._b27c_in_get = True\n",
        ),
    )


def _rec3_data_inner_ad() -> None:
    crypto = _module("reference.eke.crypto")
    _patch_method(
        crypto.RecordSealer,
        "seal_payload",
        (
            "        return self._seal(",
            "        return self._b27c_seal(",
        ),
    )

    def seal_inner_ad(self: Any, inner: Any) -> memoryview:
        sealed_len = len(inner) + crypto.TAG_LEN
        header = crypto._HEADER.pack(crypto._RECORD_TYPE, sealed_len)
        self._within_usage_limit(len(inner))
        self._record[: crypto.RECORD_HEADER_LEN] = header
        end = crypto.RECORD_HEADER_LEN + sealed_len
        out = memoryview(self._record)[crypto.RECORD_HEADER_LEN : end]
        ad = bytes(inner[: crypto.RECORD_HEADER_LEN])  # the frame's header, not the record's
        self._aead.encrypt_into(self._next_nonce(), inner, ad, out)
        return memoryview(self._record)[:end]

    crypto.RecordSealer._b27c_seal = seal_inner_ad


def _err8_code_from_name() -> None:
    messages = _module("reference.messages")

    def repair(obj: Any) -> Any:
        if isinstance(obj, dict) and "code" not in obj and isinstance(obj.get("name"), str):
            for known in messages.ErrorCode:  # the name says which error: use it
                if known.wire_name == obj["name"]:
                    obj["code"] = known.value
        return obj

    messages._b27c_repair = repair
    _patch_source(
        messages,
        "decode_message",
        (
            "    obj = loads_control(frame.payload)\n",
            "    obj = loads_control(frame.payload)\n"
            "    if t == T_EROR:\n"
            "        obj = _b27c_repair(obj)\n",
        ),
    )
    _module("reference.app").decode_message = messages.decode_message


def _err4_code_u32() -> None:
    messages = _module("reference.messages")
    _patch_source(
        messages,
        "decode_message",
        ('ErrorCode.from_wire(obj["code"]),', 'ErrorCode.from_wire(obj["code"] & 0xFFFFFFFF),'),
    )
    _module("reference.app").decode_message = messages.decode_message
    _patch_method(
        _module("reference.eke.handshake")._Handshake,
        "_on_error",
        ('ErrorCode.from_wire(obj["code"]),', 'ErrorCode.from_wire(obj["code"] & 0xFFFFFFFF),'),
    )


def _post_err3_timeout_bye() -> None:
    cls = _module("reference.eke.client").EkeClient
    _patch_method(
        cls,
        "_next",
        (
            "            if event.fatal:\n                self._abandon()\n",
            "            if event.fatal:\n"
            "                if event.code is ErrorCode.TIMEOUT:  # the server leaves politely\n"
            "                    with contextlib.suppress(OSError, ProtocolError):\n"
            "                        seal = stream.channel.seal_frame\n"
            "                        stream.sock.sendall(seal(b'BYE_', b'{}'))\n"
            "                self._abandon()\n",
        ),
    )


def _post_err8_null_from_name() -> None:
    messages = _module("reference.messages")

    def repair(obj: Any) -> Any:
        if isinstance(obj, dict) and obj.get("code") is None and isinstance(obj.get("name"), str):
            for known in messages.ErrorCode:  # no usable code: the name says which
                if known.wire_name == obj["name"]:
                    obj["code"] = known.value
        return obj

    messages._b27c_repair = repair
    _patch_source(
        messages,
        "decode_message",
        (
            "    obj = loads_control(frame.payload)\n",
            "    obj = loads_control(frame.payload)\n"
            "    if t == T_EROR and 'code' in obj:\n"
            "        obj = _b27c_repair(obj)\n",
        ),
    )
    _module("reference.app").decode_message = messages.decode_message


def _m(name: str, req: str, test_file: str, description: str, apply: Any) -> Mutant:
    return Mutant(
        name=f"b27cclient-{name}",
        group=_GROUP,
        profile="eke",
        requirement=req,
        test_file=test_file,
        description=description,
        apply=apply,
        client=True,
    )


MUTANTS: tuple[Mutant, ...] = (
    _m(
        "pwf2-encoded-echo",
        "PWF-2",
        "test_eke_client_encoded_echoes.py",
        "L2: a server's message is tested for the password only as it came: the same message "
        "holding it URL-encoded, in base64 or in hex is shown",
        _pwf2_encoded_echo,
    ),
    _m(
        "frm5-hs-keepalive",
        "FRM-5",
        "test_eke_client_eror_enders.py",
        "L3: a clear NOOP or PING during the login is skipped as a keep-alive: the EKE2 after it "
        "is answered EKE3",
        _frm5_hs_keepalive,
    ),
    _m(
        "err3-data-eror-bye",
        "ERR-3",
        "test_eke_client_eror_enders.py",
        "L3: the get's DATA loop says goodbye on its way out: after a fatal EROR (internal, "
        "timeout) among a get's DATA the client seals a BYE_, then closes",
        _err3_data_eror_bye,
    ),
    _m(
        "rec3-data-inner-ad",
        "EKE-REC-3",
        "test_eke_client_eror_enders.py",
        "L4: the zero-copy sealer (a put's DATA records) takes the inner frame's header as the "
        "associated data, not the record's header",
        _rec3_data_inner_ad,
    ),
    _m(
        "err8-code-from-name",
        "ERR-8",
        "test_eke_client_eror_enders.py",
        "L5: an EROR without `code` is repaired from its `name`: {name: not_found} is a "
        "non-fatal refusal, the client stays and says BYE_",
        _err8_code_from_name,
    ),
    _m(
        "err4-code-u32",
        "ERR-4",
        "test_eke_client_eror_enders.py",
        "L6: the EROR code is kept in 32 bits: 2^32 + 6 is read as not_found, a non-fatal "
        "refusal (the client stays, says BYE_), not an unknown code",
        _err4_code_u32,
    ),
    _m(
        "post-err3-timeout-bye",
        "ERR-3",
        "test_eke_client_eror_enders.py",
        "(post-blind) an EROR timeout (fatal) is the server leaving politely: the client seals a "
        "BYE_ after it, then closes (after other fatal codes it sends nothing)",
        _post_err3_timeout_bye,
    ),
    _m(
        "post-err8-null-from-name",
        "ERR-8",
        "test_eke_client_eror_enders.py",
        "(post-blind) an EROR whose code is null is repaired from its `name` (a missing code is "
        "refused): {code: null, name: not_found} is a non-fatal refusal, the client says BYE_",
        _post_err8_null_from_name,
    ),
)
