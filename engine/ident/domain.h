/*
 * domain — the one validator of DNS names certmill orders certificates for.
 *
 * The API passes every name through domain_normalize() and stores only what it
 * returns, so the worker, the CA and the certificate all see the same form:
 *   - lowercase ASCII; UTF-8 (IDN) names become A-labels (xn--...) with libidn2
 *     (UTS #46 non-transitional, NFC input), and xn-- labels given in ASCII must
 *     round-trip through libidn2 unchanged;
 *   - ONE trailing dot is stripped ("example.com." is "example.com"); two are an
 *     empty label;
 *   - at most 253 characters in all (the "*." of a wildcard counts), labels of
 *     1..63 letters, digits and hyphens, no hyphen first or last, no "ab--"
 *     form other than "xn--", at least two labels, a top-level label that is not
 *     all digits;
 *   - a wildcard only as the whole leftmost label "*." above at least two labels
 *     ("*" and "*.tld" are refused);
 *   - IP addresses are refused: they are not DNS names (an order's IP identifiers go
 *     through ident/ip.h first; see ident/ident.h).
 * Duplicates are the caller's business: compare the normalised names.
 */
#ifndef CM_DOMAIN_H
#define CM_DOMAIN_H

#include <stdbool.h>
#include <stddef.h>

#define DOMAIN_MAX_LEN 253    /* characters of a normalised name */
#define DOMAIN_MAX_LABEL 63   /* characters of one label */
#define DOMAIN_MAX_INPUT 1024 /* bytes accepted as input before any work is done */

enum domain_rc {
    DOMAIN_OK = 0,
    DOMAIN_ERR_EMPTY,            /* "" (or only ".") */
    DOMAIN_ERR_TOO_LONG,         /* over 253 characters (after IDN conversion) */
    DOMAIN_ERR_LABEL_EMPTY,      /* "a..b", ".a", "a.." */
    DOMAIN_ERR_LABEL_TOO_LONG,   /* a label over 63 characters */
    DOMAIN_ERR_CHAR,             /* a character other than a-z 0-9 - (after lowercasing) */
    DOMAIN_ERR_HYPHEN,           /* a label starting or ending with '-' */
    DOMAIN_ERR_RESERVED_LABEL,   /* "ab--..." other than a valid xn-- label */
    DOMAIN_ERR_BAD_ALABEL,       /* an xn-- label that is not valid punycode/IDNA */
    DOMAIN_ERR_IDN,              /* UTF-8 input libidn2 refuses */
    DOMAIN_ERR_SINGLE_LABEL,     /* "localhost", "com" */
    DOMAIN_ERR_NUMERIC_TLD,      /* "example.123" */
    DOMAIN_ERR_WILDCARD_POSITION,/* '*' anywhere but as the whole leftmost label */
    DOMAIN_ERR_WILDCARD_BARE,    /* "*" alone */
    DOMAIN_ERR_WILDCARD_TLD,     /* "*.com": a wildcard over a whole top-level domain */
    DOMAIN_ERR_IP_ADDRESS,       /* "192.0.2.1", "2001:db8::1", "[::1]" */
    DOMAIN_ERR_COUNT
};

/* A validated name: the normalised text and whether it is a wildcard ("*.x.y"). */
struct domain_name {
    char name[DOMAIN_MAX_LEN + 1];
    bool wildcard;
};

/*
 * Validates and normalises len bytes of in (which need not be NUL-terminated; an
 * embedded NUL is a bad character). On DOMAIN_OK out holds the name; otherwise out
 * is left empty and domain_reason() says why.
 */
enum domain_rc domain_normalize(const char *in, size_t len, struct domain_name *out);
/* A sentence saying why a name was refused, for API problem details. */
const char *domain_reason(enum domain_rc rc);
/* A stable short identifier of the result ("ok", "too_long", ...), for tests and logs. */
const char *domain_rc_name(enum domain_rc rc);

#endif
