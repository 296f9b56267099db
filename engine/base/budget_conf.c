/* budget_conf — names, defaults, syntax and window arithmetic of the CA rate-limit budgets. */
#include "base/budget_conf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * Let's Encrypt's figures (https://letsencrypt.org/docs/rate-limits/, June 2025):
 * New Orders per Account 300 per 3 hours; New Certificates per Registered Domain 50 per
 * 7 days; New Certificates per Exact Set of Identifiers 5 per 7 days; Authorization
 * Failures per Identifier per Account 5 per hour.
 */
static const struct {
    const char *name;
    const char *key;
    struct budget_rule def;
} budget_table[BUDGET_COUNT] = {
    [BUDGET_NEW_ORDERS] = { "new_orders", "budget_new_orders", { 300, 3 * 3600L } },
    [BUDGET_CERTS_PER_DOMAIN] = { "certs_per_domain", "budget_certs_per_domain", { 50, 7 * 86400L } },
    [BUDGET_CERTS_PER_NAME_SET] = { "certs_per_name_set", "budget_certs_per_name_set", { 5, 7 * 86400L } },
    [BUDGET_FAILED_VALIDATIONS] = { "failed_validations", "budget_failed_validations", { 5, 3600L } },
};

/* The budget's stored name. */
const char *budget_name(enum budget_kind k)
{
    return (unsigned)k < BUDGET_COUNT ? budget_table[k].name : "?";
}

/* The budget's configuration key. */
const char *budget_conf_key(enum budget_kind k)
{
    return (unsigned)k < BUDGET_COUNT ? budget_table[k].key : "?";
}

/* Let's Encrypt's figure for the budget. */
struct budget_rule budget_default(enum budget_kind k)
{
    struct budget_rule none = { 0, 0 };
    return (unsigned)k < BUDGET_COUNT ? budget_table[k].def : none;
}

/* Reads a positive decimal integer up to max from *p, advancing it; false on anything else. */
static bool budget_number(const char **p, long max, long *out)
{
    if (**p < '0' || **p > '9')
        return false;
    char *end;
    errno = 0;
    long v = strtol(*p, &end, 10);
    if (errno || v <= 0 || v > max)
        return false;
    *p = end;
    *out = v;
    return true;
}

/* Parses "N/DURATION" or "none". */
bool budget_rule_parse(const char *text, struct budget_rule *out)
{
    if (!text)
        return false;
    if (strcmp(text, "none") == 0) {
        out->limit = 0;
        out->window_s = 0;
        return true;
    }
    const char *p = text;
    long limit, amount, unit;
    if (!budget_number(&p, BUDGET_MAX_LIMIT, &limit) || *p++ != '/')
        return false;
    if (!budget_number(&p, BUDGET_MAX_WINDOW_S, &amount))
        return false;
    switch (*p) {
    case 's': unit = 1; break;
    case 'm': unit = 60; break;
    case 'h': unit = 3600; break;
    case 'd': unit = 86400; break;
    case 'w': unit = 7 * 86400; break;
    default: return false;
    }
    if (p[1] != '\0' || amount > BUDGET_MAX_WINDOW_S / unit)
        return false;
    out->limit = (int)limit;
    out->window_s = amount * unit;
    return true;
}

/* Formats a rule in its largest exact unit. */
void budget_rule_format(const struct budget_rule *r, char *out, size_t n)
{
    if (r->limit <= 0) {
        snprintf(out, n, "none");
        return;
    }
    static const struct { long secs; char unit; } units[] = {
        { 7 * 86400, 'w' }, { 86400, 'd' }, { 3600, 'h' }, { 60, 'm' }, { 1, 's' } };
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (r->window_s % units[i].secs == 0) {
            snprintf(out, n, "%d/%ld%c", r->limit, r->window_s / units[i].secs, units[i].unit);
            return;
        }
}

/* One more event is allowed while fewer than limit lie in the window. */
bool budget_allows(const struct budget_rule *r, long counted, double oldest, double *until)
{
    if (r->limit <= 0 || counted < r->limit)
        return true;
    /* The oldest of the newest `limit` events must leave before a slot is free. */
    *until = oldest + (double)r->window_s;
    return false;
}
