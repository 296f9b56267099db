/* test_chain_choice — alternate chains: Link rel="alternate" parsing and the root a chain ends at, on chains made here. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "acme/internal.h"
#include "crypto/key.h"

#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <string.h>

/* Two roots, A and B; one intermediate key and name certified by both (a cross-sign); one leaf. */
struct chains {
    EVP_PKEY *root_a_key, *root_b_key, *int_key, *leaf_key;
    X509 *root_a, *root_b, *int_a, *int_b, *leaf;
    char *chain_a; /* leaf, intA (issued by "Root A") */
    char *chain_b; /* leaf, intB (issued by "Root B") */
};

static struct chains g;

/* Signs a certificate named cn for pub with signer, issued by issuer_name (NULL: self-signed). */
static X509 *make_cert(EVP_PKEY *pub, EVP_PKEY *signer, const X509_NAME *issuer_name, const char *cn, long serial,
                       bool ca)
{
    X509 *x = X509_new();
    assert_int_equal(X509_set_version(x, X509_VERSION_3), 1);
    assert_int_equal(ASN1_INTEGER_set(X509_get_serialNumber(x), serial), 1);
    assert_non_null(X509_gmtime_adj(X509_getm_notBefore(x), -3600));
    assert_non_null(X509_gmtime_adj(X509_getm_notAfter(x), 86400));
    X509_NAME *name = X509_get_subject_name(x);
    assert_int_equal(X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, (const unsigned char *)"certmill test", -1, -1, 0), 1);
    assert_int_equal(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0), 1);
    assert_int_equal(X509_set_issuer_name(x, issuer_name ? issuer_name : name), 1);
    assert_int_equal(X509_set_pubkey(x, pub), 1);
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, NULL, x, NULL, NULL, 0);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_basic_constraints, ca ? "critical,CA:TRUE" : "critical,CA:FALSE");
    assert_non_null(ext);
    assert_int_equal(X509_add_ext(x, ext, -1), 1);
    X509_EXTENSION_free(ext);
    if (!ca) {
        ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_subject_alt_name, "DNS:leaf.example.test");
        assert_non_null(ext);
        assert_int_equal(X509_add_ext(x, ext, -1), 1);
        X509_EXTENSION_free(ext);
    }
    assert_true(X509_sign(x, signer, EVP_sha256()) > 0);
    return x;
}

/* PEM text of the certificates, in order (caller frees). */
static char *pem_of(X509 *const *xs, size_t n)
{
    BIO *b = BIO_new(BIO_s_mem());
    for (size_t i = 0; i < n; i++)
        assert_int_equal(PEM_write_bio_X509(b, xs[i]), 1);
    char *data = NULL;
    long len = BIO_get_mem_data(b, &data);
    char *out = strndup(data, (size_t)len);
    BIO_free(b);
    return out;
}

static int chains_setup(void **state)
{
    (void)state;
    g.root_a_key = key_generate(KEY_EC_P256);
    g.root_b_key = key_generate(KEY_EC_P256);
    g.int_key = key_generate(KEY_EC_P256);
    g.leaf_key = key_generate(KEY_EC_P256);
    g.root_a = make_cert(g.root_a_key, g.root_a_key, NULL, "Root A", 1, true);
    g.root_b = make_cert(g.root_b_key, g.root_b_key, NULL, "Root B", 2, true);
    g.int_a = make_cert(g.int_key, g.root_a_key, X509_get_subject_name(g.root_a), "Test Intermediate", 3, true);
    g.int_b = make_cert(g.int_key, g.root_b_key, X509_get_subject_name(g.root_b), "Test Intermediate", 4, true);
    g.leaf = make_cert(g.leaf_key, g.int_key, X509_get_subject_name(g.int_a), "leaf.example.test", 5, false);
    X509 *a[] = { g.leaf, g.int_a }, *b[] = { g.leaf, g.int_b };
    g.chain_a = pem_of(a, 2);
    g.chain_b = pem_of(b, 2);
    return 0;
}

static int chains_teardown(void **state)
{
    (void)state;
    X509 *xs[] = { g.root_a, g.root_b, g.int_a, g.int_b, g.leaf };
    for (size_t i = 0; i < sizeof xs / sizeof xs[0]; i++)
        X509_free(xs[i]);
    EVP_PKEY_free(g.root_a_key);
    EVP_PKEY_free(g.root_b_key);
    EVP_PKEY_free(g.int_key);
    EVP_PKEY_free(g.leaf_key);
    free(g.chain_a);
    free(g.chain_b);
    return 0;
}

/* True when the PEM chain (leaf first) verifies up to root alone. */
static bool verifies_to(const char *pem, X509 *root)
{
    BIO *bio = BIO_new_mem_buf(pem, -1);
    X509 *leaf = PEM_read_bio_X509(bio, NULL, NULL, NULL);
    STACK_OF(X509) *untrusted = sk_X509_new_null();
    X509 *x;
    while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)))
        sk_X509_push(untrusted, x);
    BIO_free(bio);
    X509_STORE *store = X509_STORE_new();
    X509_STORE_add_cert(store, root);
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    assert_int_equal(X509_STORE_CTX_init(ctx, store, leaf, untrusted), 1);
    bool ok = X509_verify_cert(ctx) == 1;
    X509_STORE_CTX_free(ctx);
    X509_STORE_free(store);
    sk_X509_pop_free(untrusted, X509_free);
    X509_free(leaf);
    return ok;
}

/* The chains made here are what the test says they are: each verifies against its own root only. */
static void test_chains_verify(void **state)
{
    (void)state;
    assert_true(verifies_to(g.chain_a, g.root_a));
    assert_false(verifies_to(g.chain_a, g.root_b));
    assert_true(verifies_to(g.chain_b, g.root_b));
    assert_false(verifies_to(g.chain_b, g.root_a));
}

/* The top issuer is the issuer of the last certificate: the root the chain ends at. */
static void test_top_issuer(void **state)
{
    (void)state;
    char cn[64];
    assert_true(acme_chain_top_issuer(g.chain_a, cn, sizeof cn));
    assert_string_equal(cn, "Root A");
    assert_true(acme_chain_top_issuer(g.chain_b, cn, sizeof cn));
    assert_string_equal(cn, "Root B");
    /* A chain of the leaf alone ends at the intermediate. */
    X509 *one[] = { g.leaf };
    char *leaf_only = pem_of(one, 1);
    assert_true(acme_chain_top_issuer(leaf_only, cn, sizeof cn));
    assert_string_equal(cn, "Test Intermediate");
    /* Too small a buffer is a refusal, not a cut name. */
    assert_false(acme_chain_top_issuer(g.chain_a, cn, 6));
    assert_string_equal(cn, "");
    free(leaf_only);
    /* Not a chain. */
    assert_false(acme_chain_top_issuer("", cn, sizeof cn));
    assert_false(acme_chain_top_issuer(NULL, cn, sizeof cn));
    assert_false(acme_chain_top_issuer("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", cn, sizeof cn));
    assert_false(acme_chain_top_issuer(g.chain_a, NULL, 0));
}

/* The preferred chain is chosen by exact, case-sensitive match of the top issuer, or of the top's own name. */
static void test_matches(void **state)
{
    (void)state;
    assert_true(acme_chain_matches(g.chain_a, "Root A"));
    assert_false(acme_chain_matches(g.chain_a, "Root B"));
    assert_true(acme_chain_matches(g.chain_b, "Root B"));
    assert_false(acme_chain_matches(g.chain_b, "root b"));
    assert_false(acme_chain_matches(g.chain_b, "Root"));
    assert_false(acme_chain_matches(g.chain_b, "Root B "));
    assert_false(acme_chain_matches(g.chain_b, ""));
    assert_false(acme_chain_matches(g.chain_b, NULL));
    /* A chain that includes its root matches on the root's own subject too. */
    X509 *full[] = { g.leaf, g.int_b, g.root_b };
    char *with_root = pem_of(full, 3);
    assert_true(acme_chain_matches(with_root, "Root B"));
    assert_false(acme_chain_matches(with_root, "Root A"));
    free(with_root);
    /* Choosing among the offered chains as the client does: the first that matches. */
    const char *offered[] = { g.chain_a, g.chain_b };
    const char *chosen = NULL;
    for (size_t i = 0; i < 2 && !chosen; i++)
        if (acme_chain_matches(offered[i], "Root B"))
            chosen = offered[i];
    assert_ptr_equal(chosen, g.chain_b);
    assert_true(verifies_to(chosen, g.root_b));
}

/* Link headers: every rel="alternate" URL, in order, however the CA spells the header. */
static void test_link_alternates(void **state)
{
    (void)state;
    char *links[] = {
        (char *)"<https://ca.test/dir>;rel=\"index\"",
        (char *)"<https://ca.test/cert/1/alt/1>;rel=\"alternate\"",
        (char *)"<https://ca.test/cert/1/alt/2> ; rel=alternate, <https://ca.test/up>;rel=\"up\"",
        (char *)"<https://ca.test/cert/1/alt/3>; title=\"a;b,c\"; rel=\"Alternate other\"",
        (char *)"<relative/alt>;rel=\"alternate\"",
        (char *)"<file:///etc/passwd>;rel=\"alternate\"",
        (char *)"garbage <https://ca.test/x>;rel=\"alternate\"",
        (char *)"<https://ca.test/cert/1/alt/4>;rel=\"alternate",
        (char *)"<https://ca.test/cert/1/alt/5>;rel=\"alternate\"",
    };
    char *out[8];
    size_t n = acme_link_alternates(links, sizeof links / sizeof links[0], out, 8);
    assert_int_equal(n, 4);
    assert_string_equal(out[0], "https://ca.test/cert/1/alt/1");
    assert_string_equal(out[1], "https://ca.test/cert/1/alt/2");
    assert_string_equal(out[2], "https://ca.test/cert/1/alt/3");
    assert_string_equal(out[3], "https://ca.test/cert/1/alt/5");
    for (size_t i = 0; i < n; i++)
        free(out[i]);
    /* The cap holds. */
    n = acme_link_alternates(links, sizeof links / sizeof links[0], out, 2);
    assert_int_equal(n, 2);
    for (size_t i = 0; i < n; i++)
        free(out[i]);
    assert_int_equal(acme_link_alternates(links, 0, out, 8), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_chains_verify),
        cmocka_unit_test(test_top_issuer),
        cmocka_unit_test(test_matches),
        cmocka_unit_test(test_link_alternates),
    };
    return cmocka_run_group_tests(tests, chains_setup, chains_teardown);
}
