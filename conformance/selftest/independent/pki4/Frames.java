import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Set;

/** Frames (SPEC §1) and errors (§2) over a TLS stream. */
final class Frames {
    static final int BAD_FRAME = 1;
    static final int FRAME_TOO_LARGE = 2;
    static final int UNEXPECTED_FRAME = 3;
    static final int AUTH_FAILED = 4;
    static final int FORBIDDEN = 5;
    static final int NOT_FOUND = 6;
    static final int TOO_LARGE = 7;
    static final int INTEGRITY_FAILED = 8;
    static final int BUSY = 9;
    static final int TIMEOUT = 10;
    static final int INTERNAL = 11;
    static final int EXISTS = 12;
    static final int UNSUPPORTED = 13;
    static final int THROTTLED = 14;

    private static final String[] ERROR_NAMES = {
        null, "bad_frame", "frame_too_large", "unexpected_frame", "auth_failed", "forbidden",
        "not_found", "too_large", "integrity_failed", "busy", "timeout", "internal", "exists",
        "unsupported", "throttled",
    };
    private static final Set<Integer> NON_FATAL = Set.of(FORBIDDEN, NOT_FOUND, TOO_LARGE, EXISTS, UNSUPPORTED);

    static final Set<String> TYPES = Set.of("RQFL", "RSFL", "PUTF", "DATA", "DONE", "EROR", "BYE_");
    static final int MAX_CONTROL = 65_536;
    /** The members each control frame defines (only the fault unknown_members_rejected uses it). */
    private static final Map<String, Set<String>> SCHEMA = Map.of(
            "RQFL", Set.of("name"), "PUTF", Set.of("name", "size", "sha256"),
            "RSFL", Set.of("name", "size", "sha256", "accept"), "DONE", Set.of("size", "sha256"),
            "EROR", Set.of("code", "name", "message", "retry_after"), "BYE_", Set.of());
    static final int MAX_DATA = 1 << 20;
    static final int DEFAULT_FRAME_LIMIT = (1 << 20) + 256;

    static boolean fatal(int code) {
        if (code == INTEGRITY_FAILED && Faults.on("r2_integrity_nonfatal")) return false;
        return !NON_FATAL.contains(code);
    }

    static String errorName(int code) {
        if (Faults.on("r12_eror_name_shift")) {
            String[] zeroBased = java.util.Arrays.copyOfRange(ERROR_NAMES, 1, ERROR_NAMES.length);
            return code >= 0 && code < zeroBased.length ? zeroBased[code] : "internal";
        }
        return code > 0 && code < ERROR_NAMES.length ? ERROR_NAMES[code] : "internal";
    }

    /** A protocol error we answer with an EROR of this code. */
    static final class ProtocolError extends Exception {
        final int code;
        ProtocolError(int code, String why) { super(why); this.code = code; }
    }

    /** A frame header; the payload is read by the caller (DATA streamed, control whole). */
    static final class Header {
        final String type;
        final long length;
        Header(String type, long length) { this.type = type; this.length = length; }
    }

    /** Reads a header; null at a clean end of stream before any byte of it. */
    static Header readHeader(InputStream in, long frameLimit) throws IOException, ProtocolError {
        byte[] h = new byte[8];
        int got = 0;
        if (Faults.on("short_read_header")) {
            int n = in.read(h);
            if (n < 0) return null;
            got = 8;
        }
        while (got < 8) {
            int n = in.read(h, got, 8 - got);
            if (n < 0) {
                if (got == 0) return null;
                throw new EOFException("end of stream inside a frame header");
            }
            got += n;
        }
        int typeBytes = Faults.on("b27_type_three_bytes") ? 3 : 4; // the fault: "<= 3" read as "< 3"
        for (int k = 0; k < typeBytes; k++) {
            byte b = h[k];
            boolean ok = (b >= 'A' && b <= 'Z') || (b >= '0' && b <= '9') || b == '_';
            if (Faults.on("type_is_upper_case")) {
                char c = (char) (b & 0xff);
                ok = Character.isUpperCase(c) || Character.isDigit(c) || c == '_';
            }
            if (!ok) throw new ProtocolError(BAD_FRAME, "bad frame type bytes");
        }
        String type = new String(h, 0, 4, StandardCharsets.US_ASCII);
        long length = ((h[4] & 0xffL) << 24) | ((h[5] & 0xffL) << 16) | ((h[6] & 0xffL) << 8) | (h[7] & 0xffL);
        if (Faults.on("b16_length_low_byte_signed")) {
            length = ((h[4] & 0xffL) << 24) | ((h[5] & 0xffL) << 16) | ((h[6] & 0xffL) << 8) | h[7];
        }
        if (length > frameLimit) {
            if (Faults.on("payload_before_limit")) {
                in.readNBytes((int) Math.min(length, Integer.MAX_VALUE - 16));
            }
            throw new ProtocolError(FRAME_TOO_LARGE, "frame above the limit");
        }
        if (!TYPES.contains(type)) {
            throw new ProtocolError(Faults.on("r2_unknown_type_bad_frame") ? BAD_FRAME : UNEXPECTED_FRAME, "unknown frame type");
        }
        boolean droppedUnread = type.equals("EROR") && Faults.on("b27_eror_length_unjudged") // "read and dropped: we close anyway"
                || type.equals("BYE_") && Faults.on("b27_bye_length_unjudged"); // "its payload is {}: nothing to bound"
        if (!type.equals("DATA") && !droppedUnread && (length > MAX_CONTROL || length == MAX_CONTROL && Faults.on("r2_control_max_off"))) {
            throw new ProtocolError(FRAME_TOO_LARGE, "control payload above 65536 bytes");
        }
        if (type.equals("DATA") && length == 0 && !Faults.on("empty_data_accepted") && !Faults.on("r2_client_empty_data")) {
            throw new ProtocolError(BAD_FRAME, "empty DATA frame");
        }
        if (type.equals("DATA") && (length > MAX_DATA || length == MAX_DATA && Faults.on("r2_data_max_off"))) throw new ProtocolError(BAD_FRAME, "DATA above 1 MiB");
        return new Header(type, length);
    }

    static byte[] readPayload(InputStream in, long length) throws IOException {
        byte[] p = in.readNBytes((int) length);
        if (p.length != length) throw new EOFException("end of stream inside a frame");
        return p;
    }

    static Map<String, Object> control(InputStream in, Header h) throws IOException, ProtocolError {
        byte[] p = readPayload(in, h.length);
        try {
            Map<String, Object> m = Json.parseObject(p);
            if (Faults.on("unknown_members_rejected") && !SCHEMA.getOrDefault(h.type, Set.of()).containsAll(m.keySet())) {
                throw new ProtocolError(BAD_FRAME, "unknown member");
            }
            return m;
        } catch (Json.Malformed e) {
            throw new ProtocolError(BAD_FRAME, e.getMessage());
        }
    }

    static void write(OutputStream out, String type, byte[] payload, int off, int len) throws IOException {
        byte[] h = new byte[8];
        byte[] t = type.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(t, 0, h, 0, 4);
        h[4] = (byte) (len >>> 24);
        h[5] = (byte) (len >>> 16);
        h[6] = (byte) (len >>> 8);
        h[7] = (byte) len;
        // one write per frame: JSSE then usually puts header and payload in one record
        byte[] frame = new byte[8 + len];
        System.arraycopy(h, 0, frame, 0, 8);
        System.arraycopy(payload, off, frame, 8, len);
        out.write(frame);
        out.flush();
    }

    static void write(OutputStream out, String type, byte[] payload) throws IOException {
        write(out, type, payload, 0, payload.length);
    }

    static void error(OutputStream out, int code, String message) throws IOException {
        String m = message.length() > 200 && !Faults.on("error_echoes_name") ? message.substring(0, 200) : message;
        write(out, "EROR", Json.write("code", code, "name", errorName(code), "message", m));
    }

    private Frames() {}
}
