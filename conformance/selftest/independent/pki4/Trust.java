import java.io.IOException;
import java.io.InputStream;
import java.math.BigInteger;
import java.net.HttpURLConnection;
import java.net.Socket;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.CertPath;
import java.security.cert.CertPathValidator;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509CRL;
import java.security.cert.X509CRLEntry;
import java.security.cert.X509Certificate;
import java.security.interfaces.RSAPublicKey;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Date;
import java.util.List;
import java.util.Set;
import javax.naming.InvalidNameException;
import javax.naming.directory.Attribute;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import javax.net.ssl.HttpsURLConnection;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;
import javax.security.auth.x500.X500Principal;

/**
 * The organisation: its root, its CRL, and our own certificate and key; the TLS 1.3
 * parameters of SPEC §4.1 and the certificate rules of §4.2.
 *
 * Certificate checks: CertPathValidator (PKIX) with the root as the only TrustAnchor and
 * a path of the peer's leaf alone (so an intermediate the peer sends is never used:
 * PKI-CERT-10), revocation off in PKIX; then our own checks of PKI-CERT-1/5/6/9 on the
 * leaf, and our own CRL handling with X509CRL. Why our own CRL code rather than
 * PKIXRevocationChecker: the freshness rule of PKI-CERT-12 (fail closed past nextUpdate,
 * without one, or when nextUpdate - thisUpdate exceeds 7 days) is not PKIX's, and we
 * fetch the CRL from the CA ourselves (an https URL trusted through the root only).
 */
final class Trust {
    static final String ALPN = "sft-pki/1";
    static final String[] PROTOCOLS = {"TLSv1.3"};
    static final String[] SUITES = {
        "TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256",
    };
    private static final String OID_SERVER_AUTH = "1.3.6.1.5.5.7.3.1";
    private static final String OID_CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";
    private static final String OID_ANY_EKU = "2.5.29.37.0";
    private static final Set<String> SHA256_SIGNATURES = Set.of(
            "1.2.840.10045.4.3.2", // ecdsa-with-SHA256
            "1.2.840.113549.1.1.11"); // sha256WithRSAEncryption
    /** SubjectPublicKeyInfo prefix of every P-256 (prime256v1) key. */
    private static final byte[] P256_SPKI_PREFIX =
            Pem.hex("3059301306072a8648ce3d020106082a8648ce3d030107034200");
    static final long MAX_CRL_LIFETIME_MS = 7L * 24 * 3600 * 1000;

    /**
     * The TLS parameters JSSE 17 only takes as system properties (no SSLParameters
     * setter for groups before JDK 20). Set before the first SSLContext is made.
     */
    static void pinJsseProperties() {
        if (!Faults.on("jsse_default_groups")) {
            System.setProperty("jdk.tls.namedGroups", "x25519,secp256r1,secp384r1");
        }
        String sigs = "ecdsa_secp256r1_sha256,rsa_pss_rsae_sha256,rsa_pss_rsae_sha384,"
                + "rsa_pss_rsae_sha512";
        System.setProperty("jdk.tls.server.SignatureSchemes", sigs);
        // rsa_pkcs1_sha256: RFC 8446 §4.2.3, for the root's signatures on certificates (PKI-TLS-11).
        System.setProperty("jdk.tls.client.SignatureSchemes", sigs + ",rsa_pkcs1_sha256");
        // A FIN without close_notify is a truncation (PKI-TLS-6), not an end of stream.
        System.setProperty("com.sun.net.ssl.requireCloseNotify", "true");
        // No resumption: every connection gets the full certificate checks.
        System.setProperty("jdk.tls.server.enableSessionTicketExtension", "false");
        System.setProperty("jdk.tls.client.enableSessionTicketExtension", "false");
    }

    enum Purpose { CLIENT, SERVER }

    final X509Certificate root;
    private final X509Certificate mine;
    private final PrivateKey myKey;
    private final Path crlFile;
    private final String caUrl;
    private volatile X509CRL crl;
    /** Only the fault b16_validity_at_start: "now", taken once. */
    private final Date started = new Date();

    Trust(Path root, Path cert, Path key, Path crlFile, String caUrl)
            throws IOException, GeneralSecurityException {
        this.root = Pem.certificate(root);
        this.mine = Pem.certificate(cert);
        this.myKey = Pem.privateKey(key);
        this.crlFile = crlFile;
        this.caUrl = caUrl;
    }

    // ---- CRL --------------------------------------------------------------------------

    /** Loads (or refetches) the CRL; throws when none can be had. */
    void loadCrl() throws IOException, GeneralSecurityException {
        byte[] raw;
        if (caUrl != null) {
            raw = fetch(caUrl.replaceAll("/+$", "") + "/v1/crl");
        } else if (crlFile != null) {
            raw = Files.readAllBytes(crlFile);
        } else {
            throw new IOException("no CRL source (--crl or --ca-url)");
        }
        X509CRL fresh = Pem.crl(raw);
        if (!fresh.getIssuerX500Principal().equals(root.getSubjectX500Principal())) {
            throw new GeneralSecurityException("CRL not issued by the root");
        }
        fresh.verify(root.getPublicKey());
        crl = fresh;
    }

    /** Refetches in the background when the CRL we hold is stale; never throws. */
    void refreshQuietly() {
        try {
            loadCrl();
        } catch (IOException | GeneralSecurityException e) {
            System.err.println("pki4: CRL refresh failed: " + e.getMessage());
        }
    }

    private byte[] fetch(String url) throws IOException, GeneralSecurityException {
        HttpsURLConnection c = (HttpsURLConnection) new URL(url).openConnection();
        SSLContext ctx = SSLContext.getInstance("TLSv1.3");
        ctx.init(null, new TrustManager[] {rootOnlyTrustManager()}, null);
        c.setSSLSocketFactory(ctx.getSocketFactory());
        // The CA's certificate is checked against the root; its host name is not (the CA
        // may be reached by an address its certificate does not name).
        c.setHostnameVerifier((host, session) -> true);
        c.setConnectTimeout(10_000);
        c.setReadTimeout(10_000);
        try {
            if (c.getResponseCode() != HttpURLConnection.HTTP_OK) {
                throw new IOException("CRL fetch: HTTP " + c.getResponseCode());
            }
            try (InputStream in = c.getInputStream()) {
                return in.readNBytes(16 << 20);
            }
        } finally {
            c.disconnect();
        }
    }

    private TrustManager rootOnlyTrustManager() throws GeneralSecurityException, IOException {
        KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
        ks.load(null, null);
        ks.setCertificateEntry("root", root);
        TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
        tmf.init(ks);
        return tmf.getTrustManagers()[0];
    }

    /** PKI-CERT-12: a CRL past nextUpdate, without one, or living over 7 days fails closed. */
    private X509CRL freshCrl() throws CertificateException {
        X509CRL c = crl;
        if (c == null) throw new CertificateException("no CRL");
        Date now = new Date();
        Date next = c.getNextUpdate();
        if (next == null) throw new CertificateException("CRL without nextUpdate");
        if (next.getTime() - c.getThisUpdate().getTime() > MAX_CRL_LIFETIME_MS) {
            throw new CertificateException("CRL lives longer than 7 days");
        }
        if (!now.before(next)) {
            new Thread(this::refreshQuietly, "crl-refresh").start();
            throw new CertificateException("CRL past its nextUpdate");
        }
        return c;
    }

    private boolean revoked(X509CRL c, X509Certificate leaf) {
        if (Faults.on("r16_revocation_peek_lazy")) {
            Set<? extends X509CRLEntry> all = c.getRevokedCertificates();
            if (all == null) return false;
            boolean[] hit = {false};
            // a lazy pipeline without a terminal operation: peek never runs
            all.stream().filter(e -> e.getSerialNumber().equals(leaf.getSerialNumber())).peek(e -> hit[0] = true);
            return hit[0];
        }
        if (Faults.on("crl_first_entry")) {
            Set<? extends X509CRLEntry> all = c.getRevokedCertificates();
            if (all == null || all.isEmpty()) return false;
            BigInteger first = all.iterator().next().getSerialNumber();
            return first.equals(leaf.getSerialNumber());
        }
        return c.isRevoked(leaf);
    }

    // ---- certificate rules ------------------------------------------------------------

    /** Every rule of §4.2 on the peer's chain; the leaf is chain[0]. */
    void checkPeer(X509Certificate[] chain, Purpose purpose) throws CertificateException {
        if (chain == null || chain.length == 0) throw new CertificateException("no certificate");
        X509Certificate leaf = chain[0];
        X509Certificate sentRoot = null;
        X509Certificate tail = chain[chain.length - 1];
        if (Faults.on("b27_sent_root_trusted") && tail.getSubjectX500Principal().equals(tail.getIssuerX500Principal())) {
            sentRoot = tail; // "a peer MAY send the root after its certificate": use it
        }
        checkPath(Faults.on("path_from_peer_chain") ? List.of(chain) : List.of(leaf), sentRoot);
        checkProfile(leaf, purpose);
        if (purpose == Purpose.CLIENT || !Faults.on("initiator_no_crl")) {
            X509Certificate looked = purpose == Purpose.CLIENT && Faults.on("r12_crl_checks_own") ? mine : leaf;
            if (revoked(freshCrl(), looked)) throw new CertificateException("certificate revoked");
        }
        singleCn(leaf);
    }

    private void checkPath(List<X509Certificate> certs, X509Certificate sentRoot) throws CertificateException {
        X509Certificate leaf = certs.get(0);
        if (Faults.on("signature_only")) {
            try {
                leaf.verify(root.getPublicKey());
            } catch (GeneralSecurityException e) {
                throw new CertificateException("not signed by the root");
            }
            return;
        }
        try {
            CertificateFactory cf = CertificateFactory.getInstance("X.509");
            // the peer's leaf alone: an intermediate it sends is never used (PKI-CERT-10)
            CertPath path = cf.generateCertPath(certs);
            PKIXParameters params = new PKIXParameters(sentRoot == null || sentRoot.equals(root)
                    ? Set.of(new TrustAnchor(root, null))
                    : Set.of(new TrustAnchor(root, null), new TrustAnchor(sentRoot, null)));
            params.setRevocationEnabled(false);
            if (Faults.on("b16_validity_at_start")) {
                params.setDate(started);
                CertPathValidator.getInstance("PKIX").validate(path, params);
                leaf.checkValidity(started);
                return;
            }
            if (Faults.on("b16_clock_skew_tolerance")) {
                // "peers' clocks drift: allow five minutes either way"
                long skew = 5 * 60 * 1000L;
                long now = System.currentTimeMillis();
                long from = leaf.getNotBefore().getTime();
                long to = leaf.getNotAfter().getTime();
                if (now < from - skew || now > to + skew) throw new CertificateException("outside its validity");
                params.setDate(new Date(Math.max(from, Math.min(to, now))));
                CertPathValidator.getInstance("PKIX").validate(path, params);
                return;
            }
            CertPathValidator.getInstance("PKIX").validate(path, params);
            leaf.checkValidity();
        } catch (GeneralSecurityException e) {
            throw new CertificateException("path validation failed: " + e.getMessage());
        }
    }

    private static void checkProfile(X509Certificate leaf, Purpose purpose) throws CertificateException {
        if (leaf.getVersion() != 3) throw new CertificateException("not X.509 v3");
        if (!SHA256_SIGNATURES.contains(leaf.getSigAlgOID())) {
            throw new CertificateException("not signed with SHA-256");
        }
        if (leaf.getPublicKey() instanceof RSAPublicKey) {
            if (((RSAPublicKey) leaf.getPublicKey()).getModulus().bitLength() < 2048
                    && !Faults.on("rsa_size_unchecked")) {
                throw new CertificateException("RSA key below 2048 bits");
            }
        } else {
            byte[] spki = leaf.getPublicKey().getEncoded();
            if (spki.length != P256_SPKI_PREFIX.length + 65
                    || !Arrays.equals(Arrays.copyOf(spki, P256_SPKI_PREFIX.length), P256_SPKI_PREFIX)) {
                throw new CertificateException("key is neither RSA nor EC P-256");
            }
        }
        Set<String> critical = leaf.getCriticalExtensionOIDs();
        if (Faults.on("r2_bc_not_critical")) {
            if (critical == null) critical = Set.of();
        } else if (leaf.getExtensionValue("2.5.29.19") == null || critical == null
                || !critical.contains("2.5.29.19")) {
            throw new CertificateException("no critical BasicConstraints");
        }
        if (leaf.getBasicConstraints() != -1 && !Faults.on("ca_true_accepted") && !Faults.on("r2_client_ca_true")) {
            throw new CertificateException("BasicConstraints CA:TRUE");
        }
        boolean[] ku = leaf.getKeyUsage();
        if (ku == null || !critical.contains("2.5.29.15") || !ku[0]) {
            throw new CertificateException("KeyUsage lacks digitalSignature");
        }
        for (int k = 1; k < ku.length; k++) {
            if (ku[k]) throw new CertificateException("KeyUsage beyond digitalSignature");
        }
        List<String> eku;
        try {
            eku = leaf.getExtendedKeyUsage();
        } catch (java.security.cert.CertificateParsingException e) {
            throw new CertificateException("bad ExtendedKeyUsage");
        }
        if (eku == null) {
            if (Faults.on("eku_missing_is_any")) return;
            throw new CertificateException("no ExtendedKeyUsage");
        }
        String wanted = purpose == Purpose.CLIENT ? OID_CLIENT_AUTH : OID_SERVER_AUTH;
        if (!eku.contains(wanted) && !(Faults.on("eku_any_purpose") && eku.contains(OID_ANY_EKU))) {
            throw new CertificateException("ExtendedKeyUsage lacks " + purpose);
        }
    }

    /** The subject's single CN (PKI-ID-4); none or several: refused. */
    static String singleCn(X509Certificate leaf) throws CertificateException {
        String dn = leaf.getSubjectX500Principal().getName(X500Principal.RFC2253);
        if (Faults.on("cn_by_regex")) {
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("CN=([^,]+)").matcher(dn);
            if (!m.find()) throw new CertificateException("subject without CN");
            return m.group(1);
        }
        List<String> cns = new ArrayList<>();
        try {
            for (Rdn rdn : new LdapName(dn).getRdns()) {
                javax.naming.NamingEnumeration<? extends Attribute> attrs = rdn.toAttributes().getAll();
                while (attrs.hasMoreElements()) {
                    Attribute a = attrs.nextElement();
                    if (!a.getID().equalsIgnoreCase("CN")) continue;
                    for (int k = 0; k < a.size(); k++) {
                        Object v = a.get(k);
                        cns.add(v instanceof String ? (String) v : "\u0000not-a-string");
                    }
                }
            }
        } catch (InvalidNameException e) {
            throw new CertificateException("unreadable subject");
        } catch (javax.naming.NamingException e) {
            throw new CertificateException("unreadable subject");
        }
        if (cns.isEmpty()) throw new CertificateException("subject without CN");
        if (cns.size() > 1 && !Faults.on("cn_first_of_many")) {
            throw new CertificateException("subject with several CNs");
        }
        // LdapName lists RDNs from the last to the first; the "first" CN is the last seen.
        String cn = cns.get(cns.size() - 1);
        if (Faults.on("b27_alias_pattern_63") && !cn.matches("[a-z0-9][a-z0-9._-]{0,62}")) {
            throw new CertificateException("CN is not an alias"); // "1-64": the first plus {0,62}
        }
        return cn;
    }

    // ---- TLS --------------------------------------------------------------------------

    /**
     * Our trust manager: the rules above, for the peer's role. An initiator also insists
     * on the responder's alias (PKI-ID-1) here, so a mismatch is a handshake failure.
     */
    X509ExtendedTrustManager trustManager(String expectedServerAlias) {
        Trust self = this;
        return new X509ExtendedTrustManager() {
            @Override
            public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
                self.checkPeer(chain, Purpose.CLIENT);
            }

            @Override
            public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
                self.checkPeer(chain, Faults.on("r12_client_purpose_client") ? Purpose.CLIENT : Purpose.SERVER);
                if (expectedServerAlias != null) {
                    // r16_client_alias_from_chain_end: "the end entity is the last one"
                    checkAlias(Faults.on("r16_client_alias_from_chain_end") ? chain[chain.length - 1] : chain[0],
                            expectedServerAlias);
                }
            }

            @Override
            public void checkClientTrusted(X509Certificate[] chain, String a, Socket s) throws CertificateException {
                checkClientTrusted(chain, a);
            }

            @Override
            public void checkServerTrusted(X509Certificate[] chain, String a, Socket s) throws CertificateException {
                checkServerTrusted(chain, a);
            }

            @Override
            public void checkClientTrusted(X509Certificate[] chain, String a, SSLEngine e) throws CertificateException {
                checkClientTrusted(chain, a);
            }

            @Override
            public void checkServerTrusted(X509Certificate[] chain, String a, SSLEngine e) throws CertificateException {
                checkServerTrusted(chain, a);
            }

            @Override
            public X509Certificate[] getAcceptedIssuers() {
                return new X509Certificate[] {root};
            }
        };
    }

    /** PKI-ID-1/4: the responder's single CN, byte for byte. */
    static void checkAlias(X509Certificate leaf, String alias) throws CertificateException {
        if (Faults.on("initiator_no_alias_check")) return;
        String cn = singleCn(leaf);
        boolean same = Faults.on("cn_ignore_case") ? cn.equalsIgnoreCase(alias) : cn.equals(alias);
        if (!same) throw new CertificateException("responder is not " + alias);
    }

    SSLContext context(String expectedServerAlias) throws GeneralSecurityException, IOException {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        char[] pw = "in-memory".toCharArray();
        ks.setKeyEntry("me", myKey, pw, new X509Certificate[] {mine});
        KeyManagerFactory kmf = KeyManagerFactory.getInstance("SunX509");
        kmf.init(ks, pw);
        SSLContext ctx = SSLContext.getInstance("TLSv1.3");
        ctx.init(kmf.getKeyManagers(), new TrustManager[] {trustManager(expectedServerAlias)}, null);
        return ctx;
    }

    static void configure(SSLSocket s, boolean server) {
        SSLParameters p = s.getSSLParameters();
        p.setProtocols(Faults.on("tls12_allowed") ? new String[] {"TLSv1.3", "TLSv1.2"} : PROTOCOLS);
        p.setCipherSuites(Faults.on("tls12_allowed")
                ? new String[] {SUITES[0], SUITES[1], SUITES[2], "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
                    "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"}
                : SUITES);
        p.setApplicationProtocols(new String[] {ALPN});
        p.setEndpointIdentificationAlgorithm(null);
        if (server) {
            if (Faults.on("want_client_auth")) p.setWantClientAuth(true);
            else p.setNeedClientAuth(true);
        }
        s.setSSLParameters(p);
    }
}
