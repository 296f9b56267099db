/*
 * budget_conf — the CA rate-limit budgets certmill keeps (issue 4, point 10): their
 * names, Let's Encrypt's published figures as defaults, the "N/DURATION" syntax of the
 * budget_* keys of [ca.NAME], and the sliding-window arithmetic of one budget.
 */
#ifndef CM_BUDGET_CONF_H
#define CM_BUDGET_CONF_H

#include <stdbool.h>
#include <stddef.h>

enum budget_kind {
    BUDGET_NEW_ORDERS,          /* newOrder requests per ACME account */
    BUDGET_CERTS_PER_DOMAIN,    /* certificates per registered domain (all accounts) */
    BUDGET_CERTS_PER_NAME_SET,  /* certificates per exact set of identifiers (all accounts) */
    BUDGET_FAILED_VALIDATIONS,  /* failed authorizations per identifier per account */
    BUDGET_COUNT
};

/* One budget: at most limit events in any window_s seconds; limit 0 means no budget ("none"). */
struct budget_rule {
    int limit;
    long window_s;
};

#define BUDGET_MAX_LIMIT 1000000
#define BUDGET_MAX_WINDOW_S (366L * 86400L)

/* The stable name of a budget ("new_orders", ...), as stored and shown in an order's "waiting". */
const char *budget_name(enum budget_kind k);
/* The [ca.NAME] key of a budget ("budget_new_orders", ...). */
const char *budget_conf_key(enum budget_kind k);
/* Let's Encrypt's published figure for a budget (the default of every CA). */
struct budget_rule budget_default(enum budget_kind k);
/*
 * Parses "N/DURATION" (DURATION: a positive integer with s, m, h, d or w; "3h", "7d",
 * "20s") or "none". False on anything else (out untouched).
 */
bool budget_rule_parse(const char *text, struct budget_rule *out);
/* Writes a rule back as "N/DURATION" in the largest exact unit, or "none". */
void budget_rule_format(const struct budget_rule *r, char *out, size_t n);
/*
 * The window arithmetic of one budget: `counted` events lie in the window, the oldest of
 * the newest `limit` of them happened at `oldest` (seconds). True when one more event is
 * allowed now; otherwise *until = when that event leaves the window (oldest + window),
 * which is when the next one may be allowed.
 */
bool budget_allows(const struct budget_rule *r, long counted, double oldest, double *until);

#endif
