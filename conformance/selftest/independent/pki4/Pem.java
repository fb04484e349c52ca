import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.cert.CertificateFactory;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * PEM files. JSSE's KeyFactory reads PKCS#8 only; a SEC1 ("EC PRIVATE KEY") or PKCS#1
 * ("RSA PRIVATE KEY") key is wrapped into PKCS#8 here, at run time, with a few lines of
 * DER (the curve OID is taken from the SEC1 key's own parameters).
 */
final class Pem {
    private static final byte[] OID_EC_PUBLIC_KEY = hex("06072a8648ce3d0201");
    private static final byte[] OID_RSA = hex("06092a864886f70d010101");
    private static final byte[] NULL = hex("0500");

    static List<byte[]> blocks(Path file, String label) throws IOException {
        String text = Files.readString(file, StandardCharsets.US_ASCII);
        List<byte[]> out = new ArrayList<>();
        String begin = "-----BEGIN " + label + "-----";
        String end = "-----END " + label + "-----";
        int at = 0;
        while ((at = text.indexOf(begin, at)) >= 0) {
            int stop = text.indexOf(end, at);
            if (stop < 0) throw new IOException(file + ": unterminated PEM block");
            String body = text.substring(at + begin.length(), stop).replaceAll("\\s", "");
            out.add(Base64.getDecoder().decode(body));
            at = stop + end.length();
        }
        return out;
    }

    static X509Certificate certificate(Path file) throws IOException, GeneralSecurityException {
        List<byte[]> b = blocks(file, "CERTIFICATE");
        if (b.isEmpty()) throw new IOException(file + ": no certificate");
        return parseCertificate(b.get(0));
    }

    static X509Certificate parseCertificate(byte[] der) throws GeneralSecurityException {
        CertificateFactory cf = CertificateFactory.getInstance("X.509");
        return (X509Certificate) cf.generateCertificate(new ByteArrayInputStream(der));
    }

    /** A CRL in DER or PEM. */
    static X509CRL crl(byte[] bytes) throws GeneralSecurityException {
        String head = new String(bytes, 0, Math.min(bytes.length, 64), StandardCharsets.ISO_8859_1);
        if (head.contains("-----BEGIN X509 CRL-----")) {
            String text = new String(bytes, StandardCharsets.US_ASCII);
            int a = text.indexOf("-----BEGIN X509 CRL-----") + 24;
            int z = text.indexOf("-----END X509 CRL-----");
            bytes = Base64.getDecoder().decode(text.substring(a, z).replaceAll("\\s", ""));
        }
        CertificateFactory cf = CertificateFactory.getInstance("X.509");
        return (X509CRL) cf.generateCRL(new ByteArrayInputStream(bytes));
    }

    static PrivateKey privateKey(Path file) throws IOException, GeneralSecurityException {
        List<byte[]> pk8 = blocks(file, "PRIVATE KEY");
        if (!pk8.isEmpty()) return fromPkcs8(pk8.get(0));
        List<byte[]> sec1 = blocks(file, "EC PRIVATE KEY");
        if (!sec1.isEmpty()) return fromPkcs8(sec1ToPkcs8(sec1.get(0)));
        List<byte[]> rsa = blocks(file, "RSA PRIVATE KEY");
        if (!rsa.isEmpty()) {
            byte[] alg = tlv(0x30, cat(OID_RSA, NULL));
            return fromPkcs8(tlv(0x30, cat(hex("020100"), alg, tlv(0x04, rsa.get(0)))));
        }
        throw new IOException(file + ": no PKCS#8, SEC1 or PKCS#1 private key");
    }

    private static PrivateKey fromPkcs8(byte[] der) throws GeneralSecurityException {
        PKCS8EncodedKeySpec spec = new PKCS8EncodedKeySpec(der);
        for (String alg : new String[] {"EC", "RSA"}) {
            try {
                return KeyFactory.getInstance(alg).generatePrivate(spec);
            } catch (GeneralSecurityException e) {
                // try the next algorithm
            }
        }
        throw new GeneralSecurityException("unsupported private key");
    }

    /** SEC1 ECPrivateKey: SEQUENCE { INTEGER 1, OCTET STRING d, [0] curve OID, [1] pub }. */
    private static byte[] sec1ToPkcs8(byte[] sec1) throws IOException {
        Der outer = new Der(sec1);
        Der seq = outer.enter(0x30);
        seq.skip(0x02);
        seq.skip(0x04);
        byte[] curve = null;
        while (seq.more()) {
            int tag = seq.peekTag();
            if (tag == 0xa0) {
                curve = seq.enter(0xa0).raw();
            } else {
                seq.skipAny();
            }
        }
        if (curve == null) throw new IOException("SEC1 key without its curve");
        byte[] alg = tlv(0x30, cat(OID_EC_PUBLIC_KEY, curve));
        return tlv(0x30, cat(hex("020100"), alg, tlv(0x04, sec1)));
    }

    /** A tiny DER walker: enough for SEC1 keys. */
    private static final class Der {
        private final byte[] b;
        private int p;
        private final int end;

        Der(byte[] b) { this(b, 0, b.length); }
        private Der(byte[] b, int p, int end) { this.b = b; this.p = p; this.end = end; }

        boolean more() { return p < end; }
        int peekTag() { return b[p] & 0xff; }

        private int[] header(int expected) throws IOException {
            if (p + 2 > end) throw new IOException("short DER");
            int tag = b[p] & 0xff;
            if (expected >= 0 && tag != expected) throw new IOException("unexpected DER tag");
            int q = p + 1;
            int len = b[q++] & 0xff;
            if (len >= 0x80) {
                int n = len & 0x7f;
                if (n == 0 || n > 3) throw new IOException("bad DER length");
                len = 0;
                for (int k = 0; k < n; k++) len = (len << 8) | (b[q++] & 0xff);
            }
            if (q + len > end) throw new IOException("DER beyond its end");
            return new int[] {q, len};
        }

        Der enter(int tag) throws IOException {
            int[] h = header(tag);
            p = h[0] + h[1];
            return new Der(b, h[0], h[0] + h[1]);
        }

        void skip(int tag) throws IOException { enter(tag); }
        void skipAny() throws IOException { enter(-1); }
        byte[] raw() { byte[] r = new byte[end - p]; System.arraycopy(b, p, r, 0, r.length); return r; }
    }

    static byte[] tlv(int tag, byte[] body) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        o.write(tag);
        int n = body.length;
        if (n < 0x80) {
            o.write(n);
        } else if (n < 0x100) {
            o.write(0x81); o.write(n);
        } else if (n < 0x10000) {
            o.write(0x82); o.write(n >> 8); o.write(n & 0xff);
        } else {
            o.write(0x83); o.write(n >> 16); o.write((n >> 8) & 0xff); o.write(n & 0xff);
        }
        o.writeBytes(body);
        return o.toByteArray();
    }

    static byte[] cat(byte[]... parts) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        for (byte[] x : parts) o.writeBytes(x);
        return o.toByteArray();
    }

    static byte[] hex(String h) {
        byte[] out = new byte[h.length() / 2];
        for (int k = 0; k < out.length; k++) out[k] = (byte) Integer.parseInt(h.substring(2 * k, 2 * k + 2), 16);
        return out;
    }

    private Pem() {}
}
