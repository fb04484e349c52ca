import java.math.BigDecimal;
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

/** A strict RFC 8259 parser (FRM-9, FRM-11, FRM-15): duplicate keys, lone surrogates, bad
 * UTF-8 and trailing bytes are errors; integers are BigInteger, other numbers BigDecimal;
 * nesting beyond 256 levels is refused (FRM-9 allows it). And a small writer. */
final class Json {
    static final class Malformed extends Exception {
        Malformed(String m) { super(m); }
    }

    static final Object NULL = new Object();
    private static final int MAX_DEPTH = 256;

    private final String s;
    private int i;

    private Json(String s) { this.s = s; }

    static Object parse(byte[] utf8) throws Malformed {
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT)
                .decode(ByteBuffer.wrap(utf8)).toString();
        } catch (CharacterCodingException e) {
            throw new Malformed("payload is not UTF-8");
        }
        Json p = new Json(text);
        p.ws();
        Object v = p.value(0);
        p.ws();
        if (p.i != text.length()) throw new Malformed("trailing characters after the JSON value");
        return v;
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> object(byte[] utf8) throws Malformed {
        Object v = parse(utf8);
        if (!(v instanceof Map)) throw new Malformed("payload is not a JSON object");
        return (Map<String, Object>) v;
    }

    private void ws() {
        while (i < s.length()) {
            char c = s.charAt(i);
            if (c == ' ' || c == '\t' || c == '\n' || c == '\r') i++;
            else break;
        }
    }

    private Object value(int depth) throws Malformed {
        if (depth > MAX_DEPTH) throw new Malformed("JSON nested too deeply");
        if (i >= s.length()) throw new Malformed("unexpected end of JSON");
        char c = s.charAt(i);
        switch (c) {
            case '{': return obj(depth);
            case '[': return arr(depth);
            case '"': return str();
            case 't': lit("true"); return Boolean.TRUE;
            case 'f': lit("false"); return Boolean.FALSE;
            case 'n': lit("null"); return NULL;
            default:
                if (c == '-' || (c >= '0' && c <= '9')) return num();
                throw new Malformed("unexpected character in JSON");
        }
    }

    private void lit(String w) throws Malformed {
        if (!s.startsWith(w, i)) throw new Malformed("bad JSON literal");
        i += w.length();
    }

    private Map<String, Object> obj(int depth) throws Malformed {
        Map<String, Object> m = Faults.on("json_duplicate_last_wins") ? new HashMap<>() : new LinkedHashMap<>();
        i++;
        ws();
        if (i < s.length() && s.charAt(i) == '}') { i++; return m; }
        while (true) {
            ws();
            if (i >= s.length() || s.charAt(i) != '"') throw new Malformed("expected a member name");
            String k = str();
            ws();
            if (i >= s.length() || s.charAt(i) != ':') throw new Malformed("expected ':'");
            i++;
            ws();
            Object v = value(depth + 1);
            if (m.containsKey(k) && !Faults.on("json_duplicate_last_wins")) throw new Malformed("duplicate key");
            m.put(k, v);
            ws();
            if (i >= s.length()) throw new Malformed("unexpected end of JSON");
            char c = s.charAt(i++);
            if (c == '}') return m;
            if (c != ',') throw new Malformed("expected ',' or '}'");
        }
    }

    private List<Object> arr(int depth) throws Malformed {
        List<Object> l = new ArrayList<>();
        i++;
        ws();
        if (i < s.length() && s.charAt(i) == ']') { i++; return l; }
        while (true) {
            ws();
            l.add(value(depth + 1));
            ws();
            if (i >= s.length()) throw new Malformed("unexpected end of JSON");
            char c = s.charAt(i++);
            if (c == ']') return l;
            if (c != ',') throw new Malformed("expected ',' or ']'");
        }
    }

    private String str() throws Malformed {
        i++;
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
                case 'u':
                    if (i + 4 > s.length()) throw new Malformed("short \\u escape");
                    int v = 0;
                    for (int k = 0; k < 4; k++) {
                        char h = s.charAt(i++);
                        // ASCII hex digits only (RFC 8259 section 7): Character.digit
                        // also takes fullwidth and other scripts' digits.
                        int d = h < 0x80 ? Character.digit(h, 16) : -1;
                        if (d < 0) throw new Malformed("bad \\u escape");
                        v = v * 16 + d;
                    }
                    b.append((char) v);
                    break;
                default: throw new Malformed("bad escape");
            }
        }
        String out = b.toString();
        for (int k = 0; k < out.length(); k++) {
            char c = out.charAt(k);
            if (Character.isHighSurrogate(c)) {
                if (k + 1 < out.length() && Character.isLowSurrogate(out.charAt(k + 1))) { k++; continue; }
                if (!Faults.on("b25_lone_surrogate_as_question_mark")) throw new Malformed("lone surrogate in string");
            }
            if (Character.isLowSurrogate(c) && !Faults.on("b25_lone_surrogate_as_question_mark")) {
                throw new Malformed("lone surrogate in string");
            }
        }
        // b25_lone_surrogate_as_question_mark: lenient for peers that split UTF-16; the bytes
        // round trip maps each lone surrogate to '?', as String.getBytes(UTF_8) does
        if (Faults.on("b25_lone_surrogate_as_question_mark")) {
            return new String(out.getBytes(java.nio.charset.StandardCharsets.UTF_8), java.nio.charset.StandardCharsets.UTF_8);
        }
        return out;
    }

    private Object num() throws Malformed {
        int start = i;
        if (s.charAt(i) == '-') i++;
        if (i >= s.length()) throw new Malformed("bad number");
        if (s.charAt(i) == '0') i++;
        else if (s.charAt(i) >= '1' && s.charAt(i) <= '9') while (i < s.length() && Character.isDigit(s.charAt(i)) && s.charAt(i) < 128) i++;
        else throw new Malformed("bad number");
        boolean integer = true;
        if (i < s.length() && s.charAt(i) == '.') {
            integer = false;
            i++;
            int d = i;
            while (i < s.length() && s.charAt(i) >= '0' && s.charAt(i) <= '9') i++;
            if (i == d) throw new Malformed("bad number");
        }
        if (i < s.length() && (s.charAt(i) == 'e' || s.charAt(i) == 'E')) {
            integer = false;
            i++;
            if (i < s.length() && (s.charAt(i) == '+' || s.charAt(i) == '-')) i++;
            int d = i;
            while (i < s.length() && s.charAt(i) >= '0' && s.charAt(i) <= '9') i++;
            if (i == d) throw new Malformed("bad number");
        }
        String t = s.substring(start, i);
        if (integer) return new BigInteger(t);
        if (Faults.on("json_number_as_double")) {
            double d = Double.parseDouble(t);
            if (d == Math.rint(d) && Math.abs(d) < 9.2e18) return BigInteger.valueOf((long) d);
        }
        return new BigDecimal(t);
    }

    // ---- member access with the schema's types (FRM-9, FRM-11, FRM-12) ----
    static String string(Map<String, Object> m, String key) throws Malformed {
        Object v = m.get(key);
        if (!(v instanceof String)) throw new Malformed("member '" + key + "' missing or not a string");
        return (String) v;
    }

    static final BigInteger MAX_INT = BigInteger.valueOf(Long.MAX_VALUE);

    static long integer(Map<String, Object> m, String key) throws Malformed {
        Object v = m.get(key);
        if (!(v instanceof BigInteger)) throw new Malformed("member '" + key + "' missing or not an integer");
        BigInteger b = (BigInteger) v;
        if (b.signum() < 0 || b.compareTo(MAX_INT) > 0) throw new Malformed("member '" + key + "' out of range");
        return b.longValue();
    }

    static boolean isSha(String s) {
        if (s.length() != 64) return false;
        return Crypto.unhex(s) != null;
    }

    // ---- writer ----
    static String quote(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (int k = 0; k < s.length(); k++) {
            char c = s.charAt(k);
            if (c == '"') b.append("\\\"");
            else if (c == '\\') b.append("\\\\");
            else if (c < 0x20 || c == 0x7f) b.append(String.format("\\u%04x", (int) c));
            else b.append(c);
        }
        return b.append('"').toString();
    }

    /** An object from alternating names and values (String, Long/Integer, Boolean). */
    static byte[] obj(Object... kv) {
        StringBuilder b = new StringBuilder("{");
        for (int k = 0; k < kv.length; k += 2) {
            if (k > 0) b.append(',');
            b.append(quote((String) kv[k])).append(':');
            Object v = kv[k + 1];
            if (v instanceof String) b.append(quote((String) v));
            else b.append(v);
        }
        return Crypto.utf8(b.append('}').toString());
    }
}
