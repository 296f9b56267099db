/* list_filters — the filter values of list endpoints, checked before any query. */
#include "list_filters.h"

#include <ctype.h>
#include <string.h>

/* Normalises the domain filter the same way order names are normalised. */
bool fcgi_filter_domain(const char *v, struct ident_name *dn, struct fcgi_resp *resp)
{
    const char *reason = "";
    if (ident_normalize(v, strlen(v), dn, &reason) != IDENT_OK) {
        fcgi_resp_problemf(resp, FCGI_PROB_INVALID_FIELD, "domain", "domain %s", reason);
        return false;
    }
    return true;
}

/* Reads n digits at *p into *out and moves past them. */
static bool fcgi_filter_digits(const char **p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++, (*p)++) {
        if (!isdigit((unsigned char)**p))
            return false;
        v = v * 10 + (**p - '0');
    }
    *out = v;
    return true;
}

/* Days of month m (1..12) of year y, Gregorian. */
static int fcgi_filter_mdays(int y, int m)
{
    static const int days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : days[m - 1];
}

/* RFC 3339 §5.6 date-time: full-date "T" time-hour:minute:second [.frac] (Z / +hh:mm / -hh:mm). */
static bool fcgi_filter_rfc3339(const char *s)
{
    int y, mo, d, h, mi, sec, oh, om;
    const char *p = s;
    if (strlen(s) > FCGI_FILTER_TIME_MAX)
        return false;
    if (!fcgi_filter_digits(&p, 4, &y) || *p++ != '-' || !fcgi_filter_digits(&p, 2, &mo) || *p++ != '-' ||
        !fcgi_filter_digits(&p, 2, &d) || (*p != 'T' && *p != 't'))
        return false;
    p++;
    if (!fcgi_filter_digits(&p, 2, &h) || *p++ != ':' || !fcgi_filter_digits(&p, 2, &mi) || *p++ != ':' ||
        !fcgi_filter_digits(&p, 2, &sec))
        return false;
    if (*p == '.') {
        p++;
        if (!isdigit((unsigned char)*p))
            return false;
        while (isdigit((unsigned char)*p))
            p++;
    }
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        p++;
        if (!fcgi_filter_digits(&p, 2, &oh) || *p++ != ':' || !fcgi_filter_digits(&p, 2, &om) || oh > 23 || om > 59)
            return false;
    } else {
        return false;
    }
    return *p == '\0' && y >= 1 && mo >= 1 && mo <= 12 && d >= 1 && d <= fcgi_filter_mdays(y, mo) && h <= 23 &&
           mi <= 59 && sec <= 60;
}

/* Checks a time filter. */
bool fcgi_filter_time(const char *field, const char *v, struct fcgi_resp *resp)
{
    if (fcgi_filter_rfc3339(v))
        return true;
    fcgi_resp_problemf(resp, FCGI_PROB_INVALID_FIELD, field,
                       "%s must be an RFC 3339 time such as 2026-03-01T00:00:00Z", field);
    return false;
}
