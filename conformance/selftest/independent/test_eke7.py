"""The EKE cases proven on a seventh implementation, eke7: Java 17 on the JDK alone.

conformance/selftest/independent/eke7/ (Java 17: java.net blocking sockets, one thread per
connection; java.math.BigInteger; javax.crypto AES/GCM and HmacSHA256 with HKDF on top;
scrypt from RFC 7914 and SHAKE256 from FIPS 202 written out; its own strict JSON parser;
SecureDirectoryStream, i.e. openat with O_NOFOLLOW, for names) was written from
docs/SPEC.md alone; its choices are listed at the top of eke7/Eke7.java. It is compiled
with `javac` into a cache directory outside the tree, one build per source content, and run
through a small launcher script that fixes a UTF-8 locale (Java maps file names through the
locale's charset). eke_harness.py runs the checks, each a separate `pytest conformance ...
--target-config FILE` run exactly as a user would point the suite at their own server and
client: its own client against its own server; the whole suite judges it CONFORMANT
(`slow`); each planted fault (`FAULTS` below, mirrored by eke7/Faults.java and switched on
by `SFT_INDEPENDENT_FAULTS`) FAILs under its requirement (`SFT_SELFTEST=all`). Without
`java` and `javac` every test SKIPs.
"""

from __future__ import annotations

import hashlib
import os
import re
import shlex
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

SOURCE = Path(__file__).resolve().parent / "eke7"
_VECTORS = Path(__file__).resolve().parents[2] / "vectors"
_BUILD_DIR = Path(tempfile.gettempdir()) / f"sft-eke7-build-{os.getuid()}"
_READY_TIMEOUT = 30.0
_TIMEOUTS = " --handshake-timeout 5 --idle-timeout 5"
_JAVA = shutil.which("java")
_JAVAC = shutil.which("javac")
_MISSING = (
    ""
    if _JAVA and _JAVAC
    else "no `java`/`javac` on PATH: eke7 (Java 17) cannot be built "
    "(apt-get install openjdk-17-jdk-headless)"
)
_NEEDS_JAVA = pytest.mark.skipif(bool(_MISSING), reason=_MISSING or "java present")


@dataclass(frozen=True)
class Fault:
    """One planted mistake: the requirement it breaks and the case file that judges it."""

    requirement: str
    test_file: str
    description: str
    client: bool = False


# Mirrors eke7/Faults.java (test_fault_tables_agree checks it).
FAULTS: dict[str, Fault] = {
    "type_check_letter_or_digit": Fault(
        "FRM-2",
        "test_framing.py",
        "server: frame type bytes checked with Character.isLetterOrDigit(): lower case (and any "
        "Unicode letter) passes",
    ),
    "frame_length_readint": Fault(
        "FRM-3",
        "test_framing.py",
        "server: the length read as a signed int (DataInputStream.readInt style): 2^31 and above "
        "pass the limit check, then new byte[negative]",
    ),
    "read_once_as_frame": Fault(
        "FRM-4",
        "test_framing.py test_eke_handshake.py",
        "server: a plaintext frame's payload read with one InputStream.read(buf), taken as the "
        "whole payload",
    ),
    "json_duplicate_last_wins": Fault(
        "FRM-9",
        "test_framing.py",
        "server: JSON objects built in a HashMap with put(): a duplicate key silently keeps the "
        "last value",
    ),
    "json_number_as_double": Fault(
        "FRM-11",
        "test_framing.py test_app_put.py",
        "server: numbers parsed with Double.parseDouble and cast to long: 1.0 and 1e3 pass as "
        "integers",
    ),
    "size_as_int": Fault(
        "APP-PUT-7",
        "test_app_put.py",
        "server: the put's size kept in an int (BigInteger.intValue()): a huge size wraps below "
        "the limit",
    ),
    "hex_uppercase_accepted": Fault(
        "FRM-12",
        "test_eke_handshake.py test_framing.py",
        "server: hex members decoded with Character.digit(c, 16) semantics: upper case accepted",
    ),
    "ns_not_compared": Fault(
        "EKE-HS-6",
        "test_eke_handshake.py",
        "server: C3 only authenticated (doFinal did not throw); the Ns at its end never compared",
    ),
    "random_fixed_seed": Fault(
        "EKE-HS-10",
        "test_eke_handshake.py test_eke_records.py",
        "server: y, the sign bit and Ns drawn from new java.util.Random(42) per connection: "
        "every EKE2 the same",
    ),
    "sign_drawn_once": Fault(
        "EKE-X-2",
        "test_eke_handshake.py",
        "server: the sign bit s drawn once into a static final field: every Y' on the same side",
    ),
    "unknown_user_fast_fail": Fault(
        "EKE-HS-3",
        "test_eke_handshake.py",
        "server: an unknown user answered EROR auth_failed at EKE1 (the account lookup returned "
        "null)",
    ),
    "bad_record_skipped": Fault(
        "EKE-REC-4",
        "test_eke_records.py",
        "server: a record that fails to authenticate is skipped (AEADBadTagException caught and "
        "logged), the connection goes on",
    ),
    "plaintext_after_eke4_accepted": Fault(
        "EKE-REC-5",
        "test_eke_records.py",
        "server: a header that is not RECD but a valid application type is read as a plaintext "
        "frame",
    ),
    "record_limit_after_body": Fault(
        "EKE-REC-6",
        "test_eke_records.py test_framing.py",
        "server: a record body read with readNBytes(len) before its length is checked",
    ),
    "empty_data_accepted": Fault(
        "FRM-13",
        "test_framing.py test_app_put.py",
        "server: an empty DATA frame taken as zero bytes of the put",
    ),
    "excess_data_at_done": Fault(
        "APP-PUT-6",
        "test_app_put.py",
        "server: DATA beyond the announced size counted, the mismatch found only at DONE",
    ),
    "files_move_replace": Fault(
        "APP-PUT-8",
        "test_app_put.py test_app_put_race_loser.py",
        "server: the put committed with Files.move(REPLACE_EXISTING, ATOMIC_MOVE): a file stored "
        "meanwhile replaced",
    ),
    "exists_follows_links": Fault(
        "APP-PUT-3",
        "test_app_put.py test_app_put_inbox_links.py",
        "server: the inbox name tested with Files.exists(path) (follows links): a dangling link "
        "is not a name",
    ),
    "temp_default_perms": Fault(
        "APP-STORE-1",
        "test_app_put.py",
        "server: the put's temporary file opened without a permission attribute (0644 after umask)",
    ),
    "url_decoded_name": Fault(
        "APP-NAME-3",
        "test_app_names.py test_app_put.py",
        "server: names passed through URLDecoder.decode before use: %2e%2e/x is ../x",
    ),
    "c1_not_refused": Fault(
        "APP-NAME-8",
        "test_app_names_controls.py",
        "server: control characters refused below U+0020 and U+007F only: the C1 controls pass",
    ),
    "symlink_followed": Fault(
        "APP-NAME-4",
        "test_app_names.py",
        "server: share.resolve(name).normalize().startsWith(share), then Files.newByteChannel: "
        "links out of the share followed",
    ),
    "directory_internal": Fault(
        "APP-GET-2",
        "test_app_get.py",
        "server: no regular-file check: a directory opened, its read fails and is answered "
        "internal",
    ),
    "count_at_eke1": Fault(
        "EKE-THR-5",
        "test_eke_throttling.py",
        "server: the failure counted at EKE1 (computeIfAbsent(...).increment) and taken back on "
        "success: pending is failure",
    ),
    "abandon_not_counted": Fault(
        "EKE-THR-5",
        "test_eke_throttling.py",
        "server: a handshake closed, timed out or ended by EROR after EKE2 is not counted (only "
        "a bad EKE3 is)",
    ),
    "backoff_linear": Fault(
        "EKE-THR-6",
        "test_eke_throttling.py",
        "server: the lock grows base * (n - N + 1), linearly, not base * 2^(n - N)",
    ),
    "throttle_in_memory": Fault(
        "EKE-THR-8",
        "test_eke_restart.py",
        "server: failure counts kept in memory only: a restart forgets them",
    ),
    "user_lookup_casefold": Fault(
        "EKE-PW-4",
        "test_eke_handshake.py test_eke_user_names_invalid.py",
        "server: accounts in a TreeMap(String.CASE_INSENSITIVE_ORDER): ALICE is alice",
    ),
    "handshake_timeout_per_read": Fault(
        "LIM-1",
        "test_eke_handshake.py test_eke_handshake_stalls.py test_lockout.py",
        "server: setSoTimeout(handshake timeout) before every read: trickled bytes extend the "
        "handshake",
    ),
    "max_conn_never_frees": Fault(
        "LIM-4",
        "test_limits.py test_lockout.py",
        "server: a connection's slot released only when it ends cleanly (no finally): error "
        "endings leak slots",
    ),
    "client_password_stripped": Fault(
        "EKE-PW-1",
        "test_eke_client.py",
        "client: the password read with String.strip(): spaces at its ends removed",
        client=True,
    ),
    "client_busy_immediate_retry": Fault(
        "EKE-THR-7",
        "test_eke_client.py",
        "client: busy retried at once, retry_after ignored",
        client=True,
    ),
    # session 15 (lead, a whole-suite run): eke7 slept retry_after * 1000 ms, which
    # overflows for the largest retry_after: Thread.sleep(negative), a Java stack trace
    "client_busy_wait_overflow": Fault(
        "ERR-6",
        "test_client_run_busy_answers.py",
        "client: retry_after * 1000 overflows a long: Thread.sleep throws, a stack trace",
        client=True,
    ),
    "client_c4_unchecked": Fault(
        "EKE-HS-7",
        "test_eke_client.py",
        "client: C4 never opened nor compared with Na",
        client=True,
    ),
    "client_unknown_code_nonfatal": Fault(
        "ERR-4",
        "test_client_fatal_errors.py test_eke_client_transfer.py",
        "client: an EROR of an unknown code treated as non-fatal (no close)",
        client=True,
    ),
    "client_overwrites_output": Fault(
        "APP-GET-6",
        "test_eke_client_transfer.py",
        "client: the get committed with Files.move(REPLACE_EXISTING) over an existing output",
        client=True,
    ),
    "client_no_shutdown_cleanup": Fault(
        "APP-STORE-3",
        "test_eke_client_transfer.py",
        "client: no shutdown hook: the temporary file of a get stays after SIGTERM",
        client=True,
    ),
    "client_stores_rsfl_name": Fault(
        "APP-GET-7",
        "test_eke_client_transfer.py",
        "client: the get stored under dir.resolve(RSFL.name)",
        client=True,
    ),
    "client_excess_written": Fault(
        "APP-GET-4",
        "test_eke_client_transfer.py",
        "client: DATA beyond the announced size written, the failure only at DONE",
        client=True,
    ),
    "client_rsfl_sha_ignored": Fault(
        "APP-GET-3",
        "test_eke_client_transfer.py test_eke_client.py",
        "client: RSFL.sha256 parsed but never compared (only DONE.sha256 is)",
        client=True,
    ),
    "client_accept_truthy": Fault(
        "APP-PUT-9",
        "test_client_put.py",
        "client: RSFL accept taken when present and not false: accept 1 (or a get's RSFL) accepted",
        client=True,
    ),
    # Second set: written with the first 40, measured after them.
    "record_trailing_ignored": Fault(
        "EKE-REC-1",
        "test_eke_records.py test_framing.py",
        "server: a record's inner length checked as at most the plaintext left: bytes after the "
        "frame ignored",
    ),
    "xprime_bounds_only": Fault(
        "EKE-X-3",
        "test_eke_handshake.py",
        "server: X' refused only when 0 or >= p, and Z never checked: X' = 1 or p - 1 gives Z = "
        "1, a key anyone computes",
    ),
    "address_lock_ignored": Fault(
        "EKE-THR-1",
        "test_eke_throttling.py",
        "server: address failures counted but only the user's lock consulted at EKE1",
    ),
    "busy_retry_after_zero": Fault(
        "EKE-THR-7",
        "test_eke_throttling.py",
        "server: busy answered with retry_after 0 (the time left of a lock that does not exist)",
    ),
    "pending_not_released_on_abort": Fault(
        "EKE-THR-7",
        "test_eke_throttling.py",
        "server: a pending slot released only on the success and bad-EKE3 paths, not when the "
        "client leaves",
    ),
    "success_keeps_consecutive": Fault(
        "EKE-THR-11",
        "test_eke_throttling.py",
        "server: a success resets the failure count but not the hard cap's consecutive count",
    ),
    "success_resets_address": Fault(
        "EKE-THR-6",
        "test_eke_throttling.py",
        "server: a success clears the address's failures of every user",
    ),
    "shared_failure_table": Fault(
        "EKE-THR-9",
        "test_eke_tables.py",
        "server: user names and addresses in one LinkedHashMap with one bound: addresses evict "
        "users",
    ),
    "hard_lock_expires": Fault(
        "EKE-THR-11",
        "test_eke_throttling.py",
        "server: the hard cap set as an ordinary lock of cap seconds: it expires",
    ),
    "retry_after_floor": Fault(
        "EKE-THR-6",
        "test_eke_throttling.py",
        "server: retry_after = (until - now) / 1000, integer division: rounded down, 0 near the "
        "end",
    ),
    "no_startup_sweep": Fault(
        "APP-STORE-3",
        "test_eke_restart.py",
        "server: stale .sft-partial-* files of an earlier run never removed",
    ),
    "backslash_allowed": Fault(
        "APP-NAME-2",
        "test_app_names.py",
        "server: the name rules miss the backslash",
    ),
    "bidi_not_refused": Fault(
        "APP-NAME-8",
        "test_app_names_controls.py",
        "server: the bidirectional embeddings, overrides and isolates not refused",
    ),
    "string_prefix_confinement": Fault(
        "APP-NAME-4",
        "test_app_names.py",
        "server: toRealPath().toString().startsWith(share.toString()): share-evil is inside share",
    ),
    "get_size_unchecked": Fault(
        "APP-GET-2",
        "test_app_get.py",
        "server: a get of a file above the maximum size served, never too_large",
    ),
    "putf_sha_ignored": Fault(
        "APP-PUT-5",
        "test_app_put.py",
        "server: PUTF.sha256 checked for form but never compared at DONE",
    ),
    "handshake_timeout_silent": Fault(
        "EKE-HS-11",
        "test_eke_handshake.py test_eke_handshake_stalls.py",
        "server: the handshake deadline closes without EROR timeout",
    ),
    "idle_timeout_silent": Fault(
        "LIM-2",
        "test_limits.py",
        "server: the idle timeout closes without EROR timeout",
    ),
    "no_send_timeout": Fault(
        "LIM-10",
        "test_limits.py",
        "server: no write watchdog: a peer that stops reading holds its thread forever",
    ),
    "addr_cap_off_by_one": Fault(
        "LIM-8",
        "test_lockout.py test_eke_handshake_stalls.py",
        "server: the per-address cap checked with > (one handshake too many)",
    ),
    "evicts_established": Fault(
        "LIM-9",
        "test_lockout.py",
        "server: a full server closes its oldest connection, established or not",
    ),
    "bye_no_close": Fault(
        "APP-BYE-1",
        "test_app_get.py test_app_put.py",
        "server: BYE_ answered, then the loop goes on reading",
    ),
    "fatal_error_no_close": Fault(
        "ERR-3",
        "test_framing.py test_app_schema_refusal_close.py test_app_refusals.py",
        "server: a bad_frame in the record phase answered, then the connection goes on",
    ),
    "nonfatal_closes": Fault(
        "ERR-3",
        "test_app_get.py test_app_refusals.py test_app_names.py",
        "server: every EROR treated as fatal: not_found closes the connection",
    ),
    "eke1_type_unchecked": Fault(
        "EKE-HS-9",
        "test_eke_handshake.py test_framing.py",
        "server: the first frame parsed as EKE1 whatever its type (a RQFL in clear is bad_frame)",
    ),
    "client_temp_default_perms": Fault(
        "APP-STORE-1",
        "test_eke_client_transfer.py",
        "client: the get's temporary file opened without a permission attribute (0644 after umask)",
        client=True,
    ),
    "client_put_exists_ok": Fault(
        "APP-PUT-10",
        "test_client_put.py",
        "client: a put refused exists reported as success (already there)",
        client=True,
    ),
    # Session 10, I6: planted blind (briefs/s10/lenses10.md), measured before any case change.
    "name_nfc_normalised": Fault(
        "APP-NAME-3",
        "test_app_names.py test_app_put_names.py",
        "server: names passed through java.text.Normalizer NFC before use (lens 1)",
    ),
    "put_name_whitelist": Fault(
        "APP-PUT-2",
        "test_app_put.py test_app_put_names.py",
        "server: a put's basename must match [A-Za-z0-9._-]+: spaces, non-ASCII refused (lens 4)",
    ),
    "put_dirs_refused": Fault(
        "APP-PUT-2",
        "test_app_put.py test_app_put_names.py",
        "server: a put whose name has a directory component refused forbidden (lens 4)",
    ),
    "component_limit_exclusive": Fault(
        "APP-NAME-7",
        "test_app_names.py",
        "server: a component of 255 UTF-8 bytes refused (>= 255, 'at most' read as 'less than') "
        "(lens 1)",
    ),
    "one_transfer_per_connection": Fault(
        "APP-2",
        "test_app_get.py test_app_put_sequence.py test_eke_later_requests.py",
        "server: the connection closed after its first completed transfer (lens 4)",
    ),
    "rsfl_name_basename": Fault(
        "APP-GET-7",
        "test_app_get.py",
        "server: a get's RSFL names the basename of the request, as a put's does (lens 1)",
    ),
    "throttle_address_with_port": Fault(
        "EKE-THR-1",
        "test_eke_throttling.py test_eke_address_units.py",
        "server: the throttle's address key getRemoteSocketAddress().toString(): with the port, "
        "one key per connection (lens 3)",
    ),
    "throttle_address_per_user": Fault(
        "EKE-THR-1",
        "test_eke_throttling.py",
        "server: the address's failures keyed on address and user together (lens 3)",
    ),
    "put_no_idle_timeout": Fault(
        "LIM-2",
        "test_limits.py test_limits_responder.py",
        "server: the idle timeout off (setSoTimeout(0)) while a put's DATA is awaited (lens 2)",
    ),
    "json_error_internal": Fault(
        "FRM-9",
        "test_framing.py test_app_json_encodings.py",
        "server: a JSON syntax error in the record phase escapes as a RuntimeException: internal "
        "(lens 5)",
    ),
    "inner_control_limit_bad_frame": Fault(
        "FRM-8",
        "test_framing.py test_eke_records.py",
        "server: a control frame above 65536 bytes inside a record answered bad_frame (lens 5)",
    ),
    "eror_received_ignored": Fault(
        "ERR-3",
        "test_app_eror_from_initiator.py test_app_error_frames.py",
        "server: an EROR of a non-fatal code from the client ignored, the loop goes on (lens 1)",
    ),
    "bye_during_put_quiet": Fault(
        "APP-BYE-1",
        "test_app_put.py",
        "server: BYE_ during a put taken as the client leaving: closed without unexpected_frame "
        "(lens 1)",
    ),
    "empty_get_empty_data": Fault(
        "FRM-14",
        "test_app_get.py test_framing.py test_eke_records.py test_app_error_frames.py",
        "server: a 0-byte file served with one empty DATA frame (do-while) (lens 2)",
    ),
    "client_put_eof_success": Fault(
        "APP-PUT-10",
        "test_client_put.py",
        "client: the connection closed after its DONE was sent reported as success (lens 5)",
        client=True,
    ),
    "client_rsfl_size_ignored": Fault(
        "APP-GET-3",
        "test_eke_client_transfer.py test_client_lies.py",
        "client: the bytes received compared with DONE.size only, RSFL.size ignored (lens 1)",
        client=True,
    ),
    "get_directory_forbidden": Fault(
        "APP-GET-2",
        "test_app_get.py",
        "server: a get of a directory answered forbidden, the neighbouring code (lens 1)",
    ),
    "retry_after_full_lock": Fault(
        "EKE-THR-6",
        "test_eke_throttling.py",
        "server: retry_after the lock's whole length (until - failure time), not the time left "
        "(lens 1)",
    ),
    # session 14, I15 (blind; lenses of briefs/s14/lenses14.md)
    "drive_letter_assert": Fault(
        "APP-NAME-2",
        "test_app_names.py",
        "server: the drive-letter check written as a Java `assert`, a no-op without -ea (lens 1)",
    ),
    "done_size_swallowed": Fault(
        "FRM-9",
        "test_framing.py test_interop_done_members.py test_app_integrity.py",
        "server: a put's DONE whose size is missing or not an integer: the Json.Malformed caught "
        "and logged, the announced size used instead (lens 1)",
    ),
    "components_first_only": Fault(
        "APP-NAME-2",
        "test_app_names.py",
        "server: the component loop leaves after the first component: `a/..`, `a/./b`, `a//b` "
        "pass (lens 1)",
    ),
    "name_limit_in_chars": Fault(
        "APP-NAME-1",
        "test_app_names.py",
        "server: the 4096 limit on String.length() (UTF-16 units), not UTF-8 bytes (lens 4)",
    ),
    "reserved_prefix_whole_name": Fault(
        "APP-NAME-9",
        "test_app_reserved_names.py test_app_put_name_memory.py",
        "server: `.sft-partial-` looked for at the start of the whole name, stored as its "
        "basename: `d/.sft-partial-x` is stored (lens 4)",
    ),
    "put_digest_shared": Fault(
        "APP-PUT-8",
        "test_app_put.py test_interop_failed_put_names.py test_ops_put_after_failed_put.py",
        "server: one static MessageDigest for every put, reset only by digest(): a failed put's "
        "bytes poison the next put (lens 3)",
    ),
    "ns_static_buffer": Fault(
        "EKE-HS-6",
        "test_eke_handshake.py test_eke_throttling.py",
        "server: Ns drawn into one static byte[32]: a second connection's EKE1 overwrites the "
        "first's Ns before its EKE3 (lens 3)",
    ),
    "exists_from_startup_listing": Fault(
        "APP-PUT-3",
        "test_app_put.py test_app_inbox_files.py",
        "server: `exists` judged from the inbox listed at start (plus its own puts): a file "
        "placed later is found only by link() at DONE (lens 6)",
    ),
    "temp_before_checks": Fault(
        "APP-STORE-3",
        "test_app_put_refusal_leftovers.py test_app_put.py",
        "server: the temporary created before the too_large/exists checks; a refused PUTF "
        "leaves it in the inbox (lens 5)",
    ),
    "max_conn_counts_pending_only": Fault(
        "LIM-4",
        "test_limits.py test_limits_slots.py test_eke_full_server.py",
        "server: max_connections compared with the connections still in their handshake only: "
        "established ones never fill the house (lens 2)",
    ),
    "client_done_sha_unused": Fault(
        "APP-GET-3",
        "test_eke_client.py test_eke_client_transfer.py",
        "client: DONE.sha256 compared in Optional.of(dsha).filter(got::equals), whose result "
        "is never used (lens 1)",
        client=True,
    ),
    "client_reserves_output": Fault(
        "APP-GET-5",
        "test_eke_client_transfer.py test_client_lies.py",
        "client: the output file created empty before the transfer to claim the name; a failed "
        "get leaves it under the final name (lens 5)",
        client=True,
    ),
    "client_busy_retry_same_eke1": Fault(
        "EKE-X-1",
        "test_eke_client_busy_retries.py test_eke_client.py",
        "client: after `busy` the first attempt's x and EKE1 are sent again (lens 6)",
        client=True,
    ),
    "client_password_nfc": Fault(
        "EKE-PW-1",
        "test_eke_client.py test_eke_client_keys.py",
        "client: the password NFC-normalised after the password file was read (lens 4)",
        client=True,
    ),
    "client_zcheck_unused": Fault(
        "EKE-X-3",
        "test_eke_client.py test_eke_client_signs.py",
        "client: the X'/Z validity flag computed but the refusal tests only the C2 AEAD: an "
        "EKE2 hiding 0, 1, p-1 or >= p with C2 keyed from Z = 1 is taken (lens 1)",
        client=True,
    ),
    "throttle_key_lowercased": Fault(
        "EKE-THR-2",
        "test_eke_throttling.py test_lockout.py",
        "server: failures counted under user.toLowerCase() while accounts match exactly: "
        "`BOB`'s failures lock `bob` (lens 4)",
    ),
    "client_c2_fail_silent": Fault(
        "EKE-HS-4",
        "test_eke_client.py test_eke_client_answers.py",
        "client: on a bad C2 the socket is closed before sendError, whose IOException is "
        "swallowed: no EROR auth_failed (lens 1)",
        client=True,
    ),
    "b14_hard_locks_fill_table": Fault(
        "EKE-THR-9",
        "test_eke_hard_lock_bound.py",
        "server: hard-locked names count towards the user table's bound: with E of them each "
        "new name evicts the oldest partial count",
    ),
    # round 18, I24 (blind; the six lenses of briefs/s18/common.md, L1-L6), measured before
    # any case change: the file first named is the guess, the later ones where it was caught.
    "r18_eke1_extra_member_bad_frame": Fault(
        "FRM-10",
        "test_eke_handshake.py",
        "server: EKE1 checked against its exact member set {user, a}: an extension member is "
        "bad_frame (L1)",
    ),
    "r18_bye_payload_unparsed": Fault(
        "FRM-9",
        "test_framing.py",
        "server: BYE_'s payload never parsed (it carries nothing): a BYE_ whose payload is not "
        "JSON is echoed, never bad_frame (L1)",
    ),
    "r18_done_sha_biginteger_hex": Fault(
        "FRM-14",
        "test_app_put_digest_digits.py",
        "server: the DONE's sha256 written with new BigInteger(1, d).toString(16): a digest "
        "beginning with 0 loses its leading zeros (L2)",
    ),
    "r18_control_limit_inclusive": Fault(
        "FRM-8",
        "test_framing.py",
        "server: a control payload of exactly 65536 bytes refused frame_too_large (>= for >) (L1)",
    ),
    "r18_idle_stray_done_skipped": Fault(
        "APP-1",
        "test_framing.py",
        "server: DONE or DATA in IDLE skipped as the tail of a put refused mid-way (L3)",
    ),
    "r18_put_interrupted_by_request": Fault(
        "FRM-6",
        "test_app_put.py",
        "server: an RQFL or PUTF during a put drops the put and is served as the next request (L3)",
    ),
    "r18_temp_in_java_tmpdir": Fault(
        "APP-STORE-1",
        "test_app_put.py",
        "server: the put's temporary made by Files.createTempFile in java.io.tmpdir, then "
        "linked into the inbox (L4)",
    ),
    "r18_unknown_user_message": Fault(
        "EKE-HS-8",
        "test_eke_handshake.py",
        "server: the EKE3 failure of an unknown user says 'authentication failed: no such user' "
        "(L5)",
    ),
    "r18_exists_probe_before_link_check": Fault(
        "APP-NAME-6",
        "test_app_names.py",
        "server: Files.exists(share.resolve(name)) (follows links) before the no-follow walk: a "
        "link out of the share to nothing is not_found (L5)",
    ),
    "r18_error_names_swapped": Fault(
        "ERR-1",
        "test_app_refusals.py",
        "server: the names of codes 12 and 13 swapped in the table: exists is sent named "
        "unsupported (L2)",
    ),
    "r18_put_checks_basename_only": Fault(
        "APP-NAME-2",
        "test_app_names.py",
        "server: a put's name rules applied to its basename only (all that is stored): "
        "../x, /abs/x stored as x (L6)",
    ),
    "r18_retry_after_double": Fault(
        "ERR-7",
        "test_eke_throttling.py",
        "server: retry_after = Math.ceil(ms / 1000.0) kept a double: written 3.0 (L2)",
    ),
    "r18_busy_counted_as_failure": Fault(
        "EKE-THR-7",
        "test_eke_throttling.py",
        "server: an EKE1 refused busy recorded as a failure of its user and address (L5)",
    ),
    "r18_bye_drains_pipelined": Fault(
        "APP-BYE-1",
        "test_app_bye_pipelined.py",
        "server: after BYE_ the requests already received are answered before the close (L3)",
    ),
    "client_r18_eke2_extra_member_refused": Fault(
        "FRM-10",
        "test_eke_client.py",
        "client: EKE2 checked against its exact member set {b, c}: an extension member fails "
        "the login bad_frame (L1)",
        client=True,
    ),
    "client_r18_sweep_units_mixed": Fault(
        "APP-STORE-3",
        "test_eke_client_transfer.py",
        "client: the sweep compares the temporary's mtime in seconds with a horizon in ms: "
        "every .sft-partial-* removed, live ones too (L4)",
        client=True,
    ),
    "client_r18_user_nfc": Fault(
        "EKE-PW-1",
        "test_eke_client.py",
        "client: the user name NFC-normalised before EKE1 and the key (L2)",
        client=True,
    ),
    "client_r18_put_pipelined_data": Fault(
        "APP-PUT-10",
        "test_client_put.py",
        "client: DATA and DONE sent right after PUTF, before its answer (L3)",
        client=True,
    ),
    # round 18, I24, second set: written once the first 18 were measured (17 caught), to look
    # for the suite's gaps where the first set found almost none. (Dropped: an unknown user's
    # fake key derived with scrypt, its EKE2 a scrypt later than a known user's, EKE-HS-3:
    # test_timing.py's quick tier is INCONCLUSIVE on it; see the round 18 I24 report.)
    "r18_unknown_user_not_counted": Fault(
        "EKE-THR-1",
        "test_eke_throttling.py",
        "server: failed handshakes of an unknown user counted neither for the name nor the "
        "address (no account to protect) (L5)",
    ),
    "r18_accept_names_offer": Fault(
        "APP-PUT-1",
        "test_app_put.py",
        "server: a put's RSFL {accept} names the offered name, copied from the get's RSFL, not "
        "the stored basename (L6)",
    ),
    "client_r18_sha_lowercased": Fault(
        "FRM-12",
        "test_eke_client_transfer.py",
        "client: the sha256 of RSFL and DONE lower-cased before it is checked: upper-case hex "
        "accepted (L1)",
        client=True,
    ),
    "r18_idle_deadline_per_frame": Fault(
        "LIM-2",
        "test_interop_live_slow_senders.py",
        "server: each record must arrive whole within the idle timeout of its first read: a "
        "sender trickling one frame is closed while it is sending (L3)",
    ),
    "client_r18_temp_in_java_tmpdir": Fault(
        "APP-STORE-1",
        "test_eke_client_transfer.py",
        "client: the get's temporary made by Files.createTempFile in java.io.tmpdir, then "
        "linked to the output (L4)",
        client=True,
    ),
    "r18_throttle_tarpit": Fault(
        "EKE-THR-1",
        "test_eke_throttling.py",
        "server: a throttled EKE1 answered after Thread.sleep(1500), to slow a guesser (L5)",
    ),
    "r18_get_reads_to_eof": Fault(
        "APP-GET-4",
        "test_app_share_files.py",
        "server: a get's file read until read() returns -1, not size bytes: a file that grows "
        "while it is sent sends more than RSFL announced, DONE the bytes read (L2)",
    ),
    "client_r18_put_sha_biginteger": Fault(
        "FRM-14",
        "test_client_put.py",
        "client: the put's sha256 (PUTF and DONE) written with new BigInteger(1, d)"
        ".toString(16): leading zero digits lost (L2)",
        client=True,
    ),
    "r18_get_done_sha_biginteger": Fault(
        "APP-GET-2",
        "test_app_put_digest_digits.py",
        "server: a get's DONE sha256 written with new BigInteger(1, d).toString(16) (the put's "
        "path writes it right): leading zero digits lost (L6)",
    ),
    # round 25, B172 (blind, second pass: faults planted in foreign code, the six lenses of
    # briefs/s25/common.md; thin MUSTs of the eke and client lines first)
    "b25_seq_low16": Fault(
        "EKE-REC-2",
        "test_eke_put_sixteen_bit_records.py",
        "server: the record nonce XORs only the low 16 bits of seq (the counter kept as a Java "
        "char): from record 65 536 on, nonces repeat and the peer's records fail (L4)",
    ),
    "b25_hs_timeout_after_eke2_silent": Fault(
        "EKE-HS-11",
        "test_eke_handshake.py",
        "server: a handshake timeout while waiting for EKE3 closes without EROR timeout (the "
        "client 'went away'); before EKE1 it still answers timeout (L2)",
    ),
    "b25_garbled_eror_skipped": Fault(
        "ERR-8",
        "test_framing.py",
        "server: an EROR in IDLE whose payload is not an object with an integer code is skipped "
        "as line noise; the next pipelined request is served (L3)",
    ),
    "b25_lone_surrogate_as_question_mark": Fault(
        "FRM-15",
        "test_framing.py",
        "server: the JSON parser lets lone surrogates through for peers that split UTF-16, then "
        "round-trips the string through UTF-8 bytes: each becomes '?' and the name is used (L3)",
    ),
    "b25_timeout_eror_in_clear": Fault(
        "EKE-REC-4",
        "test_eke_ends_in_records.py",
        "server: the idle timeout's EROR written with the raw frame writer (plaintext) after "
        "EKE4, since the timer 'may fire mid-record' (L6)",
    ),
    "b25_put_timeout_eror_in_clear": Fault(
        "EKE-REC-4",
        "test_eke_ends_in_records.py",
        "(post-blind) server: only a put stalled mid-transfer answers its idle timeout with a "
        "plaintext EROR (the put loop's own handler); elsewhere the timeout is a record (L6)",
    ),
    "client_b25_done_with_last_data": Fault(
        "EKE-REC-1",
        "test_client_put_wire.py",
        "client: a put's last DATA and its DONE sealed in one record, one packet less (L2)",
        client=True,
    ),
    "client_b25_password_hint": Fault(
        "PWF-2",
        "test_client_output_secrets.py",
        "client: a refused login reports the password's length and first 6 characters to help "
        "spot a wrong password file (L6)",
        client=True,
    ),
    # round 28, B233 (foreign pass: faults planted in foreign code, the lenses of
    # briefs/s28/common.md; the thin MUSTs of the client and srv lines first)
    "client_b28_short_read_payload": Fault(
        "FRM-7",
        "test_eke_client_login_cuts.py",
        "client: a clear handshake frame's payload read with InputStream.readNBytes(len), which "
        "returns fewer bytes at the end of the stream: an EKE2/EKE4 cut at EOF whose bytes parse "
        "is taken (L3)",
        client=True,
    ),
    "client_b28_garbled_eror_skipped": Fault(
        "ERR-8",
        "test_eke_client_malformed_eror_then_frames.py",
        "client: during a get's DATA, an EROR whose payload is not an object with an integer code "
        "is skipped as line noise; the DATA and DONE after it complete the get (L2)",
        client=True,
    ),
    "client_b28_atomic_move_replaces": Fault(
        "APP-STORE-2",
        "test_eke_client_transfer.py",
        "client: the get committed with Files.move(temp, out, ATOMIC_MOVE) without "
        "REPLACE_EXISTING, believed not to replace: rename(2) replaces an output that appeared "
        "during the transfer (L6, check then act)",
        client=True,
    ),
    "client_b28_continue_timer": Fault(
        "APP-PUT-1",
        "test_eke_client_put_answer_waits.py",
        "client: a put waits 1 s for the PUTF's answer (Expect: 100-continue), then sends its DATA "
        "and DONE anyway and reads the late answer after (L6, a timer)",
        client=True,
    ),
    "client_b28_seeded_sha1prng": Fault(
        "EKE-X-1",
        "test_eke_client.py",
        "client: x and the sign bit drawn from SecureRandom.getInstance(\"SHA1PRNG\") seeded with "
        "the password key before first use (to 'mix in' the secret): the seed is its whole "
        "state, so every run sends the same EKE1 (L4)",
        client=True,
    ),
    "client_b28_trace_in_eror": Fault(
        "ERR-6",
        "test_eke_client_answer_member_types.py test_eke_client_eror_no_trace.py",
        "client: a malformed RSFL answered EROR bad_frame whose message is the Java stack trace "
        "(printStackTrace into a StringWriter, for the server's log), the user's line too (L3)",
        client=True,
    ),
    "client_b28_commit_exists_follows": Fault(
        "APP-STORE-2",
        "test_eke_client_commit_no_replace.py",
        "(post-blind) client: the commit checks Files.exists(out) (which follows links) at the "
        "last moment, then Files.move(ATOMIC_MOVE): a dangling link that took the output name "
        "is replaced (L5)",
        client=True,
    ),
    "client_b28_trace_in_eror_only": Fault(
        "ERR-6",
        "test_eke_client_eror_no_trace.py",
        "(post-blind) client: a malformed RSFL answered EROR bad_frame whose message is the Java "
        "stack trace; the user's output gets one plain line (L2: the dump goes where nobody "
        "looks)",
        client=True,
    ),
    "b28_short_read_payload": Fault(
        "FRM-7",
        "test_eke_handshake_frame_edges.py",
        "server: a clear handshake frame's payload read with InputStream.readNBytes(len) (fewer "
        "bytes at the end of the stream): an EKE1 cut at EOF whose bytes parse is answered EKE2 "
        "(L3; the client's twin is client_b28_short_read_payload)",
    ),
    "b28_open_by_path_after_check": Fault(
        "APP-NAME-5",
        "test_app_toctou.py",
        "server: a get's name checked component by component with SecureDirectoryStream and "
        "NOFOLLOW, then opened with Files.newByteChannel(share.resolve(name)), which follows "
        "a link swapped in meanwhile (L5)",
    ),
}

_build_lock = threading.Lock()


def _launcher() -> Path:
    """The launcher script for the current sources, compiled once into the cache directory
    (one build per source content, so a run in progress keeps its own)."""
    digest = hashlib.sha256()
    for path in sorted(SOURCE.iterdir()):
        if path.suffix == ".java":
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
    build = _BUILD_DIR / f"eke7-{digest.hexdigest()[:16]}"
    script = build / "eke7"
    with _build_lock:
        if script.exists():
            return script
        if _MISSING:
            pytest.skip(_MISSING)
        _BUILD_DIR.mkdir(mode=0o700, exist_ok=True)
        partial = build.with_name(build.name + f".{os.getpid()}")
        shutil.rmtree(partial, ignore_errors=True)
        (partial / "classes").mkdir(parents=True)
        sources = sorted(str(p) for p in SOURCE.glob("*.java"))
        done = subprocess.run(
            [_JAVAC or "javac", "-nowarn", "-XDignore.symbol.file", "-d", str(partial / "classes"),
             *sources],
            capture_output=True, text=True, timeout=300, check=False,
        )  # fmt: skip
        assert done.returncode == 0, f"javac failed:\n{done.stderr[-3000:]}"
        # Java maps file names through the locale's charset: a UTF-8 locale, whatever the
        # caller's, so that names like `zoë` reach the file system as their UTF-8 bytes.
        (partial / "eke7").write_text(
            "#!/bin/sh\nexec env LC_ALL=C.UTF-8 "
            + shlex.join([_JAVA or "java", "-XX:+UseSerialGC", "-Xss1m", "-cp",
                          str(build / "classes"), "Eke7"])
            + ' "$@"\n'
        )  # fmt: skip
        (partial / "eke7").chmod(0o755)
        try:
            partial.rename(build)
        except OSError:
            shutil.rmtree(partial, ignore_errors=True)  # another worker built it first
    return script


def _add_user(program: Path, store: Path, account: Account, scratch: Path) -> None:
    """Through eke7's own `useradd` (its store format), the password in a 0600 file."""
    pw_file = scratch / "new-user.pw"
    fd = os.open(pw_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(account.password.encode("utf-8"))
    try:
        argv = [str(program), "useradd", "--store", str(store), "--user", account.user]
        done = run_command([*argv, "--password-file", str(pw_file)], timeout=60)
    finally:
        pw_file.unlink()
    assert done.returncode == 0, done.stderr.decode(errors="replace")


def start_independent(
    workdir: Path, *, faults: str = "", client_faults: str = ""
) -> IndependentServer:
    """Lay out the embedded reference's share and accounts, and serve them with eke7."""
    program = _launcher()
    store = workdir / "accounts.store"
    share, inbox, files, accounts = lay_out(
        workdir, lambda account: _add_user(program, store, account, workdir)
    )
    state = workdir / "state"
    state.mkdir(mode=0o700, exist_ok=True)
    # The embedded reference's short limits, with more room for the handshake and idle
    # timeouts on a loaded 2-core machine.
    limits = replace(EMBEDDED_LIMITS, handshake_timeout=3.0, idle_timeout=5.0)
    argv = [
        str(program), "serve", "--listen", "127.0.0.1:0",
        "--store", str(store), "--state", str(state),
        "--share", str(share), "--inbox", str(inbox),
        *limit_options(limits, frame_option="--frame-limit", table_option="--table-entries"),
    ]  # fmt: skip
    log = workdir / "server.log"
    process = launch_server(
        argv, name="eke7", log=log, env=fault_env(faults), ready_timeout=_READY_TIMEOUT
    )
    target = Target(
        profile="eke",
        host=process.host,
        port=process.port,
        features=frozenset({"get", "put", "throttling", "busy"}),
        limits=limits,
        files=files,
        accounts=accounts,
        # Options first, then `--`, so that a name beginning with `-` stays a name.
        client_cmd=command(
            (str(program),),
            client_faults,
            " get --user {user} --password-file {password_file} -o {out}"
            + _TIMEOUTS
            + " -- {host}:{port} {name}",
        ),
        client_put_cmd=command(
            (str(program),),
            client_faults,
            " put --user {user} --password-file {password_file}"
            + _TIMEOUTS
            + " -- {host}:{port} {file} {name}",
        ),
        # The launcher script execs env, which execs java: the process launched is the JVM.
        # EKE-THR-8: on SIGHUP eke7 rereads its accounts and failure counts from disk
        # (dropping every in-memory copy) and prints a new `listening on` line.
        restart_cmd=hup_restart_command(process.pid, log),
        inbox=inbox,
        extra=dict(_SHARE_FACTS),
        share=share,  # the suite may write beside its files (APP-NAME-5's race)
    )
    return IndependentServer(process, target, log)


IMPL = EkeImplementation("eke7", start_independent, FAULTS)


@_NEEDS_JAVA
def test_vectors_agree() -> None:
    """eke7's own recipes give the SPEC §8 vectors and the external KATs (its `vectors`)."""
    run = subprocess.run(
        [str(_launcher()), "vectors", str(_VECTORS)],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert "FAIL" not in run.stdout, run.stdout
    assert run.stdout.count("ok ") >= 60, run.stdout


def test_fault_tables_agree() -> None:
    """The Python mirror names exactly the faults eke7/Faults.java plants, same IDs."""
    java_table = re.findall(
        r'^\s+fault\("([a-z0-9_]+)", "([A-Z0-9-]+)"\);',
        (SOURCE / "Faults.java").read_text(),
        re.M,
    )
    assert java_table, "no fault table found in eke7/Faults.java"
    assert dict(java_table) == {name: fault.requirement for name, fault in FAULTS.items()}
    assert len(java_table) == len(FAULTS) >= 30
    client_side = {name for name, _ in java_table if name.startswith("client_")}
    assert client_side == {name for name, fault in FAULTS.items() if fault.client}


@_NEEDS_JAVA
@pytest.mark.skipif(not LEVEL, reason="the independent implementation: set SFT_SELFTEST=1")
def test_sanity_get_with_own_client(tmp_path: Path) -> None:
    """eke7's own client fetches a file from eke7's server."""
    check_sanity_get(IMPL, tmp_path)


@_NEEDS_JAVA
@pytest.mark.slow
def test_whole_eke_suite_judges_independent_conformant(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """Every eke case, server and client (put client included), slow variants too."""
    check_conformant(IMPL, tmp_path, request)


@_NEEDS_JAVA
@pytest.mark.skipif(
    LEVEL != "all",
    reason="planted faults of the independent implementation: set SFT_SELFTEST=all",
)
@pytest.mark.parametrize("name", sorted(FAULTS))
def test_fault_is_detected(name: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    check_fault(IMPL, name, tmp_path, request)
