/* dns/tsig — TSIG keys (BIND key files, settings) and signing/verifying messages (RFC 8945). */
#include "dns/internal.h"

#include "base/xalloc.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define TSIG_FUDGE 300            /* seconds of clock skew allowed, as RFC 8945 recommends */
#define TSIG_MAX_SECRET 1024      /* base64 characters of a secret */
#define TSIG_MAX_FILE (64 * 1024) /* bytes of a key file */

/* The algorithms certmill accepts. ldns 1.8.3 knows md5/sha1/sha256/sha512 only (its sha384 entry is
 * misspelt "hmac-shac384." and sha224 is missing), so those two go through dns_tsig_sign_own. */
static const struct tsig_alg {
    const char *name;  /* as configured */
    const char *dname; /* as it appears in TSIG records */
    bool by_ldns;
    const EVP_MD *(*md)(void);
} tsig_algs[] = {
    { "hmac-sha256", "hmac-sha256.", true, EVP_sha256 },
    { "hmac-sha384", "hmac-sha384.", false, EVP_sha384 },
    { "hmac-sha512", "hmac-sha512.", true, EVP_sha512 },
    { "hmac-sha224", "hmac-sha224.", false, EVP_sha224 },
    { "hmac-sha1", "hmac-sha1.", true, EVP_sha1 },
    { "hmac-md5", "hmac-md5.sig-alg.reg.int.", true, EVP_md5 },
};

/* The table entry for an algorithm name (case-insensitive, trailing dot and md5's long name allowed). */
static const struct tsig_alg *tsig_alg_find(const char *name)
{
    if (!name)
        return NULL;
    size_t n = strlen(name);
    if (n && name[n - 1] == '.')
        n--;
    for (size_t i = 0; i < sizeof tsig_algs / sizeof tsig_algs[0]; i++) {
        const struct tsig_alg *a = &tsig_algs[i];
        size_t dn = strlen(a->dname) - 1;
        if ((strlen(a->name) == n && strncasecmp(name, a->name, n) == 0) ||
            (dn == n && strncasecmp(name, a->dname, n) == 0))
            return a;
    }
    return NULL;
}

/* The algorithm's domain name; see internal.h. */
const char *dns_tsig_alg_dname(const char *algorithm)
{
    const struct tsig_alg *a = tsig_alg_find(algorithm);
    return a ? a->dname : NULL;
}

/* Whether ldns signs with it; see internal.h. */
bool dns_tsig_ldns_knows(const char *algorithm)
{
    const struct tsig_alg *a = tsig_alg_find(algorithm);
    return a && a->by_ldns;
}

/* ------------------------------------------------------------------ keys */

/* Decodes strict base64 (RFC 4648 §4, padded); NULL for anything else. */
static unsigned char *tsig_b64_decode(const char *s, size_t *outlen)
{
    size_t n = strlen(s), pad = 0;
    if (n == 0 || n % 4 != 0 || n > TSIG_MAX_SECRET)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '=') {
            /* Padding only at the end, at most two. */
            if (i < n - 2 || (i == n - 2 && s[n - 1] != '='))
                return NULL;
            pad++;
        } else if (!isalnum(c) && c != '+' && c != '/') {
            return NULL;
        }
    }
    unsigned char *out = xmalloc(n / 4 * 3 + 1);
    int r = EVP_DecodeBlock(out, (const unsigned char *)s, (int)n);
    if (r < 0 || (size_t)r < pad || (size_t)r - pad == 0) {
        free(out);
        return NULL;
    }
    *outlen = (size_t)r - pad;
    return out;
}

/* Makes a key; see dns.h. */
bool dns_tsig_from(const char *name, const char *algorithm, const char *secret_b64, struct dns_tsig **key,
                   char *err, size_t errlen)
{
    char why[160];
    char *secret = NULL;
    ldns_rdf *dn = NULL;
    bool ok = false;
    *key = NULL;
    dns_err(err, errlen, "%s", "");
    if (!(dn = dns_name_parse(name, why, sizeof why))) {
        dns_err(err, errlen, "TSIG key name: %s", why);
        goto done;
    }
    const struct tsig_alg *alg = tsig_alg_find(algorithm && *algorithm ? algorithm : "hmac-sha256");
    if (!alg) {
        dns_err(err, errlen, "TSIG key %s: unknown algorithm (use hmac-sha256, hmac-sha384, hmac-sha512, "
                             "hmac-sha224, hmac-sha1 or hmac-md5)", name);
        goto done;
    }
    if (!secret_b64 || !*secret_b64) {
        dns_err(err, errlen, "TSIG key %s has no secret", name);
        goto done;
    }
    size_t len = strlen(secret_b64);
    if (len > TSIG_MAX_SECRET * 2) {
        dns_err(err, errlen, "TSIG key %s: secret too long", name);
        goto done;
    }
    /* BIND allows whitespace inside the base64; the copy we keep has none. */
    secret = xmalloc(len + 1);
    size_t k = 0;
    for (size_t i = 0; i < len; i++)
        if (!isspace((unsigned char)secret_b64[i]))
            secret[k++] = secret_b64[i];
    secret[k] = '\0';
    size_t raw_len = 0;
    unsigned char *raw = tsig_b64_decode(secret, &raw_len);
    if (!raw) {
        dns_err(err, errlen, "TSIG key %s: secret is not base64", name);
        goto done;
    }
    xfree_secret(raw, raw_len);
    struct dns_tsig *t = xcalloc(1, sizeof *t);
    t->name = dns_name_text(dn);
    t->algorithm = xstrdup(alg->name);
    t->secret = secret;
    secret = NULL;
    *key = t;
    ok = true;
done:
    if (secret)
        xfree_secret(secret, strlen(secret));
    ldns_rdf_deep_free(dn);
    return ok;
}

/* Frees a key, wiping the secret. */
void dns_tsig_free(struct dns_tsig *key)
{
    if (!key)
        return;
    free(key->name);
    free(key->algorithm);
    if (key->secret)
        xfree_secret(key->secret, strlen(key->secret));
    free(key);
}

/* ------------------------------------------------------------------ BIND key file syntax */

enum tok_kind { TOK_END = 0, TOK_WORD, TOK_STRING, TOK_LBRACE, TOK_RBRACE, TOK_SEMI, TOK_ERROR };

/* A tokenizer of named.conf syntax: words, "strings", { } ; and # // C-style comments. */
struct lexer {
    const char *p;
    int line;
    const char *why; /* what went wrong when lex_next returned TOK_ERROR */
    char text[TSIG_MAX_SECRET * 2 + 1]; /* the current word or string */
};

/* Skips blanks and comments; false on an unterminated comment. */
static bool lex_skip(struct lexer *lx)
{
    for (;;) {
        while (isspace((unsigned char)*lx->p)) {
            if (*lx->p == '\n')
                lx->line++;
            lx->p++;
        }
        if (*lx->p == '#' || (lx->p[0] == '/' && lx->p[1] == '/')) {
            while (*lx->p && *lx->p != '\n')
                lx->p++;
        } else if (lx->p[0] == '/' && lx->p[1] == '*') {
            const char *end = strstr(lx->p + 2, "*/");
            if (!end) {
                lx->why = "unterminated comment";
                return false;
            }
            for (; lx->p < end; lx->p++)
                if (*lx->p == '\n')
                    lx->line++;
            lx->p = end + 2;
        } else {
            return true;
        }
    }
}

/* The next token; its text is in lx->text. */
static enum tok_kind lex_next(struct lexer *lx)
{
    lx->text[0] = '\0';
    if (!lex_skip(lx))
        return TOK_ERROR;
    char c = *lx->p;
    if (!c)
        return TOK_END;
    if (c == '{' || c == '}' || c == ';') {
        lx->p++;
        return c == '{' ? TOK_LBRACE : c == '}' ? TOK_RBRACE : TOK_SEMI;
    }
    size_t n = 0;
    if (c == '"') {
        lx->p++;
        while (*lx->p && *lx->p != '"') {
            if (*lx->p == '\\' && lx->p[1])
                lx->p++;
            if (*lx->p == '\n')
                lx->line++;
            if (n + 1 >= sizeof lx->text) {
                lx->why = "string too long";
                return TOK_ERROR;
            }
            lx->text[n++] = *lx->p++;
        }
        if (*lx->p != '"') {
            lx->why = "unterminated string";
            return TOK_ERROR;
        }
        lx->p++;
        lx->text[n] = '\0';
        return TOK_STRING;
    }
    while (*lx->p && !isspace((unsigned char)*lx->p) && !strchr("{};\"#", *lx->p) &&
           !(lx->p[0] == '/' && (lx->p[1] == '/' || lx->p[1] == '*'))) {
        if (n + 1 >= sizeof lx->text) {
            lx->why = "word too long";
            return TOK_ERROR;
        }
        lx->text[n++] = *lx->p++;
    }
    lx->text[n] = '\0';
    return TOK_WORD;
}

/* Skips the rest of a statement we do not read (balanced braces, up to its ';'). */
static bool lex_skip_statement(struct lexer *lx)
{
    int depth = 0;
    for (;;) {
        enum tok_kind k = lex_next(lx);
        if (k == TOK_END || k == TOK_ERROR)
            return false;
        if (k == TOK_LBRACE)
            depth++;
        else if (k == TOK_RBRACE && --depth < 0)
            return false;
        else if (k == TOK_SEMI && depth == 0)
            return true;
    }
}

/* Reads `{ algorithm A; secret "S"; };` after a key's name. */
static bool tsig_read_body(struct lexer *lx, const char *name, char **alg, char **secret, char *err, size_t errlen)
{
    if (lex_next(lx) != TOK_LBRACE) {
        dns_err(err, errlen, "line %d: '{' expected after key \"%s\"", lx->line, name);
        return false;
    }
    for (;;) {
        enum tok_kind k = lex_next(lx);
        if (k == TOK_RBRACE)
            break;
        if (k == TOK_ERROR) {
            dns_err(err, errlen, "line %d: %s in key \"%s\"", lx->line, lx->why, name);
            return false;
        }
        if (k != TOK_WORD) {
            dns_err(err, errlen, "line %d: unterminated key \"%s\"", lx->line, name);
            return false;
        }
        char **slot;
        if (strcasecmp(lx->text, "algorithm") == 0) {
            slot = alg;
        } else if (strcasecmp(lx->text, "secret") == 0) {
            slot = secret;
        } else {
            dns_err(err, errlen, "line %d: unknown clause in key \"%s\" (algorithm and secret only)", lx->line,
                    name);
            return false;
        }
        const char *what = slot == alg ? "algorithm" : "secret";
        if (*slot) {
            dns_err(err, errlen, "line %d: key \"%s\" has two %s clauses", lx->line, name, what);
            return false;
        }
        k = lex_next(lx);
        if (k == TOK_ERROR) {
            dns_err(err, errlen, "line %d: %s in key \"%s\"", lx->line, lx->why, name);
            return false;
        }
        if (k != TOK_WORD && k != TOK_STRING) {
            dns_err(err, errlen, "line %d: key \"%s\": %s without a value", lx->line, name, what);
            return false;
        }
        *slot = xstrdup(lx->text);
        if (lex_next(lx) != TOK_SEMI) {
            dns_err(err, errlen, "line %d: key \"%s\": ';' expected after %s", lx->line, name, what);
            return false;
        }
    }
    if (lex_next(lx) != TOK_SEMI) {
        dns_err(err, errlen, "line %d: ';' expected after key \"%s\"", lx->line, name);
        return false;
    }
    return true;
}

/* True when two key names are the same domain name (case, trailing dot). */
static bool tsig_name_eq(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la && a[la - 1] == '.')
        la--;
    if (lb && b[lb - 1] == '.')
        lb--;
    return la == lb && strncasecmp(a, b, la) == 0;
}

/* Reads a key from BIND key syntax; see dns.h. */
bool dns_tsig_parse(const char *text, const char *want, struct dns_tsig **key, char *err, size_t errlen)
{
    struct lexer *lx = xcalloc(1, sizeof *lx);
    char *alg = NULL, *secret = NULL, name[256] = "";
    bool ok = false, found = false;
    *key = NULL;
    dns_err(err, errlen, "%s", "");
    lx->p = text ? text : "";
    lx->line = 1;
    while (!found) {
        enum tok_kind k = lex_next(lx);
        if (k == TOK_END)
            break;
        if (k != TOK_WORD) {
            dns_err(err, errlen, "line %d: %s", lx->line, k == TOK_ERROR ? lx->why : "syntax error");
            goto done;
        }
        if (strcasecmp(lx->text, "key") != 0) {
            /* Other statements (a named.conf fragment) are none of our business. */
            if (!lex_skip_statement(lx)) {
                dns_err(err, errlen, "line %d: syntax error", lx->line);
                goto done;
            }
            continue;
        }
        k = lex_next(lx);
        if ((k != TOK_WORD && k != TOK_STRING) || !lx->text[0] || strlen(lx->text) >= sizeof name) {
            dns_err(err, errlen, "line %d: key name expected", lx->line);
            goto done;
        }
        memcpy(name, lx->text, strlen(lx->text) + 1); /* length checked above */
        free(alg);
        if (secret)
            xfree_secret(secret, strlen(secret));
        alg = secret = NULL;
        if (!tsig_read_body(lx, name, &alg, &secret, err, errlen))
            goto done;
        found = !want || tsig_name_eq(name, want);
    }
    if (!found) {
        if (want)
            dns_err(err, errlen, "no key \"%s\"", want);
        else
            dns_err(err, errlen, "no key statement");
        goto done;
    }
    if (!alg) {
        dns_err(err, errlen, "key \"%s\" has no algorithm", name);
        goto done;
    }
    if (!secret) {
        dns_err(err, errlen, "key \"%s\" has no secret", name);
        goto done;
    }
    ok = dns_tsig_from(name, alg, secret, key, err, errlen);
done:
    free(alg);
    if (secret)
        xfree_secret(secret, strlen(secret));
    /* The lexer's buffer may hold the secret. */
    xfree_secret(lx, sizeof *lx);
    return ok;
}

/* Reads a key file; see dns.h. */
bool dns_tsig_parse_keyfile(const char *path, const char *want, struct dns_tsig **key, char *err, size_t errlen)
{
    char *text = NULL;
    size_t n = 0;
    bool ok = false;
    char why[300];
    *key = NULL;
    int fd = path ? open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY) : -1;
    if (fd < 0) {
        dns_err(err, errlen, "%s: %s", path ? path : "(no key file)", path ? strerror(errno) : "not given");
        return false;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > TSIG_MAX_FILE) {
        dns_err(err, errlen, "%s: not a regular file of at most %d bytes", path, TSIG_MAX_FILE);
        goto done;
    }
    text = xmalloc(TSIG_MAX_FILE + 1);
    while (n < TSIG_MAX_FILE) {
        ssize_t r = read(fd, text + n, TSIG_MAX_FILE - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            dns_err(err, errlen, "%s: %s", path, strerror(errno));
            goto done;
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    text[n] = '\0';
    if (strlen(text) != n) {
        dns_err(err, errlen, "%s: NUL byte in a key file", path);
        goto done;
    }
    if (!(ok = dns_tsig_parse(text, want, key, why, sizeof why)))
        dns_err(err, errlen, "%s: %s", path, why);
done:
    if (text)
        xfree_secret(text, TSIG_MAX_FILE + 1);
    close(fd);
    return ok;
}

/* ------------------------------------------------------------------ signing and verifying */

/* The TSIG variables of RFC 8945 §4.3.3 after the message: key name and algorithm in canonical
 * form, class ANY, TTL 0, time, fudge, error, other data; written with ldns's buffer functions. */
static void tsig_write_vars(ldns_buffer *b, const ldns_rdf *keyname, const ldns_rdf *alg, const ldns_rdf *time_rdf,
                            const ldns_rdf *fudge, const ldns_rdf *error, const ldns_rdf *other)
{
    ldns_rdf *k = dns_must(ldns_rdf_clone(keyname)), *a = dns_must(ldns_rdf_clone(alg));
    ldns_dname2canonical(k);
    ldns_dname2canonical(a);
    ldns_rdf2buffer_wire(b, k);
    ldns_buffer_write_u16(b, LDNS_RR_CLASS_ANY);
    ldns_buffer_write_u32(b, 0);
    ldns_rdf2buffer_wire(b, a);
    ldns_rdf2buffer_wire(b, time_rdf);
    ldns_rdf2buffer_wire(b, fudge);
    ldns_rdf2buffer_wire(b, error);
    ldns_rdf2buffer_wire(b, other);
    ldns_rdf_deep_free(k);
    ldns_rdf_deep_free(a);
}

/* HMAC of the buffer's contents with the key; the MAC as an INT16_DATA rdf (length, bytes). */
static ldns_rdf *tsig_hmac(const struct tsig_alg *alg, const struct dns_tsig *key, ldns_buffer *b)
{
    size_t klen = 0;
    unsigned char *kbytes = tsig_b64_decode(key->secret, &klen);
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int maclen = 0;
    ldns_rdf *r = NULL;
    if (!kbytes)
        return NULL;
    if (HMAC(alg->md(), kbytes, (int)klen, ldns_buffer_begin(b), ldns_buffer_position(b), mac, &maclen))
        r = dns_must(ldns_native2rdf_int16_data(maclen, mac));
    xfree_secret(kbytes, klen);
    return r;
}

/* Signs pkt with certmill's own code; see internal.h. */
bool dns_tsig_sign_own(ldns_pkt *pkt, const struct dns_tsig *key, uint64_t now, char *err, size_t errlen)
{
    const struct tsig_alg *alg = tsig_alg_find(key->algorithm);
    ldns_rdf *keyname = NULL, *algname = NULL, *time_rdf = NULL, *fudge = NULL, *orig_id = NULL, *error = NULL,
             *other = NULL, *mac = NULL;
    ldns_buffer *b = NULL;
    uint8_t *wire = NULL;
    size_t wirelen = 0;
    uint8_t tbytes[6];
    bool ok = false;
    if (!alg || !(keyname = ldns_dname_new_frm_str(key->name)) || !(algname = ldns_dname_new_frm_str(alg->dname))) {
        dns_err(err, errlen, "TSIG key %s: bad name or algorithm", key->name);
        goto done;
    }
    ldns_write_uint64_as_uint48(tbytes, now);
    time_rdf = dns_must(ldns_rdf_new_frm_data(LDNS_RDF_TYPE_TSIGTIME, sizeof tbytes, tbytes));
    fudge = dns_must(ldns_native2rdf_int16(LDNS_RDF_TYPE_INT16, TSIG_FUDGE));
    orig_id = dns_must(ldns_native2rdf_int16(LDNS_RDF_TYPE_INT16, ldns_pkt_id(pkt)));
    error = dns_must(ldns_native2rdf_int16(LDNS_RDF_TYPE_INT16, 0));
    other = dns_must(ldns_native2rdf_int16_data(0, NULL));
    /* The MAC covers the message as it will be sent, before the TSIG record is added. */
    if (ldns_pkt2wire(&wire, pkt, &wirelen) != LDNS_STATUS_OK) {
        dns_err(err, errlen, "cannot render the message to sign");
        goto done;
    }
    b = dns_must(ldns_buffer_new(wirelen + 512));
    ldns_buffer_write(b, wire, wirelen);
    tsig_write_vars(b, keyname, algname, time_rdf, fudge, error, other);
    if (!(mac = tsig_hmac(alg, key, b))) {
        dns_err(err, errlen, "TSIG key %s: cannot compute the MAC", key->name);
        goto done;
    }
    ldns_rr *rr = dns_must(ldns_rr_new());
    ldns_rr_set_owner(rr, keyname);
    ldns_rr_set_class(rr, LDNS_RR_CLASS_ANY);
    ldns_rr_set_type(rr, LDNS_RR_TYPE_TSIG);
    ldns_rr_set_ttl(rr, 0);
    ldns_rr_push_rdf(rr, algname);
    ldns_rr_push_rdf(rr, time_rdf);
    ldns_rr_push_rdf(rr, fudge);
    ldns_rr_push_rdf(rr, mac);
    ldns_rr_push_rdf(rr, orig_id);
    ldns_rr_push_rdf(rr, error);
    ldns_rr_push_rdf(rr, other);
    keyname = algname = time_rdf = fudge = mac = orig_id = error = other = NULL;
    ldns_rr_free(ldns_pkt_tsig(pkt));
    ldns_pkt_set_tsig(pkt, rr);
    ok = true;
done:
    free(wire);
    ldns_buffer_free(b);
    ldns_rdf_deep_free(keyname);
    ldns_rdf_deep_free(algname);
    ldns_rdf_deep_free(time_rdf);
    ldns_rdf_deep_free(fudge);
    ldns_rdf_deep_free(orig_id);
    ldns_rdf_deep_free(error);
    ldns_rdf_deep_free(other);
    ldns_rdf_deep_free(mac);
    return ok;
}

/* The message as the signer saw it: the received bytes up to the TSIG record (the last one), with
 * ARCOUNT less one and the original ID (RFC 8945 §4.3.2). ldns parses each record to find the end. */
static uint8_t *tsig_unsigned_wire(const uint8_t *wire, size_t wirelen, uint16_t orig_id, size_t *outlen)
{
    if (wirelen < LDNS_HEADER_SIZE || LDNS_ARCOUNT(wire) == 0)
        return NULL;
    size_t counts[4] = { LDNS_QDCOUNT(wire), LDNS_ANCOUNT(wire), LDNS_NSCOUNT(wire), LDNS_ARCOUNT(wire) - 1u };
    static const ldns_pkt_section sections[4] = { LDNS_SECTION_QUESTION, LDNS_SECTION_ANSWER,
                                                  LDNS_SECTION_AUTHORITY, LDNS_SECTION_ADDITIONAL };
    size_t pos = LDNS_HEADER_SIZE;
    for (int s = 0; s < 4; s++) {
        for (size_t i = 0; i < counts[s]; i++) {
            ldns_rr *rr = NULL;
            if (ldns_wire2rr(&rr, wire, wirelen, &pos, sections[s]) != LDNS_STATUS_OK)
                return NULL;
            ldns_rr_free(rr);
        }
    }
    uint8_t *out = xmalloc(pos);
    memcpy(out, wire, pos);
    ldns_write_uint16(out + LDNS_ARCOUNT_OFF, (uint16_t)counts[3]);
    ldns_write_uint16(out, orig_id);
    *outlen = pos;
    return out;
}

/* Verifies with certmill's own code; see internal.h. */
bool dns_tsig_verify_own(const uint8_t *wire, size_t wirelen, const ldns_pkt *reply, const struct dns_tsig *key,
                         const ldns_rdf *query_mac)
{
    const struct tsig_alg *alg = tsig_alg_find(key->algorithm);
    const ldns_rr *t = ldns_pkt_tsig(reply);
    uint8_t *msg = NULL;
    size_t msglen = 0;
    ldns_buffer *b = NULL;
    ldns_rdf *mac = NULL;
    bool ok = false;
    if (!alg || !t || ldns_rr_rd_count(t) != 7)
        goto done;
    const ldns_rdf *pkt_mac = ldns_rr_rdf(t, 3);
    if (!(msg = tsig_unsigned_wire(wire, wirelen, ldns_rdf2native_int16(ldns_rr_rdf(t, 4)), &msglen)))
        goto done;
    b = dns_must(ldns_buffer_new(msglen + 1024));
    if (query_mac)
        ldns_rdf2buffer_wire(b, query_mac);
    ldns_buffer_write(b, msg, msglen);
    tsig_write_vars(b, ldns_rr_owner(t), ldns_rr_rdf(t, 0), ldns_rr_rdf(t, 1), ldns_rr_rdf(t, 2), ldns_rr_rdf(t, 5),
                    ldns_rr_rdf(t, 6));
    if (!(mac = tsig_hmac(alg, key, b)))
        goto done;
    ok = ldns_rdf_size(mac) == ldns_rdf_size(pkt_mac) &&
         CRYPTO_memcmp(ldns_rdf_data(mac), ldns_rdf_data(pkt_mac), ldns_rdf_size(mac)) == 0;
done:
    free(msg);
    ldns_buffer_free(b);
    ldns_rdf_deep_free(mac);
    return ok;
}

/* Signs pkt: ldns where it can, our own code for the rest. */
bool dns_tsig_sign(ldns_pkt *pkt, const struct dns_tsig *key, char *err, size_t errlen)
{
    const struct tsig_alg *alg = tsig_alg_find(key->algorithm);
    if (!alg) {
        dns_err(err, errlen, "TSIG key %s: unknown algorithm", key->name);
        return false;
    }
    if (!alg->by_ldns)
        return dns_tsig_sign_own(pkt, key, (uint64_t)time(NULL), err, errlen);
    ldns_status st = ldns_pkt_tsig_sign(pkt, key->name, key->secret, TSIG_FUDGE, alg->dname, NULL);
    if (st != LDNS_STATUS_OK) {
        dns_err(err, errlen, "TSIG key %s: cannot sign (%s)", key->name, ldns_get_errorstr_by_id(st));
        return false;
    }
    return true;
}

/* Verifies a reply's TSIG; see internal.h. Beyond the MAC: the key and algorithm must be ours and the
 * time within the fudge (ldns checks neither). */
bool dns_tsig_verify(ldns_pkt *reply, const uint8_t *wire, size_t wirelen, const struct dns_tsig *key,
                     const ldns_pkt *query)
{
    const struct tsig_alg *alg = tsig_alg_find(key->algorithm);
    const ldns_rr *t = ldns_pkt_tsig(reply), *qt = ldns_pkt_tsig(query);
    ldns_rdf *kn = NULL, *an = NULL;
    bool ok = false;
    if (!alg || !t || !qt || ldns_rr_rd_count(t) != 7 || ldns_rr_rd_count(qt) < 4)
        goto done;
    kn = ldns_dname_new_frm_str(key->name);
    an = ldns_dname_new_frm_str(alg->dname);
    if (!dns_name_eq(ldns_rr_owner(t), kn) || !dns_name_eq(ldns_rr_rdf(t, 0), an))
        goto done;
    const ldns_rdf *tr = ldns_rr_rdf(t, 1);
    if (ldns_rdf_size(tr) != 6)
        goto done;
    const uint8_t *tb = ldns_rdf_data(tr);
    uint64_t signed_at = 0;
    for (int i = 0; i < 6; i++)
        signed_at = signed_at << 8 | tb[i];
    uint64_t now = (uint64_t)time(NULL);
    uint64_t fudge = ldns_rdf2native_int16(ldns_rr_rdf(t, 2));
    if ((signed_at > now ? signed_at - now : now - signed_at) > fudge)
        goto done;
    const ldns_rdf *qmac = ldns_rr_rdf(qt, 3);
    if (alg->by_ldns)
        ok = ldns_pkt_tsig_verify(reply, wire, wirelen, key->name, key->secret, qmac);
    else
        ok = dns_tsig_verify_own(wire, wirelen, reply, key, qmac);
done:
    ldns_rdf_deep_free(kn);
    ldns_rdf_deep_free(an);
    return ok;
}
