"""The PKI cases proven on a C implementation (conformance/selftest/independent/pki5/).

pki5 is the fifth clean-room sft-pki/1 responder and initiator and the first in C: C11,
POSIX sockets, one pthread per connection on a non-blocking socket driven by poll()
(absolute handshake, idle and send deadlines), OpenSSL 3's libssl C API directly
(SSL_CTX_set_verify with a verify callback, an X509_STORE per connection with the root
and the CRL under X509_V_FLAG_CRL_CHECK, the ALPN select callback, SSL_shutdown) and
Jansson for JSON, openat(O_NOFOLLOW) for names; written from docs/SPEC.md alone (its
choices: the comment at the top of pki5/pki5.c). It is compiled here with `cc -O2 -Wall
-Wextra -Werror` into a cache directory (never into the tree); without a C compiler or
the OpenSSL/Jansson headers every test SKIPs with the reason (Debian packages gcc,
libssl-dev, libjansson-dev). As for pki1-pki4 (pki_harness.py) the embedded reference
provides only the organisation (CA, root, CRL URL, identities, the share).

- `test_independent_pki5_is_conformant` (`slow`): every PKI case file, responder and
  initiator, against the unmodified pki5: CONFORMANT, no FAIL.
- `test_independent_pki5_client_put_cases_pass` (`slow`): test_client_put.py against
  pki5's put initiator.
- `test_independent_fault_is_detected` (`SFT_SELFTEST=all`): each fault of pki5's table
  (`PKI5_FAULT_TABLE` in pki5/faults.h, mirrored in `FAULT_CASES`) FAILs under its
  requirement with evidence, with only the case files that concern it.
- `test_fault_tables_agree` (default run, no build): the C table and `FAULT_CASES` name
  the same faults with the same requirements.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from conformance.selftest.independent.pki_harness import (
    FaultCase,
    PkiImplementation,
    check_client_put,
    check_conformant,
    check_fault,
    organisation,  # noqa: F401 - a fixture, used by name
    workspace,  # noqa: F401 - a fixture, used by name
)
from conformance.target import Target

__all__ = ["FAULT_CASES", "IMPL", "PACKAGES", "SOURCE"]

_LEVEL = os.environ.get("SFT_SELFTEST", "").strip().lower()
SOURCE = Path(__file__).resolve().parent / "pki5"
PACKAGES = "gcc, libssl-dev, libjansson-dev"
_BUILD_DIR = Path(tempfile.gettempdir()) / f"sft-pki5-build-{os.getuid()}"
_BINARY = _BUILD_DIR / "pki5"
IMPL = PkiImplementation(
    "pki5", "conformance.selftest.independent.pki5", "--as", program=(str(_BINARY),)
)  # fmt: skip
pytestmark = pytest.mark.xdist_group("independent-pki5")

_CERTS = ("test_pki_certs.py",)
_PUT = ("test_app_put.py",)
_INITIATOR = ("test_pki_initiator_transfer.py",)
_IDENTITY = ("test_pki_identity.py",)
_NAMES = ("test_app_names.py", "test_app_names_controls.py")

# name -> requirement -> case files -> what the mistake is; client faults plant the
# initiator (the `get`/`put` templates), the others the responder.
FAULT_CASES = (
    FaultCase("verify_cb_returns_1", "PKI-CERT-4", _CERTS, "verify callback returns 1"),
    FaultCase(
        "verify_peer_without_fail_if_no_cert",
        "PKI-TLS-3",
        ("test_pki_tls.py",),
        "SSL_VERIFY_PEER alone, no peer check",
    ),
    FaultCase("crl_loaded_flag_unset", "PKI-CERT-7", _CERTS, "no X509_V_FLAG_CRL_CHECK"),
    FaultCase("missing_eku_is_any_purpose", "PKI-CERT-5", _CERTS, "no EKU: any purpose"),
    FaultCase("basic_constraints_unchecked", "PKI-CERT-6", _CERTS, "CA:TRUE leaf accepted"),
    FaultCase("alpn_select_noack", "PKI-TLS-2", ("test_pki_tls.py",), "ALPN NOACK, served"),
    FaultCase("min_proto_tls12", "PKI-TLS-1", ("test_pki_tls.py",), "TLS 1.2 enabled"),
    FaultCase(
        "bye_close_without_shutdown", "PKI-TLS-7", ("test_pki_tls.py",), "close() after BYE_"
    ),
    FaultCase("fatal_error_keeps_reading", "ERR-3", ("test_framing.py",), "reads on"),
    FaultCase("dotdot_only_leading", "APP-NAME-2", ("test_app_names.py",), "leading ../ only"),
    FaultCase("open_without_nofollow", "APP-NAME-4", ("test_app_names.py",), "links followed"),
    FaultCase("c1_controls_allowed", "APP-NAME-8", ("test_app_names_controls.py",), "C1 allowed"),
    FaultCase("overflow_checked_at_done", "APP-PUT-6", _PUT, "excess noticed at DONE"),
    FaultCase("empty_data_accepted", "FRM-13", ("test_framing.py",), "empty DATA a no-op"),
    FaultCase("json_duplicates_accepted", "FRM-9", ("test_framing.py",), "last duplicate wins"),
    FaultCase("json_number_value_for_size", "FRM-11", ("test_framing.py",), "1.0 is a size"),
    FaultCase("partial_not_unlinked", "APP-STORE-3", _PUT, "temporary left behind"),
    FaultCase("put_rename_replaces", "APP-PUT-3", _PUT, "no exists check, rename()"),
    FaultCase(
        "want_read_mid_frame_is_eof", "FRM-4", ("test_framing.py",), "WANT_READ taken as EOF"
    ),
    FaultCase("no_idle_deadline", "LIM-2", ("test_limits.py",), "no idle deadline"),
    FaultCase("client_cn_unchecked", "PKI-ID-1", _IDENTITY, "CN not compared", client=True),
    FaultCase("client_cn_strcasecmp", "PKI-ID-4", _IDENTITY, "CN by strcasecmp", client=True),
    FaultCase(
        "client_default_verify_paths",
        "PKI-TLS-4",
        _CERTS,
        "system trust store loaded too",
        client=True,
    ),
    FaultCase("client_verify_result_ignored", "PKI-CERT-4", _CERTS, "SSL_VERIFY_NONE", client=True),
    FaultCase("client_eof_after_size_commits", "APP-GET-5", _INITIATOR, "EOF = end", client=True),
    FaultCase("client_sizes_only", "APP-GET-3", _INITIATOR, "SHA-256 unchecked", client=True),
    FaultCase("client_missing_eku_any", "PKI-CERT-5", _CERTS, "no EKU: any", client=True),
    FaultCase(
        "shutdown_waits_for_peer", "PKI-TLS-7", ("test_pki_tls.py",), "waits for close_notify"
    ),
    FaultCase(
        "signed_frame_length", "FRM-3", ("test_framing.py", "test_limits.py"), "int32_t length"
    ),
    FaultCase("name_strlen_truncates", "APP-NAME-2", ("test_app_names.py",), "NUL cuts it"),
    FaultCase("sha_strcasecmp", "FRM-12", ("test_framing.py", *_PUT), "upper-case hex"),
    FaultCase(
        "handshake_deadline_per_read",
        "LIM-1",
        ("test_limits.py", "test_lockout.py"),
        "deadline per read",
    ),
    FaultCase("no_per_address_cap", "LIM-8", ("test_lockout.py",), "no per-address cap"),
    FaultCase("no_handshake_eviction", "LIM-9", ("test_lockout.py",), "no eviction"),
    FaultCase(
        "blocking_write_no_deadline",
        "LIM-10",
        ("test_limits.py", "test_limits_responder.py"),
        "writes without a deadline",
    ),
    FaultCase("allow_list_strncmp", "PKI-ID-4", _IDENTITY, "allow list by strncmp"),
    FaultCase(
        "realpath_prefix_confinement", "APP-NAME-4", ("test_app_names.py",), "realpath + strncmp"
    ),
    FaultCase(
        "client_keylog_env", "PKI-TLS-8", ("test_pki_keylog.py",), "SSLKEYLOGFILE", client=True
    ),
    FaultCase(
        "client_default_groups",
        "PKI-TLS-9",
        ("test_pki_hardening.py",),
        "OpenSSL's default groups",
        client=True,
    ),
    FaultCase("client_temp_0644", "APP-STORE-1", _INITIATOR, "temporary 0644", client=True),
    FaultCase("client_rename_replaces", "APP-GET-6", _INITIATOR, "renameat()", client=True),
    FaultCase("client_ignores_crl", "PKI-CERT-7", _CERTS, "no CRL in the store", client=True),
    FaultCase("client_alias_by_set1_host", "PKI-ID-4", _IDENTITY, "SSL_set1_host", client=True),
    FaultCase("cn_by_get_text_by_nid", "PKI-ID-4", _IDENTITY, "first CN of several"),
    FaultCase("alpn_select_result_ignored", "PKI-TLS-2", ("test_pki_tls.py",), "no overlap: first"),
    FaultCase(
        "client_alpn_unchecked", "PKI-TLS-2", ("test_pki_tls.py",), "ALPN unread", client=True
    ),
    FaultCase(
        "client_accept_is_boolean",
        "APP-PUT-9",
        ("test_client_put.py",),
        "accept false taken",
        client=True,
    ),
    FaultCase("client_no_sigterm_cleanup", "APP-STORE-3", _INITIATOR, "no SIGTERM", client=True),
    FaultCase(
        "client_sweeps_live_temporaries", "APP-STORE-3", _INITIATOR, "live sweep", client=True
    ),
    FaultCase(
        "slot_leaked_on_failed_handshake",
        "LIM-4",
        ("test_limits.py", "test_lockout.py"),
        "count leaked",
    ),
    FaultCase("client_mkstemp_in_tmpdir", "APP-STORE-1", _INITIATOR, "$TMPDIR", client=True),
    FaultCase(
        "client_cn_checked_after_request", "PKI-ID-1", _IDENTITY, "CN after RQFL", client=True
    ),
    FaultCase("allow_list_for_puts_only", "PKI-ID-3", _IDENTITY, "gets not authorised"),
    FaultCase(
        "size_limit_off_by_one", "APP-PUT-7", ("test_app_put.py", "test_limits.py"), ">= limit"
    ),
    FaultCase("data_max_off_by_one", "FRM-13", ("test_framing.py", *_PUT), "1 MiB DATA refused"),
    FaultCase("control_max_off_by_one", "FRM-8", ("test_framing.py",), "65536 bytes refused"),
    FaultCase(
        "lstat_components_then_open", "APP-NAME-5", ("test_app_toctou.py",), "lstat, then open"
    ),
    FaultCase("message_echoes_whole_name", "ERR-1", ("test_app_names.py",), "long message"),
    FaultCase(
        "eror_json_by_snprintf",
        "FRM-14",
        ("test_app_error_frames.py",),
        "JSON by snprintf",
    ),
    FaultCase("put_exists_check_then_rename", "APP-PUT-8", _PUT, "check, then rename()"),
    # Round 2 (r2_): from pki5's own code structure.
    FaultCase("r2_bidi_allowed", "APP-NAME-8", _NAMES, "bidi characters pass"),
    FaultCase("r2_backslash_allowed", "APP-NAME-2", _NAMES, "backslash passes"),
    FaultCase("r2_drive_letter_allowed", "APP-NAME-2", _NAMES, "drive letter passes"),
    FaultCase("r2_dot_component_allowed", "APP-NAME-2", _NAMES, "a . component passes"),
    FaultCase("r2_empty_component_allowed", "APP-NAME-2", _NAMES, "an empty component passes"),
    FaultCase(
        "r2_done_mismatch_nonfatal",
        "ERR-3",
        ("test_app_put.py", "test_app_integrity.py"),
        "integrity at DONE not fatal",
    ),
    FaultCase(
        "r2_done_mismatch_keeps_temp",
        "APP-STORE-3",
        ("test_app_put.py", "test_app_integrity.py"),
        "temporary kept after a DONE mismatch",
    ),
    FaultCase(
        "r2_forbidden_put_open",
        "PKI-ID-3",
        ("test_pki_identity.py", "test_pki_certs.py"),
        "open after a forbidden put",
    ),
    FaultCase("r2_timeout_no_eror", "LIM-2", ("test_limits.py",), "idle close without EROR"),
    FaultCase(
        "r2_unknown_type_bad_frame",
        "FRM-5",
        ("test_framing.py", "test_app_integrity.py"),
        "unknown type is bad_frame",
    ),
    FaultCase(
        "r2_state_checked_in_idle_only",
        "FRM-6",
        ("test_framing.py", "test_app_put.py", "test_app_integrity.py"),
        "requests served during a put",
    ),
    FaultCase(
        "r2_ku_absent_ok",
        "PKI-CERT-9",
        (*_CERTS, "test_client_pki_certs.py"),
        "no KeyUsage accepted",
    ),
    FaultCase("r2_pending_cap_gt", "LIM-8", ("test_lockout.py",), "cap plus one"),
    FaultCase(
        "r2_client_done_size",
        "APP-GET-3",
        _INITIATOR,
        "DONE.size unchecked",
        client=True,
    ),
    FaultCase(
        "r2_client_empty_data",
        "FRM-13",
        ("test_client_lies.py", *_INITIATOR),
        "empty DATA accepted",
        client=True,
    ),
    FaultCase(
        "r2_client_ca_true",
        "PKI-CERT-6",
        (*_CERTS, "test_client_pki_certs.py"),
        "CA:TRUE responder",
        client=True,
    ),
    FaultCase("r2_done_size_unchecked", "APP-PUT-5", _PUT, "DONE.size not compared"),
    FaultCase(
        "r2_client_excess_at_done", "APP-GET-4", _INITIATOR, "excess noticed at DONE", client=True
    ),
    # Round 3, planted blind by helper I3 (session 10); the lens of each in pki5/faults.h.
    FaultCase(
        "r3_received_not_reset",
        "APP-2",
        ("test_interop_transfer_state.py",),
        "received count kept across puts",
    ),
    FaultCase(
        "r3_allow_verdict_cached",
        "PKI-ID-3",
        ("test_pki_identity.py", "test_pki_identity_concurrent.py"),
        "allow verdict of the first connection",
    ),
    FaultCase(
        "r3_exists_closes",
        "ERR-3",
        ("test_app_put.py", "test_app_refusals.py"),
        "exists closes the connection",
    ),
    FaultCase(
        "r3_eloop_not_found",
        "APP-NAME-4",
        ("test_app_names.py",),
        "link out of the share is not_found",
    ),
    FaultCase(
        "r3_dir_forbidden",
        "APP-GET-2",
        ("test_app_get.py", "test_app_share_files.py"),
        "directory is forbidden",
    ),
    FaultCase(
        "r3_put_final_whole_name",
        "APP-PUT-2",
        ("test_app_put.py", "test_app_inbox_files.py"),
        "put stored under the whole name",
    ),
    FaultCase(
        "r3_sha_cmp_sizeof_pointer",
        "APP-PUT-5",
        ("test_app_put.py", "test_app_integrity.py"),
        "8 characters of DONE.sha256 compared",
    ),
    FaultCase(
        "r3_frame_too_large_silent",
        "FRM-3",
        ("test_framing.py",),
        "oversize header: close without EROR",
    ),
    FaultCase(
        "r3_bye_during_put",
        "APP-BYE-1",
        ("test_app_put.py", "test_framing.py", "test_app_error_frames.py"),
        "BYE_ during a put ends quietly",
    ),
    FaultCase(
        "r3_server_default_groups",
        "PKI-TLS-9",
        ("test_pki_tls.py", "test_pki_hardening.py"),
        "responder: OpenSSL's default groups",
    ),
    FaultCase(
        "r3_no_check_time",
        "PKI-CERT-3",
        ("test_pki_certs.py",),
        "expired certificates pass",
    ),
    FaultCase(
        "r3_json_trailing_accepted",
        "FRM-9",
        ("test_framing.py", "test_app_json_encodings.py"),
        "bytes after the JSON object ignored",
    ),
    FaultCase(
        "r3_negative_size_wraps",
        "FRM-11",
        ("test_framing.py", "test_app_put.py", "test_app_json_encodings.py"),
        "size -1 wraps to too_large",
    ),
    FaultCase(
        "r3_sha_null_is_absent",
        "FRM-12",
        ("test_app_json_nulls.py",),
        "PUTF.sha256 null taken as absent",
    ),
    # Phase 2, NOT blind: planted after test_interop_transfer_state.py was written.
    FaultCase(
        "r3_shared_put_md",
        "APP-PUT-5",
        ("test_interop_transfer_state.py",),
        "one process-wide digest context for every put",
    ),
    FaultCase(
        "r3_client_cn_prefix",
        "PKI-ID-4",
        ("test_pki_identity.py", "test_client_pki_certs.py"),
        "CN compared as a prefix",
        client=True,
    ),
    FaultCase(
        "r3_client_no_close_notify",
        "PKI-TLS-7",
        ("test_pki_initiator_transfer.py", "test_pki_tls.py", "test_client_lifetime.py"),
        "initiator closes without close_notify",
        client=True,
    ),
    FaultCase(
        "r3_client_put_refusal_ok",
        "APP-PUT-10",
        ("test_client_put.py",),
        "a refused put reported as success",
        client=True,
    ),
    FaultCase(
        "r3_client_integrity_silent",
        "APP-GET-3",
        ("test_pki_initiator_transfer.py", "test_client_lies.py"),
        "no EROR integrity_failed at a DONE mismatch",
        client=True,
    ),
    # -- round 4 (blind, session 15, helper I19): lenses15.md, C idioms
    FaultCase(
        "r4_handshake_on_accept_loop",
        "LIM-5",
        (
            "test_limits.py",
            "test_limits_responder.py",
            "test_limits_slots.py",
            "test_pki_isolation.py",
            "test_pki_silent_peers.py",
            "test_interop_stalled_payloads.py",
            "test_interop_transfer_state.py",
            "test_app_put_beside_slow_get.py",
            "test_ops_dead_connection_leftovers.py",
            "test_ops_idle_shared.py",
            "test_ops_refusal_descriptors.py",
        ),
        "the accept loop waits for each new connection's TLS handshake before accepting the next",
    ),
    FaultCase(
        "r4_client_handshake_no_deadline",
        "LIM-9",
        ("test_client_pki_give_up.py",),
        "the initiator's connect and TLS handshake wait without a deadline (1e9 s)",
        client=True,
    ),
    FaultCase(
        "r4_server_eku_either_purpose",
        "PKI-CERT-5",
        (
            "test_pki_certs.py",
            "test_interop_pki_server_purpose.py",
            "test_pki_cert_decoding.py",
            "test_pki_refusal_unprompted.py",
            "test_pki_rsa_employees.py",
        ),
        "either TLS purpose: a serverAuth-only client passes",
    ),
    FaultCase(
        "r4_client_eku_either_purpose",
        "PKI-CERT-5",
        (
            "test_client_pki_cert_forms.py",
            "test_client_pki_cert_layouts.py",
            "test_client_pki_certs.py",
            "test_client_pki_put_identity.py",
            "test_client_pki_retry_checks.py",
            "test_interop_pki_server_purpose.py",
        ),
        "either TLS purpose: a clientAuth-only responder passes",
        client=True,
    ),
    FaultCase(
        "r4_alpn_memcmp_peer_length",
        "PKI-TLS-2",
        (
            "test_pki_tls.py",
            "test_interop_pki_refusal_close.py",
            "test_pki_refusal_unprompted.py",
        ),
        "ALPN memcmp over the offered length: a prefix is selected",
    ),
    FaultCase(
        "r4_idle_else_is_bye",
        "APP-1",
        (
            "test_app_get.py",
            "test_framing.py",
        ),
        "IDLE refuses DATA only; RSFL falls to the BYE_ else",
    ),
    FaultCase(
        "r4_client_rsfl_sha_wrong_type_ignored",
        "FRM-9",
        (
            "test_client_json_nulls.py",
            "test_client_lies.py",
            "test_client_pki_member_sets.py",
            "test_pki_initiator_transfer.py",
        ),
        "the initiator reads RSFL.sha256 only if json_is_string(): null or 5 is taken as absent",
        client=True,
    ),
    FaultCase(
        "r4_drive_letter_precedence",
        "APP-PUT-2",
        (
            "test_app_name_shapes.py",
            "test_app_names.py",
            "test_app_put.py",
            "test_app_put_interleaved.py",
            "test_app_put_name_memory.py",
            "test_app_put_names.py",
            "test_app_share_and_inbox.py",
        ),
        "drive-letter test mis-parenthesised: capitals forbidden",
    ),
    FaultCase(
        "r4_c1_checked_on_bytes",
        "APP-NAME-8",
        (
            "test_app_names.py",
            "test_app_names_controls.py",
            "test_interop_escaped_names.py",
        ),
        "C1 tested on UTF-8 bytes: the euro sign is forbidden",
    ),
    FaultCase(
        "r4_client_cn_check_get_only",
        "PKI-ID-1",
        (
            "test_client_pki_alias_forms.py",
            "test_client_pki_alias_memory.py",
            "test_client_pki_cert_variants.py",
            "test_client_pki_put_identity.py",
            "test_client_pki_session_checks.py",
            "test_interop_pki_chain_alias.py",
        ),
        "the alias check sits on the get path only; the put initiator talks to any valid responder",
        client=True,
    ),
    FaultCase(
        "r4_temp_before_exists_check",
        "APP-STORE-3",
        (
            "test_app_put_refusal_leftovers.py",
            "test_app_failed_put_traces.py",
            "test_app_put.py",
        ),
        "temporary file made before the checks, left on refusal",
    ),
    FaultCase(
        "r4_exists_by_faccessat",
        "APP-PUT-3",
        (
            "test_app_put.py",
            "test_app_put_inbox_links.py",
            "test_app_inbox_files.py",
            "test_app_share_and_inbox.py",
            "test_app_put_name_memory.py",
            "test_app_extension_members.py",
        ),
        "exists by faccessat(): a dangling link is not a name",
    ),
    FaultCase(
        "r4_active_counted_in_thread",
        "LIM-4",
        (
            "test_limits.py",
            "test_limits_slot_release.py",
            "test_limits_slots.py",
            "test_pki_handshake_burst.py",
            "test_pki_silent_peers.py",
            "test_app_server_ops.py",
            "test_ops_admission_counts.py",
        ),
        "the connection count raised by the thread, late",
    ),
    FaultCase(
        "r4_static_final_name",
        "APP-PUT-2",
        (
            "test_app_put_interleaved.py",
            "test_app_put.py",
            "test_app_put_names.py",
            "test_app_put_name_memory.py",
        ),
        "one static final-name buffer for every session",
    ),
    # Round 27, foreign pass (helper B206): lenses L1-L6 of round 27.
    FaultCase("b27_type_isalnum", "FRM-2", ("test_framing.py",), "(L1) isalnum type check"),
    FaultCase(
        "b27_malformed_eror_ignored", "ERR-8", ("test_framing.py",), "(L2) malformed EROR ignored"
    ),
    FaultCase(
        "b27_open_before_allow_check",
        "PKI-ID-3",
        ("test_pki_identity.py",),
        "(L5) not_found before the allow list",
    ),
    FaultCase(
        "b27_partial_prefix_on_whole_name",
        "APP-NAME-9",
        ("test_app_reserved_names.py",),
        "(L3) reserved prefix on the whole name",
    ),
    FaultCase(
        "b27_component_len_in_chars",
        "APP-NAME-1",
        ("test_app_names.py",),
        "(L6) component in characters",
    ),
    FaultCase(
        "b27_client_bye_after_soft_eror",
        "ERR-4",
        ("test_pki_client_put_receipt_fatal.py",),
        "(L2) BYE_ after an unknown code",
        client=True,
    ),
    FaultCase(
        "b27_client_control_limit_first_answer",
        "FRM-8",
        ("test_pki_client_control_limits_mid_get.py",),
        "(L3) control limit on the first answer only",
        client=True,
    ),
    FaultCase(
        "b27_client_bye_by_eror_name",
        "ERR-4",
        ("test_pki_client_put_receipt_fatal.py",),
        "(post-blind, L2) the EROR's name decides",
        client=True,
    ),
)


def _sources() -> list[Path]:
    return sorted([*SOURCE.glob("*.c"), *SOURCE.glob("*.h")])


def _build() -> Path:
    """Compile pki5 into the cache directory (once per source version) and return it."""
    compiler = shutil.which("cc") or shutil.which("gcc")
    if compiler is None:
        pytest.skip(f"no C compiler on PATH: pki5 (C) cannot be built (Debian: {PACKAGES})")
    digest = hashlib.sha256(b"".join(p.read_bytes() for p in _sources())).hexdigest()[:16]
    binary = _BUILD_DIR / f"pki5-{digest}"
    if binary.is_file():
        return binary
    _BUILD_DIR.mkdir(mode=0o700, exist_ok=True)
    partial = _BUILD_DIR / f".pki5-{digest}-{os.getpid()}"
    done = subprocess.run(
        [
            compiler, "-std=c11", "-O2", "-Wall", "-Wextra", "-Werror", "-o", str(partial),
            *(str(p) for p in SOURCE.glob("*.c")), "-lssl", "-lcrypto", "-ljansson",
            "-lpthread",
        ],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    missing = r"(openssl/\w+|jansson)\.h: No such file|cannot find -l(ssl|crypto|jansson)"
    if done.returncode != 0 and re.search(missing, done.stderr):
        pytest.skip(f"OpenSSL or Jansson headers missing (Debian: {PACKAGES}): {done.stderr[:300]}")
    assert done.returncode == 0, f"cc failed:\n{done.stderr[-3000:]}"
    os.replace(partial, binary)
    return binary


@pytest.fixture(scope="module")
def pki5_built() -> Iterator[Path]:
    """The C program, compiled once per source version into the cache directory and
    linked to the path IMPL runs."""
    binary = _build()
    link = _BUILD_DIR / f".pki5-link-{os.getpid()}"
    link.unlink(missing_ok=True)
    link.symlink_to(binary.name)
    os.replace(link, _BINARY)
    yield _BINARY


def test_fault_tables_agree() -> None:
    c_table = re.findall(
        r'FAULT\(F_[A-Z0-9_]+, "([a-z0-9_]+)", "([A-Z0-9-]+)", ', (SOURCE / "faults.h").read_text()
    )
    assert c_table, "no fault table found in pki5/faults.h"
    assert dict(c_table) == {c.name: c.requirement for c in FAULT_CASES}
    assert len(c_table) == len(FAULT_CASES) >= 20


@pytest.mark.slow
@pytest.mark.skipif(not _LEVEL, reason="self-test: set SFT_SELFTEST=1 or =all (whole suite run)")
def test_independent_pki5_is_conformant(
    pki5_built: Path,
    organisation: Target,  # noqa: F811 - the fixture
    workspace: Path,  # noqa: F811 - the fixture
    request: pytest.FixtureRequest,
) -> None:
    check_conformant(IMPL, organisation, workspace, request)


@pytest.mark.slow
@pytest.mark.skipif(not _LEVEL, reason="self-test: set SFT_SELFTEST=1 or =all")
def test_independent_pki5_client_put_cases_pass(
    pki5_built: Path,
    organisation: Target,  # noqa: F811 - the fixture
    workspace: Path,  # noqa: F811 - the fixture
) -> None:
    check_client_put(IMPL, organisation, workspace)


@pytest.mark.skipif(_LEVEL != "all", reason="self-test of pki5's faults: set SFT_SELFTEST=all")
@pytest.mark.parametrize("case", FAULT_CASES, ids=[c.name for c in FAULT_CASES])
def test_independent_fault_is_detected(
    case: FaultCase,
    pki5_built: Path,
    organisation: Target,  # noqa: F811 - the fixture
    workspace: Path,  # noqa: F811 - the fixture
    request: pytest.FixtureRequest,
) -> None:
    check_fault(IMPL, case, organisation, workspace, request)
