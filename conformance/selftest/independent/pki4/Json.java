import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A strict RFC 8259 JSON reader and a small writer, by hand (no Jackson here).
 *
 * Values: Map (object, insertion order), List (array), String, Json.Num (the number's
 * text, so an integer member can be told from 1.0 or 1e3), Boolean, Json.NULL.
 * Refused, as SPEC FRM-9 asks: invalid UTF-8, duplicate keys at any level, NaN and
 * Infinity (not JSON anyway), trailing bytes, nesting deeper than MAX_DEPTH (our
 * choice, FRM-9 allows it), and a lone surrogate escape (our reading of FRM-15).
 */
final class Json {
    static final int MAX_DEPTH = 200;
    static final Object NULL = new Object() {
        @Override public String toString() { return "null"; }
    };

    /** A JSON number kept as its text. */
    static final class Num {
        final String text;
        Num(String text) { this.text = text; }
        boolean isInteger() {
            return text.indexOf('.') < 0 && text.indexOf('e') < 0 && text.indexOf('E') < 0;
        }
    }

    static final class Malformed extends Exception {
        Malformed(String why) { super(why); }
    }

    private final String s;
    private int i;

    private Json(String s) { this.s = s; }

    /** Parses a control payload: strict UTF-8, then one JSON object and nothing else. */
    static Map<String, Object> parseObject(byte[] payload) throws Malformed {
        String text;
        if (Faults.on("utf8_replaced")) {
            text = new String(payload, StandardCharsets.UTF_8);
        } else try {
            text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(payload)).toString();
        } catch (CharacterCodingException e) {
            throw new Malformed("payload is not UTF-8");
        }
        Json p = new Json(text);
        p.ws();
        Object v = p.value(0);
        p.ws();
        if (p.i != text.length() && !Faults.on("trailing_bytes_ignored")) {
            throw new Malformed("bytes after the JSON value");
        }
        if (!(v instanceof Map)) throw new Malformed("top-level value is not an object");
        @SuppressWarnings("unchecked")
        Map<String, Object> m = (Map<String, Object>) v;
        return m;
    }

    private void ws() {
        while (i < s.length()) {
            char c = s.charAt(i);
            if (c == ' ' || c == '\t' || c == '\n' || c == '\r') i++;
            else break;
        }
    }

    private Object value(int depth) throws Malformed {
        if (depth > MAX_DEPTH && !Faults.on("b16_json_depth_unbounded")) throw new Malformed("nesting too deep");
        if (i >= s.length()) throw new Malformed("unexpected end");
        char c = s.charAt(i);
        switch (c) {
            case '{': return object(depth + 1);
            case '[': return array(depth + 1);
            case '"': return string();
            case 't': literal("true"); return Boolean.TRUE;
            case 'f': literal("false"); return Boolean.FALSE;
            case 'n': literal("null"); return NULL;
            default:
                if (c == '-' || (c >= '0' && c <= '9')) return number();
                if (c == '+' && Faults.on("lenient_number_scan")) return number();
                throw new Malformed("unexpected character");
        }
    }

    private void literal(String word) throws Malformed {
        if (!s.startsWith(word, i)) throw new Malformed("bad literal");
        i += word.length();
    }

    private Map<String, Object> object(int depth) throws Malformed {
        i++; // {
        Map<String, Object> m = Faults.on("json_last_wins") ? new HashMap<>() : new LinkedHashMap<>();
        ws();
        if (i < s.length() && s.charAt(i) == '}') { i++; return m; }
        while (true) {
            ws();
            if (i >= s.length() || s.charAt(i) != '"') throw new Malformed("object key expected");
            String key = string();
            ws();
            if (i >= s.length() || s.charAt(i) != ':') throw new Malformed("':' expected");
            i++;
            ws();
            Object v = value(depth);
            if (m.containsKey(key) && !Faults.on("json_last_wins")) {
                throw new Malformed("duplicate key");
            }
            m.put(key, v);
            ws();
            if (i >= s.length()) throw new Malformed("unexpected end");
            char c = s.charAt(i++);
            if (c == '}') return m;
            if (c != ',') throw new Malformed("',' or '}' expected");
        }
    }

    private List<Object> array(int depth) throws Malformed {
        i++; // [
        List<Object> a = new ArrayList<>();
        ws();
        if (i < s.length() && s.charAt(i) == ']') { i++; return a; }
        while (true) {
            ws();
            a.add(value(depth));
            ws();
            if (i >= s.length()) throw new Malformed("unexpected end");
            char c = s.charAt(i++);
            if (c == ']') return a;
            if (c != ',') throw new Malformed("',' or ']' expected");
        }
    }

    private String string() throws Malformed {
        i++; // opening quote
        StringBuilder b = new StringBuilder();
        while (true) {
            if (i >= s.length()) throw new Malformed("unterminated string");
            char c = s.charAt(i++);
            if (c == '"') break;
            if (c < 0x20) throw new Malformed("control character in string");
            if (c != '\\') { b.append(c); continue; }
            if (i >= s.length()) throw new Malformed("unterminated escape");
            char e = s.charAt(i++);
            switch (e) {
                case '"': b.append('"'); break;
                case '\\': b.append('\\'); break;
                case '/': b.append('/'); break;
                case 'b': b.append('\b'); break;
                case 'f': b.append('\f'); break;
                case 'n': b.append('\n'); break;
                case 'r': b.append('\r'); break;
                case 't': b.append('\t'); break;
                case 'u': b.append(hex4()); break;
                default: throw new Malformed("bad escape");
            }
        }
        String out = b.toString();
        if (!Faults.on("json_lone_surrogates")) checkSurrogates(out);
        return out;
    }

    private char hex4() throws Malformed {
        if (i + 4 > s.length()) throw new Malformed("short \\u escape");
        int v = 0;
        for (int k = 0; k < 4; k++) {
            char c = s.charAt(i + k);
            // ASCII hex digits only (RFC 8259 section 7): Character.digit also takes
            // fullwidth and other scripts' digits.
            int d = c < 0x80 ? Character.digit(c, 16) : -1;
            if (d < 0) throw new Malformed("bad \\u escape");
            v = v * 16 + d;
        }
        i += 4;
        return (char) v;
    }

    /** A \\u escape can make a lone surrogate, which is not Unicode text (FRM-15). */
    private static void checkSurrogates(String t) throws Malformed {
        for (int k = 0; k < t.length(); k++) {
            char c = t.charAt(k);
            if (Character.isHighSurrogate(c)) {
                if (k + 1 < t.length() && Character.isLowSurrogate(t.charAt(k + 1))) { k++; continue; }
                throw new Malformed("lone surrogate");
            }
            if (Character.isLowSurrogate(c) && !Faults.on("b27_lone_low_surrogate")) throw new Malformed("lone surrogate");
        }
    }

    private Num number() throws Malformed {
        int start = i;
        if (Faults.on("lenient_number_scan")) {
            while (i < s.length() && "+-0123456789.eE".indexOf(s.charAt(i)) >= 0) i++;
            try {
                new java.math.BigDecimal(s.substring(start, i));
            } catch (NumberFormatException e) {
                throw new Malformed("bad number");
            }
            return new Num(s.substring(start, i));
        }
        if (s.charAt(i) == '-') i++;
        if (i >= s.length()) throw new Malformed("bad number");
        char c = s.charAt(i);
        if (c == '0') {
            i++;
        } else if (c >= '1' && c <= '9') {
            while (i < s.length() && s.charAt(i) >= '0' && s.charAt(i) <= '9') i++;
        } else {
            throw new Malformed("bad number");
        }
        if (i < s.length() && s.charAt(i) == '.') {
            i++;
            int d = i;
            while (i < s.length() && s.charAt(i) >= '0' && s.charAt(i) <= '9') i++;
            if (i == d) throw new Malformed("bad fraction");
        }
        if (i < s.length() && (s.charAt(i) == 'e' || s.charAt(i) == 'E')) {
            i++;
            if (i < s.length() && (s.charAt(i) == '+' || s.charAt(i) == '-')) i++;
            int d = i;
            while (i < s.length() && s.charAt(i) >= '0' && s.charAt(i) <= '9') i++;
            if (i == d) throw new Malformed("bad exponent");
        }
        return new Num(s.substring(start, i));
    }

    // ---- schema helpers -------------------------------------------------------------

    private static final BigInteger MAX_INT = BigInteger.valueOf(Long.MAX_VALUE);

    static String str(Map<String, Object> m, String key) throws Malformed {
        Object v = m.get(key);
        if (!(v instanceof String)) throw new Malformed("member '" + key + "' must be a string");
        return (String) v;
    }

    static String optStr(Map<String, Object> m, String key) throws Malformed {
        if (!m.containsKey(key)) return null;
        return str(m, key);
    }

    /** An integer member: a JSON integer (no fraction, no exponent) in 0 .. 2^63-1 (FRM-11). */
    static long integer(Map<String, Object> m, String key) throws Malformed {
        Object v = m.get(key);
        if (!(v instanceof Num)) throw new Malformed("member '" + key + "' must be an integer");
        Num n = (Num) v;
        if (Faults.on("json_double_numbers")) {
            double d = Double.parseDouble(n.text);
            if (d < 0) throw new Malformed("negative");
            return (long) d;
        }
        if (!n.isInteger()) throw new Malformed("member '" + key + "' must be an integer");
        BigInteger b = new BigInteger(n.text);
        if (b.signum() < 0 || b.compareTo(MAX_INT) > 0) {
            throw new Malformed("member '" + key + "' out of range");
        }
        return b.longValue();
    }

    /** A sha256 member: exactly 64 lowercase hex characters (FRM-12). */
    static String sha256(Map<String, Object> m, String key, boolean required) throws Malformed {
        if (!m.containsKey(key)) {
            if (required) throw new Malformed("member '" + key + "' missing");
            return null;
        }
        String h = str(m, key);
        if (h.length() != 64) throw new Malformed("sha256 must be 64 hex characters");
        for (int k = 0; k < 64; k++) {
            char c = h.charAt(k);
            boolean ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
            if (!ok && Faults.on("sha_case_insensitive")) ok = c >= 'A' && c <= 'F';
            if (!ok) throw new Malformed("sha256 must be lowercase hex");
        }
        return Faults.on("sha_case_insensitive") ? h.toLowerCase(java.util.Locale.ROOT) : h;
    }

    // ---- writer ---------------------------------------------------------------------

    /** Writes a flat object of String / Long / Integer / Boolean members. */
    static byte[] write(Object... keyValues) {
        StringBuilder b = new StringBuilder("{");
        for (int k = 0; k < keyValues.length; k += 2) {
            if (k > 0) b.append(", ");
            quote(b, (String) keyValues[k]);
            b.append(": ");
            Object v = keyValues[k + 1];
            if (v instanceof String) quote(b, (String) v);
            else b.append(String.valueOf(v));
        }
        return b.append('}').toString().getBytes(StandardCharsets.UTF_8);
    }

    private static void quote(StringBuilder b, String t) {
        b.append('"');
        for (int k = 0; k < t.length(); k++) {
            char c = t.charAt(k);
            if (c == '"' || c == '\\') b.append('\\').append(c);
            else if (c < 0x20 || c == 0x7f) b.append(String.format("\\u%04x", (int) c));
            else b.append(c);
        }
        b.append('"');
    }
}
