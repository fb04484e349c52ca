/* Primitives of sft-eke/1 on OpenSSL 3 libcrypto (SPEC §5.1-§5.5). Every libcrypto call's
 * return value is checked: a 0 from BN_* / EVP_* is a failure, never ignored. */
#include "eke5.h"

#include <string.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>

static const char FFDHE3072_HEX[] =
    "FFFFFFFFFFFFFFFFADF85458A2BB4A9AAFDC5620273D3CF1D8B9C583CE2D3695"
    "A9E13641146433FBCC939DCE249B3EF97D2FE363630C75D8F681B202AEC4617A"
    "D3DF1ED5D5FD65612433F51F5F066ED0856365553DED1AF3B557135E7F57C935"
    "984F0C70E0E68B77E2A689DAF3EFE8721DF158A136ADE73530ACCA4F483A797A"
    "BC0AB182B324FB61D108A94BB2C8E3FBB96ADAB760D7F4681D4F42A3DE394DF4"
    "AE56EDE76372BB190B07A7C8EE0A6D709E02FCE1CDF7E2ECC03404CD28342F61"
    "9172FE9CE98583FF8E4F1232EEF28183C3FE3B1B4C6FAD733BB5FCBC2EC22005"
    "C58EF1837D1683B2C6F34A26C1B2EFFA886B4238611FCFDCDE355B3B6519035B"
    "BC34F4DEF99C023861B46FC9D6E6C9077AD91D2691F7F7EE598CB0FAC186D91C"
    "AEFE130985139270B4130C93BC437944F4FD4452E2D74DD364F2E21E71F54BFF"
    "5CAE82AB9C9DF69EE86D2BC522363A0DABC521979B0DEADA1DBF9A42D5C4484E"
    "0ABCD06BFA53DDEF3C1B20EE3FD59D7C25E41D2B66C62E37FFFFFFFFFFFFFFFF";

static BIGNUM *g_p, *g_pm1, *g_two;
static BN_MONT_CTX *g_mont;

int crypto_init(void)
{
    BN_CTX *ctx = BN_CTX_new();
    if (ctx == NULL)
        return -1;
    g_p = NULL;
    if (BN_hex2bn(&g_p, FFDHE3072_HEX) == 0) {
        BN_CTX_free(ctx);
        return -1;
    }
    g_pm1 = BN_dup(g_p);
    g_two = BN_new();
    g_mont = BN_MONT_CTX_new();
    int ok = g_pm1 != NULL && g_two != NULL && g_mont != NULL && BN_sub_word(g_pm1, 1) &&
             BN_set_word(g_two, 2) && BN_MONT_CTX_set(g_mont, g_p, ctx);
    BN_CTX_free(ctx);
    return ok ? 0 : -1;
}

const BIGNUM *group_p(void) { return g_p; }

int eke_password_key(const uint8_t *user, size_t ulen, const uint8_t *pwd, size_t plen,
                     uint8_t out[32])
{
    uint8_t salt[9 + 2 + 64];
    if (ulen > 64)
        return -1;
    memcpy(salt, "sft-eke/1", 9);
    salt[9] = (uint8_t)(ulen >> 8);
    salt[10] = (uint8_t)ulen;
    memcpy(salt + 11, user, ulen);
    if (EVP_PBE_scrypt((const char *)pwd, plen, salt, 11 + ulen, 1u << 15, 8, 1,
                       64u * 1024 * 1024, out, 32) != 1)
        return -1;
    return 0;
}

static int feistel_f(const uint8_t pw[32], int round, const uint8_t h[192], uint8_t out[192])
{
    static const char label[] = "sft-eke/1 feistel";
    uint8_t r = (uint8_t)round;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    if (md == NULL)
        return -1;
    int ok = EVP_DigestInit_ex(md, EVP_shake256(), NULL) &&
             EVP_DigestUpdate(md, label, sizeof label - 1) && EVP_DigestUpdate(md, pw, 32) &&
             EVP_DigestUpdate(md, &r, 1) && EVP_DigestUpdate(md, h, 192) &&
             EVP_DigestFinalXOF(md, out, 192);
    EVP_MD_CTX_free(md);
    return ok ? 0 : -1;
}

int feistel(const uint8_t pw[32], const uint8_t in[GROUP_BYTES], uint8_t out[GROUP_BYTES],
            int decrypt)
{
    uint8_t l[192], r[192], f[192], t[192];
    memcpy(l, in, 192);
    memcpy(r, in + 192, 192);
    if (!decrypt) {
        for (int i = 0; i < 14; i++) {
            if (feistel_f(pw, i, r, f) != 0)
                return -1;
            for (int j = 0; j < 192; j++)
                t[j] = l[j] ^ f[j];
            memcpy(l, r, 192);
            memcpy(r, t, 192);
        }
    } else {
        /* in = L(i+1) || R(i+1): R(i) = L(i+1), L(i) = R(i+1) ^ F(i, L(i+1)) */
        for (int i = 13; i >= 0; i--) {
            if (feistel_f(pw, i, l, f) != 0)
                return -1;
            for (int j = 0; j < 192; j++)
                t[j] = r[j] ^ f[j];
            memcpy(r, l, 192);
            memcpy(l, t, 192);
        }
    }
    memcpy(out, l, 192);
    memcpy(out + 192, r, 192);
    OPENSSL_cleanse(f, sizeof f);
    return 0;
}

/* 1 < x < q with 335 random bits: 42 random bytes, top bit (bit 335) forced. */
int random_exponent(BIGNUM *x)
{
    uint8_t buf[43];
    if (RAND_bytes(buf + 1, 42) != 1)
        return -1;
    buf[0] = 0x01; /* bit 336 set: 336 random bits below it */
    if (BN_bin2bn(buf, sizeof buf, x) == NULL)
        return -1;
    OPENSSL_cleanse(buf, sizeof buf);
    BN_set_flags(x, BN_FLG_CONSTTIME);
    return 0;
}

static int random_bit(void)
{
    uint8_t b;
    if (RAND_bytes(&b, 1) != 1)
        return -1;
    if (FAULTY(F_NO_SIGN_FLIP))
        return (b & 0x100) != 0;
    return b & 1;
}

int make_public(const BIGNUM *x, uint8_t out_prime[GROUP_BYTES])
{
    BN_CTX *ctx = BN_CTX_new();
    BIGNUM *X = BN_new();
    int ok = 0;
    if (ctx == NULL || X == NULL)
        goto done;
    if (!BN_mod_exp_mont_consttime(X, g_two, x, g_p, ctx, g_mont))
        goto done;
    int s = random_bit();
    if (s < 0)
        goto done;
    if (s == 1 && !BN_sub(X, g_p, X))
        goto done;
    if (BN_bn2binpad(X, out_prime, GROUP_BYTES) != GROUP_BYTES)
        goto done;
    ok = 1;
done:
    BN_free(X);
    BN_CTX_free(ctx);
    return ok ? 0 : -1;
}

/* EKE-X-3: reject 0, 1, p-1, >= p; recover the quadratic residue of X', p - X'. The
 * Jacobi symbol is computed on X'·r² for a fresh random r (EKE-SEC-4: blinded, so the
 * running time of the symbol's loop does not follow the password-dependent value).
 * Returns 0 valid, 1 invalid (out is then set to a fresh random element), -1 error. */
int recover_element(const uint8_t in_prime[GROUP_BYTES], BIGNUM *out)
{
    BN_CTX *ctx = BN_CTX_new();
    BIGNUM *v = BN_new(), *r = BN_new(), *t = BN_new();
    int result = -1;
    if (ctx == NULL || v == NULL || r == NULL || t == NULL)
        goto done;
    if (BN_bin2bn(in_prime, GROUP_BYTES, v) == NULL)
        goto done;
    int invalid = BN_is_zero(v) || BN_is_one(v) ||
                  (FAULTY(F_I7_X_GE_P) ? BN_cmp(v, g_pm1) == 0 : BN_cmp(v, g_pm1) >= 0);
    /* F_I7_X_GE_P: a value >= p "normalised" instead of refused */
    if (!invalid && FAULTY(F_I7_X_GE_P) && BN_cmp(v, g_p) >= 0 && !BN_nnmod(v, v, g_p, ctx))
        goto done;
    if (invalid) {
        /* keep the work the same: continue on a random element */
        BIGNUM *e = BN_new();
        if (e == NULL)
            goto done;
        if (random_exponent(e) != 0 || !BN_mod_exp_mont_consttime(out, g_two, e, g_p, ctx, g_mont)) {
            BN_free(e);
            goto done;
        }
        BN_free(e);
        result = 1;
        goto done;
    }
    if (!BN_priv_rand_range(r, g_pm1) || !BN_add_word(r, 1))
        goto done;
    if (!BN_mod_sqr(t, r, g_p, ctx) || !BN_mod_mul(t, t, v, g_p, ctx))
        goto done;
    int k = BN_kronecker(t, g_p, ctx);
    if (k == -2)
        goto done;
    if (k == 1) {
        if (BN_copy(out, v) == NULL)
            goto done;
    } else if (!BN_sub(out, g_p, v)) {
        goto done;
    }
    result = 0;
done:
    BN_free(v);
    BN_clear_free(r);
    BN_free(t);
    BN_CTX_free(ctx);
    return result;
}

/* Z = peer^x mod p; returns 0 ok, 1 if Z is 0, 1 or p-1 (EKE-KS-2), -1 error */
int shared_secret(const BIGNUM *peer, const BIGNUM *x, uint8_t z[GROUP_BYTES])
{
    BN_CTX *ctx = BN_CTX_new();
    BIGNUM *Z = BN_new();
    int result = -1;
    if (ctx == NULL || Z == NULL)
        goto done;
    if (!BN_mod_exp_mont_consttime(Z, peer, x, g_p, ctx, g_mont))
        goto done;
    if (BN_bn2binpad(Z, z, GROUP_BYTES) != GROUP_BYTES)
        goto done;
    result = (BN_is_zero(Z) || BN_is_one(Z) || BN_cmp(Z, g_pm1) == 0) ? 1 : 0;
done:
    BN_clear_free(Z);
    BN_CTX_free(ctx);
    return result;
}

int sha256(const uint8_t *a, size_t alen, uint8_t out[32])
{
    unsigned int n = 0;
    return EVP_Digest(a, alen, out, &n, EVP_sha256(), NULL) == 1 && n == 32 ? 0 : -1;
}

int hmac_sha256(const uint8_t *key, size_t klen, const uint8_t *msg, size_t mlen,
                uint8_t out[32])
{
    size_t n = 0;
    if (EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, key, klen, msg, mlen, out, 32, &n) ==
        NULL)
        return -1;
    return n == 32 ? 0 : -1;
}

int transcript_hash(const uint8_t *user, size_t ulen, const uint8_t a[GROUP_BYTES],
                    const uint8_t b[GROUP_BYTES], uint8_t th[32])
{
    static const char label[] = "sft-eke/1 transcript";
    size_t lenfield = ulen;
    if (FAULTY(F_I26_TRANSCRIPT_CODEPOINTS)) { /* "the length of the name": its characters */
        lenfield = 0;
        for (size_t i = 0; i < ulen; i++)
            if ((user[i] & 0xC0) != 0x80)
                lenfield++;
    }
    uint8_t len2[2] = {(uint8_t)(lenfield >> 8), (uint8_t)lenfield};
    unsigned int n = 0;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    if (md == NULL)
        return -1;
    int ok = EVP_DigestInit_ex(md, EVP_sha256(), NULL) &&
             EVP_DigestUpdate(md, label, sizeof label - 1) && EVP_DigestUpdate(md, len2, 2) &&
             EVP_DigestUpdate(md, user, ulen) && EVP_DigestUpdate(md, a, GROUP_BYTES) &&
             EVP_DigestUpdate(md, b, GROUP_BYTES) && EVP_DigestFinal_ex(md, th, &n);
    EVP_MD_CTX_free(md);
    return ok && n == 32 ? 0 : -1;
}

static int hkdf_op(int mode, const uint8_t *key, size_t klen, const uint8_t *salt,
                   size_t slen, const char *info, uint8_t *out, size_t outlen)
{
    EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
    EVP_KDF_CTX *kctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
    OSSL_PARAM params[6], *p = params;
    int ok = 0;
    if (kctx == NULL)
        goto done;
    *p++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0);
    *p++ = OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode);
    *p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)key, klen);
    if (salt != NULL)
        *p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)salt, slen);
    if (info != NULL)
        *p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)info,
                                                 strlen(info));
    *p = OSSL_PARAM_construct_end();
    ok = EVP_KDF_derive(kctx, out, outlen, params) == 1;
done:
    EVP_KDF_CTX_free(kctx);
    EVP_KDF_free(kdf);
    return ok ? 0 : -1;
}

int key_schedule(const uint8_t z[GROUP_BYTES], const uint8_t th[32], struct eke_keys *k,
                 uint8_t prk_out[32])
{
    uint8_t prk[32];
    if (hkdf_op(EVP_KDF_HKDF_MODE_EXTRACT_ONLY, z, GROUP_BYTES, th, 32, NULL, prk, 32) != 0)
        return -1;
    int bad = hkdf_op(EVP_KDF_HKDF_MODE_EXPAND_ONLY, prk, 32, NULL, 0, "sft-eke/1 confirm s",
                      k->kcs, 32) ||
              hkdf_op(EVP_KDF_HKDF_MODE_EXPAND_ONLY, prk, 32, NULL, 0, "sft-eke/1 confirm c",
                      k->kcc, 32) ||
              hkdf_op(EVP_KDF_HKDF_MODE_EXPAND_ONLY, prk, 32, NULL, 0, "sft-eke/1 key c2s",
                      k->key_c2s, 32) ||
              hkdf_op(EVP_KDF_HKDF_MODE_EXPAND_ONLY, prk, 32, NULL, 0, "sft-eke/1 iv c2s",
                      k->iv_c2s, 12) ||
              hkdf_op(EVP_KDF_HKDF_MODE_EXPAND_ONLY, prk, 32, NULL, 0, "sft-eke/1 key s2c",
                      k->key_s2c, 32) ||
              hkdf_op(EVP_KDF_HKDF_MODE_EXPAND_ONLY, prk, 32, NULL, 0, "sft-eke/1 iv s2c",
                      k->iv_s2c, 12);
    if (prk_out != NULL)
        memcpy(prk_out, prk, 32);
    OPENSSL_cleanse(prk, sizeof prk);
    return bad ? -1 : 0;
}

int gcm_seal(const uint8_t key[32], const uint8_t nonce[12], const uint8_t *pt, size_t ptlen,
             const uint8_t *ad, size_t adlen, uint8_t *out)
{
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int n = 0, ok = 0;
    if (c == NULL)
        return -1;
    if (ptlen > INT32_MAX || adlen > INT32_MAX)
        goto done;
    if (!EVP_EncryptInit_ex(c, EVP_aes_256_gcm(), NULL, key, nonce))
        goto done;
    if (adlen > 0 && !EVP_EncryptUpdate(c, NULL, &n, ad, (int)adlen))
        goto done;
    if (ptlen > 0 && !EVP_EncryptUpdate(c, out, &n, pt, (int)ptlen))
        goto done;
    if (!EVP_EncryptFinal_ex(c, out + n, &n))
        goto done;
    if (!EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, TAG_BYTES, out + ptlen))
        goto done;
    ok = 1;
done:
    EVP_CIPHER_CTX_free(c);
    return ok ? 0 : -1;
}

/* returns 0 authentic, -1 not */
/* F_I14_*_TAG_UNCHECKED: the decryption without its tag check (the planted faults) */
static int gcm_open_tag(const uint8_t key[32], const uint8_t nonce[12], const uint8_t *ct,
                        size_t ctlen, const uint8_t *ad, size_t adlen, uint8_t *out, int check);

int gcm_open_unchecked(const uint8_t key[32], const uint8_t nonce[12], const uint8_t *ct,
                       size_t ctlen, const uint8_t *ad, size_t adlen, uint8_t *out)
{
    return gcm_open_tag(key, nonce, ct, ctlen, ad, adlen, out, 0);
}

int gcm_open(const uint8_t key[32], const uint8_t nonce[12], const uint8_t *ct, size_t ctlen,
             const uint8_t *ad, size_t adlen, uint8_t *out)
{
    return gcm_open_tag(key, nonce, ct, ctlen, ad, adlen, out, 1);
}

static int gcm_open_tag(const uint8_t key[32], const uint8_t nonce[12], const uint8_t *ct,
                        size_t ctlen, const uint8_t *ad, size_t adlen, uint8_t *out, int check)
{
    EVP_CIPHER_CTX *c;
    int n = 0, ok = 0;
    if (ctlen < TAG_BYTES || ctlen - TAG_BYTES > INT32_MAX || adlen > INT32_MAX)
        return -1;
    size_t ptlen = ctlen - TAG_BYTES;
    c = EVP_CIPHER_CTX_new();
    if (c == NULL)
        return -1;
    if (!EVP_DecryptInit_ex(c, EVP_aes_256_gcm(), NULL, key, nonce))
        goto done;
    if (adlen > 0 && !EVP_DecryptUpdate(c, NULL, &n, ad, (int)adlen))
        goto done;
    if (ptlen > 0 && !EVP_DecryptUpdate(c, out, &n, ct, (int)ptlen))
        goto done;
    if (!EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, TAG_BYTES, (void *)(ct + ptlen)))
        goto done;
    if (EVP_DecryptFinal_ex(c, out + n, &n) != 1 && !FAULTY(F_GCM_FINAL_UNCHECKED) && check)
        goto done;
    ok = 1;
done:
    EVP_CIPHER_CTX_free(c);
    if (!ok && ptlen > 0)
        OPENSSL_cleanse(out, ptlen); /* nothing of an unauthentic record is delivered */
    return ok ? 0 : -1;
}

void hex_encode(const uint8_t *in, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * n] = '\0';
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (FAULTY(F_HEX_ISXDIGIT) && c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1; /* upper case is refused: FRM-12 asks lowercase */
}

int hex_decode_exact(const char *in, size_t inlen, uint8_t *out, size_t outlen)
{
    if (FAULTY(F_HEX_HALVED) ? inlen / 2 != outlen : inlen != 2 * outlen)
        return -1;
    for (size_t i = 0; i < outlen; i++) {
        int hi = hexval(in[2 * i]), lo = hexval(in[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return -1;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return 0;
}
