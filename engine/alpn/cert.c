/* alpn/cert — building the RFC 8737 challenge certificate. */
#include "alpn/cert.h"

#include "base/log.h"
#include "ident/ip.h"

#include <openssl/asn1.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>
#include <string.h>

/* Logs the first OpenSSL error with what we were doing, and clears the queue. */
static void alpn_cert_fail(const char *what)
{
    unsigned long e = ERR_peek_error();
    char buf[256] = "no OpenSSL error";
    if (e)
        ERR_error_string_n(e, buf, sizeof buf);
    log_error("challenge certificate: %s failed: %s", what, buf);
    ERR_clear_error();
}

/* Gives x a random positive 127-bit serial, so two certificates never share one. */
static int alpn_cert_serial(X509 *x)
{
    unsigned char raw[16];
    if (RAND_bytes(raw, sizeof raw) != 1)
        return 0;
    raw[0] &= 0x7f; /* positive, and at most 16 bytes once DER-encoded */
    BIGNUM *bn = BN_bin2bn(raw, sizeof raw, NULL);
    int ok = bn && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) != NULL;
    BN_free(bn);
    return ok;
}

/* Sets a fixed subject and issuer: the names that matter are in the SAN, and a CN holds only 64 characters. */
static int alpn_cert_names(X509 *x)
{
    X509_NAME *n = X509_NAME_new();
    int ok = n &&
             X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)"certmill TLS-ALPN-01 challenge",
                                        -1, -1, 0) == 1 &&
             X509_set_subject_name(x, n) == 1 && X509_set_issuer_name(x, n) == 1;
    X509_NAME_free(n);
    return ok;
}

/*
 * Adds subjectAltName with exactly one name (RFC 8737 §3: the only identifier): a
 * dNSName, or for an address in canonical text an iPAddress (RFC 8738 §6).
 */
static int alpn_cert_san(X509 *x, const char *name)
{
    GENERAL_NAMES *gens = sk_GENERAL_NAME_new_null();
    GENERAL_NAME *gen = GENERAL_NAME_new();
    ASN1_STRING *value = NULL;
    struct ip_addr ip;
    int ok = 0;
    if (!gens || !gen)
        goto out;
    if (ip_is_canonical(name) && ip_normalize(name, strlen(name), &ip) == IP_OK) {
        value = ASN1_OCTET_STRING_new();
        if (!value || ASN1_OCTET_STRING_set(value, ip.bytes, ip.version == 4 ? 4 : 16) != 1)
            goto out;
        GENERAL_NAME_set0_value(gen, GEN_IPADD, value);
    } else {
        value = ASN1_IA5STRING_new();
        if (!value || ASN1_STRING_set(value, name, (int)strlen(name)) != 1)
            goto out;
        GENERAL_NAME_set0_value(gen, GEN_DNS, value);
    }
    value = NULL;
    if (!sk_GENERAL_NAME_push(gens, gen))
        goto out;
    gen = NULL;
    /* Not critical: the subject is not empty (RFC 5280 §4.2.1.6). */
    ok = X509_add1_ext_i2d(x, NID_subject_alt_name, gens, 0, X509V3_ADD_DEFAULT) == 1;
out:
    ASN1_STRING_free(value);
    GENERAL_NAME_free(gen);
    GENERAL_NAMES_free(gens);
    return ok;
}

/* Adds the critical acmeIdentifier extension: extnValue = DER OCTET STRING of SHA-256(key_authorization). */
static int alpn_cert_acme_identifier(X509 *x, const char *key_authorization)
{
    unsigned char digest[32];
    unsigned int dlen = 0;
    unsigned char *der = NULL;
    ASN1_OCTET_STRING *inner = NULL, *value = NULL;
    ASN1_OBJECT *oid = NULL;
    X509_EXTENSION *ext = NULL;
    int ok = 0;
    if (EVP_Digest(key_authorization, strlen(key_authorization), digest, &dlen, EVP_sha256(), NULL) != 1 ||
        dlen != sizeof digest)
        goto out;
    /* The extension's value is itself an OCTET STRING (RFC 8737 §3: Authorization ::= OCTET STRING (SIZE (32))). */
    inner = ASN1_OCTET_STRING_new();
    if (!inner || ASN1_OCTET_STRING_set(inner, digest, (int)dlen) != 1)
        goto out;
    int derlen = i2d_ASN1_OCTET_STRING(inner, &der);
    value = ASN1_OCTET_STRING_new();
    if (derlen <= 0 || !value || ASN1_OCTET_STRING_set(value, der, derlen) != 1)
        goto out;
    /*
     * OBJ_txt2obj, not OBJ_create: the object stands alone, so the function stays pure
     * and thread-safe and does not add to (or fail on) OpenSSL's process-wide OID table.
     */
    oid = OBJ_txt2obj(ALPN_ACME_IDENTIFIER_OID, 1);
    if (!oid)
        goto out;
    ext = X509_EXTENSION_create_by_OBJ(NULL, oid, 1, value);
    ok = ext && X509_add_ext(x, ext, -1) == 1;
out:
    X509_EXTENSION_free(ext);
    ASN1_OBJECT_free(oid);
    ASN1_OCTET_STRING_free(value);
    OPENSSL_free(der);
    ASN1_OCTET_STRING_free(inner);
    return ok;
}

/* Builds and signs the challenge certificate for name and key_authorization. */
X509 *alpn_cert_build(const char *name, const char *key_authorization, EVP_PKEY *key)
{
    if (!name || !*name || strlen(name) > 253 || !key_authorization || !key) {
        log_error("challenge certificate: bad arguments");
        return NULL;
    }
    X509 *x = X509_new();
    const char *what = "X509_new";
    if (!x)
        goto fail;
    what = "version/serial";
    if (X509_set_version(x, X509_VERSION_3) != 1 || !alpn_cert_serial(x))
        goto fail;
    what = "validity";
    if (!X509_gmtime_adj(X509_getm_notBefore(x), -ALPN_CERT_BACKDATE_S) ||
        !X509_gmtime_adj(X509_getm_notAfter(x), ALPN_CERT_LIFETIME_S))
        goto fail;
    what = "names";
    if (!alpn_cert_names(x) || X509_set_pubkey(x, key) != 1)
        goto fail;
    what = "subjectAltName";
    if (!alpn_cert_san(x, name))
        goto fail;
    what = "acmeIdentifier";
    if (!alpn_cert_acme_identifier(x, key_authorization))
        goto fail;
    what = "signing";
    /* Ed25519/Ed448 sign without a separate digest; every other key with SHA-256. */
    const EVP_MD *md = EVP_PKEY_is_a(key, "ED25519") || EVP_PKEY_is_a(key, "ED448") ? NULL : EVP_sha256();
    if (X509_sign(x, key, md) <= 0)
        goto fail;
    return x;
fail:
    alpn_cert_fail(what);
    X509_free(x);
    return NULL;
}
