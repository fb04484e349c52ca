"""The EKE cases proven on a fifth implementation, eke4: Go, not Python nor Node.

conformance/selftest/independent/eke4/ (Go 1.19: net, math/big, crypto/aes + GCM,
encoding/json walked token by token; SHAKE256, scrypt and HKDF from Debian's
golang.org/x/crypto through go.mod `replace`, no download) was written from docs/SPEC.md
alone; its choices are listed at the top of eke4/main.go. It is built into a cache
directory outside the tree (GOFLAGS=-mod=mod GOPROXY=off), one binary per source
content. eke_harness.py runs the checks, each a separate `pytest conformance ...
--target-config FILE` run exactly as a user would point the suite at their own server and
client: its own client against its own server; the whole suite judges it CONFORMANT
(`slow`); each planted fault (`FAULTS` below, mirrored by faultTable in eke4/main.go and
switched on by `SFT_INDEPENDENT_FAULTS`) FAILs under its requirement
(`SFT_SELFTEST=all`). Without `go` or golang.org/x/crypto every test SKIPs.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import tempfile
import threading
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from conformance.embedded import _SHARE_FACTS, EMBEDDED_LIMITS
from conformance.selftest.independent.eke_harness import (
    LEVEL,
    EkeImplementation,
    IndependentServer,
    check_conformant,
    check_fault,
    check_sanity_get,
    command,
    lay_out,
    limit_options,
)
from conformance.selftest.independent.launching import fault_env, hup_restart_command
from conformance.target import Account, Target
from sftkit.launch import launch_server, run_command

__all__ = ["FAULTS", "Fault", "SOURCE", "start_independent"]

SOURCE = Path(__file__).resolve().parent / "eke4"
_X_CRYPTO = Path("/usr/share/gocode/src/golang.org/x/crypto")
_BUILD_DIR = Path(tempfile.gettempdir()) / f"sft-eke4-build-{os.getuid()}"
_READY_TIMEOUT = 20.0
_TIMEOUTS = " --handshake-timeout 5 --idle-timeout 5"
_GO = shutil.which("go")
_MISSING = (
    "`go` is not on PATH: eke4 (Go) cannot be built"
    if _GO is None
    else "golang.org/x/crypto is missing: apt-get install golang-golang-x-crypto-dev"
    if not _X_CRYPTO.is_dir()
    else ""
)
_NEEDS_GO = pytest.mark.skipif(bool(_MISSING), reason=_MISSING or "go present")


@dataclass(frozen=True)
class Fault:
    """One planted mistake: the requirement it breaks and the case file that judges it."""

    requirement: str
    test_file: str
    description: str
    client: bool = False


# Mirrors faultTable of eke4/main.go (test_fault_tables_agree checks it).
FAULTS: dict[str, Fault] = {
    "accept_p_minus_1": Fault(
        "EKE-X-3", "test_eke_handshake.py", "server: range check 1 < X' < p lets p-1 through"
    ),
    "accept_plaintext_after_handshake": Fault(
        "EKE-REC-5", "test_eke_records.py", "server: a plaintext frame after EKE4 is processed"
    ),
    "address_key_with_port": Fault(
        "EKE-THR-1",
        "test_eke_throttling.py",
        "server: failures counted per RemoteAddr().String(), port included",
    ),
    "auth_message_debug": Fault(
        "ERR-5", "test_error_disclosure.py", "server: a failed EKE3's message carries Ns"
    ),
    "bidi_isolates_missed": Fault(
        "APP-NAME-8",
        "test_app_names_controls.py",
        "server: bidi embeddings and overrides refused, the isolates U+2066-U+2069 not",
    ),
    "busy_no_retry_after": Fault(
        "EKE-THR-7", "test_eke_throttling.py", "server: EROR busy without retry_after"
    ),
    "c1_allowed": Fault(
        "APP-NAME-8", "test_app_names_controls.py", "server: C1 controls pass the name check"
    ),
    "client_c4_unchecked": Fault(
        "EKE-HS-7", "test_eke_client.py", "client: C4 opened, its Na never compared", client=True
    ),
    "client_json_keys_case_insensitive": Fault(
        "APP-PUT-9",
        "test_client_put.py",
        "client: RSFL members matched like encoding/json's struct fields (Accept is accept)",
        client=True,
    ),
    "client_json_keys_case_get": Fault(
        "FRM-9",
        "test_eke_client_transfer.py",
        "client: a get's RSFL members matched like encoding/json's struct fields",
        client=True,
    ),
    "client_keeps_temp_on_signal": Fault(
        "APP-STORE-3",
        "test_eke_client_transfer.py",
        "client: the SIGTERM handler exits without removing its temporary file",
        client=True,
    ),
    "client_overwrites_output": Fault(
        "APP-GET-6",
        "test_eke_client_transfer.py",
        "client: commits with os.Rename over an existing output file",
        client=True,
    ),
    "client_put_any_rsfl": Fault(
        "APP-PUT-9",
        "test_client_put.py",
        "client: any RSFL after PUTF taken as acceptance",
        client=True,
    ),
    "client_put_eof_is_success": Fault(
        "APP-PUT-10",
        "test_client_put.py",
        "client: a close in place of DONE reported as success",
        client=True,
    ),
    "client_skips_sha_check": Fault(
        "APP-GET-3",
        "test_eke_client_transfer.py",
        "client: byte count checked at DONE, SHA-256 not",
        client=True,
    ),
    "client_temp_in_os_tempdir": Fault(
        "APP-STORE-1",
        "test_eke_client_transfer.py",
        "client: the get's temporary file from os.CreateTemp in $TMPDIR",
        client=True,
    ),
    "client_writes_excess": Fault(
        "APP-GET-4",
        "test_eke_client_transfer.py",
        "client: DATA beyond the announced size written, failure only at DONE",
        client=True,
    ),
    "commit_with_rename": Fault(
        "APP-PUT-8",
        "test_app_put.py",
        "server: a put committed with os.Rename, replacing a file stored meanwhile",
    ),
    "control_limit_unchecked": Fault(
        "FRM-8", "test_framing.py", "server: control payloads held to the frame limit only"
    ),
    "data_empty_accepted": Fault(
        "FRM-13", "test_framing.py test_app_put.py", "server: an empty DATA during a put ignored"
    ),
    "dir_not_checked": Fault(
        "APP-GET-2", "test_app_get.py", "server: a directory announced, then an internal error"
    ),
    "follow_symlinks": Fault(
        "APP-NAME-4", "test_app_names.py", "server: openat without O_NOFOLLOW follows links"
    ),
    "handshake_deadline_per_read": Fault(
        "LIM-1",
        "test_eke_handshake.py",
        "server: SetReadDeadline renewed per read: trickled bytes extend the handshake",
    ),
    "half_close_drops_answers": Fault(
        "APP-2", "test_framing.py", "server: the peer's FIN cancels the connection's answers"
    ),
    "hex_decode_lenient": Fault(
        "FRM-12", "test_framing.py", "server: hex members checked with hex.DecodeString"
    ),
    "hs_timeout_silent": Fault(
        "EKE-HS-11", "test_eke_handshake.py", "server: handshake deadline closes without EROR"
    ),
    "idle_timeout_silent": Fault(
        "LIM-2", "test_limits.py", "server: idle deadline closes without EROR timeout"
    ),
    "int_accepts_fraction": Fault(
        "FRM-11", "test_framing.py", "server: integers read with json.Number.Float64"
    ),
    "json_duplicate_keys": Fault(
        "FRM-9", "test_framing.py", "server: encoding/json's default: the last duplicate key wins"
    ),
    "jacobi_unblinded": Fault(
        "EKE-SEC-4", "test_timing.py", "server: big.Jacobi on the decrypted X' itself"
    ),
    "json_keys_case_insensitive": Fault(
        "FRM-9",
        "test_framing.py",
        "server: members matched like encoding/json's struct fields (NAME is name)",
    ),
    "json_lenient_utf8": Fault(
        "FRM-9", "test_framing.py", "server: invalid UTF-8 left to encoding/json (U+FFFD)"
    ),
    "json_lone_surrogate": Fault(
        "FRM-15", "test_framing.py", "server: lone surrogates left to encoding/json (U+FFFD)"
    ),
    "name_path_clean": Fault(
        "APP-NAME-2", "test_app_names.py", "server: a get's name through path.Clean first"
    ),
    "no_pending_cap": Fault(
        "EKE-THR-7", "test_eke_throttling.py", "server: no cap on pending handshakes"
    ),
    "no_pending_eviction": Fault(
        "LIM-9", "test_lockout.py", "server: a full server refuses instead of evicting a handshake"
    ),
    "no_per_address_cap": Fault(
        "LIM-8", "test_lockout.py", "server: no cap on one address's unfinished handshakes"
    ),
    "no_sign_flip": Fault("EKE-X-2", "test_eke_handshake.py", "server: Y' = Y always"),
    "pending_ip_with_port": Fault(
        "LIM-8",
        "test_lockout.py",
        "server: unfinished handshakes counted per RemoteAddr().String(), port included",
    ),
    "put_excess_at_done": Fault(
        "APP-PUT-6", "test_app_put.py", "server: DATA beyond the size noticed only at DONE"
    ),
    "put_exists_at_done": Fault(
        "APP-PUT-3", "test_app_put.py", "server: an existing name found only at DONE"
    ),
    "skip_ns_check": Fault(
        "EKE-HS-6", "test_eke_handshake.py", "server: C3's tag checked, its Ns half not"
    ),
    "success_resets_address": Fault(
        "EKE-THR-6",
        "test_eke_throttling.py",
        "server: a success clears the address's failure count",
    ),
    "temp_mode_0644": Fault(
        "APP-STORE-1", "test_app_put.py", "server: the put's temporary file from os.Create"
    ),
    "throttle_not_persisted": Fault(
        "EKE-THR-8", "test_eke_restart.py", "server: failure counts in memory only"
    ),
    "throttle_off_by_one": Fault(
        "EKE-THR-1", "test_eke_throttling.py", "server: the lock starts after N+1 failures"
    ),
    "unknown_type_bad_frame": Fault(
        "FRM-5", "test_framing.py", "server: an undefined frame type answered bad_frame"
    ),
    "user_case_folded": Fault(
        "EKE-PW-4", "test_eke_handshake.py", "server: user names matched with strings.EqualFold"
    ),
    "r2_record_limit_unchecked": Fault(
        "EKE-REC-6",
        "test_eke_records.py",
        "server: the frame limit checked on plaintext frames, not on records",
    ),
    "r2_backoff_exponent_off_by_one": Fault(
        "EKE-THR-6",
        "test_eke_throttling.py",
        "server: the lock lasts base*2^(n-N+1): the exponent counted one too high",
    ),
    "r2_backoff_uncapped": Fault(
        "EKE-THR-6",
        "test_eke_throttling.py",
        "server: the lock duration is never held to the cap",
    ),
    "r2_retry_after_truncated": Fault(
        "EKE-THR-6",
        "test_eke_throttling.py",
        "server: retry_after is int64(until - now): truncated, not rounded up",
    ),
    "r2_pending_leak_on_success": Fault(
        "EKE-THR-7",
        "test_eke_throttling.py",
        "server: a successful handshake never releases its pending slot",
    ),
    "r2_evicts_running_locks": Fault(
        "EKE-THR-9",
        "test_eke_tables.py",
        "server: a full failure table evicts its oldest entry, lock running or not",
    ),
    "r2_too_large_closes": Fault(
        "APP-PUT-7",
        "test_app_put.py",
        "server: too_large is answered, then the connection is closed as for a fatal code",
    ),
    "r2_not_found_closes": Fault(
        "ERR-3",
        "test_app_get.py test_app_refusals.py",
        "server: not_found is answered, then the connection is closed as for a fatal code",
    ),
    "r2_put_exists_stat_follows": Fault(
        "APP-PUT-3",
        "test_app_put_inbox_links.py",
        "server: the inbox name tested with os.Stat: a dangling link found only at DONE",
    ),
    "r2_done_size_unchecked": Fault(
        "APP-PUT-5",
        "test_app_put.py",
        "server: DONE.size is parsed but never compared with the announced size",
    ),
    "r2_announced_sha_unchecked": Fault(
        "APP-PUT-5",
        "test_app_put.py",
        "server: PUTF.sha256 is parsed but never compared",
    ),
    "r2_put_eror_ignored": Fault(
        "ERR-3",
        "test_app_eror_from_initiator.py",
        "server: an EROR received during a put is skipped: the put goes on",
    ),
    "r2_partial_prefix_whole_name": Fault(
        "APP-NAME-9",
        "test_app_reserved_names.py",
        "server: the reserved prefix is tested on the whole name, not its last component",
    ),
    "r2_name_bound_off_by_one": Fault(
        "APP-NAME-7",
        "test_app_names.py",
        "server: the name bound written len(name) >= 4096: a 4096-byte name is refused",
    ),
    "r2_dot_component_allowed": Fault(
        "APP-NAME-2",
        "test_app_names.py",
        "server: a '.' component is not refused",
    ),
    "r2_get_size_unchecked": Fault(
        "APP-GET-2",
        "test_app_get.py",
        "server: a get of a file above the maximum file size is served",
    ),
    "r2_client_done_size_unchecked": Fault(
        "APP-GET-3",
        "test_eke_client_transfer.py",
        "client: the client never compares DONE.size",
        client=True,
    ),
    "r2_client_rsfl_sha_unchecked": Fault(
        "APP-GET-3",
        "test_eke_client_transfer.py",
        "client: the client never compares RSFL.sha256",
        client=True,
    ),
    "r2_client_empty_data_ok": Fault(
        "FRM-13",
        "test_eke_client_transfer.py",
        "client: the client takes an empty DATA during a get",
        client=True,
    ),
    "r2_client_eof_after_all_bytes": Fault(
        "APP-GET-5",
        "test_eke_client_transfer.py",
        "client: a get committed when the stream ends after all bytes, DONE missing",
        client=True,
    ),
    # Round 3, planted blind by helper I3 (session 10); lens of each in eke4/main.go.
    "r3_retry_after_ms": Fault(
        "EKE-THR-6",
        "test_eke_throttling.py test_lockout.py",
        "server: retry_after in milliseconds",
    ),
    "r3_busy_as_throttled": Fault(
        "EKE-THR-7",
        "test_eke_throttling.py",
        "server: the pending caps answer throttled, not busy",
    ),
    "r3_get_hash_not_reset": Fault(
        "APP-GET-2",
        "test_eke_second_use.py test_app_get.py",
        "server: the get's SHA-256 state is kept per connection",
    ),
    "r3_abandoned_not_counted": Fault(
        "EKE-THR-5",
        "test_eke_throttling.py test_eke_handshake_stalls.py",
        "server: a handshake abandoned after EKE2 is not a failure",
    ),
    "r3_hard_lock_not_persisted": Fault(
        "EKE-THR-11",
        "test_lockout.py test_eke_restart_state.py test_eke_restart.py",
        "server: the hard lock is lost at a restart",
    ),
    "r3_c1_on_bytes": Fault(
        "APP-NAME-8",
        "test_app_names_controls.py test_app_names.py",
        "server: C1 refused on UTF-8 bytes, not code points",
    ),
    "r3_one_put_per_connection": Fault(
        "APP-2",
        "test_framing.py test_interop_transfer_state.py",
        "server: the connection is closed after a put",
    ),
    "r3_unknown_members_refused": Fault(
        "FRM-10",
        "test_framing.py test_app_json_encodings.py",
        "server: an undefined member is bad_frame",
    ),
    "r3_record_auth_plain_eror": Fault(
        "EKE-REC-4",
        "test_eke_records.py",
        "server: a plaintext EROR answers a record that fails to open",
    ),
    "r3_record_auth_skipped": Fault(
        "EKE-REC-4",
        "test_eke_records.py",
        "server: a record that fails to open is skipped",
    ),
    "r3_inner_limit_bad_frame": Fault(
        "FRM-8",
        "test_framing.py test_eke_records.py",
        "server: an oversized inner control frame is bad_frame",
    ),
    "r3_put_commit_on_eof": Fault(
        "APP-STORE-3",
        "test_app_put.py test_app_inbox_files.py test_app_integrity.py",
        "server: a put with all its bytes committed at EOF, DONE missing",
    ),
    "r3_empty_file_internal": Fault(
        "APP-GET-2",
        "test_app_get.py test_app_share_files.py",
        "server: a get of a 0-byte file ends in internal",
    ),
    "r3_rsfl_basename": Fault(
        "APP-GET-7",
        "test_app_get.py test_app_names.py",
        "server: the get's RSFL names the basename",
    ),
    "r3_forbidden_closes": Fault(
        "ERR-3",
        "test_app_refusals.py test_app_names.py test_app_error_frames.py",
        "server: forbidden closes the connection",
    ),
    "r3_client_busy_retry_now": Fault(
        "EKE-THR-7",
        "test_eke_client_busy_retries.py test_eke_client.py",
        "client: busy retried at once",
        client=True,
    ),
    "r3_client_unknown_code_skipped": Fault(
        "ERR-4",
        "test_client_fatal_errors.py test_eke_client_transfer.py",
        "client: an EROR of unknown code skipped",
        client=True,
    ),
    "r3_client_temp_left_on_integrity": Fault(
        "APP-STORE-3",
        "test_client_temporaries.py test_eke_client_transfer.py",
        "client: the temporary file left after an integrity failure",
        client=True,
    ),
    "r3_client_c2_silent": Fault(
        "EKE-HS-4",
        "test_eke_client.py test_eke_client_keys.py",
        "client: a bad C2 closes without EROR auth_failed",
        client=True,
    ),
    "r3_client_put_refusal_ok": Fault(
        "APP-PUT-10",
        "test_client_put.py",
        "client: a refused put reported as success",
        client=True,
    ),
    "r16_admit_first_entry_only": Fault(
        "EKE-THR-1",
        "test_eke_confirmation_failures.py test_eke_failure_addresses.py "
        "test_eke_failure_memory.py test_eke_login_bookkeeping.py test_eke_restart.py "
        "test_eke_second_use.py test_eke_tables.py test_eke_throttling.py "
        "test_ops_admission_ledger.py test_ops_eke_abandon_boundaries.py "
        "test_ops_eke_interleaved_logins.py test_ops_eke_pending_ledger.py "
        "test_ops_eke_table_order.py test_ops_throttle_principals.py",
        "the lock loop over the user and address entries breaks after the first: an address "
        "lock is never consulted (lens 1)",
    ),
    "r16_client_c2_unverified": Fault(
        "EKE-HS-4",
        "test_eke_client.py test_eke_client_answers.py test_eke_client_confirm_tags.py "
        "test_eke_client_keys.py test_eke_client_login_edges.py",
        "client: the AEAD error of C2 shadowed in an inner block: a C2 that does not verify is "
        "answered with EKE3 (lens 1)",
        client=True,
    ),
    "r16_eke3_failure_counted_twice": Fault(
        "EKE-THR-1",
        "test_eke_confirmation_failures.py test_eke_failure_addresses.py "
        "test_eke_failure_memory.py test_eke_login_bookkeeping.py test_eke_restart.py "
        "test_eke_second_use.py test_eke_tables.py test_eke_throttling.py "
        "test_ops_admission_ledger.py test_ops_eke_abandon_boundaries.py "
        "test_ops_eke_interleaved_logins.py test_ops_eke_pending_ledger.py "
        "test_ops_eke_table_order.py test_ops_throttle_principals.py",
        "a bad EKE3 recorded in its branch and again by the deferred Release: the lock comes "
        "after half the failures (lens 2)",
    ),
    "r16_excess_per_frame": Fault(
        "APP-PUT-6",
        "test_app_put.py test_eke_put_announced.py",
        "each DATA frame is compared with the announced size, not the running total: the "
        "excess is found only at DONE (lens 2)",
    ),
    "r16_name_total_unchecked": Fault(
        "APP-NAME-1",
        "test_app_name_shapes.py test_app_names.py test_eke_later_requests.py",
        "components are held to 255 bytes but the whole name is never held to 4096 (lens 2)",
    ),
    "r16_server_y_cached": Fault(
        "EKE-HS-10",
        "test_eke_handshake.py test_eke_records.py",
        "the server's exponent y drawn once per process (sync.Once) and reused by every "
        "handshake (lens 3)",
    ),
    "r16_temp_suffix_once": Fault(
        "APP-STORE-1",
        "test_app_put.py test_app_put_concurrent.py",
        "the temporary file's random part is a package-level var drawn at start: concurrent "
        "puts collide on O_EXCL (lens 3)",
    ),
    "r16_bidi_on_raw_payload": Fault(
        "APP-NAME-8",
        "test_app_names.py test_app_names_controls.py test_eke_later_requests.py"
        " test_interop_escaped_names.py",
        "C1 and bidi characters searched as UTF-8 bytes of the raw payload: a \\u escape of "
        "them passes (lens 4)",
    ),
    "r16_commit_full_name": Fault(
        "APP-PUT-2",
        "test_app_name_shapes.py test_app_names.py test_app_put.py test_app_put_interleaved.py "
        "test_app_put_name_memory.py test_app_put_names.py test_app_share_and_inbox.py "
        "test_eke_put_name_rules.py",
        "the commit target recomputed from the offered name: a/b.txt is linked to "
        "inbox/a/b.txt and fails (lens 4)",
    ),
    "r16_temp_before_checks": Fault(
        "APP-STORE-3",
        "test_app_idle_tail.py test_app_integrity.py test_app_put.py "
        "test_app_put_refusal_leftovers.py test_app_put_visibility.py "
        "test_eke_put_refusal_state.py test_eke_restart.py test_eke_restart_state.py "
        "test_interop_empty_transfers.py test_interop_get_excess_total.py test_limits.py",
        "the put's temporary file is created before the name, size and exists checks and left "
        "when they refuse (lens 5)",
    ),
    "r16_eke2_before_throttle": Fault(
        "EKE-THR-1",
        "test_eke_confirmation_failures.py test_eke_failure_addresses.py "
        "test_eke_failure_memory.py test_eke_login_bookkeeping.py test_eke_restart.py "
        "test_eke_second_use.py test_eke_tables.py test_eke_throttling.py "
        "test_ops_admission_ledger.py test_ops_eke_abandon_boundaries.py "
        "test_ops_eke_interleaved_logins.py test_ops_eke_pending_ledger.py "
        "test_ops_eke_table_order.py test_ops_throttle_principals.py",
        "the throttle is asked after EKE2 is sent: a locked user or address still gets EKE2 "
        "(lens 5)",
    ),
    "r16_client_output_placeholder": Fault(
        "APP-GET-5",
        "test_client_lies.py test_client_report_late_errors.py test_eke_client_transfer.py",
        "client: the output name claimed with an empty O_EXCL file before connecting, left "
        "there when the get fails (lens 5)",
        client=True,
    ),
    "r16_client_signal_snapshot": Fault(
        "APP-STORE-3",
        "test_client_lies.py test_client_report_late_errors.py test_client_run_temporaries.py "
        "test_client_sigint.py test_client_store_side_by_side.py test_client_sweep_idle_age.py "
        "test_client_sweep_prefix.py test_eke_client_answers.py test_eke_client_login_edges.py "
        "test_eke_client_sweep_fields.py test_eke_client_transfer.py "
        "test_eke_client_undecodable.py test_interop_client_sweep.py",
        "client: the signal handler removes the temporaries known when it was installed: none "
        "(lens 6)",
        client=True,
    ),
    "r16_idle_deadline_once": Fault(
        "LIM-2",
        "test_app_idle_tail.py test_interop_live_slow_senders.py test_limits.py "
        "test_limits_slot_release.py test_ops_idle_floor.py test_ops_idle_shared.py "
        "test_ops_slow_put.py",
        "the idle deadline set once after the handshake, never renewed: an active connection "
        "is cut (lens 6)",
    ),
    "b14_hard_locks_fill_table": Fault(
        "EKE-THR-9",
        "test_eke_hard_lock_bound.py",
        "hard-locked names count towards the user table's bound: with E of them each new name "
        "evicts the oldest partial count",
    ),
    "b14_idle_deadline_per_frame": Fault(
        "LIM-2",
        "test_interop_live_slow_senders.py",
        "the idle deadline renewed once per frame, not per byte: a frame trickling in is cut "
        "before the idle timeout since its last byte",
    ),
    # Round 16 (blind, session 16, helper I21). Blind guesses by file name caught 6 of 13
    # (b16_size_via_float64, b16_put_name_held_after_failure, b16_handshake_deadline_idle,
    # b16_exists_at_done_stays_receiving, b16_user_name_trimmed, b16_failure_time_truncated:
    # test_file is the guess); the other 7 were caught by other files citing the
    # requirement (test_file points there), none missed.
    "b16_size_via_float64": Fault(
        "APP-PUT-7",
        "test_app_put.py",
        "integers converted with json.Number.Float64 then int64(): 2^63-1 overflows to a "
        "negative size that passes the limit (lens 1)",
    ),
    "b16_client_sweep_age_nanoseconds": Fault(
        "APP-STORE-3",
        "test_interop_client_sweep.py test_client_run_temporaries.py",
        "client: the sweep age is time.Duration(seconds): nanoseconds, every live temporary is "
        "stale (lens 1)",
        client=True,
    ),
    "b16_put_name_held_after_failure": Fault(
        "APP-PUT-8",
        "test_ops_put_after_failed_put.py",
        "a put's name kept in an in-progress set only a stored put clears: after a failed put "
        "the name is answered exists (lens 2)",
    ),
    "b16_success_not_saved": Fault(
        "EKE-THR-4",
        "test_eke_restart.py",
        "a success clears the user's count in memory only: a restart brings the failures back "
        "(lens 2)",
    ),
    "b16_established_not_marked": Fault(
        "LIM-9",
        "test_limits_slots.py test_lockout.py",
        "a logged-in connection still counts as a pending handshake: evictable, and under the "
        "per-address cap (lens 2)",
    ),
    "b16_pending_caps_swapped": Fault(
        "EKE-THR-7",
        "test_eke_busy_refusals.py test_eke_throttling.py",
        "the pending caps compared crosswise: the user's count with Q, the address's with P "
        "(lens 3)",
    ),
    "b16_handshake_deadline_idle": Fault(
        "LIM-1",
        "test_eke_handshake_stalls.py",
        "the handshake deadline computed from IdleTimeout, not HandshakeTimeout (lens 3)",
    ),
    "b16_slot_kept_on_failed_handshake": Fault(
        "LIM-4",
        "test_app_server_ops.py test_limits.py test_limits_slots.py",
        "the connection slot released only by the application layer: a connection whose "
        "handshake fails keeps its slot (lens 4)",
    ),
    "b16_exists_at_done_stays_receiving": Fault(
        "ERR-3",
        "test_app_put_race_loser.py",
        "an exists found at DONE leaves the put state set: the next request is "
        "unexpected_frame (lens 4)",
    ),
    "b16_client_keeps_partial_for_resume": Fault(
        "APP-STORE-3",
        "test_client_lies.py test_client_report_late_errors.py",
        "client: a get ended by the server's EROR keeps its temporary file (lens 4)",
        client=True,
    ),
    "b16_user_name_trimmed": Fault(
        "EKE-PW-4",
        "test_eke_handshake.py",
        "the store looked up with strings.TrimSpace(user): 'alice ' logs in with alice's pw "
        "(lens 5)",
    ),
    "b16_lock_from_handshake_start": Fault(
        "EKE-THR-6",
        "test_eke_throttling.py test_eke_lock_whole_seconds.py",
        "a failure's time is when its EKE1 was admitted: the lock of an abandoned handshake is "
        "over before it starts (lens 6)",
    ),
    "b16_failure_time_truncated": Fault(
        "EKE-THR-6",
        "test_eke_lock_whole_seconds.py",
        "the failure time kept as time.Now().Unix(): rounded down, the lock ends up to 1 s "
        "early (lens 6)",
    ),
    # Later batches (I21): written after the first batch's results (not strictly blind).
    # Caught by the guessed file: b16_retry_after_first_lock, b16_password_trim_right,
    # b16_client_record_auth_plain_eror, b16_lim8_uses_pending_q; caught by another file
    # citing the requirement (test_file points there): b16_ipv4_counted_per_64,
    # b16_hard_lock_addresses, b16_evict_by_first_failure (the guess, test_eke_tables.py,
    # was INCONCLUSIVE under load), b16_hard_lock_retry_after_default.
    "b16_ipv4_counted_per_64": Fault(
        "EKE-THR-10",
        "test_eke_address_units.py",
        "every address masked to /64 whatever its family: all IPv4 clients share one key (lens 1)",
    ),
    "b16_retry_after_first_lock": Fault(
        "EKE-THR-6",
        "test_ops_throttle_principals.py",
        "retry_after taken from the user's lock, not the lock that ends last (lens 5)",
    ),
    "b16_hard_lock_addresses": Fault(
        "EKE-THR-6",
        "test_eke_throttling.py",
        "the hard cap L applied to addresses too: an address with L failures is locked for "
        "good (lens 3)",
    ),
    "b16_password_trim_right": Fault(
        "PWF-1",
        "test_eke_client_password_file.py",
        "client: the password file's line end removed with bytes.TrimRight: a lone CR or "
        "several line ends pass (lens 5)",
        client=True,
    ),
    "b16_client_record_auth_plain_eror": Fault(
        "EKE-REC-4",
        "test_eke_client_transfer.py",
        "client: a record that fails to open is answered with a plaintext EROR (lens 4)",
        client=True,
    ),
    "b16_lim8_uses_pending_q": Fault(
        "LIM-8",
        "test_lockout.py",
        "fourth batch: the per-address cap on unfinished connections read from "
        "-pending-per-address (Q), not -max-pending-per-address (lens 3)",
    ),
    "b16_hard_lock_retry_after_default": Fault(
        "EKE-THR-11",
        "test_eke_throttling.py",
        "fourth batch: a hard lock's retry_after is the default cap, 300 s, not the configured "
        "cap (lens 3)",
    ),
    "b16_evict_by_first_failure": Fault(
        "EKE-THR-9",
        "test_ops_eke_table_order.py",
        "a full failure table evicts the entry whose first failure is oldest, not the least "
        "recently failed (lens 6)",
    ),
}


# Timing faults judged by test_timing.py's thorough tier (SFT_TIMING_TIER=thorough).
_THOROUGH_TIMING = frozenset({"jacobi_unblinded"})

_build_lock = threading.Lock()


def _binary() -> Path:
    """The Go program for the current sources, built once into the cache directory (one
    binary per source content, so a run in progress keeps its own)."""
    digest = hashlib.sha256()
    for path in sorted(SOURCE.iterdir()):
        if path.suffix == ".go" or path.name == "go.mod":
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
    binary = _BUILD_DIR / f"eke4-{digest.hexdigest()[:16]}"
    with _build_lock:
        if binary.exists():
            return binary
        if _MISSING:
            pytest.skip(_MISSING)
        _BUILD_DIR.mkdir(mode=0o700, exist_ok=True)
        env = _go_env()
        partial = binary.with_name(binary.name + f".{os.getpid()}")
        done = subprocess.run(
            [_GO or "go", "build", "-o", str(partial), "."], cwd=SOURCE, env=env,
            capture_output=True, text=True, timeout=300, check=False,
        )  # fmt: skip
        assert done.returncode == 0, f"go build failed:\n{done.stderr[-3000:]}"
        partial.replace(binary)
    return binary


def _go_env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("SFT_INDEPENDENT_FAULTS", None)
    env.update(
        GOFLAGS="-mod=mod", GOPROXY="off", GOCACHE=str(_BUILD_DIR / "cache"),
        GOPATH=str(_BUILD_DIR / "gopath"), CGO_ENABLED="0",
    )  # fmt: skip
    return env


def _add_user(binary: Path, store: Path, account: Account, scratch: Path) -> None:
    """Through eke4's own `user-add` (its store format), the password in a 0600 file."""
    pw_file = scratch / "new-user.pw"
    fd = os.open(pw_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(account.password.encode("utf-8"))
    try:
        argv = [str(binary), "user-add", "-store", str(store), "-user", account.user]
        done = run_command([*argv, "-password-file", str(pw_file)], timeout=60)
    finally:
        pw_file.unlink()
    assert done.returncode == 0, done.stderr.decode(errors="replace")


def start_independent(
    workdir: Path, *, faults: str = "", client_faults: str = ""
) -> IndependentServer:
    """Lay out the embedded reference's share and accounts, and serve them with eke4."""
    binary = _binary()
    store = workdir / "accounts.json"
    share, inbox, files, accounts = lay_out(
        workdir, lambda account: _add_user(binary, store, account, workdir)
    )
    # The embedded reference's short limits, with more room for the handshake and idle
    # timeouts on a loaded 2-core machine.
    limits = replace(EMBEDDED_LIMITS, handshake_timeout=3.0, idle_timeout=5.0)
    argv = [
        str(binary), "serve", "--listen", "127.0.0.1:0",
        "--store", str(store), "--state-dir", str(workdir / "state"),
        "--share", str(share), "--inbox", str(inbox),
        *limit_options(limits, frame_option="--frame-limit",
                       table_option="--throttle-table-entries"),
    ]  # fmt: skip
    log = workdir / "server.log"
    process = launch_server(
        argv, name="eke4", log=log, env=fault_env(faults), ready_timeout=_READY_TIMEOUT
    )
    program = (str(binary),)
    target = Target(
        profile="eke",
        host=process.host,
        port=process.port,
        features=frozenset({"get", "put", "throttling", "busy"}),
        limits=limits,
        files=files,
        accounts=accounts,
        # Go's flag package stops at the first argument that is not a flag: flags
        # first, then `--`, so that a name beginning with `-` stays a name.
        client_cmd=command(
            program,
            client_faults,
            " get --user {user} --password-file {password_file} -o {out}"
            + _TIMEOUTS
            + " -- {host}:{port} {name}",
        ),
        client_put_cmd=command(
            program,
            client_faults,
            " put --user {user} --password-file {password_file}"
            + _TIMEOUTS
            + " -- {host}:{port} {file} {name}",
        ),
        # EKE-THR-8: on SIGHUP eke4 re-executes itself on its listening socket and
        # reloads its state from disk; this returns once the new image serves.
        restart_cmd=hup_restart_command(process.pid, log),
        inbox=inbox,
        extra=dict(_SHARE_FACTS),
        share=share,  # the suite may write beside its files (APP-NAME-5's race)
    )
    return IndependentServer(process, target, log)


IMPL = EkeImplementation("eke4", start_independent, FAULTS)


@_NEEDS_GO
def test_vectors_agree() -> None:
    """eke4's own recipes give the SPEC §8 vectors (its vectors_test.go)."""
    _binary()
    run = subprocess.run(
        [_GO or "go", "test", "-count=1", "."], cwd=SOURCE, env=_go_env(),
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]


def test_fault_tables_agree() -> None:
    """The Python mirror names exactly the faults eke4/main.go plants, same IDs."""
    go_table = re.findall(
        r'^\t"([a-z0-9_]+)": +\{"([A-Z0-9-]+)", ', (SOURCE / "main.go").read_text(), re.M
    )
    assert go_table, "no fault table found in eke4/main.go"
    assert dict(go_table) == {name: fault.requirement for name, fault in FAULTS.items()}
    assert len(go_table) == len(FAULTS) >= 20


@_NEEDS_GO
@pytest.mark.skipif(not LEVEL, reason="the independent implementation: set SFT_SELFTEST=1")
def test_sanity_get_with_own_client(tmp_path: Path) -> None:
    """eke4's own client fetches a file from eke4's server."""
    check_sanity_get(IMPL, tmp_path)


@_NEEDS_GO
@pytest.mark.slow
def test_whole_eke_suite_judges_independent_conformant(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """Every eke case, server and client (put client included), slow variants too."""
    check_conformant(IMPL, tmp_path, request)


@_NEEDS_GO
@pytest.mark.skipif(
    LEVEL != "all",
    reason="planted faults of the independent implementation: set SFT_SELFTEST=all",
)
@pytest.mark.parametrize("name", sorted(FAULTS))
def test_fault_is_detected(
    name: str, tmp_path: Path, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    if name in _THOROUGH_TIMING:
        # About half a millisecond of EKE2 latency: the quick tier's resolution on a
        # loaded 2-core machine (2-3 ms) cannot show it, the thorough tier does.
        monkeypatch.setenv("SFT_TIMING_TIER", "thorough")
    check_fault(IMPL, name, tmp_path, request)
