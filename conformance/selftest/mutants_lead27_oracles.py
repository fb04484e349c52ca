"""Lead, round 27 (helper B214): the kit's SHARED oracles audited for leniency, part 3.

A shared judge that accepts a wrong answer weakens every case that uses it at once. Each
mutant below exploits one such spot; the spot is then made to FAIL the violation under its
requirement, with evidence.

- lead27-or-eke-client-integrity-eror-enum-name: the eke CLIENT's EROR for a failed digest
  check at DONE carries `name` = the enum identifier ("INTEGRITY_FAILED", Python's `code.name`)
  instead of the table's name [ERR-1]. `test_eke_client_transfer._judge_failed_get`
  (imported by 47 eke client case files) took any EROR whose code was the owed one, never
  judging its form, where the pki twin (`test_pki_initiator_transfer._judge_failed_get`)
  judges it as a sender's frame (FRM-14, ERR-1). Before: not detected; after: FAILs ERR-1
  (test_eke_client_transfer.py, the owed-integrity_failed lies).
- lead27-or-eke-auth-failed-ns-repr: the eke server's EROR auth_failed for a bad EKE3
  appends the expected Ns as Python formats bytes (b'\\x8f...') [ERR-5].
  `disclosure.find_secret` searched text, contiguous hex and base64 only. Before: not
  detected; after: FAILs ERR-5 (test_error_disclosure.py, test_eke_handshake_eror_secrets.py)
  through `disclosure.decoded_views` (escaped bytes, separated hex, decimal byte lists).
- lead27-or-eke-client-c2-kcs-repr: the eke client prints a debugging line with Kcs as
  Python formats bytes when C2 does not open [PWF-2]. `secret_needles.found_in` searched the
  raw text only. Before: not detected; after: FAILs PWF-2 (test_client_output_secrets.py).
"""

from __future__ import annotations

from typing import Any

from conformance.selftest.mutant import Mutant, _module

__all__ = ["MUTANTS"]

_GROUP = "lead27-oracles"

_CLIENT_EROR = (
    "                stream.send(\n"
    "                    ErrorFrame(exc.code if exc.code.fatal else ErrorCode.INTERNAL,"
    " exc.message)\n"
    "                )\n"
)


def _eke_client_integrity_eror_enum_name() -> None:
    from conformance.selftest.mutants_app import _patch_method

    client = _module("reference.eke.client")
    frames = _module("reference.frames")

    def send_eror(stream: Any, code: Any, message: str) -> None:
        if code is not client.ErrorCode.INTEGRITY_FAILED or message.startswith("more data"):
            stream.send(client.ErrorFrame(code, message))
            return
        # The check at DONE (size / SHA-256) builds its EROR by hand: `name` from the enum's
        # identifier. (The overrun check on DATA keeps the shared encoder.)
        obj = {"code": int(code), "name": code.name, "message": message}
        stream.sock.sendall(
            stream.channel.seal(frames.encode_frame(b"EROR", frames.dumps_control(obj)))
        )

    client._or27_send_eror = send_eror
    _patch_method(
        client.EkeClient,
        "_next",
        (
            _CLIENT_EROR,
            "                _or27_send_eror(\n"
            "                    stream, exc.code if exc.code.fatal else ErrorCode.INTERNAL,"
            " exc.message\n"
            "                )\n",
        ),
    )


_HS_FAIL = "                self._outbox += encode_error(exc.code, _public_message(exc))\n"


def _eke_auth_failed_ns_repr() -> None:
    from conformance.selftest.mutants_app import _patch_method

    handshake = _module("reference.eke.handshake")
    _patch_method(
        handshake._Handshake,
        "_fail",
        (
            _HS_FAIL,
            "                detail = ''\n"
            "                if exc.code is ErrorCode.AUTH_FAILED and getattr(self, '_ns', None):\n"
            "                    detail = f' (EKE3 nonce check: expected Ns {self._ns!r})'\n"
            "                self._outbox += encode_error(\n"
            "                    exc.code, _public_message(exc) + detail\n"
            "                )\n",
        ),
    )


_OPEN_C2 = "        ns = crypto.open_confirm(keys.kcs, 2, _hex(obj, \"c\"), self._th)\n"


def _eke_client_c2_kcs_repr() -> None:
    from conformance.selftest.mutants_app import _patch_method

    handshake = _module("reference.eke.handshake")
    _patch_method(
        handshake.ClientHandshake,
        "_on_eke2",
        (
            _OPEN_C2,
            "        try:\n"
            "            ns = crypto.open_confirm(keys.kcs, 2, _hex(obj, 'c'), self._th)\n"
            "        except Exception:\n"
            "            import sys\n"
            "            print(f'sft: debug: C2 did not open, Kcs {keys.kcs!r}', file=sys.stderr)\n"
            "            raise\n",
        ),
    )



def _ca_userinfo_served() -> None:
    from conformance.selftest.mutants_app import _patch_method

    handler = _module("reference.pki.ca_server")._Handler
    _patch_method(
        handler,
        "_dispatch",
        (
            '            if not path.startswith("/") and "@" in urlsplit(path).netloc:\n',
            "            if False:\n",
        ),
    )
    for name in ("do_GET", "do_POST", "do_HEAD", "do_PUT", "do_DELETE", "do_PATCH"):
        if hasattr(handler, name):  # the do_* names copied the original _dispatch
            setattr(handler, name, handler._dispatch)


def _m(
    name: str,
    profile: str,
    requirement: str,
    test_file: str,
    description: str,
    apply: Any,
    **kw: Any,
) -> Mutant:
    return Mutant(
        name=f"lead27-or-{name}",
        group=_GROUP,
        profile=profile,
        requirement=requirement,
        test_file=test_file,
        description=description,
        apply=apply,
        **kw,
    )


MUTANTS: tuple[Mutant, ...] = (
    _m(
        "eke-client-integrity-eror-enum-name",
        "eke",
        "ERR-1",
        "test_eke_client_transfer.py",
        "the eke client's EROR for a failed check at DONE (size/SHA-256: integrity_failed) is "
        "built by hand "
        "with `name` = the enum identifier 'INTEGRITY_FAILED', not the table's name",
        _eke_client_integrity_eror_enum_name,
        client=True,
    ),
    _m(
        "eke-auth-failed-ns-repr",
        "eke",
        "ERR-5",
        "test_error_disclosure.py",
        "the eke server's EROR auth_failed for a bad EKE3 appends the nonce it expected, "
        "formatted as Python formats bytes (`{ns!r}`: b'\\x8f\\x12...'): Ns, in clear, in "
        "an escaped form no hex/base64/text search finds",
        _eke_auth_failed_ns_repr,
    ),
    _m(
        "eke-client-c2-kcs-repr",
        "eke",
        "PWF-2",
        "test_client_output_secrets.py",
        "the eke client, when the server's C2 does not open, prints a left-over debugging "
        "line with Kcs as Python formats bytes (`{kcs!r}`: b'\\x8f...') on stderr",
        _eke_client_c2_kcs_repr,
        client=True,
    ),
    _m(
        "ca-userinfo-served",
        "pki",
        "CA-ENR-15",
        "test_ca_query_in_every_target_form.py",
        "(lead, after B217) the CA serves an absolute-form target with userinfo "
        "(https://user:pw@host/v1/enroll) as its path: a password in the URL, and logged",
        _ca_userinfo_served,
        ca=True,
    ),
)
