// Command eke4 is a clean-room sft-eke/1 server and client written in Go from
// docs/SPEC.md alone (§0-§3, §5, §6, §8), the fourth independent eke implementation.
//
//	eke4 user-add -store F -user NAME -password-file PW
//	eke4 serve -listen 127.0.0.1:0 -store F -state-dir D -share D -inbox D [limits...]
//	eke4 get -user U -password-file F -o OUT HOST:PORT NAME
//	eke4 put -user U -password-file F HOST:PORT FILE NAME
//
// Choices where the SPEC leaves one:
//   - One goroutine per connection; deadlines via net.Conn.SetReadDeadline (the
//     handshake deadline is fixed at accept, the idle deadline renewed per frame) and a
//     write deadline of the idle timeout on every write (LIM-10).
//   - JSON: encoding/json's Decoder walked token by token (duplicate keys, exact
//     integers via UseNumber), with UTF-8 and lone surrogates checked beforehand, since
//     encoding/json would replace them with U+FFFD; depth above 256 is bad_frame.
//   - An invalid user name in EKE1 is bad_frame (EKE-PW-5 allows it).
//   - Every symbolic link in the share is refused with forbidden (openat O_NOFOLLOW on
//     each component); a get of a `.sft-partial-` name is forbidden.
//   - RSFL of a get carries no sha256; the server echoes BYE_; refused connections
//     (LIM-4, LIM-8) get `EROR busy` with retry_after 1.
//   - Throttling state is a JSON file in the state directory, rewritten on each change;
//     an address's failures are never forgiven by a success (EKE-THR-6).
//   - Client: no retry on busy; it refuses an RSFL naming another file (bad_frame);
//     temporary files `.sft-partial-<hex>` beside the output, swept when older than the
//     idle timeout; an existing output file is not replaced without -force.
//   - Password files: UTF-8, one trailing LF or CRLF removed (PWF-1).
//   - SIGHUP re-executes the server in place (same pid, the listening socket passed on
//     as EKE4_LISTEN_FD), reloading the store, the secret and the failure counts; it
//     prints `listening on HOST:PORT` on stdout when ready, every start.
//   - Flags first, then `--`, then positional arguments (Go's flag package stops at the
//     first non-flag argument).
//
// Planted faults: SFT_INDEPENDENT_FAULTS=name[,name] (read once at start) switches on
// the mistakes of faultTable, each breaking one requirement.
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"os"
	"os/signal"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unicode/utf8"

	"encoding/hex"
	"encoding/json"
)

// Fault is one planted mistake: the requirement it breaks and what it does.
type Fault struct {
	Req, What string
}

var faultTable = map[string]Fault{
	"client_json_keys_case_get":         {"FRM-9", "the client reads a get's RSFL as encoding/json decodes a struct: Size is size"},
	"client_json_keys_case_insensitive": {"APP-PUT-9", "the client reads RSFL as encoding/json decodes a struct: Accept is accept"},
	"pending_ip_with_port":              {"LIM-8", "unfinished handshakes counted per RemoteAddr().String(), port included"},
	"bidi_isolates_missed":              {"APP-NAME-8", "the bidi check covers U+202A-U+202E but not the isolates U+2066-U+2069"},
	"address_key_with_port":             {"EKE-THR-1", "failures counted per RemoteAddr().String(), port included"},
	"jacobi_unblinded":                  {"EKE-SEC-4", "big.Jacobi(X', p) on the decrypted value itself, not blinded"},
	"json_keys_case_insensitive":        {"FRM-9", "members looked up as encoding/json decodes into a struct: NAME is name"},
	"busy_no_retry_after":               {"EKE-THR-7", "EROR busy for the pending caps is sent without retry_after"},
	"client_c4_unchecked":               {"EKE-HS-7", "the client opens C4 but never compares it with its Na"},
	"client_overwrites_output":          {"APP-GET-6", "the client commits with os.Rename: an existing output file is replaced"},
	"auth_message_debug":                {"ERR-5", "a failed EKE3's EROR message carries the expected Ns, a debugging leftover"},
	"half_close_drops_answers":          {"APP-2", "the peer's FIN cancels the connection: requests read before it go unanswered"},
	"put_exists_at_done":                {"APP-PUT-3", "an existing name is found only when the link fails at DONE, after the data"},
	"unknown_type_bad_frame":            {"FRM-5", "an undefined frame type is answered bad_frame"},
	"accept_p_minus_1":                  {"EKE-X-3", "X' = p-1 is accepted as a group element (range check written as 1 < X' < p)"},
	"accept_plaintext_after_handshake":  {"EKE-REC-5", "a plaintext frame after EKE4 is processed like a record's frame"},
	"c1_allowed":                        {"APP-NAME-8", "the control-character check stops at U+007F: C1 controls pass"},
	"client_keeps_temp_on_signal":       {"APP-STORE-3", "the client's SIGTERM handler exits without removing its temporary file"},
	"client_put_any_rsfl":               {"APP-PUT-9", "the client takes any RSFL after PUTF as acceptance"},
	"client_put_eof_is_success":         {"APP-PUT-10", "the client reports a put done when the server closes instead of answering DONE"},
	"client_skips_sha_check":            {"APP-GET-3", "the client checks the byte count but not DONE.sha256"},
	"client_temp_in_os_tempdir":         {"APP-STORE-1", "the client's temporary file comes from os.CreateTemp with no directory in $TMPDIR"},
	"client_writes_excess":              {"APP-GET-4", "the client keeps writing DATA beyond the announced size, failing only at DONE"},
	"commit_with_rename":                {"APP-PUT-8", "a put is committed with os.Rename, which replaces a file stored meanwhile"},
	"control_limit_unchecked":           {"FRM-8", "control payloads are only held to the frame limit, not 65 536 bytes"},
	"data_empty_accepted":               {"FRM-13", "an empty DATA frame during a put is taken as a no-op"},
	"dir_not_checked":                   {"APP-GET-2", "a get opens any non-link entry: a directory is announced, then fails internally"},
	"follow_symlinks":                   {"APP-NAME-4", "components are opened without O_NOFOLLOW: links out of the share are followed"},
	"handshake_deadline_per_read":       {"LIM-1", "the handshake deadline is renewed per read: trickled bytes keep a connection alive"},
	"hex_decode_lenient":                {"FRM-12", "hex members checked with hex.DecodeString: uppercase passes"},
	"hs_timeout_silent":                 {"EKE-HS-11", "the handshake deadline closes the connection without EROR timeout"},
	"idle_timeout_silent":               {"LIM-2", "the idle deadline closes the connection without EROR timeout"},
	"int_accepts_fraction":              {"FRM-11", "integers parsed via json.Number.Float64: 1.0, 1e3 pass"},
	"json_duplicate_keys":               {"FRM-9", "duplicate JSON keys are accepted (last wins, encoding/json's default)"},
	"json_lenient_utf8":                 {"FRM-9", "invalid UTF-8 is left to encoding/json, which turns it into U+FFFD"},
	"json_lone_surrogate":               {"FRM-15", "lone surrogate escapes are left to encoding/json, which turns them into U+FFFD"},
	"name_path_clean":                   {"APP-NAME-2", "a get's name goes through path.Clean first: a/../x is x"},
	"no_pending_cap":                    {"EKE-THR-7", "no cap on pending handshakes per user or address"},
	"no_pending_eviction":               {"LIM-9", "when every slot is taken the new connection is refused even if old ones are still in their handshake"},
	"no_per_address_cap":                {"LIM-8", "no cap on one address's connections still in their handshake"},
	"no_sign_flip":                      {"EKE-X-2", "X' is always X: the sign bit is never drawn"},
	"put_excess_at_done":                {"APP-PUT-6", "DATA beyond the announced size is noticed only at DONE"},
	"skip_ns_check":                     {"EKE-HS-6", "the server checks C3's tag but not that it ends with its own Ns"},
	"success_resets_address":            {"EKE-THR-6", "a successful login clears the address's failure count"},
	"temp_mode_0644":                    {"APP-STORE-1", "the put's temporary file is made with os.Create (0666 before umask)"},
	"throttle_not_persisted":            {"EKE-THR-8", "failure counts live in memory only: a restart resets them"},
	"throttle_off_by_one":               {"EKE-THR-1", "the lock starts after N+1 failures instead of N"},
	"user_case_folded":                  {"EKE-PW-4", "user names are matched with strings.EqualFold"},
	"r2_record_limit_unchecked":         {"EKE-REC-6", "records read whatever their announced length: the frame limit is checked on plaintext frames only"},
	"r2_backoff_exponent_off_by_one":    {"EKE-THR-6", "the lock lasts base*2^(n-N+1): the exponent counted one too high"},
	"r2_backoff_uncapped":               {"EKE-THR-6", "the lock duration is never held to the cap"},
	"r2_retry_after_truncated":          {"EKE-THR-6", "retry_after is int64(until - now): truncated, not rounded up"},
	"r2_pending_leak_on_success":        {"EKE-THR-7", "a successful handshake never releases its pending slot"},
	"r2_evicts_running_locks":           {"EKE-THR-9", "a full failure table evicts its oldest entry, lock running or not"},
	"r2_too_large_closes":               {"APP-PUT-7", "too_large is answered, then the connection is closed as for a fatal code"},
	"r2_not_found_closes":               {"ERR-3", "not_found is answered, then the connection is closed as for a fatal code"},
	"r2_put_exists_stat_follows":        {"APP-PUT-3", "the inbox name is tested with os.Stat: a dangling link is not an existing name until DONE"},
	"r2_done_size_unchecked":            {"APP-PUT-5", "DONE.size is parsed but never compared with the announced size"},
	"r2_announced_sha_unchecked":        {"APP-PUT-5", "PUTF.sha256 is parsed but never compared"},
	"r2_put_eror_ignored":               {"ERR-3", "an EROR received during a put is skipped: the put goes on"},
	"r2_partial_prefix_whole_name":      {"APP-NAME-9", "the reserved prefix is tested on the whole name, not its last component"},
	"r2_name_bound_off_by_one":          {"APP-NAME-7", "the name bound written len(name) >= 4096: a 4096-byte name is refused"},
	"r2_dot_component_allowed":          {"APP-NAME-2", "a '.' component is not refused"},
	"r2_get_size_unchecked":             {"APP-GET-2", "a get of a file above the maximum file size is served"},
	"r2_client_done_size_unchecked":     {"APP-GET-3", "client: the client never compares DONE.size"},
	"r2_client_rsfl_sha_unchecked":      {"APP-GET-3", "client: the client never compares RSFL.sha256"},
	"r2_client_empty_data_ok":           {"FRM-13", "client: the client takes an empty DATA during a get"},
	"r2_client_eof_after_all_bytes":     {"APP-GET-5", "client: the client commits a get when the stream ends after every announced byte, DONE missing"},
	// Round 3 (blind, session 10): lens 1 misreadings, 2 lazy features, 3 state, 4 over-eager hardening, 5 layer seams.
	"r3_retry_after_ms":                {"EKE-THR-6", "retry_after is time.Until(lock).Milliseconds(): milliseconds, not seconds (lens 1)"},
	"r3_busy_as_throttled":             {"EKE-THR-7", "the pending caps answer EROR throttled, the code of the neighbouring rule, not busy (lens 1)"},
	"r3_get_hash_not_reset":            {"APP-GET-2", "the get's sha256 state lives on the connection and is never Reset: a second get's DONE.sha256 is wrong (lens 3)"},
	"r3_abandoned_not_counted":         {"EKE-THR-5", "a failure is recorded only in the bad-EKE3 branch: a handshake closed or timed out after EKE2 costs nothing (lens 2)"},
	"r3_hard_lock_not_persisted":       {"EKE-THR-11", "the hard lock is an unexported struct field: encoding/json never writes it, a restart lifts it (lens 3)"},
	"r3_c1_on_bytes":                   {"APP-NAME-8", "the C1 test ranges over name[i] bytes, not runes: the 0x82 of a euro sign is refused (lens 4)"},
	"r3_one_put_per_connection":        {"APP-2", "the connection is closed after a completed put (one put per connection) (lens 4)"},
	"r3_unknown_members_refused":       {"FRM-10", "control objects decoded with DisallowUnknownFields: an extra member is bad_frame (lens 4)"},
	"r3_record_auth_plain_eror":        {"EKE-REC-4", "a record that fails to open is answered with a plaintext EROR bad_frame before the close (lens 5)"},
	"r3_record_auth_skipped":           {"EKE-REC-4", "a record that fails to open is logged and skipped: the connection reads on (lens 5)"},
	"r3_inner_limit_bad_frame":         {"FRM-8", "an error of a record's inner frame header is wrapped as bad_frame: an oversized control payload is not frame_too_large (lens 5)"},
	"r3_put_commit_on_eof":             {"APP-STORE-3", "a put whose every announced byte arrived is committed when the connection ends before DONE (lens 5)"},
	"r3_empty_file_internal":           {"APP-GET-2", "the get's read loop is io.ReadAtLeast(file, buf, 1): a 0-byte file ends in EROR internal after RSFL (lens 2)"},
	"r3_rsfl_basename":                 {"APP-GET-7", "the get's RSFL names path.Base(name), as the put's RSFL does (lens 1)"},
	"r3_forbidden_closes":              {"ERR-3", "forbidden is answered, then the connection is closed as for a fatal code (lens 4)"},
	"r3_client_busy_retry_now":         {"EKE-THR-7", "client: EROR busy is retried at once, retry_after ignored, up to three times (lens 4)"},
	"r3_client_unknown_code_skipped":   {"ERR-4", "client: an EROR with an unknown code is logged and skipped, the get goes on (lens 5)"},
	"r3_client_temp_left_on_integrity": {"APP-STORE-3", "client: an integrity failure returns before the deferred removal of the temporary file (lens 2)"},
	"r3_client_c2_silent":              {"EKE-HS-4", "client: a C2 that does not verify closes the connection without EROR auth_failed (lens 1)"},
	"r3_client_put_refusal_ok":         {"APP-PUT-10", "client: a non-fatal refusal of PUTF (exists, forbidden...) is reported as success, exit 0 (lens 5)"},
	// Round 16 (blind, session 14, helper I16): the round-14 lenses.
	"r16_admit_first_entry_only":     {"EKE-THR-1", "the lock loop over the user and address entries breaks after the first: an address lock is never consulted (lens 1)"},
	"r16_client_c2_unverified":       {"EKE-HS-4", "client: the AEAD error of C2 shadowed in an inner block: a C2 that does not verify is answered with EKE3 (lens 1)"},
	"r16_eke3_failure_counted_twice": {"EKE-THR-1", "a bad EKE3 recorded in its branch and again by the deferred Release: the lock comes after half the failures (lens 2)"},
	"r16_excess_per_frame":           {"APP-PUT-6", "each DATA frame is compared with the announced size, not the running total: the excess is found only at DONE (lens 2)"},
	"r16_name_total_unchecked":       {"APP-NAME-1", "components are held to 255 bytes but the whole name is never held to 4096 (lens 2)"},
	"r16_server_y_cached":            {"EKE-HS-10", "the server's exponent y drawn once per process (sync.Once) and reused by every handshake (lens 3)"},
	"r16_temp_suffix_once":           {"APP-STORE-1", "the temporary file's random part is a package-level var drawn at start: concurrent puts collide on O_EXCL (lens 3)"},
	"r16_bidi_on_raw_payload":        {"APP-NAME-8", "C1 and bidi characters searched as UTF-8 bytes of the raw payload: a \\u escape of them passes (lens 4)"},
	"r16_commit_full_name":           {"APP-PUT-2", "the commit target recomputed from the offered name: a/b.txt is linked to inbox/a/b.txt and fails (lens 4)"},
	"r16_temp_before_checks":         {"APP-STORE-3", "the put's temporary file is created before the name, size and exists checks and left when they refuse (lens 5)"},
	"r16_eke2_before_throttle":       {"EKE-THR-1", "the throttle is asked after EKE2 is sent: a locked user or address still gets EKE2 (lens 5)"},
	"r16_client_output_placeholder":  {"APP-GET-5", "client: the output name claimed with an empty O_EXCL file before connecting, left there when the get fails (lens 5)"},
	"r16_client_signal_snapshot":     {"APP-STORE-3", "client: the signal handler removes the temporaries known when it was installed: none (lens 6)"},
	"r16_idle_deadline_once":         {"LIM-2", "the idle deadline set once after the handshake, never renewed: an active connection is cut (lens 6)"},
	"b14_hard_locks_fill_table":      {"EKE-THR-9", "hard-locked names count towards the user table's bound: with E of them each new name evicts the oldest partial count"},
	"b14_idle_deadline_per_frame":    {"LIM-2", "the idle deadline renewed once per frame, not per byte: a frame trickling in is cut before the idle timeout since its last byte"},
	// Round 16 (blind, session 16, helper I21): the round-16 lenses, read from this code.
	"b16_size_via_float64":                {"APP-PUT-7", "integers converted with json.Number.Float64 then int64() after the fraction check: 2^63-1 overflows to a negative size that passes the limit (lens 1)"},
	"b16_client_sweep_age_nanoseconds":    {"APP-STORE-3", "client: the sweep age written time.Duration(cfg.IdleTimeout.Seconds()): nanoseconds, every live temporary is stale (lens 1)"},
	"b16_put_name_held_after_failure":     {"APP-PUT-8", "a put's name kept in an in-progress set that only a stored put clears: after a failed put the name is answered exists (lens 2)"},
	"b16_success_not_saved":               {"EKE-THR-4", "a success clears the user's count in memory only (the save is skipped when nothing was added): a restart brings the failures back (lens 2)"},
	"b16_established_not_marked":          {"LIM-9", "established() never called: a logged-in connection still counts as a pending handshake, evictable and under the per-address cap (lens 2)"},
	"b16_pending_caps_swapped":            {"EKE-THR-7", "the pending caps compared crosswise: the user's count with Q, the address's with P (lens 3)"},
	"b16_handshake_deadline_idle":         {"LIM-1", "the handshake deadline computed from IdleTimeout, not HandshakeTimeout (lens 3)"},
	"b16_slot_kept_on_failed_handshake":   {"LIM-4", "the connection slot released only by the application layer: a connection whose handshake fails keeps its slot (lens 4)"},
	"b16_exists_at_done_stays_receiving":  {"ERR-3", "an exists found at DONE removes the temporary but leaves the put state set: the next request is unexpected_frame (lens 4)"},
	"b16_client_keeps_partial_for_resume": {"APP-STORE-3", "client: a get ended by the server's EROR keeps its temporary file (\"for a resume\") (lens 4)"},
	"b16_user_name_trimmed":               {"EKE-PW-4", "the store looked up with strings.TrimSpace(user): 'alice ' logs in with alice's pw (lens 5)"},
	"b16_lock_from_handshake_start":       {"EKE-THR-6", "a failure's time is the moment its EKE1 was admitted, not the moment it ended: the lock of an abandoned handshake is over before it starts (lens 6)"},
	"b16_failure_time_truncated":          {"EKE-THR-6", "the failure time kept as time.Now().Unix(): whole seconds rounded down, the lock ends up to 1 s early (lens 6)"},
	// Second batch (I21, written after the first batch's results, not strictly blind).
	"b16_ipv4_counted_per_64":           {"EKE-THR-10", "every address masked to /64 whatever its family: IP.Mask of a 4-byte IPv4 with a 16-byte mask is nil, all IPv4 clients share one key (lens 1)"},
	"b16_retry_after_first_lock":        {"EKE-THR-6", "retry_after taken from the first locked entry (the user's), not the lock that ends last (lens 5)"},
	"b16_hard_lock_addresses":           {"EKE-THR-6", "the hard cap L applied to addresses too: an address with L failures is locked for good (lens 3)"},
	"b16_password_trim_right":           {"PWF-1", "client: the password file's line end removed with bytes.TrimRight(b, \"\\r\\n\"): a lone CR or several line ends pass (lens 5)"},
	"b16_client_record_auth_plain_eror": {"EKE-REC-4", "client: a record that fails to open is answered with a plaintext EROR bad_frame before the close (lens 4)"},
	"b16_lim8_uses_pending_q":           {"LIM-8", "fourth batch: the per-address cap on unfinished connections read from -pending-per-address (EKE-THR-7's Q), not -max-pending-per-address (lens 3)"},
	"b16_hard_lock_retry_after_default": {"EKE-THR-11", "fourth batch: a hard lock's retry_after is the default cap, 300 s, not the configured -throttle-cap (lens 3)"},
	"b16_evict_by_first_failure":        {"EKE-THR-9", "a full failure table evicts the entry whose first failure is oldest, not the least recently failed (lens 6)"},
}

var activeFaults = map[string]bool{}

func fault(name string) bool { return activeFaults[name] }

func loadFaults() {
	for _, n := range strings.Split(os.Getenv("SFT_INDEPENDENT_FAULTS"), ",") {
		n = strings.TrimSpace(n)
		if n == "" {
			continue
		}
		if _, ok := faultTable[n]; !ok {
			fmt.Fprintf(os.Stderr, "eke4: unknown fault %q\n", n)
			os.Exit(2)
		}
		activeFaults[n] = true
	}
}

// readPasswordFile is PWF-1.
func readPasswordFile(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if !utf8.Valid(b) {
		return nil, fmt.Errorf("password file %s is not UTF-8", path)
	}
	if fault("b16_password_trim_right") {
		b = bytes.TrimRight(b, "\r\n") // "strip the line end, whatever the editor wrote"
	} else if bytes.HasSuffix(b, []byte("\r\n")) {
		b = b[:len(b)-2]
	} else if bytes.HasSuffix(b, []byte("\n")) {
		b = b[:len(b)-1]
	}
	if len(b) == 0 {
		return nil, fmt.Errorf("password file %s holds an empty password", path)
	}
	if bytes.ContainsAny(b, "\r\n") {
		return nil, fmt.Errorf("password file %s holds more than one line", path)
	}
	return b, nil
}

func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

func die(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "eke4: "+format+"\n", args...)
	os.Exit(1)
}

const listenFDVariable = "EKE4_LISTEN_FD"

// listen opens the listening socket, or takes over the one a predecessor passed on.
func listen(addr string) (net.Listener, error) {
	if v := os.Getenv(listenFDVariable); v != "" {
		os.Unsetenv(listenFDVariable)
		fd, err := strconv.Atoi(v)
		if err != nil {
			return nil, err
		}
		return net.FileListener(os.NewFile(uintptr(fd), "listener"))
	}
	return net.Listen("tcp", addr)
}

// reexec restarts the server in place on SIGHUP (EKE-THR-8 restarts): same pid, same
// listening socket; state (store, secret, failure counts) is reloaded from disk.
func reexec(ln net.Listener) error {
	f, err := ln.(*net.TCPListener).File()
	if err != nil {
		return err
	}
	fd := f.Fd()
	if _, _, e := syscall.Syscall(syscall.SYS_FCNTL, fd, syscall.F_SETFD, 0); e != 0 {
		return e
	}
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	env := append(os.Environ(), fmt.Sprintf("%s=%d", listenFDVariable, fd))
	return syscall.Exec(exe, os.Args, env)
}

func userAdd(args []string) {
	fs := flag.NewFlagSet("user-add", flag.ExitOnError)
	store := fs.String("store", "", "password store (JSON, mode 0600)")
	user := fs.String("user", "", "user name")
	pwFile := fs.String("password-file", "", "file holding the password")
	_ = fs.Parse(args)
	if !validUserName(*user) {
		die("not a valid user name")
	}
	password, err := readPasswordFile(*pwFile)
	if err != nil {
		die("%v", err)
	}
	s := &PasswordStore{Users: map[string]string{}}
	if b, err := os.ReadFile(*store); err == nil {
		if err := json.Unmarshal(b, s); err != nil {
			die("password store: %v", err)
		}
		if s.Users == nil {
			s.Users = map[string]string{}
		}
	}
	s.Users[*user] = hex.EncodeToString(passwordKey(password, []byte(*user)))
	b, _ := json.MarshalIndent(s, "", "  ")
	tmp := *store + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		die("%v", err)
	}
	if err := os.Rename(tmp, *store); err != nil {
		die("%v", err)
	}
}

func serve(args []string) {
	fs := flag.NewFlagSet("serve", flag.ExitOnError)
	var cfg ServerConfig
	fs.StringVar(&cfg.Listen, "listen", "127.0.0.1:0", "address to listen on")
	fs.StringVar(&cfg.Share, "share", "", "directory served by get")
	fs.StringVar(&cfg.Inbox, "inbox", "", "directory puts are stored in")
	fs.StringVar(&cfg.Store, "store", "", "password store")
	fs.StringVar(&cfg.StateDir, "state-dir", "", "server secret and throttling state")
	fs.StringVar(&cfg.PortFile, "port-file", "", "write the bound port here once listening")
	hto := fs.Float64("handshake-timeout", 10, "LIM-1, seconds")
	idle := fs.Float64("idle-timeout", 60, "LIM-2, seconds")
	fs.Int64Var(&cfg.MaxFileSize, "max-file-size", 4<<30, "LIM-3")
	fs.IntVar(&cfg.MaxConnections, "max-connections", 64, "LIM-4")
	fs.IntVar(&cfg.MaxPendingPerIP, "max-pending-per-address", 8, "LIM-8")
	frameLimit := fs.Uint("frame-limit", defaultFrameLimit, "FRM-3")
	noPut := fs.Bool("no-put", false, "refuse puts (unsupported)")
	fs.IntVar(&cfg.Throttle.Failures, "throttle-failures", 5, "EKE-THR-1 N")
	fs.Float64Var(&cfg.Throttle.Base, "throttle-base", 1, "EKE-THR-6 base seconds")
	fs.Float64Var(&cfg.Throttle.Cap, "throttle-cap", 300, "EKE-THR-6 cap seconds")
	fs.IntVar(&cfg.Throttle.LockAfter, "lock-after", 100, "EKE-THR-11 L")
	fs.IntVar(&cfg.Throttle.PendingPerUser, "pending-per-user", 4, "EKE-THR-7 P")
	fs.IntVar(&cfg.Throttle.PendingPerAddr, "pending-per-address", 8, "EKE-THR-7 Q")
	fs.IntVar(&cfg.Throttle.TableEntries, "throttle-table-entries", 10000, "EKE-THR-9")
	_ = fs.Parse(args)
	cfg.FrameLimit = uint32(*frameLimit)
	cfg.HandshakeTimeout = seconds(*hto)
	cfg.IdleTimeout = seconds(*idle)
	cfg.AllowPut = !*noPut && cfg.Inbox != ""
	if cfg.Share == "" || cfg.Store == "" || cfg.StateDir == "" {
		die("serve needs -share, -store and -state-dir")
	}
	srv, err := newServer(cfg)
	if err != nil {
		die("%v", err)
	}
	ln, err := listen(cfg.Listen)
	if err != nil {
		die("%v", err)
	}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)
	go func() {
		for sig := range sigs {
			srv.removeTemps()
			if sig != syscall.SIGHUP {
				os.Exit(0)
			}
			if err := reexec(ln); err != nil {
				log.Printf("restart failed: %v", err)
			}
		}
	}()
	port := ln.Addr().(*net.TCPAddr).Port
	fmt.Printf("listening on %s\n", ln.Addr())
	log.Printf("eke4 on %s: handshake_timeout=%s idle_timeout=%s max_file_size=%d "+
		"max_connections=%d max_pending_per_address=%d frame_limit=%d throttle=%d/%gs/%gs lock_after=%d",
		ln.Addr(), cfg.HandshakeTimeout, cfg.IdleTimeout, cfg.MaxFileSize, cfg.MaxConnections,
		cfg.MaxPendingPerIP, cfg.FrameLimit, cfg.Throttle.Failures, cfg.Throttle.Base,
		cfg.Throttle.Cap, cfg.Throttle.LockAfter)
	if cfg.PortFile != "" {
		tmp := cfg.PortFile + ".tmp"
		if err := os.WriteFile(tmp, []byte(fmt.Sprintf("%d\n", port)), 0o600); err != nil {
			die("%v", err)
		}
		if err := os.Rename(tmp, cfg.PortFile); err != nil {
			die("%v", err)
		}
	}
	if err := srv.Serve(ln); err != nil {
		die("%v", err)
	}
}

func clientFlags(name string, args []string) (ClientConfig, *flag.FlagSet, *string, *bool) {
	fs := flag.NewFlagSet(name, flag.ExitOnError)
	user := fs.String("user", "", "user name")
	pwFile := fs.String("password-file", "", "file holding the password")
	out := fs.String("o", "", "output file (get)")
	force := fs.Bool("force", false, "replace an existing output file (get)")
	hto := fs.Float64("handshake-timeout", 10, "handshake timeout, seconds")
	idle := fs.Float64("idle-timeout", 60, "idle timeout, seconds")
	_ = fs.Parse(args)
	password, err := readPasswordFile(*pwFile)
	if err != nil {
		die("%v", err)
	}
	if !validUserName(*user) {
		die("not a valid user name")
	}
	cfg := ClientConfig{User: *user, Password: password, HandshakeTimeout: seconds(*hto), IdleTimeout: seconds(*idle)}
	return cfg, fs, out, force
}

func main() {
	log.SetFlags(log.LstdFlags | log.LUTC)
	loadFaults()
	if len(os.Args) < 2 {
		die("usage: eke4 serve|user-add|get|put|faults ...")
	}
	switch os.Args[1] {
	case "serve":
		serve(os.Args[2:])
	case "user-add":
		userAdd(os.Args[2:])
	case "faults":
		names := make([]string, 0, len(faultTable))
		for n := range faultTable {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			fmt.Printf("%s\t%s\t%s\n", n, faultTable[n].Req, faultTable[n].What)
		}
	case "get":
		cfg, fs, out, force := clientFlags("get", os.Args[2:])
		if fs.NArg() != 2 || *out == "" {
			die("usage: eke4 get -user U -password-file F -o OUT HOST:PORT NAME")
		}
		cfg.Addr = fs.Arg(0)
		if err := Get(cfg, fs.Arg(1), *out, *force); err != nil {
			die("get failed: %v", err)
		}
	case "put":
		cfg, fs, _, _ := clientFlags("put", os.Args[2:])
		if fs.NArg() != 3 {
			die("usage: eke4 put -user U -password-file F HOST:PORT FILE NAME")
		}
		cfg.Addr = fs.Arg(0)
		if err := Put(cfg, fs.Arg(1), fs.Arg(2)); err != nil {
			die("put failed: %v", err)
		}
	default:
		die("unknown command %q", os.Args[1])
	}
	_ = errors.New
}
