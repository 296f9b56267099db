/* domain — validates and normalises the DNS names of an order (see domain.h for the rules). */
#include "ident/domain.h"

#include <arpa/inet.h>
#include <idn2.h>
#include <stdlib.h>
#include <string.h>

/* Why each result was refused, phrased to follow the name in an API problem detail. */
static const struct {
    const char *name;
    const char *reason;
} domain_msgs[DOMAIN_ERR_COUNT] = {
    [DOMAIN_OK] = { "ok", "is valid" },
    [DOMAIN_ERR_EMPTY] = { "empty", "is empty" },
    [DOMAIN_ERR_TOO_LONG] = { "too_long", "is longer than 253 characters" },
    [DOMAIN_ERR_LABEL_EMPTY] = { "label_empty", "has an empty label (a dot at the start or two dots in a row)" },
    [DOMAIN_ERR_LABEL_TOO_LONG] = { "label_too_long", "has a label longer than 63 characters" },
    [DOMAIN_ERR_CHAR] = { "bad_character",
                          "may contain only letters, digits, hyphens and dots (no underscore, space or other "
                          "character)" },
    [DOMAIN_ERR_HYPHEN] = { "hyphen", "has a label that starts or ends with a hyphen" },
    [DOMAIN_ERR_RESERVED_LABEL] = { "reserved_label",
                                    "has a label with \"--\" in third and fourth position, a form reserved for "
                                    "xn-- (IDN) labels" },
    [DOMAIN_ERR_BAD_ALABEL] = { "bad_alabel", "has an xn-- label that is not a valid IDN A-label" },
    [DOMAIN_ERR_IDN] = { "bad_idn", "is not a valid internationalised domain name (IDNA2008, UTS #46)" },
    [DOMAIN_ERR_SINGLE_LABEL] = { "single_label", "needs at least two labels, like example.com" },
    [DOMAIN_ERR_NUMERIC_TLD] = { "numeric_tld", "has an all-numeric top-level label" },
    [DOMAIN_ERR_WILDCARD_POSITION] = { "wildcard_position",
                                       "may use '*' only as the whole leftmost label, like *.example.com" },
    [DOMAIN_ERR_WILDCARD_BARE] = { "wildcard_bare", "is a bare wildcard; write *.example.com" },
    [DOMAIN_ERR_WILDCARD_TLD] = { "wildcard_tld", "is a wildcard over a whole top-level domain" },
    [DOMAIN_ERR_IP_ADDRESS] = { "ip_address",
                                "is an IP address, not a DNS name (an order takes an address written in ASCII, like "
                                "192.0.2.1)" },
};

/* The IDNA flags used everywhere, so conversion and round-trip checks agree. */
#define DOMAIN_IDN2_FLAGS (IDN2_NONTRANSITIONAL | IDN2_NFC_INPUT)

/* The reason sentence of a result. */
const char *domain_reason(enum domain_rc rc)
{
    if ((int)rc < 0 || rc >= DOMAIN_ERR_COUNT)
        return "is not a valid domain name";
    return domain_msgs[rc].reason;
}

/* The short name of a result. */
const char *domain_rc_name(enum domain_rc rc)
{
    if ((int)rc < 0 || rc >= DOMAIN_ERR_COUNT)
        return "?";
    return domain_msgs[rc].name;
}

/* True when s (NUL-terminated) has a byte outside 7-bit ASCII. */
static bool domain_has_non_ascii(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s >= 0x80)
            return true;
    return false;
}

/* True when s is an IPv4 or IPv6 literal, bracketed or not. */
static bool domain_is_ip(const char *s)
{
    unsigned char addr[16];
    if (inet_pton(AF_INET, s, addr) == 1 || inet_pton(AF_INET6, s, addr) == 1)
        return true;
    size_t n = strlen(s);
    if (n >= 3 && n < 64 && s[0] == '[' && s[n - 1] == ']') {
        char inner[64];
        memcpy(inner, s + 1, n - 2);
        inner[n - 2] = '\0';
        return inet_pton(AF_INET6, inner, addr) == 1;
    }
    return false;
}

/*
 * Checks that an xn-- label is the exact A-label libidn2 would produce for what it
 * decodes to: invalid punycode, non-canonical encodings and labels that decode to
 * disallowed code points all fail the round trip.
 */
static bool domain_alabel_ok(const char *label, size_t n)
{
    char lab[DOMAIN_MAX_LABEL + 1];
    char *u = NULL, *back = NULL;
    bool ok = false;
    memcpy(lab, label, n);
    lab[n] = '\0';
    if (idn2_to_unicode_8z8z(lab, &u, 0) != IDN2_OK || !u)
        goto out;
    if (idn2_to_ascii_8z(u, &back, DOMAIN_IDN2_FLAGS) != IDN2_OK || !back)
        goto out;
    ok = strcmp(back, lab) == 0;
out:
    idn2_free(u);
    idn2_free(back);
    return ok;
}

/* Checks one label of an ASCII, lowercased name. */
static enum domain_rc domain_check_label(const char *l, size_t n)
{
    if (n == 0)
        return DOMAIN_ERR_LABEL_EMPTY;
    if (n > DOMAIN_MAX_LABEL)
        return DOMAIN_ERR_LABEL_TOO_LONG;
    for (size_t i = 0; i < n; i++) {
        char c = l[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
            return c == '*' ? DOMAIN_ERR_WILDCARD_POSITION : DOMAIN_ERR_CHAR;
    }
    if (l[0] == '-' || l[n - 1] == '-')
        return DOMAIN_ERR_HYPHEN;
    /* RFC 5891 §4.2.3.1: "??--" is reserved; only xn-- is in use, and then it must be a real A-label. */
    if (n >= 4 && l[2] == '-' && l[3] == '-') {
        if (l[0] != 'x' || l[1] != 'n')
            return DOMAIN_ERR_RESERVED_LABEL;
        if (!domain_alabel_ok(l, n))
            return DOMAIN_ERR_BAD_ALABEL;
    }
    return DOMAIN_OK;
}

/* True when the n bytes at s are all digits. */
static bool domain_all_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

/* Checks the labels of an ASCII, lowercased name without its wildcard prefix. */
static enum domain_rc domain_check_labels(const char *a, bool wildcard)
{
    size_t labels = 0;
    const char *last = a;
    size_t last_len = 0;
    for (const char *p = a;;) {
        const char *dot = strchr(p, '.');
        size_t n = dot ? (size_t)(dot - p) : strlen(p);
        enum domain_rc rc = domain_check_label(p, n);
        if (rc != DOMAIN_OK)
            return rc;
        labels++;
        last = p;
        last_len = n;
        if (!dot)
            break;
        p = dot + 1;
    }
    if (labels < 2)
        return wildcard ? DOMAIN_ERR_WILDCARD_TLD : DOMAIN_ERR_SINGLE_LABEL;
    if (domain_all_digits(last, last_len))
        return DOMAIN_ERR_NUMERIC_TLD;
    return DOMAIN_OK;
}

/* Maps a libidn2 failure on a whole name to our reasons. */
static enum domain_rc domain_idn2_rc(int rc)
{
    switch (rc) {
    case IDN2_TOO_BIG_DOMAIN:
        return DOMAIN_ERR_TOO_LONG;
    case IDN2_TOO_BIG_LABEL:
    case IDN2_PUNYCODE_BIG_OUTPUT: /* the A-label would not fit in 63 characters */
        return DOMAIN_ERR_LABEL_TOO_LONG;
    default:
        return DOMAIN_ERR_IDN;
    }
}

/*
 * Turns base (the name without "*.") into lowercase ASCII in dst (DOMAIN_MAX_INPUT + 1
 * bytes): A-labels through libidn2 when there is non-ASCII text, plain lowercasing otherwise.
 */
static enum domain_rc domain_to_ascii(const char *base, char *dst)
{
    if (!domain_has_non_ascii(base)) {
        size_t i = 0;
        for (; base[i]; i++)
            dst[i] = (base[i] >= 'A' && base[i] <= 'Z') ? (char)(base[i] - 'A' + 'a') : base[i];
        dst[i] = '\0';
        return DOMAIN_OK;
    }
    char *a = NULL;
    int rc = idn2_to_ascii_8z(base, &a, DOMAIN_IDN2_FLAGS);
    if (rc != IDN2_OK || !a) {
        idn2_free(a);
        return domain_idn2_rc(rc);
    }
    enum domain_rc out = DOMAIN_OK;
    if (strlen(a) > DOMAIN_MAX_INPUT)
        out = DOMAIN_ERR_TOO_LONG;
    else
        strcpy(dst, a);
    idn2_free(a);
    return out;
}

/* Validates and normalises one name. */
enum domain_rc domain_normalize(const char *in, size_t len, struct domain_name *out)
{
    char raw[DOMAIN_MAX_INPUT + 1];
    char ascii[DOMAIN_MAX_INPUT + 1];
    memset(out, 0, sizeof *out);
    if (len == 0)
        return DOMAIN_ERR_EMPTY;
    if (len > DOMAIN_MAX_INPUT)
        return DOMAIN_ERR_TOO_LONG;
    if (memchr(in, '\0', len))
        return DOMAIN_ERR_CHAR;
    memcpy(raw, in, len);
    raw[len] = '\0';
    /* One trailing dot is the absolute form of the same name: accept and drop it. */
    if (raw[len - 1] == '.')
        raw[--len] = '\0';
    if (len == 0)
        return DOMAIN_ERR_EMPTY;
    if (domain_is_ip(raw))
        return DOMAIN_ERR_IP_ADDRESS;

    bool wildcard = false;
    const char *base = raw;
    if (strcmp(raw, "*") == 0)
        return DOMAIN_ERR_WILDCARD_BARE;
    if (raw[0] == '*' && raw[1] == '.') {
        wildcard = true;
        base = raw + 2;
    }
    if (strchr(base, '*'))
        return DOMAIN_ERR_WILDCARD_POSITION;

    enum domain_rc rc = domain_to_ascii(base, ascii);
    if (rc != DOMAIN_OK)
        return rc;
    /* Again after IDN mapping: fullwidth digits and dots can turn into an address. */
    if (domain_is_ip(ascii))
        return DOMAIN_ERR_IP_ADDRESS;
    if (strlen(ascii) + (wildcard ? 2 : 0) > DOMAIN_MAX_LEN)
        return DOMAIN_ERR_TOO_LONG;
    rc = domain_check_labels(ascii, wildcard);
    if (rc != DOMAIN_OK)
        return rc;
    strcpy(out->name, wildcard ? "*." : "");
    strcat(out->name, ascii);
    out->wildcard = wildcard;
    return DOMAIN_OK;
}
