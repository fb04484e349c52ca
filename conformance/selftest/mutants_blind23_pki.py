"""Blind red-team round 23 (helper B143): the sft-pki/1 RESPONDER and the application
protocol it serves, through the six lenses of round 23 (/work/briefs/s23/common.md).

Phase 1 (blind): written from docs/SPEC.md (§1-§3, §4.1-§4.3, §6) and the reference's
responder code (reference/pki/peer.py, tls.py, alias.py, reference/app.py, transfer.py,
share.py, frames.py, messages.py, admission.py, closing.py) before any case file or
independent implementation was opened. Every idea was checked against the names and
descriptions of the 3 844 registered mutants; those repeating a registered idea were
replaced before any code was written (r) (dropped: a client chain accepted unverified
(RequireAnyClientCert), PUTF.size held in 32 bits, established connections left in the
per-address count, KeyUsage checked for EC keys only, a get read to EOF, a malformed or
non-fatal EROR ignored, a completed put rolled back without BYE_, the idle timeout lost
after a get, the name limits in characters or UTF-16 code units, the 0644 temporary,
a refusal quoting the whole name past 512 characters, the allow list as a joined string).

Lens 1 — the seeds' flaws in disguise:
  b23pki-put-fullwidth-fold        (r) a "homoglyph defence" folds full-width ASCII
                                   (U+FF01-U+FF5E) to ASCII in the put's stored name AFTER
                                   the name checks: `..／x` is stored as ../x, outside the
                                   inbox (and `．sft-partial-x` as a reserved name)
  b23pki-put-count-not-compared    DONE.size compared with PUTF.size, DONE.sha256 with the
                                   bytes received, never their count: a put cut short whose
                                   DONE repeats the announced size (and hashes what came)
                                   is stored truncated
  b23pki-checks-own-cert           (r) the post-handshake certificate checks (CN syntax,
                                   BasicConstraints, EKU, KeyUsage, algorithms) run on the
                                   responder's OWN certificate; only the alias is the peer's
Lens 2 — only the common case of a MUST:
  b23pki-putf-sha-first-put-only   PUTF.sha256 compared on the connection's first put only;
                                   later puts' announced digests are dropped
  b23pki-data-bound-first-frame    the 1 MiB DATA bound checked on a put's first DATA frame
                                   only: a later DATA of 1 MiB + 1..256 is taken (the frame
                                   limit still bounds it)
Lens 3 — cross-session replay and splicing:
  b23pki-forbidden-serves-pipelined  an initiator off the allow list gets `forbidden` for
                                   its first request, and the requests it pipelined behind
                                   it (already received) are answered before the close
Lens 4 — silent degradation:
  b23pki-inbox-index-at-start      "exists" judged from an index of the inbox read at start
                                   and updated by this process's puts: an entry made in the
                                   inbox since (by hand, another process) is not `exists`
                                   at PUTF; the put is accepted and refused at its DONE
  b23pki-large-put-in-place        puts over 1 MiB are received straight under their final
                                   name ("no double disk space for big files"), removed on
                                   failure: the final name exists, half-written, mid-put
Lens 5 — the SPEC's numbers:
  b23pki-eror-exempt-control-limit (withdrawn after judging, see below) the 64 KiB control
                                   limit spares EROR: an EROR of 70 000 bytes is read and
                                   the connection closed, never answered frame_too_large
Lens 6 — misplaced trust in the layer below:
  b23pki-big-put-sha-trusted       TLS is trusted for integrity on large puts: above 1 MiB
                                   only the size is verified, DONE.sha256 and PUTF.sha256
                                   are not compared ("hashing GiBs costs a core")

Blind result (phase 2; each mutant against the file first named, --only-req, --no-rerun):
4 of 10 detected by the file named — put-count-not-compared (test_app_put.py),
checks-own-cert (test_pki_certs.py), putf-sha-first-put-only (test_app_later_put_checks.py),
inbox-index-at-start (test_app_inbox_now.py). Caught by another file citing the
requirement, 1: put-fullwidth-fold (test_app_put.py test_put_names_are_stored_literally:
its full-width LETTER comes back renamed in RSFL; the named test_app_put_name_folds.py
FAILs it as APP-PUT-1 only). Missed by every file citing the requirement, 5:
data-bound-first-frame (FRM-13: the oversize and the empty DATA are always a put's first
frame), forbidden-serves-pipelined (PKI-ID-3: every stranger case sends one request),
large-put-in-place (APP-STORE-2: the visibility cases put small files),
big-put-sha-trusted (APP-PUT-5: no put above 1 MiB is sent with a wrong digest),
eror-exempt-control-limit (FRM-8: no case sends the responder an oversize EROR).
Withdrawn: eror-exempt-control-limit. A case expecting `frame_too_large` for a 70 000-byte
EROR FAILed the independent eke1, which closes on every EROR without parsing it — what
ERR-8 allows for a malformed EROR; the SPEC does not say whether an oversize EROR is
"received" (ERR-3: close) or refused (FRM-8), and the harm is bounded by FRM-3. A sentence
is proposed in the round's report; no case, and the mutant is not registered.

Phase 3 (cases for the class; each file 3x PASS on the reference, PASS on pki1, pki2 and,
for the two-profile files, eke1, eke2, eke6): 12 of 12 registered detected, with three
post-blind class checks (put-separator-fold-at-commit, empty-data-later-frame,
putf-sha-small-puts-only):
- test_app_put_later_data_frame_bounds.py (FRM-13, FRM-16, ERR-3): DATA of 1 MiB + 1 and
  an empty DATA after one or three valid frames, on a connection's first and second put;
- test_pki_allow_list_pipelined.py (PKI-ID-3, APP-2): a stranger's three requests in one
  write, a put first or last: only forbidden/auth_failed, then the close;
- test_app_put_folded_separators.py (APP-PUT-2, APP-NAME-3, APP-PUT-3): names holding
  look-alikes of '.' and '/' only (full-width, leaders, small full stop, division,
  fraction and big solidus) stored literally in the inbox, nothing under the ASCII
  rewriting inside or beside it, a second PUTF `exists`;
- test_app_put_large_verification.py (APP-PUT-5, APP-STORE-2): wrong DONE.sha256 and
  wrong PUTF.sha256 at 4 KiB, 1 MiB, 1 MiB + 1 and the maximum file size (<= 4 MiB):
  integrity_failed and the name free again; no final name while a put of each size is
  half received.
"""

from __future__ import annotations

import os
from typing import Any

from conformance.selftest.mutant import Mutant, _module
from conformance.selftest.mutants_app import _patch_source

__all__ = ["MUTANTS"]

_GROUP = "blind23-pki"
_MIB = 1024 * 1024


def _transfer() -> Any:
    return _module("reference.transfer")


def _share() -> Any:
    return _module("reference.share")


def _tls() -> Any:
    return _module("reference.pki.tls")


def _peer() -> Any:
    return _module("reference.pki.peer")


def _frames() -> Any:
    return _module("reference.frames")


def _app() -> Any:
    return _module("reference.app")


def _restatic(owner: Any, attr: str) -> None:
    """_patch_source sets a plain function: a staticmethod must stay one."""
    fn = owner.__dict__[attr]
    if not isinstance(fn, staticmethod):
        setattr(owner, attr, staticmethod(fn))


# --- lens 1 -----------------------------------------------------------------------------------


def _put_fullwidth_fold() -> None:
    share = _share()
    share._b23_fold = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)}
    _patch_source(
        share.Inbox,
        "target_name",
        (
            "    base = check_name(name)[-1]\n",
            "    base = check_name(name)[-1].translate(_b23_fold)  # look-alikes collide\n",
        ),
    )
    # The reserved-prefix check ran on the name as offered: move it after the fold too
    # would be the fix; the mutant keeps the order (check, then fold).


def _put_count_not_compared() -> None:
    _patch_source(
        _app()._Transfer,
        "check_done",
        (
            "done.size == self.announced == self.count and done.sha256 == sha",
            "done.size == self.announced and done.sha256 == sha",
        ),
    )


def _checks_own_cert() -> None:
    tls = _tls()
    peer = _peer()
    serialization = _module("cryptography.hazmat.primitives.serialization")
    x509 = _module("cryptography.x509")
    original_context = tls.server_context

    def server_context(identity: Any, crl_der: bytes) -> Any:
        ctx = original_context(identity, crl_der)
        own = x509.load_pem_x509_certificate(identity.cert.read_bytes())
        ctx._b23_own = own.public_bytes(serialization.Encoding.DER)
        return ctx

    def peer_alias(sock: Any, *, as_server: bool) -> str:
        if sock.selected_alpn_protocol() != tls.ALPN:
            raise tls.CertificateRefused(f"the peer did not negotiate ALPN {tls.ALPN}")
        if sock.version() != "TLSv1.3":
            raise tls.CertificateRefused("the peer did not negotiate TLS 1.3")
        der = sock.getpeercert(binary_form=True)
        if der is None:
            raise tls.CertificateRefused("no certificate was presented")
        own = getattr(sock.context, "_b23_own", None)
        tls.check_peer_certificate(own or der, as_server=as_server)  # the wrong object
        return str(tls._common_name(tls._decoded(der)))

    tls.server_context = server_context
    peer.server_context = server_context
    tls.peer_alias = peer_alias
    peer.peer_alias = peer_alias


# --- lens 2 -----------------------------------------------------------------------------------

_PUTF_BRANCH = (
    "        self._incoming = _Transfer(message.size, message.sha256, "
    "self._digest_factory)\n"
    "    elif isinstance(message, FileResponse):"
)


def _putf_sha_first_put_only() -> None:
    _patch_source(
        _app().ApplicationConnection,
        "_on_control",
        (
            _PUTF_BRANCH,
            "        puts = getattr(self, '_b23_puts', 0)\n"
            "        self._b23_puts = puts + 1\n"
            "        announced = message.sha256 if puts == 0 else None\n"
            "        self._incoming = _Transfer(message.size, announced, "
            "self._digest_factory)\n"
            "    elif isinstance(message, FileResponse):",
        ),
    )


def _data_bound_first_frame() -> None:
    conn = _app().ApplicationConnection
    _patch_source(
        conn,
        "_check_header",
        (
            "if frame_type == T_DATA and not 1 <= length <= MAX_DATA_PAYLOAD:",
            "if frame_type == T_DATA and not 1 <= length:",
        ),
    )
    _restatic(conn, "_check_header")
    _patch_source(
        conn,
        "_next_event",
        (
            "        assert self._incoming is not None\n",
            "        assert self._incoming is not None\n"
            "        if self._incoming.count == 0 and length > MAX_DATA_PAYLOAD:\n"
            "            raise RemoteProtocolError(ErrorCode.BAD_FRAME, "
            "'DATA payload above 1 MiB')\n",
        ),
    )


# --- lens 3 -----------------------------------------------------------------------------------


def _forbidden_serves_pipelined() -> None:
    _patch_source(
        _transfer().Responder,
        "run",
        (
            "        while True:\n            event = channel.next_event()\n",
            "        while True:\n"
            "            if getattr(self, '_b23_refused', False) and not (\n"
            "                channel.conn._buffer or channel.conn._header is not None\n"
            "            ):\n"
            "                return  # nothing more was received: close now\n"
            "            event = channel.next_event()\n",
        ),
        (
            "            if not self.policy.authorised:\n",
            "            if not self.policy.authorised and not getattr(self, '_b23_refused', "
            "False):\n"
            "                self._b23_refused = True\n",
        ),
        (
            "                channel.send(ErrorFrame(ErrorCode.FORBIDDEN, self.policy.refusal))\n"
            "                return\n",
            "                channel.send(ErrorFrame(ErrorCode.FORBIDDEN, self.policy.refusal))\n"
            "                continue  # what it already sent is answered, then the close\n",
        ),
    )


# --- lens 4 -----------------------------------------------------------------------------------


def _inbox_index_at_start() -> None:
    share = _share()
    inbox = share.Inbox
    original_init = inbox.__init__

    def __init__(self: Any, path: Any) -> None:
        original_init(self, path)
        self._b23_index = set(os.listdir(self._fd))  # one scan, then kept up to date

    inbox.__init__ = __init__
    _patch_source(
        inbox,
        "target_name",
        (
            "    try:\n"
            "        os.stat(base, dir_fd=self._fd, follow_symlinks=False)\n"
            "    except FileNotFoundError:\n"
            "        return base\n",
            "    if base not in self._b23_index:\n        return base\n",
        ),
    )
    _patch_source(
        _transfer().Responder,
        "_put",
        (
            "    self.channel.send(self.channel.conn.stored_done())\n",
            "    inbox._b23_index.add(final)\n"
            "    self.channel.send(self.channel.conn.stored_done())\n",
        ),
    )


def _large_put_in_place() -> None:
    transfer = _transfer()

    def in_place(partial: Any) -> None:
        os.rename(
            partial.temp_name,
            partial.final_name,
            src_dir_fd=partial._dir_fd,
            dst_dir_fd=partial._dir_fd,
        )
        partial.temp_name = partial.final_name  # abort() removes the final name

        def commit(*, overwrite: bool = False) -> None:
            del overwrite
            assert partial._file is not None
            os.fsync(partial._file.fileno())
            partial._file.close()
            partial._file = None
            partial._done = True
            os.fsync(partial._dir_fd)

        partial.commit = commit

    transfer._b23_in_place = in_place
    _patch_source(
        transfer.Responder,
        "_put",
        (
            "        partial = inbox.begin(final, request.size)\n",
            "        partial = inbox.begin(final, request.size)\n"
            "        if request.size > 1024 * 1024:  # big: no second copy on disk\n"
            "            _b23_in_place(partial)\n",
        ),
    )


# --- lens 5 -----------------------------------------------------------------------------------


def _eror_exempt_control_limit() -> None:
    conn = _app().ApplicationConnection
    _patch_source(
        conn,
        "_check_header",
        (
            "if frame_type != T_DATA and length > MAX_CONTROL_PAYLOAD:",
            "if frame_type not in (T_DATA, T_EROR) and length > MAX_CONTROL_PAYLOAD:",
        ),
    )
    _restatic(conn, "_check_header")
    frames = _frames()
    _patch_source(
        frames,
        "loads_control",
        ("    if len(payload) > MAX_CONTROL_PAYLOAD:\n", "    if False:\n"),
    )
    _module("reference.messages").loads_control = frames.loads_control


# --- lens 6 -----------------------------------------------------------------------------------


def _big_put_sha_trusted() -> None:
    _patch_source(
        _app()._Transfer,
        "check_done",
        (
            "done.size == self.announced == self.count and done.sha256 == sha",
            "done.size == self.announced == self.count"
            " and (done.sha256 == sha or self.count > 1024 * 1024)",
        ),
        (
            "if self.expected_sha256 is not None and self.expected_sha256 != sha:",
            "if self.expected_sha256 is not None and self.expected_sha256 != sha"
            " and self.count <= 1024 * 1024:",
        ),
    )


# --- post-blind class checks ------------------------------------------------------------------

_SEPARATOR_LOOK_ALIKES = {
    "\uff0e": ".",
    "\u2024": ".",
    "\u2025": "..",
    "\ufe52": ".",
    "\uff0f": "/",
    "\u2215": "/",
    "\u2044": "/",
    "\u29f8": "/",
}


def _put_separator_fold_at_commit() -> None:
    share = _share()
    table = str.maketrans(_SEPARATOR_LOOK_ALIKES)
    original_begin = share.Inbox.begin

    def begin(self: Any, final_name: str, size: int) -> Any:
        # Only the path syntax is "cleaned", and only where the file is made: RSFL and
        # the exists probe still show the name as offered.
        return original_begin(self, final_name.translate(table), size)

    share.Inbox.begin = begin


def _empty_data_later_frame() -> None:
    conn = _app().ApplicationConnection
    _patch_source(
        conn,
        "_check_header",
        (
            "if frame_type == T_DATA and not 1 <= length <= MAX_DATA_PAYLOAD:",
            "if frame_type == T_DATA and not 0 <= length <= MAX_DATA_PAYLOAD:",
        ),
    )
    _restatic(conn, "_check_header")
    _patch_source(
        conn,
        "_next_event",
        (
            "        assert self._incoming is not None\n",
            "        assert self._incoming is not None\n"
            "        if self._incoming.count == 0 and length == 0:\n"
            "            raise RemoteProtocolError(ErrorCode.BAD_FRAME, 'empty DATA frame')\n",
        ),
    )


def _putf_sha_small_puts_only() -> None:
    _patch_source(
        _app()._Transfer,
        "check_done",
        (
            "if self.expected_sha256 is not None and self.expected_sha256 != sha:",
            "if self.expected_sha256 is not None and self.expected_sha256 != sha"
            " and self.count <= 1024 * 1024:",
        ),
    )


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
        "b23pki-put-fullwidth-fold",
        "APP-NAME-3",
        "test_app_put_folded_separators.py",
        "L1: full-width ASCII (U+FF01-U+FF5E) folded to ASCII in the put's stored name after "
        "the name checks: `..／x` is stored as ../x, outside the inbox",
        _put_fullwidth_fold,
    ),
    _m(
        "b23pki-put-count-not-compared",
        "APP-PUT-5",
        "test_app_put.py",
        "L1: DONE.size compared with PUTF.size and DONE.sha256 with the bytes received, never "
        "their count: a put cut short whose DONE repeats the announced size is stored",
        _put_count_not_compared,
    ),
    _m(
        "b23pki-checks-own-cert",
        "PKI-CERT-5",
        "test_pki_certs.py",
        "L1: the post-handshake certificate checks (BasicConstraints, EKU, KeyUsage, "
        "algorithms) run on the responder's own certificate; only the alias is the client's",
        _checks_own_cert,
    ),
    # lens 2
    _m(
        "b23pki-putf-sha-first-put-only",
        "APP-PUT-5",
        "test_app_later_put_checks.py",
        "L2: PUTF.sha256 compared on the connection's first put only; later puts' announced "
        "digests are dropped",
        _putf_sha_first_put_only,
    ),
    _m(
        "b23pki-data-bound-first-frame",
        "FRM-13",
        "test_app_put_later_data_frame_bounds.py",
        "L2: the 1 MiB DATA bound checked on a put's first DATA frame only: a later DATA of "
        "1 MiB + 1 (within the frame limit) is taken",
        _data_bound_first_frame,
    ),
    # lens 3
    _m(
        "b23pki-forbidden-serves-pipelined",
        "PKI-ID-3",
        "test_pki_allow_list_pipelined.py",
        "L3: an initiator off the allow list gets forbidden for its first request; the "
        "requests pipelined behind it (already received) are answered before the close",
        _forbidden_serves_pipelined,
    ),
    # lens 4
    _m(
        "b23pki-inbox-index-at-start",
        "APP-PUT-3",
        "test_app_inbox_now.py",
        "L4: `exists` judged from an index of the inbox read at start plus this process's "
        "puts: an entry made in the inbox since is accepted at PUTF, refused at DONE",
        _inbox_index_at_start,
    ),
    _m(
        "b23pki-large-put-in-place",
        "APP-STORE-2",
        "test_app_put_large_verification.py",
        "L4: puts over 1 MiB are received straight under their final name (no second copy), "
        "removed on failure: the final name exists, half-written, during the put",
        _large_put_in_place,
    ),
    # lens 6
    _m(
        "b23pki-big-put-sha-trusted",
        "APP-PUT-5",
        "test_app_put_large_verification.py",
        "L6: TLS trusted for integrity on large puts: above 1 MiB only the size is verified, "
        "DONE.sha256 and PUTF.sha256 are not compared",
        _big_put_sha_trusted,
    ),
    # post-blind class checks
    _m(
        "b23pki-put-separator-fold-at-commit",
        "APP-PUT-2",
        "test_app_put_folded_separators.py",
        "(post-blind) look-alikes of '.' and '/' (U+FF0E, U+2024, U+2025, U+FE52, U+FF0F, "
        "U+2215, U+2044, U+29F8) folded to ASCII where the file is made only; RSFL and the "
        "exists probe keep the offered name: `..／x` is stored beside the inbox",
        _put_separator_fold_at_commit,
    ),
    _m(
        "b23pki-empty-data-later-frame",
        "FRM-13",
        "test_app_put_later_data_frame_bounds.py",
        "(post-blind) an empty DATA frame is refused as a put's first frame only: a later "
        "empty DATA is skipped",
        _empty_data_later_frame,
    ),
    _m(
        "b23pki-putf-sha-small-puts-only",
        "APP-PUT-5",
        "test_app_put_large_verification.py",
        "(post-blind) PUTF.sha256 compared for puts of at most 1 MiB only (DONE.sha256 for "
        "every put): a larger put whose announced digest is not its bytes' is stored",
        _putf_sha_small_puts_only,
    ),
)
