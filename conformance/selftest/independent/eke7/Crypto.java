import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/** The recipes of SPEC §5 on the JDK alone: SHAKE256 (Keccak written out), scrypt (RFC 7914),
 * HKDF (RFC 5869) on HmacSHA256, AES-256-GCM through javax.crypto, the ffdhe3072 group. */
final class Crypto {
    private Crypto() {}

    static final SecureRandom RNG = new SecureRandom();
    static final BigInteger P = new BigInteger(
        "FFFFFFFFFFFFFFFFADF85458A2BB4A9AAFDC5620273D3CF1D8B9C583CE2D3695"
        + "A9E13641146433FBCC939DCE249B3EF97D2FE363630C75D8F681B202AEC4617A"
        + "D3DF1ED5D5FD65612433F51F5F066ED0856365553DED1AF3B557135E7F57C935"
        + "984F0C70E0E68B77E2A689DAF3EFE8721DF158A136ADE73530ACCA4F483A797A"
        + "BC0AB182B324FB61D108A94BB2C8E3FBB96ADAB760D7F4681D4F42A3DE394DF4"
        + "AE56EDE76372BB190B07A7C8EE0A6D709E02FCE1CDF7E2ECC03404CD28342F61"
        + "9172FE9CE98583FF8E4F1232EEF28183C3FE3B1B4C6FAD733BB5FCBC2EC22005"
        + "C58EF1837D1683B2C6F34A26C1B2EFFA886B4238611FCFDCDE355B3B6519035B"
        + "BC34F4DEF99C023861B46FC9D6E6C9077AD91D2691F7F7EE598CB0FAC186D91C"
        + "AEFE130985139270B4130C93BC437944F4FD4452E2D74DD364F2E21E71F54BFF"
        + "5CAE82AB9C9DF69EE86D2BC522363A0DABC521979B0DEADA1DBF9A42D5C4484E"
        + "0ABCD06BFA53DDEF3C1B20EE3FD59D7C25E41D2B66C62E37FFFFFFFFFFFFFFFF", 16);
    static final BigInteger G = BigInteger.TWO;
    static final BigInteger Q = P.subtract(BigInteger.ONE).shiftRight(1);
    static final BigInteger PM1 = P.subtract(BigInteger.ONE);
    static final int K = 384;

    static byte[] utf8(String s) { return s.getBytes(StandardCharsets.UTF_8); }

    static byte[] cat(byte[]... parts) {
        int n = 0;
        for (byte[] p : parts) n += p.length;
        byte[] out = new byte[n];
        int o = 0;
        for (byte[] p : parts) { System.arraycopy(p, 0, out, o, p.length); o += p.length; }
        return out;
    }

    static byte[] u16(int n) { return new byte[] {(byte) (n >>> 8), (byte) n}; }

    static byte[] u32(long n) {
        return new byte[] {(byte) (n >>> 24), (byte) (n >>> 16), (byte) (n >>> 8), (byte) n};
    }

    private static final char[] HEXD = "0123456789abcdef".toCharArray();

    static String hex(byte[] b) {
        char[] c = new char[b.length * 2];
        for (int i = 0; i < b.length; i++) {
            c[2 * i] = HEXD[(b[i] >> 4) & 15];
            c[2 * i + 1] = HEXD[b[i] & 15];
        }
        return new String(c);
    }

    /** Lowercase hex only (FRM-12); null when the text is not. */
    static byte[] unhex(String s) {
        if (s.length() % 2 != 0) return null;
        byte[] out = new byte[s.length() / 2];
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            int v;
            if (ch >= '0' && ch <= '9') v = ch - '0';
            else if (ch >= 'a' && ch <= 'f') v = ch - 'a' + 10;
            else if (Faults.on("hex_uppercase_accepted") && ch >= 'A' && ch <= 'F') v = ch - 'A' + 10;
            else return null;
            out[i / 2] |= (byte) (i % 2 == 0 ? v << 4 : v);
        }
        return out;
    }

    static byte[] random(int n) {
        byte[] b = new byte[n];
        RNG.nextBytes(b);
        return b;
    }

    // ---- SHA-256, HMAC, HKDF, PBKDF2, scrypt ----
    static byte[] sha256(byte[]... parts) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            for (byte[] p : parts) md.update(p);
            return md.digest();
        } catch (Exception e) { throw new IllegalStateException(e); }
    }

    static Mac hmacInit(byte[] key) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            // An empty HMAC key is legal (RFC 2104) but SecretKeySpec refuses it: the
            // all-zero block of HashLen bytes is the same key after padding.
            mac.init(new SecretKeySpec(key.length == 0 ? new byte[32] : key, "HmacSHA256"));
            return mac;
        } catch (Exception e) { throw new IllegalStateException(e); }
    }

    static byte[] hmac(byte[] key, byte[]... parts) {
        Mac mac = hmacInit(key);
        for (byte[] p : parts) mac.update(p);
        return mac.doFinal();
    }

    static byte[] hkdfExtract(byte[] salt, byte[] ikm) { return hmac(salt, ikm); }

    static byte[] hkdfExpand(byte[] prk, byte[] info, int len) {
        byte[] out = new byte[len];
        byte[] t = new byte[0];
        int o = 0;
        for (int i = 1; o < len; i++) {
            t = hmac(prk, t, info, new byte[] {(byte) i});
            int n = Math.min(t.length, len - o);
            System.arraycopy(t, 0, out, o, n);
            o += n;
        }
        return out;
    }

    static byte[] pbkdf2(byte[] pass, byte[] salt, int c, int dkLen) {
        Mac mac = hmacInit(pass);
        byte[] out = new byte[dkLen];
        int o = 0;
        for (int i = 1; o < dkLen; i++) {
            mac.update(salt);
            mac.update(u32(i));
            byte[] u = mac.doFinal();
            byte[] t = u.clone();
            for (int j = 1; j < c; j++) {
                u = mac.doFinal(u);
                for (int k = 0; k < t.length; k++) t[k] ^= u[k];
            }
            int n = Math.min(t.length, dkLen - o);
            System.arraycopy(t, 0, out, o, n);
            o += n;
        }
        return out;
    }

    private static void salsa8(int[] b, int off, int[] x) {
        System.arraycopy(b, off, x, 0, 16);
        for (int i = 0; i < 8; i += 2) {
            x[4] ^= Integer.rotateLeft(x[0] + x[12], 7); x[8] ^= Integer.rotateLeft(x[4] + x[0], 9);
            x[12] ^= Integer.rotateLeft(x[8] + x[4], 13); x[0] ^= Integer.rotateLeft(x[12] + x[8], 18);
            x[9] ^= Integer.rotateLeft(x[5] + x[1], 7); x[13] ^= Integer.rotateLeft(x[9] + x[5], 9);
            x[1] ^= Integer.rotateLeft(x[13] + x[9], 13); x[5] ^= Integer.rotateLeft(x[1] + x[13], 18);
            x[14] ^= Integer.rotateLeft(x[10] + x[6], 7); x[2] ^= Integer.rotateLeft(x[14] + x[10], 9);
            x[6] ^= Integer.rotateLeft(x[2] + x[14], 13); x[10] ^= Integer.rotateLeft(x[6] + x[2], 18);
            x[3] ^= Integer.rotateLeft(x[15] + x[11], 7); x[7] ^= Integer.rotateLeft(x[3] + x[15], 9);
            x[11] ^= Integer.rotateLeft(x[7] + x[3], 13); x[15] ^= Integer.rotateLeft(x[11] + x[7], 18);
            x[1] ^= Integer.rotateLeft(x[0] + x[3], 7); x[2] ^= Integer.rotateLeft(x[1] + x[0], 9);
            x[3] ^= Integer.rotateLeft(x[2] + x[1], 13); x[0] ^= Integer.rotateLeft(x[3] + x[2], 18);
            x[6] ^= Integer.rotateLeft(x[5] + x[4], 7); x[7] ^= Integer.rotateLeft(x[6] + x[5], 9);
            x[4] ^= Integer.rotateLeft(x[7] + x[6], 13); x[5] ^= Integer.rotateLeft(x[4] + x[7], 18);
            x[11] ^= Integer.rotateLeft(x[10] + x[9], 7); x[8] ^= Integer.rotateLeft(x[11] + x[10], 9);
            x[9] ^= Integer.rotateLeft(x[8] + x[11], 13); x[10] ^= Integer.rotateLeft(x[9] + x[8], 18);
            x[12] ^= Integer.rotateLeft(x[15] + x[14], 7); x[13] ^= Integer.rotateLeft(x[12] + x[15], 9);
            x[14] ^= Integer.rotateLeft(x[13] + x[12], 13); x[15] ^= Integer.rotateLeft(x[14] + x[13], 18);
        }
        for (int i = 0; i < 16; i++) b[off + i] += x[i];
    }

    /** BlockMix(B) of RFC 7914 §4 on 2r 64-byte blocks (as 32r ints), into y. */
    private static void blockMix(int[] b, int[] y, int r, int[] x) {
        int[] t = new int[16];
        System.arraycopy(b, (2 * r - 1) * 16, t, 0, 16);
        for (int i = 0; i < 2 * r; i++) {
            for (int k = 0; k < 16; k++) t[k] ^= b[i * 16 + k];
            salsa8(t, 0, x);
            int dst = (i % 2 == 0 ? i / 2 : r + i / 2) * 16;
            System.arraycopy(t, 0, y, dst, 16);
        }
    }

    static byte[] scrypt(byte[] pass, byte[] salt, int n, int r, int p, int dkLen) {
        int blockInts = 32 * r;
        byte[] bb = pbkdf2(pass, salt, 1, p * 128 * r);
        int[] x = new int[16];
        for (int j = 0; j < p; j++) {
            int[] b = new int[blockInts];
            for (int i = 0; i < blockInts; i++) {
                int o = j * 128 * r + i * 4;
                b[i] = (bb[o] & 255) | (bb[o + 1] & 255) << 8 | (bb[o + 2] & 255) << 16 | (bb[o + 3] & 255) << 24;
            }
            int[] v = new int[n * blockInts];
            int[] y = new int[blockInts];
            for (int i = 0; i < n; i++) {
                System.arraycopy(b, 0, v, i * blockInts, blockInts);
                blockMix(b, y, r, x);
                int[] s = b; b = y; y = s;
            }
            for (int i = 0; i < n; i++) {
                int jj = b[(2 * r - 1) * 16] & (n - 1);
                for (int k = 0; k < blockInts; k++) b[k] ^= v[jj * blockInts + k];
                blockMix(b, y, r, x);
                int[] s = b; b = y; y = s;
            }
            for (int i = 0; i < blockInts; i++) {
                int o = j * 128 * r + i * 4;
                bb[o] = (byte) b[i]; bb[o + 1] = (byte) (b[i] >>> 8);
                bb[o + 2] = (byte) (b[i] >>> 16); bb[o + 3] = (byte) (b[i] >>> 24);
            }
        }
        return pbkdf2(pass, bb, 1, dkLen);
    }

    /** EKE-PW-1. */
    static byte[] passwordKey(String user, byte[] password) {
        byte[] u = utf8(user);
        return scrypt(password, cat(utf8("sft-eke/1"), u16(u.length), u), 1 << 15, 8, 1, 32);
    }

    /** EKE-HS-3. */
    static byte[] fakeKey(byte[] serverSecret, byte[] user) {
        return hmac(serverSecret, utf8("sft-eke/1 fake"), user);
    }

    // ---- SHAKE256 (FIPS 202) ----
    private static final long[] RC = {
        0x0000000000000001L, 0x0000000000008082L, 0x800000000000808aL, 0x8000000080008000L,
        0x000000000000808bL, 0x0000000080000001L, 0x8000000080008081L, 0x8000000000008009L,
        0x000000000000008aL, 0x0000000000000088L, 0x0000000080008009L, 0x000000008000000aL,
        0x000000008000808bL, 0x800000000000008bL, 0x8000000000008089L, 0x8000000000008003L,
        0x8000000000008002L, 0x8000000000000080L, 0x000000000000800aL, 0x800000008000000aL,
        0x8000000080008081L, 0x8000000000008080L, 0x0000000080000001L, 0x8000000080008008L};
    private static final int[] ROT = {
        0, 1, 62, 28, 27, 36, 44, 6, 55, 20, 3, 10, 43, 25, 39, 41, 45, 15, 21, 8, 18, 2, 61, 56, 14};

    private static void keccakF(long[] a) {
        long[] c = new long[5];
        long[] b = new long[25];
        for (int round = 0; round < 24; round++) {
            for (int x = 0; x < 5; x++) c[x] = a[x] ^ a[x + 5] ^ a[x + 10] ^ a[x + 15] ^ a[x + 20];
            for (int x = 0; x < 5; x++) {
                long d = c[(x + 4) % 5] ^ Long.rotateLeft(c[(x + 1) % 5], 1);
                for (int y = 0; y < 25; y += 5) a[y + x] ^= d;
            }
            for (int x = 0; x < 5; x++) {
                for (int y = 0; y < 5; y++) {
                    int i = x + 5 * y;
                    b[y + 5 * ((2 * x + 3 * y) % 5)] = Long.rotateLeft(a[i], ROT[i]);
                }
            }
            for (int y = 0; y < 25; y += 5) {
                for (int x = 0; x < 5; x++) a[y + x] = b[y + x] ^ (~b[y + (x + 1) % 5] & b[y + (x + 2) % 5]);
            }
            a[0] ^= RC[round];
        }
    }

    static byte[] shake256(byte[] msg, int outLen) {
        final int rate = 136;
        long[] st = new long[25];
        byte[] padded = Arrays.copyOf(msg, (msg.length / rate + 1) * rate);
        padded[msg.length] ^= 0x1f;
        padded[padded.length - 1] ^= (byte) 0x80;
        for (int off = 0; off < padded.length; off += rate) {
            for (int i = 0; i < rate / 8; i++) {
                long v = 0;
                for (int k = 7; k >= 0; k--) v = (v << 8) | (padded[off + 8 * i + k] & 255);
                st[i] ^= v;
            }
            keccakF(st);
        }
        byte[] out = new byte[outLen];
        int o = 0;
        while (true) {
            for (int i = 0; i < rate && o < outLen; i++, o++) out[o] = (byte) (st[i / 8] >>> (8 * (i % 8)));
            if (o >= outLen) return out;
            keccakF(st);
        }
    }

    // ---- E_pw / D_pw (EKE-FEI-1/2) ----
    private static byte[] feistelF(byte[] pw, int i, byte[] h) {
        return shake256(cat(utf8("sft-eke/1 feistel"), pw, new byte[] {(byte) i}, h), 192);
    }

    static byte[] encrypt(byte[] pw, byte[] in) {
        byte[] l = Arrays.copyOfRange(in, 0, 192);
        byte[] r = Arrays.copyOfRange(in, 192, 384);
        for (int i = 0; i < 14; i++) {
            byte[] f = feistelF(pw, i, r);
            byte[] nr = new byte[192];
            for (int k = 0; k < 192; k++) nr[k] = (byte) (l[k] ^ f[k]);
            l = r;
            r = nr;
        }
        return cat(l, r);
    }

    static byte[] decrypt(byte[] pw, byte[] in) {
        byte[] l = Arrays.copyOfRange(in, 0, 192);
        byte[] r = Arrays.copyOfRange(in, 192, 384);
        for (int i = 13; i >= 0; i--) {
            byte[] f = feistelF(pw, i, l);
            byte[] pl = new byte[192];
            for (int k = 0; k < 192; k++) pl[k] = (byte) (r[k] ^ f[k]);
            r = l;
            l = pl;
        }
        return cat(l, r);
    }

    // ---- group ----
    /** I2OSP(n, 384): BigInteger.toByteArray() has a sign byte or is short; never use it raw. */
    static byte[] i2osp(BigInteger n) {
        byte[] b = n.toByteArray();
        byte[] out = new byte[K];
        int len = Math.min(b.length, K);
        System.arraycopy(b, b.length - len, out, K - len, len);
        return out;
    }

    static BigInteger os2ip(byte[] b) { return new BigInteger(1, b); }

    /** A 321-bit exponent: 320 random bits and bit 320 set above them (EKE-X-1). */
    static BigInteger exponent() {
        return new BigInteger(320, RNG).setBit(320);
    }

    /** Jacobi symbol (a/n), n odd positive. */
    static int jacobi(BigInteger a, BigInteger n) {
        a = a.mod(n);
        int t = 1;
        while (a.signum() != 0) {
            int z = a.getLowestSetBit();
            a = a.shiftRight(z);
            int nm8 = n.intValue() & 7;
            if ((z & 1) == 1 && (nm8 == 3 || nm8 == 5)) t = -t;
            if ((a.intValue() & 3) == 3 && (n.intValue() & 3) == 3) t = -t;
            BigInteger tmp = a; a = n.mod(tmp); n = tmp;
        }
        return n.equals(BigInteger.ONE) ? t : 0;
    }

    /** (X'/p) blinded by a fresh r^2 so that the loop does not follow X' (EKE-SEC-4). */
    static int residuosity(BigInteger xp) {
        BigInteger r = new BigInteger(3000, RNG).add(BigInteger.TWO);
        return jacobi(xp.multiply(r.multiply(r)).mod(P), P);
    }

    /** EKE-X-2: ±X. */
    static BigInteger hide(BigInteger x, boolean s) { return s ? P.subtract(x) : x; }

    /** EKE-X-3: the residue of X', p − X'; null when X' is 0, 1, p − 1 or ≥ p. */
    static BigInteger recover(BigInteger xp) {
        boolean bad;
        if (Faults.on("xprime_bounds_only")) bad = xp.signum() == 0 || xp.compareTo(P) >= 0;
        else bad = xp.compareTo(BigInteger.ONE) <= 0 || xp.compareTo(PM1) >= 0;
        if (bad) return null;
        return residuosity(xp) == 1 ? xp : P.subtract(xp);
    }

    /** EKE-KS-2: Z or null when 0, 1, p − 1. */
    static boolean zValid(BigInteger z) {
        if (Faults.on("xprime_bounds_only")) return true;
        return z.compareTo(BigInteger.ONE) > 0 && z.compareTo(PM1) < 0;
    }

    // ---- AES-256-GCM ----
    static byte[] seal(byte[] key, byte[] nonce, byte[] pt, byte[] ad) {
        try {
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "AES"), new GCMParameterSpec(128, nonce));
            c.updateAAD(ad);
            return c.doFinal(pt);
        } catch (Exception e) { throw new IllegalStateException(e); }
    }

    /** null when the ciphertext does not authenticate. */
    static byte[] open(byte[] key, byte[] nonce, byte[] ct, byte[] ad) {
        if (ct.length < 16) return null;
        try {
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.DECRYPT_MODE, new SecretKeySpec(key, "AES"), new GCMParameterSpec(128, nonce));
            c.updateAAD(ad);
            return c.doFinal(ct);
        } catch (javax.crypto.AEADBadTagException e) {
            return null;
        } catch (Exception e) { throw new IllegalStateException(e); }
    }

    static byte[] nonce(int last) {
        byte[] n = new byte[12];
        n[11] = (byte) last;
        return n;
    }

    /** EKE-REC-2: iv XOR (0^4 ‖ u64be(seq)). */
    static byte[] recordNonce(byte[] iv, long seq) {
        byte[] n = iv.clone();
        int width = Faults.on("b25_seq_low16") ? 2 : 8; // b25_seq_low16: the counter kept as a char
        for (int i = 0; i < width; i++) n[11 - i] ^= (byte) (seq >>> (8 * i));
        return n;
    }

    static boolean equalCt(byte[] a, byte[] b) { return MessageDigest.isEqual(a, b); }

    /** The key schedule of §5.4. */
    static final class Keys {
        byte[] th, z, prk, kcs, kcc, keyC2s, ivC2s, keyS2c, ivS2c;
    }

    static byte[] transcript(byte[] user, byte[] a, byte[] b) {
        return sha256(utf8("sft-eke/1 transcript"), u16(user.length), user, a, b);
    }

    static Keys schedule(byte[] user, byte[] a, byte[] b, byte[] z) {
        Keys k = new Keys();
        k.th = transcript(user, a, b);
        k.z = z;
        k.prk = hkdfExtract(k.th, z);
        k.kcs = hkdfExpand(k.prk, utf8("sft-eke/1 confirm s"), 32);
        k.kcc = hkdfExpand(k.prk, utf8("sft-eke/1 confirm c"), 32);
        k.keyC2s = hkdfExpand(k.prk, utf8("sft-eke/1 key c2s"), 32);
        k.ivC2s = hkdfExpand(k.prk, utf8("sft-eke/1 iv c2s"), 12);
        k.keyS2c = hkdfExpand(k.prk, utf8("sft-eke/1 key s2c"), 32);
        k.ivS2c = hkdfExpand(k.prk, utf8("sft-eke/1 iv s2c"), 12);
        return k;
    }
}
