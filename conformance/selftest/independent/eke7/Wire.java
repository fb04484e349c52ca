import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.Map;
import java.util.Set;

/** Frames (§1), errors (§2) and the sft-eke/1 record layer (§5.5) over a blocking socket. */
final class Wire {
    private Wire() {}

    static final int BAD_FRAME = 1, FRAME_TOO_LARGE = 2, UNEXPECTED = 3, AUTH_FAILED = 4,
        FORBIDDEN = 5, NOT_FOUND = 6, TOO_LARGE = 7, INTEGRITY = 8, BUSY = 9, TIMEOUT = 10,
        INTERNAL = 11, EXISTS = 12, UNSUPPORTED = 13, THROTTLED = 14;
    static final String[] NAMES = {"", "bad_frame", "frame_too_large", "unexpected_frame",
        "auth_failed", "forbidden", "not_found", "too_large", "integrity_failed", "busy",
        "timeout", "internal", "exists", "unsupported", "throttled"};
    static final boolean[] FATAL = {true, true, true, true, true, false, false, false, true,
        true, true, true, false, false, true};
    static final int CONTROL_LIMIT = 65536;
    static final int DATA_LIMIT = 1 << 20;
    static final Set<String> APP_TYPES = Set.of("RQFL", "RSFL", "PUTF", "DATA", "DONE", "EROR", "BYE_");
    static final Set<String> HS_TYPES = Set.of("EKE1", "EKE2", "EKE3", "EKE4");

    /** A protocol error to send (then close if fatal). */
    static final class ProtoError extends Exception {
        final int code;
        final Long retryAfter;

        ProtoError(int code, String message) { this(code, message, null); }

        ProtoError(int code, String message, Long retryAfter) {
            super(message);
            this.code = code;
            this.retryAfter = retryAfter;
        }

        boolean fatal() { return FATAL[code]; }
    }

    /** The connection ended or must end without an answer. */
    static final class Closed extends Exception {
        Closed(String m) { super(m); }
    }

    static final class Frame {
        final String type;
        final byte[] payload;

        Frame(String type, byte[] payload) { this.type = type; this.payload = payload; }

        Map<String, Object> json() throws ProtoError {
            try {
                return Json.object(payload);
            } catch (Json.Malformed e) {
                if (Faults.on("json_error_internal") && !HS_TYPES.contains(type)) {
                    throw new IllegalStateException("JSON parse failed: " + e.getMessage());
                }
                throw new ProtoError(BAD_FRAME, "malformed " + type + ": " + e.getMessage());
            }
        }
    }

    static boolean validType(byte[] h) {
        for (int k = 0; k < 4; k++) {
            int c = h[k] & 255;
            boolean ok;
            if (Faults.on("type_check_letter_or_digit")) ok = Character.isLetterOrDigit(c) || c == '_';
            else ok = (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
            if (!ok) return false;
        }
        return true;
    }

    static byte[] eror(int code, String message, Long retryAfter) {
        if (message.length() > 512) message = message.substring(0, 512);
        String name = NAMES[code];
        if (Faults.on("r18_error_names_swapped") && (code == EXISTS || code == UNSUPPORTED)) {
            name = NAMES[code == EXISTS ? UNSUPPORTED : EXISTS]; // the table typed in another order
        }
        if (retryAfter != null) {
            // r18_retry_after_double: Math.ceil(ms / 1000.0) kept as a double: written 3.0
            Object ra = Faults.on("r18_retry_after_double") ? (Object) Math.ceil(retryAfter) : (Object) retryAfter;
            return Json.obj("code", code, "name", name, "message", message, "retry_after", ra);
        }
        return Json.obj("code", code, "name", name, "message", message);
    }

    static byte[] frame(String type, byte[] payload) {
        return Crypto.cat(Crypto.utf8(type), Crypto.u32(payload.length), payload);
    }

    /** One endpoint of a connection: plaintext frames during the handshake, records after. */
    static final class Channel {
        final Socket sock;
        final InputStream in;
        final OutputStream out;
        final int frameLimit;
        byte[] sendKey, sendIv, recvKey, recvIv;
        long sendSeq, recvSeq;
        boolean records;
        /** LIM-10: a write in progress and the time of its last progress (0: none). */
        volatile long writeProgress;
        /** LIM-1: an absolute deadline for every read (0: none), else idleMillis per read. */
        long deadline;
        int idleMillis;
        int hsMillis;
        /** r18_put_interrupted_by_request: a request read during a put, handed back to IDLE. */
        Frame pushback;
        /** The client's end of a connection (client_ faults only). */
        boolean client;

        Channel(Socket sock, int frameLimit) throws IOException {
            this.sock = sock;
            this.in = sock.getInputStream();
            this.out = sock.getOutputStream();
            this.frameLimit = frameLimit;
        }

        private void arm() throws IOException, ProtoError {
            if (deadline > 0 && Faults.on("handshake_timeout_per_read")) {
                sock.setSoTimeout(hsMillis);
            } else if (deadline > 0) {
                long left = deadline - System.currentTimeMillis();
                if (left <= 0) throw new ProtoError(TIMEOUT, "handshake timeout");
                sock.setSoTimeout((int) Math.max(1, left));
            } else {
                sock.setSoTimeout(idleMillis);
            }
        }

        /** Reads exactly n bytes; EOF inside is a failed connection (FRM-7). */
        void readFully(byte[] b, int off, int n, boolean started) throws IOException, ProtoError, Closed {
            int got = 0;
            while (got < n) {
                arm();
                int r;
                try {
                    r = in.read(b, off + got, n - got);
                } catch (SocketTimeoutException e) {
                    throw new ProtoError(TIMEOUT, deadline > 0 ? "handshake timeout" : "idle timeout");
                }
                if (r < 0) {
                    if (got == 0 && !started) throw new Closed("end of stream");
                    throw new Closed("end of stream inside a frame");
                }
                got += r;
                if (Faults.on("read_once_as_frame") && !records && started) return;
            }
        }

        /** A plaintext frame (§1), limits checked on the header. */
        Frame readPlain() throws IOException, ProtoError, Closed {
            byte[] h = new byte[8];
            readFully(h, 0, 8, false);
            return readBody(h, true);
        }

        private Frame readBody(byte[] h, boolean wire) throws IOException, ProtoError, Closed {
            if (!validType(h)) throw new ProtoError(BAD_FRAME, "bad frame type bytes");
            String type = new String(h, 0, 4, java.nio.charset.StandardCharsets.US_ASCII);
            long len;
            if (Faults.on("frame_length_readint")) {
                len = ((h[4] & 255) << 24) | ((h[5] & 255) << 16) | ((h[6] & 255) << 8) | (h[7] & 255);
            } else {
                len = ((long) (h[4] & 255) << 24) | ((h[5] & 255) << 16) | ((h[6] & 255) << 8) | (h[7] & 255);
            }
            if (len > frameLimit) throw new ProtoError(FRAME_TOO_LARGE, "frame length above the limit");
            boolean control = !type.equals("DATA") && !type.equals("RECD");
            if (control && len > CONTROL_LIMIT && !wire && Faults.on("inner_control_limit_bad_frame")) {
                throw new ProtoError(BAD_FRAME, "control frame inside a record above 65536 bytes");
            }
            boolean overControl = Faults.on("r18_control_limit_inclusive") ? len >= CONTROL_LIMIT : len > CONTROL_LIMIT;
            if (control && overControl) throw new ProtoError(FRAME_TOO_LARGE, "control payload above 65536 bytes");
            if (wire && (client ? Faults.on("client_b28_short_read_payload") : Faults.on("b28_short_read_payload"))) {
                arm(); // InputStream.readNBytes: "up to len bytes", fewer at the end of the stream
                try {
                    return new Frame(type, in.readNBytes((int) len));
                } catch (SocketTimeoutException e) {
                    throw new ProtoError(TIMEOUT, "handshake timeout");
                }
            }
            byte[] p = new byte[(int) len];
            if (wire) readFully(p, 0, (int) len, true);
            return new Frame(type, p);
        }

        /** One record (§5.5): its inner frame, or Closed when it does not authenticate. */
        Frame readRecord() throws IOException, ProtoError, Closed {
            if (Faults.on("r18_idle_deadline_per_frame") && records && deadline == 0) {
                // a whole frame within the idle timeout, however its bytes come
                deadline = System.currentTimeMillis() + idleMillis;
                try {
                    return readRecordNow();
                } finally {
                    deadline = 0;
                }
            }
            return readRecordNow();
        }

        private Frame readRecordNow() throws IOException, ProtoError, Closed {
            byte[] h = new byte[8];
            readFully(h, 0, 8, false);
            String type = new String(h, 0, 4, java.nio.charset.StandardCharsets.ISO_8859_1);
            long len = ((long) (h[4] & 255) << 24) | ((h[5] & 255) << 16) | ((h[6] & 255) << 8) | (h[7] & 255);
            if (!type.equals("RECD")) {
                if (Faults.on("plaintext_after_eke4_accepted") && validType(h) && APP_TYPES.contains(type)) {
                    return readBody(h, true);
                }
                throw new Closed("a plaintext frame after the handshake");
            }
            byte[] c;
            if (Faults.on("record_limit_after_body")) {
                c = in.readNBytes((int) Math.min(len, Integer.MAX_VALUE - 8));
                if (c.length < len) throw new Closed("end of stream inside a record");
                if (len > frameLimit) throw new ProtoError(FRAME_TOO_LARGE, "record length above the limit");
            } else {
                if (len > frameLimit) throw new ProtoError(FRAME_TOO_LARGE, "record length above the limit");
                c = new byte[(int) len];
                readFully(c, 0, (int) len, true);
            }
            byte[] pt = Crypto.open(recvKey, Crypto.recordNonce(recvIv, recvSeq), c, h);
            if (pt == null) {
                if (Faults.on("bad_record_skipped")) {
                    recvSeq++;
                    return readRecord();
                }
                throw new Closed("a record failed to authenticate");
            }
            recvSeq++;
            if (pt.length < 8) throw new ProtoError(BAD_FRAME, "record plaintext shorter than a frame header");
            byte[] ih = java.util.Arrays.copyOfRange(pt, 0, 8);
            Frame f = readBody(ih, false);
            boolean exact = Faults.on("record_trailing_ignored") ? f.payload.length <= pt.length - 8
                : f.payload.length == pt.length - 8;
            if (!exact) throw new ProtoError(BAD_FRAME, "record plaintext is not exactly one frame");
            System.arraycopy(pt, 8, f.payload, 0, f.payload.length);
            return f;
        }

        void writeAll(byte[] b) throws IOException {
            writeProgress = System.currentTimeMillis();
            try {
                for (int off = 0; off < b.length; off += 65536) {
                    out.write(b, off, Math.min(65536, b.length - off));
                    writeProgress = System.currentTimeMillis();
                }
                out.flush();
            } finally {
                writeProgress = 0;
            }
        }

        void sendPlain(String type, byte[] payload) throws IOException {
            writeAll(frame(type, payload));
        }

        void send(String type, byte[] payload) throws IOException {
            if (!records) { sendPlain(type, payload); return; }
            byte[] inner = frame(type, payload);
            byte[] h = Crypto.cat(Crypto.utf8("RECD"), Crypto.u32(inner.length + 16));
            byte[] c = Crypto.seal(sendKey, Crypto.recordNonce(sendIv, sendSeq), inner, h);
            sendSeq++;
            writeAll(Crypto.cat(h, c));
        }

        void sendError(int code, String message, Long retryAfter) {
            try {
                send("EROR", eror(code, message, retryAfter));
            } catch (IOException | RuntimeException e) {
                // the peer is gone: nothing more to say
            }
        }

        void close() {
            try { sock.close(); } catch (IOException e) { /* closing */ }
        }
    }

}
