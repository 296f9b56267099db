/* bundle — DER, PKCS#7 and PKCS#12 forms of an issued certificate. */
#include "crypto/bundle.h"

#include "base/xalloc.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/pkcs7.h>
#include <openssl/x509.h>
#include <string.h>

#define BUNDLE_MAX_CERTS 10 /* certificates in one chain; real chains have 2-4 */

/* Reads every certificate of a PEM text, in order; NULL when there is none or too many. */
static STACK_OF(X509) *bundle_read_certs(const char *pem)
{
    BIO *bio = BIO_new_mem_buf(pem, -1);
    STACK_OF(X509) *sk = sk_X509_new_null();
    X509 *x;
    if (!bio || !sk)
        goto fail;
    while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
        if (sk_X509_num(sk) >= BUNDLE_MAX_CERTS || !sk_X509_push(sk, x)) {
            X509_free(x);
            goto fail;
        }
    }
    /* The loop ends with "no start line" at the end of the text: not an error. */
    ERR_clear_error();
    BIO_free(bio);
    if (sk_X509_num(sk) == 0) {
        sk_X509_free(sk);
        return NULL;
    }
    return sk;
fail:
    BIO_free(bio);
    sk_X509_pop_free(sk, X509_free);
    return NULL;
}

/* Copies an i2d_* encoding into a malloc'd buffer. */
static bool bundle_take(unsigned char *p, int n, unsigned char **der, size_t *len)
{
    if (n <= 0 || !p)
        return false;
    *der = xmalloc((size_t)n);
    memcpy(*der, p, (size_t)n);
    *len = (size_t)n;
    return true;
}

/* Encodes the leaf as DER. */
bool bundle_leaf_der(const char *pem, unsigned char **der, size_t *len)
{
    STACK_OF(X509) *sk = bundle_read_certs(pem);
    unsigned char *p = NULL;
    bool ok = false;
    *der = NULL;
    *len = 0;
    if (sk) {
        int n = i2d_X509(sk_X509_value(sk, 0), &p);
        ok = bundle_take(p, n, der, len);
    }
    OPENSSL_free(p);
    sk_X509_pop_free(sk, X509_free);
    return ok;
}

/* Builds a certs-only SignedData (RFC 2315 §9.1 degenerate case) by hand: PKCS7_sign needs a signer. */
bool bundle_p7b_der(const char *pem, unsigned char **der, size_t *len)
{
    STACK_OF(X509) *sk = bundle_read_certs(pem);
    PKCS7 *p7 = PKCS7_new();
    unsigned char *p = NULL;
    bool ok = false;
    *der = NULL;
    *len = 0;
    if (!sk || !p7 || !PKCS7_set_type(p7, NID_pkcs7_signed) || !PKCS7_content_new(p7, NID_pkcs7_data))
        goto out;
    for (int i = 0; i < sk_X509_num(sk); i++)
        if (!PKCS7_add_certificate(p7, sk_X509_value(sk, i)))
            goto out;
    ok = bundle_take(p, i2d_PKCS7(p7, &p), der, len);
out:
    OPENSSL_free(p);
    PKCS7_free(p7);
    sk_X509_pop_free(sk, X509_free);
    ERR_clear_error();
    return ok;
}

/* Makes the PKCS#12: PKCS12_create_ex without a MAC, then the MAC with the chosen digest. */
bool bundle_pkcs12_der(const char *key_pem, size_t key_len, const char *fullchain_pem, const char *password,
                       bool legacy, unsigned char **der, size_t *len)
{
    BIO *kb = BIO_new_mem_buf(key_pem, (int)key_len);
    EVP_PKEY *key = kb ? PEM_read_bio_PrivateKey(kb, NULL, NULL, NULL) : NULL;
    STACK_OF(X509) *sk = bundle_read_certs(fullchain_pem);
    STACK_OF(X509) *ca = NULL;
    X509 *leaf = NULL;
    PKCS12 *p12 = NULL;
    unsigned char *p = NULL;
    int n = 0;
    bool ok = false;
    *der = NULL;
    *len = 0;
    if (!key || !sk)
        goto out;
    leaf = sk_X509_shift(sk);
    ca = sk;
    sk = NULL;
    if (X509_check_private_key(leaf, key) != 1)
        goto out;
    int nid = legacy ? NID_pbe_WithSHA1And3_Key_TripleDES_CBC : NID_aes_256_cbc;
    /* mac_iter -1: no MAC yet, so the digest below is ours and not the library's default. */
    p12 = PKCS12_create_ex(password, NULL, key, leaf, ca, nid, nid, BUNDLE_PKCS12_ITER, -1, 0, NULL, NULL);
    if (!p12 || !PKCS12_set_mac(p12, password, -1, NULL, 0, BUNDLE_PKCS12_ITER, legacy ? EVP_sha1() : EVP_sha256()))
        goto out;
    n = i2d_PKCS12(p12, &p);
    ok = bundle_take(p, n, der, len);
out:
    if (p)
        OPENSSL_clear_free(p, n > 0 ? (size_t)n : 0);
    PKCS12_free(p12);
    X509_free(leaf);
    sk_X509_pop_free(ca, X509_free);
    sk_X509_pop_free(sk, X509_free);
    EVP_PKEY_free(key);
    BIO_free(kb);
    ERR_clear_error();
    return ok;
}
