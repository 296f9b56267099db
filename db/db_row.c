/* db_row — turns result rows into jansson objects keyed by column name. */
#include "db_internal.h"

#include "base/xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Type OIDs from pg_type.h (stable across PostgreSQL versions). */
enum {
    DB_OID_BOOL = 16,
    DB_OID_BYTEA = 17,
    DB_OID_INT8 = 20,
    DB_OID_INT2 = 21,
    DB_OID_INT4 = 23,
    DB_OID_TEXT = 25,
    DB_OID_JSON = 114,
    DB_OID_TEXT_ARRAY = 1009,
    DB_OID_TIMESTAMPTZ = 1184,
    DB_OID_JSONB = 3802,
};

/*
 * Turns PostgreSQL's ISO text of a timestamptz ("2026-11-28 21:39:54.123+00", or
 * "...+05:30" in a session with another TimeZone) into RFC 3339 UTC
 * ("2026-11-28T21:39:54Z"). The offset is applied rather than assumed to be zero:
 * behind PgBouncer in transaction mode the session's SET TIME ZONE may not be ours.
 */
json_t *db_ts_json(const char *v)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    int used = 0;
    if (sscanf(v, "%4d-%2d-%2d %2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
               &tm.tm_sec, &used) != 6 || used != 19)
        return json_string(v);
    const char *p = v + used;
    if (*p == '.')
        for (p++; *p >= '0' && *p <= '9'; p++)
            ;
    long off = 0;
    if (*p == '+' || *p == '-') {
        int sign = *p == '-' ? -1 : 1, h = 0, m = 0, s = 0;
        if (sscanf(p + 1, "%2d:%2d:%2d", &h, &m, &s) < 1)
            return json_string(v);
        off = sign * (h * 3600L + m * 60L + s);
    }
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    time_t t = timegm(&tm) - off;
    struct tm utc;
    char out[32];
    if (!gmtime_r(&t, &utc) || strftime(out, sizeof out, "%Y-%m-%dT%H:%M:%SZ", &utc) == 0)
        return json_string(v);
    return json_string(out);
}

/* Parses a one-dimensional text[] in PostgreSQL's text form: {a,"b c",NULL}. */
static json_t *db_text_array_json(const char *v)
{
    json_t *arr = json_array();
    if (*v != '{')
        return arr;
    const char *p = v + 1;
    char *item = xmalloc(strlen(v) + 1);
    while (*p && *p != '}') {
        size_t n = 0;
        bool quoted = *p == '"';
        if (quoted) {
            p++;
            while (*p && *p != '"') {
                if (*p == '\\' && p[1])
                    p++;
                item[n++] = *p++;
            }
            if (*p == '"')
                p++;
        } else {
            while (*p && *p != ',' && *p != '}')
                item[n++] = *p++;
        }
        item[n] = '\0';
        if (!quoted && strcmp(item, "NULL") == 0)
            json_array_append_new(arr, json_null());
        else
            json_array_append_new(arr, json_string(item));
        if (*p == ',')
            p++;
    }
    free(item);
    return arr;
}

/* Converts one value by its column type. */
static json_t *db_value_json(Oid type, const char *v)
{
    switch (type) {
    case DB_OID_BOOL:
        return json_boolean(v[0] == 't');
    case DB_OID_INT2:
    case DB_OID_INT4:
    case DB_OID_INT8:
        return json_integer(strtoll(v, NULL, 10));
    case DB_OID_JSON:
    case DB_OID_JSONB: {
        json_t *j = json_loads(v, JSON_DECODE_ANY, NULL);
        return j ? j : json_null();
    }
    case DB_OID_TEXT_ARRAY:
        return db_text_array_json(v);
    case DB_OID_TIMESTAMPTZ:
        return db_ts_json(v);
    default:
        return json_string(v);
    }
}

/* Converts row r into an object; bytea columns are left out (secrets, binary). */
json_t *db_row_json(const PGresult *res, int r)
{
    json_t *o = json_object();
    for (int c = 0; c < PQnfields(res); c++) {
        Oid type = PQftype(res, c);
        if (type == DB_OID_BYTEA)
            continue;
        json_t *v = PQgetisnull(res, r, c) ? json_null() : db_value_json(type, PQgetvalue(res, r, c));
        json_object_set_new(o, PQfname(res, c), v);
    }
    return o;
}

/* Converts every row into an array of objects. */
json_t *db_rows_json(const PGresult *res)
{
    json_t *arr = json_array();
    for (int r = 0; r < PQntuples(res); r++)
        json_array_append_new(arr, db_row_json(res, r));
    return arr;
}

/* Decodes a bytea column (text result, hex format) into a fresh buffer. */
bool db_get_bytea(const PGresult *res, int r, int col, unsigned char **out, size_t *len)
{
    if (col < 0 || PQgetisnull(res, r, col))
        return false;
    unsigned char *p = PQunescapeBytea((const unsigned char *)PQgetvalue(res, r, col), len);
    if (!p)
        return false;
    *out = xmalloc(*len + 1);
    memcpy(*out, p, *len);
    (*out)[*len] = '\0';
    PQfreemem(p);
    return true;
}
