"""Blind red team R3: bugs of the sft-pki/1 responder and of the application layer's
server side (both profiles), written from docs/SPEC.md and the reference alone, before
reading the conformance cases (see /work/briefs/s3/redteam_common.md).

The blind list (name -> requirement -> the bug):

App layer, profile pki:
- blind-pki-name-percent-decoded -> APP-NAME-3: each component is percent-decoded after
  the name check, so `%2e%2e/x` opens `../x` beside the share.
- blind-pki-name-del-allowed -> APP-NAME-2: control range off by one, DEL (U+007F) passes.
- blind-pki-bidi-pdi-missed -> APP-NAME-8: the isolates range stops before U+2069.
- blind-pki-component-255-refused -> APP-NAME-7: `>=` instead of `>` on the component.
- blind-pki-dir-symlink-followed -> APP-NAME-4: directories opened without O_NOFOLLOW.
- blind-pki-empty-file-overwritten -> APP-PUT-3: an existing empty file in the inbox is
  treated as a placeholder and replaced by the put.
- blind-pki-put-announced-sha-ignored -> APP-PUT-5: PUTF.sha256 never compared.
- blind-pki-put-overflow-after-payload -> APP-PUT-6: the overflow found by the disk
  write, after the whole oversized payload was read, not at its header.
- blind-pki-put-name-flattened -> APP-PUT-2: `dir/x` stored as `dir_x`, not `x`.

App layer, profile eke:
- blind-pki-eke-refusal-closes -> APP-NAME-2: every refusal (forbidden, not_found...)
  is followed by a close, as if it were fatal.
- blind-pki-eke-drive-lowercase -> APP-NAME-2: only `A:`..`Z:` refused, `c:x` passes.
- blind-pki-eke-c1-last-missed -> APP-NAME-8: C1 range `< 0x9F`, U+009F passes.
- blind-pki-eke-name-4096-refused -> APP-NAME-7: `< 4096` instead of `<= 4096`.
- blind-pki-eke-exists-on-full-name -> APP-PUT-3: the existence check stats the whole
  name, not its basename: `sub/x` with `x` stored is accepted, `exists` only at DONE.
- blind-pki-eke-size-limit-kib -> APP-PUT-7: the limit compared as if it were in KiB.
- blind-pki-eke-done-size-vs-count -> APP-PUT-5: DONE.size checked against the bytes
  received only, not the announced size: a short put with an honest DONE is stored.
- blind-pki-eke-partial-left -> APP-STORE-3: the temporary is not removed on failure.
- blind-pki-eke-reserved-full-name -> APP-NAME-9: the reserved prefix checked on the
  whole name, so `d/.sft-partial-x` is stored as `.sft-partial-x`.
- blind-pki-eke-concurrent-replace -> APP-PUT-8: the commit replaces (os.replace).
- blind-pki-eke-empty-put-unstored -> APP-PUT-5: a 0-byte put gets DONE but is not stored.
- blind-pki-eke-bye-no-close -> APP-BYE-1: BYE_ is not answered; the responder waits for
  the initiator to close.
- blind-pki-eke-dir-forbidden -> APP-GET-2: a directory answered `forbidden`.

TLS, certificates, identity (responder):
- blind-pki-tls12-allowed -> PKI-TLS-1: the server context's minimum is TLS 1.2 (and
  no post-handshake version check).
- blind-pki-alpn-optional -> PKI-TLS-2: no ALPN is accepted, only a wrong one refused.
- blind-pki-client-cert-optional -> PKI-TLS-3: CERT_OPTIONAL; refusal only afterwards.
- blind-pki-no-eku-accepted -> PKI-CERT-5: a certificate without EKU = any purpose.
- blind-pki-bc-ca-noncritical -> PKI-CERT-6: CA:TRUE refused only when critical.
- blind-pki-crl-flag-missing -> PKI-CERT-7: CRL loaded, VERIFY_CRL_CHECK_LEAF not set.
- blind-pki-time-unchecked -> PKI-CERT-3: X509_V_FLAG_NO_CHECK_TIME ("clock skew").
- blind-pki-ku-not-checked -> PKI-CERT-9: KeyUsage present suffices; digitalSignature
  never checked.
- blind-pki-first-cn -> PKI-ID-4: with several CNs the first one is used.
- blind-pki-allow-substring -> PKI-ID-4: `alias in ",".join(allow)`.
- blind-pki-unauthorised-get -> PKI-ID-3: the allow list only guards puts.
- blind-pki-forbidden-no-close -> PKI-ID-3: `forbidden` sent, the connection kept.
- blind-pki-close-no-notify -> PKI-TLS-7: the responder closes its TLS socket bare.
- blind-pki-ffdhe-group -> PKI-TLS-9: ffdhe2048 added to the groups.

Phase 2 (measured against the suite as it stood): 25 of 36 detected. Survivors:
put-overflow-after-payload, eke-exists-on-full-name, client-cert-optional,
bc-ca-noncritical, ku-not-checked, eke-partial-left, and five eke bugs planted in
reference.transfer.Responder, which sft-eke/1 does not use (eke-refusal-closes,
eke-size-limit-kib, eke-concurrent-replace, eke-empty-put-unstored, eke-bye-no-close):
those five are now planted in both responders (`_BOTH`: transfer.Responder for pki,
EkeServer for eke); of the ten, refusal-closes, size-limit-kib, concurrent-replace and
bye-no-close were detected at once, empty-put-unstored and partial-left survived.

Phase 3: client-cert-optional is dropped — PKI-TLS-10 makes a refusal right after the
handshake (`EROR auth_failed`, then close) conforming for a missing certificate too.
The other survivors are detected after test_app_put.py (header-only DATA beyond the
size, basename `exists`, an acknowledged 0-byte put is stored, no temporary left holding
a failed put's bytes) and test_pki_certs.py (CA:TRUE not critical or without
keyCertSign, no BasicConstraints, KeyUsage keyAgreement only) were strengthened.
`_FAMILIES` holds the bugs written afterwards for families the first list missed (a
temporary not named `.sft-partial-…` or not in the inbox, put names stripped or
NFC-normalised, DONE before the commit, a temporary kept when the initiator's EROR ends
a put, a put name checked on its basename only, string-prefix confinement, a final
symlink followed).
"""

from __future__ import annotations

import io
import os
import ssl
import stat
from collections.abc import Callable
from typing import Any

from conformance.selftest.mutant import Mutant, _module
from conformance.selftest.mutants_app import _patch_source

__all__ = ["MUTANTS"]


def _share() -> Any:
    return _module("reference.share")


def _transfer() -> Any:
    return _module("reference.transfer")


def _app() -> Any:
    return _module("reference.app")


def _tls() -> Any:
    return _module("reference.pki.tls")


def _peer() -> Any:
    return _module("reference.pki.peer")


def _check_name(*edits: tuple[str, str]) -> Callable[[], None]:
    def apply() -> None:
        _patch_source(_share(), "check_name", *edits)

    return apply


def _share_open(*edits: tuple[str, str]) -> Callable[[], None]:
    def apply() -> None:
        _patch_source(_share().ShareDirectory, "open", *edits)

    return apply


def _target_name(*edits: tuple[str, str]) -> Callable[[], None]:
    def apply() -> None:
        _patch_source(_share().Inbox, "target_name", *edits)

    return apply


def _responder(method: str, *edits: tuple[str, str]) -> Callable[[], None]:
    def apply() -> None:
        _patch_source(_transfer().Responder, method, *edits)

    return apply


def _check_done(*edits: tuple[str, str]) -> Callable[[], None]:
    def apply() -> None:
        _patch_source(_app()._Transfer, "check_done", *edits)

    return apply


def _bidi_pdi_missed() -> None:
    _share()._BIDI_CONTROLS = frozenset(map(chr, [*range(0x202A, 0x202F), *range(0x2066, 0x2069)]))


def _dir_symlink_followed() -> None:
    _share()._DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC


def _empty_file_overwritten() -> None:
    _patch_source(
        _share().Inbox,
        "target_name",
        (
            "os.stat(base, dir_fd=self._fd, follow_symlinks=False)",
            "if os.stat(base, dir_fd=self._fd, follow_symlinks=False).st_size == 0:\n"
            "            return base  # mutant: an empty file is a placeholder",
        ),
    )
    _patch_source(
        _transfer().Responder, "_put", ("partial.commit()", "partial.commit(overwrite=True)")
    )


def _overflow_after_payload() -> None:
    _patch_source(
        _app().ApplicationConnection,
        "_next_event",
        ("if self._incoming.count + length > self._incoming.announced:", "if False:"),
    )


def _partial_left() -> None:
    def __exit__(self: Any, *exc: object) -> None:
        pass  # mutant: the temporary stays when the block fails

    _share().PartialFile.__exit__ = __exit__


def _eke_server(method: str, *edits: tuple[str, str]) -> Callable[[], None]:
    def apply() -> None:
        _patch_source(_module("reference.eke.server").EkeServer, method, *edits)

    return apply


def _abort_keeps_file() -> None:
    def abort(self: Any) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
        self._done = True  # mutant: the unlink of the temporary is forgotten
        self._release_dir()

    _share().PartialFile.abort = abort


def _prefix_confinement() -> None:
    """A path-string share: realpath, then a string-prefix check (`share-evil` passes)."""
    share = _share()

    def open_(self: Any, name: str) -> Any:
        parts = share.check_name(name)
        root = os.path.realpath(self.path)
        path = os.path.realpath(os.path.join(root, *parts))
        if not path.startswith(root):  # mutant: a prefix of the string, not of components
            raise share.NameRefused("the name leads out of the share")
        try:
            fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC | os.O_NONBLOCK)
        except OSError:
            raise share._not_found(name) from None
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            os.close(fd)
            raise share._not_found(name)
        return share.SharedFile(io.FileIO(fd, "rb", closefd=True), st.st_size)

    share.ShareDirectory.open = open_


def _temporary_named(template: str) -> Callable[[], None]:
    """The temporary is named from the final name (`template`), not `.sft-partial-…`."""

    def apply() -> None:
        _patch_source(
            _share().PartialFile,
            "__init__",
            (
                'self.temp_name = f"{PARTIAL_PREFIX}{secrets.token_hex(12)}"',
                f"self.temp_name = f{template!r}",
            ),
        )

    return apply


def _temporary_kept_on_peer_error() -> None:
    """The initiator's EROR ends a put, but its temporary is kept "for a resume"."""
    share, transfer = _share(), _transfer()
    original = share.PartialFile.__exit__

    def __exit__(self: Any, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc_type is not None and issubclass(exc_type, transfer.TransferFailed):
            return  # mutant: the initiator gave up; keep what came for a resume
        original(self, exc_type, exc, tb)

    share.PartialFile.__exit__ = __exit__


def _final_symlink_followed() -> None:
    _share()._FILE_FLAGS = os.O_RDONLY | os.O_CLOEXEC | os.O_NONBLOCK


def _server_context(change: Callable[[ssl.SSLContext], None]) -> None:
    tls, peer = _tls(), _peer()
    original = tls.server_context

    def server_context(identity: Any, crl_der: bytes) -> ssl.SSLContext:
        ctx: ssl.SSLContext = original(identity, crl_der)
        change(ctx)
        return ctx

    tls.server_context = peer.server_context = server_context


def _peer_alias(*edits: tuple[str, str]) -> None:
    tls = _tls()
    _patch_source(tls, "peer_alias", *edits)
    _peer().peer_alias = tls.peer_alias


def _tls12_allowed() -> None:
    def change(ctx: ssl.SSLContext) -> None:
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2

    _server_context(change)
    _peer_alias(('if sock.version() != "TLSv1.3":', "if False:"))


def _alpn_optional() -> None:
    _peer_alias(
        (
            "if sock.selected_alpn_protocol() != ALPN:",
            "if sock.selected_alpn_protocol() not in (ALPN, None):",
        )
    )


def _client_cert_optional() -> None:
    def change(ctx: ssl.SSLContext) -> None:
        ctx.verify_mode = ssl.CERT_OPTIONAL

    _server_context(change)


def _time_unchecked() -> None:
    def change(ctx: ssl.SSLContext) -> None:
        ctx.verify_flags = ctx.verify_flags | 0x200000  # X509_V_FLAG_NO_CHECK_TIME

    _server_context(change)


def _check_peer_certificate(*edits: tuple[str, str]) -> Callable[[], None]:
    def apply() -> None:
        _patch_source(_tls(), "check_peer_certificate", *edits)

    return apply


def _crl_flag_missing() -> None:
    _patch_source(_tls(), "_load_trust", ("ctx.verify_flags |= ssl.VERIFY_CRL_CHECK_LEAF", "pass"))


def _first_cn() -> None:
    _patch_source(_tls(), "_common_name", ("if len(names) != 1 or", "if not names or"))


def _connection(*edits: tuple[str, str]) -> Callable[[], None]:
    def apply() -> None:
        _patch_source(_peer().PeerServer, "_connection", *edits)

    return apply


def _ffdhe_group() -> None:
    _tls().TLS13_GROUPS = "X25519:P-256:P-384:ffdhe2048"


def _m(
    name: str,
    group: str,
    profile: str,
    requirement: str,
    test_file: str,
    description: str,
    apply: Callable[[], None],
) -> Mutant:
    return Mutant(
        name=f"blind-pki-{name}",
        group=group,
        profile=profile,
        requirement=requirement,
        test_file=test_file,
        description=description,
        apply=apply,
    )


_APP_PKI = (
    _m(
        "name-percent-decoded",
        "app",
        "pki",
        "APP-NAME-3",
        "test_app_names.py",
        "each component percent-decoded after the check: %2e%2e/x opens ../x",
        _share_open(
            (
                "parts = check_name(name)\n",
                "parts = [__import__('urllib.parse').parse.unquote(p) for p in check_name(name)]\n",
            )
        ),
    ),
    _m(
        "name-del-allowed",
        "app",
        "pki",
        "APP-NAME-2",
        "test_app_names.py",
        "control range off by one: DEL (U+007F) is accepted in a name",
        _check_name(("0x7F <= ord(c) <= 0x9F", "0x7F < ord(c) <= 0x9F")),
    ),
    _m(
        "bidi-pdi-missed",
        "app",
        "pki",
        "APP-NAME-8",
        "test_app_names_controls.py",
        "the bidi isolates range stops before U+2069 (POP DIRECTIONAL ISOLATE)",
        _bidi_pdi_missed,
    ),
    _m(
        "component-255-refused",
        "app",
        "pki",
        "APP-NAME-7",
        "test_app_names.py",
        "a 255-byte component refused (>= instead of >)",
        _check_name(
            (
                'if len(part.encode("utf-8")) > MAX_COMPONENT_BYTES:',
                'if len(part.encode("utf-8")) >= MAX_COMPONENT_BYTES:',
            )
        ),
    ),
    _m(
        "dir-symlink-followed",
        "app",
        "pki",
        "APP-NAME-4",
        "test_app_names.py",
        "directories of a name opened without O_NOFOLLOW: a symlinked directory is followed",
        _dir_symlink_followed,
    ),
    _m(
        "empty-file-overwritten",
        "app",
        "pki",
        "APP-PUT-3",
        "test_app_put.py",
        "an existing empty inbox file is a placeholder: a put of its name replaces it",
        _empty_file_overwritten,
    ),
    _m(
        "put-announced-sha-ignored",
        "app",
        "pki",
        "APP-PUT-5",
        "test_app_put.py",
        "PUTF.sha256 is never compared with the data",
        _check_done(
            (
                "if self.expected_sha256 is not None and self.expected_sha256 != sha:",
                "if False:",
            )
        ),
    ),
    _m(
        "put-overflow-after-payload",
        "app",
        "pki",
        "APP-PUT-6",
        "test_app_put.py",
        "too much DATA noticed by the disk write, after the payload, not at the header",
        _overflow_after_payload,
    ),
    _m(
        "put-name-flattened",
        "app",
        "pki",
        "APP-PUT-2",
        "test_app_put.py",
        "a put of dir/x stored as dir_x instead of its basename x",
        _target_name(("base = check_name(name)[-1]", 'base = "_".join(check_name(name))')),
    ),
)

_APP_EKE = (
    _m(
        "eke-drive-lowercase",
        "app",
        "eke",
        "APP-NAME-2",
        "test_app_names.py",
        "only upper-case drive letters refused: c:x is accepted",
        _check_name(("name[0].isascii() and name[0].isalpha()", '"A" <= name[0] <= "Z"')),
    ),
    _m(
        "eke-c1-last-missed",
        "app",
        "eke",
        "APP-NAME-8",
        "test_app_names_controls.py",
        "C1 range off by one: U+009F accepted",
        _check_name(("0x7F <= ord(c) <= 0x9F", "0x7F <= ord(c) < 0x9F")),
    ),
    _m(
        "eke-name-4096-refused",
        "app",
        "eke",
        "APP-NAME-7",
        "test_app_names.py",
        "a name of exactly 4096 bytes refused",
        _check_name(("if not 1 <= size <= MAX_NAME_BYTES:", "if not 1 <= size < MAX_NAME_BYTES:")),
    ),
    _m(
        "eke-exists-on-full-name",
        "app",
        "eke",
        "APP-PUT-3",
        "test_app_put.py",
        "existence checked on the whole name, not the basename: exists only at DONE",
        _target_name(("os.stat(base, dir_fd", "os.stat(name, dir_fd")),
    ),
    _m(
        "eke-done-size-vs-count",
        "app",
        "eke",
        "APP-PUT-5",
        "test_app_put.py",
        "DONE.size compared with the bytes received, not with the announced size",
        _check_done(
            (
                "done.size == self.announced == self.count and",
                "done.size == self.count and",
            )
        ),
    ),
    _m(
        "eke-reserved-full-name",
        "app",
        "eke",
        "APP-NAME-9",
        "test_app_reserved_names.py",
        "the reserved prefix checked on the whole name: d/.sft-partial-x is stored",
        _target_name(
            ("if base.startswith(PARTIAL_PREFIX):", "if name.startswith(PARTIAL_PREFIX):")
        ),
    ),
    _m(
        "eke-dir-forbidden",
        "app",
        "eke",
        "APP-GET-2",
        "test_app_get.py",
        "a get of a directory (or FIFO) answered forbidden instead of not_found",
        _share_open(("raise _not_found(name)", 'raise NameRefused("not a regular file")')),
    ),
)

# The same bugs in both responders: sft-pki/1 serves through reference.transfer.Responder,
# sft-eke/1 through reference.eke.server.EkeServer.
_BOTH = (
    _m(
        "refusal-closes",
        "app",
        "pki",
        "APP-NAME-2",
        "test_app_names.py",
        "every refusal (forbidden, not_found, exists...) followed by a close",
        _responder(
            "_refuse",
            (
                "self.channel.send(ErrorFrame(exc.code, exc.message))",
                "self.channel.send(ErrorFrame(exc.code, exc.message))\n"
                '    raise ConnectionAbortedError("refused")',
            ),
        ),
    ),
    _m(
        "eke-refusal-closes",
        "app",
        "eke",
        "APP-NAME-2",
        "test_app_names.py",
        "a refused get (forbidden, not_found, too_large) followed by a close",
        _eke_server(
            "_serve_get",
            (
                'return f"refused {exc.code.wire_name}"',
                'raise ConnectionAbortedError("refused")',
            ),
        ),
    ),
    _m(
        "size-limit-kib",
        "app",
        "pki",
        "APP-PUT-7",
        "test_app_put.py",
        "the put size limit compared as if it were configured in KiB",
        _responder(
            "_put",
            (
                "if request.size > self.policy.max_file_size:",
                "if request.size > self.policy.max_file_size * 1024:",
            ),
        ),
    ),
    _m(
        "eke-size-limit-kib",
        "app",
        "eke",
        "APP-PUT-7",
        "test_app_put.py",
        "the put size limit compared as if it were configured in KiB",
        _eke_server(
            "_begin_put",
            (
                "if request.size > self.config.max_file_size:",
                "if request.size > self.config.max_file_size * 1024:",
            ),
        ),
    ),
    _m(
        "concurrent-replace",
        "app",
        "pki",
        "APP-PUT-8",
        "test_app_put.py",
        "the commit renames with replace: the later of two concurrent puts replaces",
        _responder("_put", ("partial.commit()", "partial.commit(overwrite=True)")),
    ),
    _m(
        "eke-concurrent-replace",
        "app",
        "eke",
        "APP-PUT-8",
        "test_app_put.py",
        "the commit renames with replace: the later of two concurrent puts replaces",
        _eke_server("_finish_put", ("partial.commit()", "partial.commit(overwrite=True)")),
    ),
    _m(
        "empty-put-unstored",
        "app",
        "pki",
        "APP-PUT-5",
        "test_app_put.py",
        "a 0-byte put acknowledged with DONE but never stored",
        _responder(
            "_put", ("partial.commit()", "(partial.commit() if request.size else partial.abort())")
        ),
    ),
    _m(
        "eke-empty-put-unstored",
        "app",
        "eke",
        "APP-PUT-5",
        "test_app_put.py",
        "a 0-byte put acknowledged with DONE but never stored",
        _eke_server(
            "_finish_put",
            ("partial.commit()", "(partial.commit() if partial.limit else partial.abort())"),
        ),
    ),
    _m(
        "bye-no-close",
        "app",
        "pki",
        "APP-BYE-1",
        "test_app_get.py",
        "BYE_ not answered and the connection kept until the initiator closes",
        _responder("run", ("channel.send(Bye())", "continue")),
    ),
    _m(
        "eke-bye-no-close",
        "app",
        "eke",
        "APP-BYE-1",
        "test_app_get.py",
        "BYE_ not answered and the connection kept until the initiator closes",
        _eke_server("_serve_records", ("stream.send(Bye())", "continue")),
    ),
    _m(
        "partial-left",
        "app",
        "pki",
        "APP-STORE-3",
        "test_app_put.py",
        "the .sft-partial- temporary is not removed when a put fails (no __exit__ cleanup)",
        _partial_left,
    ),
    _m(
        "eke-partial-left",
        "app",
        "eke",
        "APP-STORE-3",
        "test_app_put.py",
        "abort() closes the temporary but forgets to unlink it",
        _abort_keeps_file,
    ),
)

# Written after phase 2, for families the first list did not reach.
_FAMILIES = (
    _m(
        "put-basename-only-checked",
        "app",
        "pki",
        "APP-NAME-2",
        "test_app_names.py",
        "a put's name checked on its basename only: ../evil.bin is stored as evil.bin",
        _target_name(
            ("base = check_name(name)[-1]", 'base = check_name(name.rsplit("/", 1)[-1])[-1]')
        ),
    ),
    _m(
        "eke-put-basename-only-checked",
        "app",
        "eke",
        "APP-NAME-2",
        "test_app_names.py",
        "a put's name checked on its basename only: a\x01b/x.bin is stored as x.bin",
        _target_name(
            ("base = check_name(name)[-1]", 'base = check_name(name.rsplit("/", 1)[-1])[-1]')
        ),
    ),
    _m(
        "temp-named-part",
        "app",
        "pki",
        "APP-STORE-1",
        "test_app_put.py",
        "the temporary is .NAME.part beside the final name, not .sft-partial-RANDOM",
        _temporary_named(".{final_name}.part"),
    ),
    _m(
        "eke-temp-suffix",
        "app",
        "eke",
        "APP-STORE-1",
        "test_app_put.py",
        "the temporary is NAME.sft-partial-RANDOM (the prefix used as a suffix)",
        _temporary_named("{final_name}.sft-partial-{secrets.token_hex(6)}"),
    ),
    _m(
        "eke-prefix-confinement",
        "app",
        "eke",
        "APP-NAME-4",
        "test_app_names.py",
        "the share confined by realpath + string prefix: share-evil/ passes",
        _prefix_confinement,
    ),
    _m(
        "put-name-stripped",
        "app",
        "pki",
        "APP-NAME-3",
        "test_app_put.py",
        "a put's basename stripped of spaces: ' x ' stored as 'x'",
        _target_name(("base = check_name(name)[-1]", "base = check_name(name)[-1].strip()")),
    ),
    _m(
        "eke-put-nfc",
        "app",
        "eke",
        "APP-NAME-3",
        "test_app_put.py",
        "a put's basename NFC-normalised before it is stored",
        _target_name(
            (
                "base = check_name(name)[-1]",
                "base = __import__('unicodedata').normalize('NFC', check_name(name)[-1])",
            )
        ),
    ),
    _m(
        "done-before-commit",
        "app",
        "pki",
        "APP-PUT-8",
        "test_app_put.py",
        "DONE sent once the data is verified, before the commit that may still say exists",
        _responder(
            "_put",
            (
                "    self.channel.send(self.channel.conn.stored_done())\n    self.log(",
                "    self.log(",
            ),
            (
                "        try:\n            partial.commit()",
                "        self.channel.send(self.channel.conn.stored_done())\n"
                "        try:\n            partial.commit()",
            ),
        ),
    ),
    _m(
        "eke-done-before-commit",
        "app",
        "eke",
        "APP-PUT-8",
        "test_app_put.py",
        "DONE sent once the data is verified, before the commit that may still say exists",
        _eke_server(
            "_finish_put",
            (
                '    stream.send(stream.app.stored_done())\n    return "stored"',
                '    return "stored"',
            ),
            (
                "    try:\n        partial.commit()",
                "    stream.send(stream.app.stored_done())\n    try:\n        partial.commit()",
            ),
        ),
    ),
    _m(
        "temp-kept-on-peer-error",
        "app",
        "pki",
        "APP-STORE-3",
        "test_app_put.py",
        "a put ended by the initiator's EROR keeps its temporary (for a resume)",
        _temporary_kept_on_peer_error,
    ),
    _m(
        "eke-temp-kept-on-peer-error",
        "app",
        "eke",
        "APP-STORE-3",
        "test_app_put.py",
        "a put ended by the initiator's EROR keeps its temporary (for a resume)",
        _eke_server(
            "_serve_records",
            (
                "    if event is CLOSED or isinstance(event, ErrorFrame):\n",
                "    if isinstance(event, ErrorFrame):\n"
                "                partial = None  # mutant: kept for a resume\n"
                "            if event is CLOSED or isinstance(event, ErrorFrame):\n",
            ),
        ),
    ),
    _m(
        "eke-final-symlink-followed",
        "app",
        "eke",
        "APP-NAME-4",
        "test_app_names.py",
        "the last component opened without O_NOFOLLOW: a symlink to a file outside is served",
        _final_symlink_followed,
    ),
    _m(
        "temp-outside-inbox",
        "app",
        "pki",
        "APP-STORE-1",
        "test_app_put.py",
        "the temporary is written in a staging place beside the inbox (its parent), then linked",
        _temporary_named("../.sft-partial-{secrets.token_hex(12)}"),
    ),
)

_PKI = (
    _m(
        "tls12-allowed",
        "pki",
        "pki",
        "PKI-TLS-1",
        "test_pki_tls.py",
        "the server context's minimum version is TLS 1.2",
        _tls12_allowed,
    ),
    _m(
        "alpn-optional",
        "pki",
        "pki",
        "PKI-TLS-2",
        "test_pki_tls.py",
        "a ClientHello without ALPN accepted (only a wrong ALPN refused)",
        _alpn_optional,
    ),
    _m(
        "no-eku-accepted",
        "pki",
        "pki",
        "PKI-CERT-5",
        "test_pki_certs.py",
        "a client certificate without ExtendedKeyUsage accepted (any purpose)",
        _check_peer_certificate(
            (
                'raise CertificateRefused(f"{alias}\'s certificate has no extended key usage")'
                " from None",
                "eku = [ExtendedKeyUsageOID.CLIENT_AUTH, ExtendedKeyUsageOID.SERVER_AUTH]",
            )
        ),
    ),
    _m(
        "bc-ca-noncritical",
        "pki",
        "pki",
        "PKI-CERT-6",
        "test_pki_certs.py",
        "CA:TRUE refused only when BasicConstraints is critical",
        _check_peer_certificate(
            ("if bc.value.ca or not bc.critical:", "if bc.value.ca and bc.critical:")
        ),
    ),
    _m(
        "crl-flag-missing",
        "pki",
        "pki",
        "PKI-CERT-7",
        "test_pki_certs.py",
        "the CRL is loaded into the store but VERIFY_CRL_CHECK_LEAF is not set",
        _crl_flag_missing,
    ),
    _m(
        "time-unchecked",
        "pki",
        "pki",
        "PKI-CERT-3",
        "test_pki_certs.py",
        "validity dates not checked (X509_V_FLAG_NO_CHECK_TIME, for clock skew)",
        _time_unchecked,
    ),
    _m(
        "ku-not-checked",
        "pki",
        "pki",
        "PKI-CERT-9",
        "test_pki_certs.py",
        "a KeyUsage without digitalSignature accepted",
        _check_peer_certificate(("if not ku.digital_signature:", "if False:")),
    ),
    _m(
        "first-cn",
        "pki",
        "pki",
        "PKI-ID-4",
        "test_pki_identity.py",
        "a subject with several CNs: the first is the alias",
        _first_cn,
    ),
    _m(
        "allow-substring",
        "pki",
        "pki",
        "PKI-ID-4",
        "test_pki_identity.py",
        "the allow list matched as a substring of its comma-joined form",
        _connection(
            (
                "alias in self.config.allow",
                'alias in ",".join(self.config.allow)',
            )
        ),
    ),
    _m(
        "unauthorised-get",
        "pki",
        "pki",
        "PKI-ID-3",
        "test_pki_identity.py",
        "the allow list only guards puts: a get by a stranger is served",
        _responder(
            "run",
            (
                "if not self.policy.authorised:",
                "if not self.policy.authorised and isinstance(event, PutRequest):",
            ),
        ),
    ),
    _m(
        "forbidden-no-close",
        "pki",
        "pki",
        "PKI-ID-3",
        "test_pki_identity.py",
        "a stranger's request answered forbidden but the connection kept open",
        _responder(
            "run",
            (
                "self.policy.refusal))\n                return",
                "self.policy.refusal))\n                continue",
            ),
        ),
    ),
    _m(
        "close-no-notify",
        "pki",
        "pki",
        "PKI-TLS-7",
        "test_pki_tls.py",
        "the responder closes its TLS socket without close_notify",
        _connection(("close_tls(tls)", "tls.close()")),
    ),
    _m(
        "ffdhe-group",
        "pki",
        "pki",
        "PKI-TLS-9",
        "test_pki_hardening.py",
        "ffdhe2048 left in the TLS 1.3 groups",
        _ffdhe_group,
    ),
)

MUTANTS: tuple[Mutant, ...] = (*_APP_PKI, *_APP_EKE, *_BOTH, *_FAMILIES, *_PKI)
