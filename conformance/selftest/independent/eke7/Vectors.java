import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/** `eke7 vectors DIR`: eke7's own recipes against SPEC §8's files (one `ok`/`FAIL` line each). */
final class Vectors {
    private Vectors() {}

    private static int failures;
    private static int oks;

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> load(Path dir, String name) throws Exception {
        Map<String, Object> top = Json.object(Files.readAllBytes(dir.resolve(name)));
        return (List<Map<String, Object>>) top.get("vectors");
    }

    private static byte[] h(Map<String, Object> v, String k) { return Crypto.unhex((String) v.get(k)); }

    private static int n(Map<String, Object> v, String k) {
        Object o = v.get(k);
        return o instanceof BigInteger ? ((BigInteger) o).intValue() : Integer.parseInt((String) o);
    }

    private static void check(String id, boolean ok) {
        System.out.println((ok ? "ok " : "FAIL ") + id);
        if (ok) oks++; else failures++;
    }

    private static boolean valid(Map<String, Object> v) { return Boolean.TRUE.equals(v.get("valid")); }

    static int run(Path dir) throws Exception {
        for (Map<String, Object> v : load(dir, "external-kats.json")) {
            String id = (String) v.get("id");
            switch ((String) v.get("primitive")) {
                case "scrypt":
                    check(id, Arrays.equals(Crypto.scrypt(h(v, "password"), h(v, "salt"), n(v, "n"), n(v, "r"),
                        n(v, "p"), h(v, "dk").length), h(v, "dk")));
                    break;
                case "hkdf-sha256": {
                    byte[] prk = Crypto.hkdfExtract(h(v, "salt"), h(v, "ikm"));
                    check(id, Arrays.equals(prk, h(v, "prk"))
                        && Arrays.equals(Crypto.hkdfExpand(prk, h(v, "info"), n(v, "length")), h(v, "okm")));
                    break;
                }
                case "aes-256-gcm": {
                    byte[] ct = Crypto.cat(h(v, "ciphertext"), h(v, "tag"));
                    byte[] pt = Crypto.open(h(v, "key"), h(v, "iv"), ct, h(v, "aad"));
                    if (valid(v)) {
                        check(id, pt != null && Arrays.equals(pt, h(v, "plaintext"))
                            && Arrays.equals(Crypto.seal(h(v, "key"), h(v, "iv"), h(v, "plaintext"), h(v, "aad")), ct));
                    } else {
                        check(id, pt == null);
                    }
                    break;
                }
                case "shake256":
                    check(id, Arrays.equals(Crypto.shake256(h(v, "message"), h(v, "output").length), h(v, "output")));
                    break;
                case "sha256":
                    check(id, Arrays.equals(Crypto.sha256(h(v, "message")), h(v, "digest")));
                    break;
                case "ffdhe3072":
                    check(id, new BigInteger((String) v.get("p"), 16).equals(Crypto.P) && n(v, "g") == 2);
                    break;
                default:
                    check(id + " (unknown primitive)", false);
            }
        }
        for (Map<String, Object> v : load(dir, "eke_password_key.json")) {
            String id = (String) v.get("id");
            byte[] user = h(v, "user_hex");
            if ("fake".equals(v.get("kind"))) {
                check(id, Arrays.equals(Crypto.fakeKey(h(v, "server_secret"), user), h(v, "pw")));
            } else {
                String u = new String(user, java.nio.charset.StandardCharsets.UTF_8);
                check(id, Arrays.equals(Crypto.passwordKey(u, h(v, "password_hex")), h(v, "pw")));
            }
        }
        for (Map<String, Object> v : load(dir, "eke_feistel.json")) {
            byte[] pw = h(v, "pw");
            byte[] c = Crypto.encrypt(pw, h(v, "plaintext"));
            check((String) v.get("id"), Arrays.equals(c, h(v, "ciphertext"))
                && Arrays.equals(Crypto.decrypt(pw, c), h(v, "plaintext")));
        }
        for (Map<String, Object> v : load(dir, "eke_pm_encoding.json")) {
            String id = (String) v.get("id");
            BigInteger xp = Crypto.os2ip(h(v, "X_prime"));
            if (!valid(v)) { check(id, Crypto.recover(xp) == null); continue; }
            BigInteger x = Crypto.os2ip(h(v, "X"));
            boolean s = n(v, "s") == 1;
            BigInteger rec = Crypto.recover(xp);
            check(id, Crypto.hide(x, s).equals(xp) && rec != null
                && Arrays.equals(Crypto.i2osp(rec), h(v, "recovered"))
                && Crypto.residuosity(xp) == n(v, "jacobi_X_prime"));
        }
        for (Map<String, Object> v : load(dir, "eke_handshake.json")) handshake(v);
        for (Map<String, Object> v : load(dir, "eke_records.json")) {
            String id = (String) v.get("id");
            long seq = new BigInteger(String.valueOf(v.get("seq"))).longValue();
            byte[] key = h(v, "key"), iv = h(v, "iv"), rec = h(v, "record");
            byte[] hdr = Arrays.copyOf(rec, 8);
            byte[] pt = Crypto.open(key, Crypto.recordNonce(iv, seq), Arrays.copyOfRange(rec, 8, rec.length), hdr);
            if (valid(v)) {
                byte[] inner = h(v, "inner");
                byte[] sealed = Crypto.cat(Crypto.utf8("RECD"), Crypto.u32(inner.length + 16),
                    Crypto.seal(key, Crypto.recordNonce(iv, seq), inner, Crypto.cat(Crypto.utf8("RECD"), Crypto.u32(inner.length + 16))));
                check(id, Arrays.equals(Crypto.recordNonce(iv, seq), h(v, "nonce")) && Arrays.equals(sealed, rec)
                    && pt != null && Arrays.equals(pt, inner));
            } else {
                check(id, pt == null || !"auth_failed".equals(v.get("error")));
            }
        }
        System.out.println(oks + " ok, " + failures + " failed");
        return failures == 0 ? 0 : 1;
    }

    @SuppressWarnings("unchecked")
    private static void handshake(Map<String, Object> v) {
        String id = (String) v.get("id");
        if (!valid(v)) {
            if (v.containsKey("client_pw")) {
                // the client's C2 check must fail: server values from eke2, client key differs
                byte[] eke2 = h(v, "eke2");
                byte[] eke1 = h(v, "eke1");
                try {
                    Map<String, Object> m1 = Json.object(Arrays.copyOfRange(eke1, 8, eke1.length));
                    Map<String, Object> m2 = Json.object(Arrays.copyOfRange(eke2, 8, eke2.length));
                    byte[] a = Crypto.unhex((String) m1.get("a"));
                    byte[] b = Crypto.unhex((String) m2.get("b"));
                    byte[] c2 = Crypto.unhex((String) m2.get("c"));
                    byte[] cpw = h(v, "client_pw");
                    BigInteger x = new BigInteger(1, h(v, "x"));
                    BigInteger y = Crypto.recover(Crypto.os2ip(Crypto.decrypt(cpw, b)));
                    byte[] user = Crypto.utf8((String) m1.get("user"));
                    Crypto.Keys k = Crypto.schedule(user, a, b, Crypto.i2osp(y.modPow(x, Crypto.P)));
                    check(id, Crypto.open(k.kcs, Crypto.nonce(2), c2, Crypto.cat(Crypto.utf8("EKE2"), k.th)) == null);
                } catch (Exception e) {
                    check(id + " " + e, false);
                }
            } else {
                byte[] a = Crypto.encrypt(h(v, "pw"), h(v, "X_prime"));
                check(id, Crypto.recover(Crypto.os2ip(Crypto.decrypt(h(v, "pw"), a))) == null);
            }
            return;
        }
        byte[] pw = h(v, "pw");
        byte[] user = Crypto.utf8((String) v.get("user"));
        BigInteger x = new BigInteger(1, h(v, "x"));
        BigInteger y = new BigInteger(1, h(v, "y"));
        BigInteger xx = Crypto.G.modPow(x, Crypto.P);
        BigInteger yy = Crypto.G.modPow(y, Crypto.P);
        byte[] xp = Crypto.i2osp(Crypto.hide(xx, n(v, "s_x") == 1));
        byte[] yp = Crypto.i2osp(Crypto.hide(yy, n(v, "s_y") == 1));
        byte[] a = Crypto.encrypt(pw, xp);
        byte[] b = Crypto.encrypt(pw, yp);
        BigInteger xr = Crypto.recover(Crypto.os2ip(Crypto.decrypt(pw, a)));
        BigInteger yr = Crypto.recover(Crypto.os2ip(Crypto.decrypt(pw, b)));
        byte[] z = Crypto.i2osp(xr.modPow(y, Crypto.P));
        byte[] z2 = Crypto.i2osp(yr.modPow(x, Crypto.P));
        Crypto.Keys k = Crypto.schedule(user, a, b, z);
        byte[] ns = h(v, "Ns"), na = h(v, "Na");
        byte[] c2 = Crypto.seal(k.kcs, Crypto.nonce(2), ns, Crypto.cat(Crypto.utf8("EKE2"), k.th));
        byte[] c3 = Crypto.seal(k.kcc, Crypto.nonce(3), Crypto.cat(na, ns), Crypto.cat(Crypto.utf8("EKE3"), k.th));
        byte[] c4 = Crypto.seal(k.kcs, Crypto.nonce(4), na, Crypto.cat(Crypto.utf8("EKE4"), k.th));
        boolean ok = Arrays.equals(Crypto.i2osp(xx), h(v, "X")) && Arrays.equals(xp, h(v, "X_prime"))
            && Arrays.equals(a, h(v, "A")) && Arrays.equals(Crypto.i2osp(yy), h(v, "Y"))
            && Arrays.equals(yp, h(v, "Y_prime")) && Arrays.equals(b, h(v, "B"))
            && Arrays.equals(k.th, h(v, "th")) && Arrays.equals(z, h(v, "Z")) && Arrays.equals(z2, z)
            && Arrays.equals(k.prk, h(v, "PRK")) && Arrays.equals(k.kcs, h(v, "Kcs"))
            && Arrays.equals(k.kcc, h(v, "Kcc")) && Arrays.equals(k.keyC2s, h(v, "key_c2s"))
            && Arrays.equals(k.ivC2s, h(v, "iv_c2s")) && Arrays.equals(k.keyS2c, h(v, "key_s2c"))
            && Arrays.equals(k.ivS2c, h(v, "iv_s2c")) && Arrays.equals(c2, h(v, "C2"))
            && Arrays.equals(c3, h(v, "C3")) && Arrays.equals(c4, h(v, "C4"))
            && Arrays.equals(Wire.frame("EKE1", Json.obj("user", v.get("user"), "a", Crypto.hex(a))), h(v, "eke1"))
            && Arrays.equals(Wire.frame("EKE2", Json.obj("b", Crypto.hex(b), "c", Crypto.hex(c2))), h(v, "eke2"))
            && Arrays.equals(Wire.frame("EKE3", Json.obj("c", Crypto.hex(c3))), h(v, "eke3"))
            && Arrays.equals(Wire.frame("EKE4", Json.obj("c", Crypto.hex(c4))), h(v, "eke4"));
        check(id, ok);
        for (String dirName : new String[] {"records_c2s", "records_s2c"}) {
            boolean c2s = dirName.equals("records_c2s");
            for (Map<String, Object> r : (List<Map<String, Object>>) v.get(dirName)) {
                long seq = ((BigInteger) r.get("seq")).longValue();
                byte[] inner = h(r, "inner");
                byte[] hdr = Crypto.cat(Crypto.utf8("RECD"), Crypto.u32(inner.length + 16));
                byte[] rec = Crypto.cat(hdr, Crypto.seal(c2s ? k.keyC2s : k.keyS2c,
                    Crypto.recordNonce(c2s ? k.ivC2s : k.ivS2c, seq), inner, hdr));
                check(id + " " + dirName + " " + seq, Arrays.equals(rec, h(r, "record")));
            }
        }
    }
}
