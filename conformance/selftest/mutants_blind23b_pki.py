"""Blind red-team round 23, second pass (helper B149): the sft-pki/1 RESPONDER and the
application layer it serves, through the six lenses of round 23
(/work/briefs/s23/common.md, second.md).

Phase 1 (blind): written from docs/SPEC.md (§1-§3, §4.1-§4.3, §6) and the reference's
responder code (reference/pki/peer.py, tls.py, reference/app.py, transfer.py, share.py)
before any case file or independent implementation was opened. Ideas found among the
3 844 registered mutants were dropped before any code was written (r): the name of a
failed put kept reserved server-wide, the RSFL digest cached by name and size, the
control limit counted in characters, session tickets across a CRL refresh, the idle
timeout lost after a refusal, an alias checked as a host name, the responder's own
SSLKEYLOGFILE (not observable: the suite does not start the responder).

Lens 1 — the seeds' flaws in disguise (truncation accepted when the sizes agree,
traversal through a link):
  b23bpki-get-shrunk-short-done      a share file that shrinks during a get ends it early:
                                     the short read is taken for the end of the file and a
                                     DONE for the bytes actually sent follows (size < RSFL)
  b23bpki-get-shrunk-announced-done  the same, but the DONE repeats the announced size (the
                                     digest is of the bytes sent): the sizes agree
  b23bpki-relative-link-followed     symbolic links whose target is relative are followed
                                     ("they stay in the share"), absolute ones refused: a
                                     relative `../outside/secret` link leaves the share
Lens 4 — silent degradation (a protection switched off after an error):
  b23bpki-double-refusal-closes      a PUTF refused for two reasons at once (size above the
                                     limit AND a refused name) is taken for a probe: its
                                     non-fatal too_large is followed by the close
Lens 5 — the SPEC's numbers, applied at the wrong place:
  b23bpki-control-limit-idle-only    the 64 KiB control-payload limit is checked in IDLE only:
                                     during a put (RECEIVING) a DONE of 70 000 bytes, within
                                     the frame limit, is read and parsed, never frame_too_large
Post-blind class checks (phase 3):
  b23bpki-control-limit-requests-only (post-blind) the 64 KiB control limit bounds requests
                                     (RQFL, PUTF, BYE_) only: a 70 000-byte DONE is parsed
  b23bpki-link-chain-followed        (post-blind) a relative link without `..` is followed by
                                     the kernel: a link to another link of the share that
                                     leads outside escapes
"""

from __future__ import annotations

from typing import Any

from conformance.selftest.mutant import Mutant, _module
from conformance.selftest.mutants_app import _patch_source

__all__ = ["MUTANTS"]

_GROUP = "blind23b-pki"


def _transfer() -> Any:
    return _module("reference.transfer")


def _share() -> Any:
    return _module("reference.share")


def _app() -> Any:
    return _module("reference.app")


def _restatic(owner: Any, attr: str) -> None:
    """_patch_source sets a plain function: a staticmethod must stay one."""
    fn = owner.__dict__[attr]
    if not isinstance(fn, staticmethod):
        setattr(owner, attr, staticmethod(fn))


# --- lens 1 -----------------------------------------------------------------------------------

_SHRANK = '            raise OSError("the file shrank while it was being sent")\n'


def _shrunk_done(size_expr: str) -> None:
    _patch_source(
        _transfer()._Channel,
        "send_file",
        (
            _SHRANK,
            "            from reference.app import ResponderState as _RS\n"
            "            from reference.messages import encode_message as _enc\n"
            "            _out = self.conn._outgoing\n"
            f"            _done = Done({size_expr}, _out.digest.hexdigest())\n"
            "            self.stream.sendall(_enc(_done))\n"
            "            self.conn._outgoing = None\n"
            "            self.conn.state = _RS.IDLE\n"
            "            self.release_buffers()\n"
            "            return\n",
        ),
    )


def _get_shrunk_short_done() -> None:
    _shrunk_done("sent")


def _get_shrunk_announced_done() -> None:
    _shrunk_done("size")


_LINK_BRANCH = (
    "            if stat.S_ISLNK(st.st_mode):\n"
    "                raise _symlink_refused(name) from None\n"
)


def _relative_link_followed() -> None:
    owner = _share().ShareDirectory
    _patch_source(
        owner,
        "_open_component",
        (
            _LINK_BRANCH,
            "            if stat.S_ISLNK(st.st_mode):\n"
            "                if not os.readlink(part, dir_fd=dir_fd).startswith('/'):\n"
            "                    return os.open(part, flags & ~os.O_NOFOLLOW, "
            "dir_fd=dir_fd)\n"
            "                raise _symlink_refused(name) from None\n",
        ),
    )
    _restatic(owner, "_open_component")


def _link_chain_followed() -> None:
    owner = _share().ShareDirectory
    _patch_source(
        owner,
        "_open_component",
        (
            _LINK_BRANCH,
            "            if stat.S_ISLNK(st.st_mode):\n"
            "                _t = os.readlink(part, dir_fd=dir_fd)\n"
            "                if not _t.startswith('/') and '..' not in _t.split('/'):\n"
            "                    return os.open(part, flags & ~os.O_NOFOLLOW, "
            "dir_fd=dir_fd)\n"
            "                raise _symlink_refused(name) from None\n",
        ),
    )
    _restatic(owner, "_open_component")


# --- lens 4 -----------------------------------------------------------------------------------


def _double_refusal_closes() -> None:
    _patch_source(
        _transfer().Responder,
        "_put",
        (
            "                ErrorCode.TOO_LARGE, f\"files are limited to "
            '{self.policy.max_file_size} bytes"\n'
            "            )\n"
            "        )\n"
            "        return\n",
            "                ErrorCode.TOO_LARGE, f\"files are limited to "
            '{self.policy.max_file_size} bytes"\n'
            "            )\n"
            "        )\n"
            "        try:\n"
            "            inbox.target_name(request.name)\n"
            "        except RemoteProtocolError as _exc:\n"
            "            if _exc.code is ErrorCode.FORBIDDEN:  # two faults: a probe\n"
            "                raise TransferFailed(_exc.code, 'probe', remote=False) "
            "from None\n"
            "        return\n",
        ),
    )


# --- lens 5 -----------------------------------------------------------------------------------


def _no_decode_limit() -> None:
    """The parser's own copy of the limit (a second check the reference keeps) goes: an
    implementation has the one check the mutant moves."""
    frames = _module("reference.frames")
    messages = _module("reference.messages")
    _patch_source(frames, "loads_control", ("if len(payload) > MAX_CONTROL_PAYLOAD:", "if False:"))
    messages.loads_control = frames.loads_control


def _control_limit_idle_only() -> None:
    _no_decode_limit()
    conn = _app().ApplicationConnection
    _patch_source(
        conn,
        "_check_header",
        (
            "if frame_type != T_DATA and length > MAX_CONTROL_PAYLOAD:",
            "if False:",
        ),
    )
    _restatic(conn, "_check_header")
    _patch_source(
        conn,
        "_next_event",
        (
            "    frame_type, length = self._header\n",
            "    frame_type, length = self._header\n"
            "    if (\n"
            "        frame_type != T_DATA\n"
            "        and length > MAX_CONTROL_PAYLOAD\n"
            "        and self.state is not R.RECEIVING\n"
            "    ):\n"
            "        raise RemoteProtocolError(ErrorCode.FRAME_TOO_LARGE, 'control payload')\n",
        ),
    )


def _control_limit_requests_only() -> None:
    _no_decode_limit()
    conn = _app().ApplicationConnection
    _patch_source(
        conn,
        "_check_header",
        (
            "if frame_type != T_DATA and length > MAX_CONTROL_PAYLOAD:",
            "if frame_type in (T_RQFL, T_PUTF, T_BYE) and length > MAX_CONTROL_PAYLOAD:",
        ),
    )
    _restatic(conn, "_check_header")


def _m(
    name: str, requirement: str, test_file: str, description: str, apply: Any, **kw: Any
) -> Mutant:
    return Mutant(
        name=name,
        group=_GROUP,
        profile="pki",
        requirement=requirement,
        test_file=test_file,
        description=description,
        apply=apply,
        **kw,
    )


MUTANTS: tuple[Mutant, ...] = (
    # lens 1
    _m(
        "b23bpki-get-shrunk-short-done",
        "APP-GET-2",
        "test_app_share_files.py",
        "L1/L6: a share file that shrinks during a get ends it early: the short read is "
        "taken for the end of the file and a DONE for the bytes sent follows (size below "
        "RSFL.size)",
        _get_shrunk_short_done,
    ),
    _m(
        "b23bpki-get-shrunk-announced-done",
        "APP-GET-2",
        "test_app_share_files.py",
        "L1: a share file that shrinks during a get ends it early with a DONE repeating the "
        "announced size (the digest is of the bytes sent): fewer DATA bytes than announced",
        _get_shrunk_announced_done,
    ),
    _m(
        "b23bpki-relative-link-followed",
        "APP-NAME-4",
        "test_app_relative_link_escapes.py",
        "L1/L2: symbolic links with a relative target are followed ('they stay in the "
        "share'), absolute ones refused: a link to ../outside/secret.txt serves a file "
        "outside the share",
        _relative_link_followed,
    ),
    # lens 4
    _m(
        "b23bpki-double-refusal-closes",
        "FRM-16",
        "test_framing.py",
        "L4: a PUTF refused for two reasons at once (size above the limit and a refused "
        "name) is taken for a probe: its non-fatal too_large is followed by the close",
        _double_refusal_closes,
    ),
    # lens 5
    _m(
        "b23bpki-control-limit-idle-only",
        "FRM-8",
        "test_app_put_oversize_control.py",
        "L5: the 64 KiB control-payload limit is checked in IDLE only: during a put a DONE "
        "of 70 000 bytes (within the frame limit) is read and parsed, not frame_too_large",
        _control_limit_idle_only,
    ),
    # post-blind
    _m(
        "b23bpki-link-chain-followed",
        "APP-NAME-4",
        "test_app_relative_link_escapes.py",
        "(post-blind) L1: a relative link without '..' is followed by the kernel: a link "
        "to another link of the share that leads outside serves a file outside the share",
        _link_chain_followed,
    ),
    _m(
        "b23bpki-control-limit-requests-only",
        "FRM-8",
        "test_app_put_oversize_control.py",
        "(post-blind) L5: the 64 KiB control limit is applied to requests (RQFL, PUTF, BYE_) "
        "only: a DONE of 70 000 bytes ending a put is read and parsed, not frame_too_large",
        _control_limit_requests_only,
    ),
)
