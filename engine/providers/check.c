/* check — a DNS provider's settings checked as the API receives them, one table per type. */
#include "provider.h"

#include <arpa/inet.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define CHECK_MAX_DNS_NAME 253    /* characters of a key name or zone (without the trailing dot) */
#define CHECK_MAX_URL 500         /* characters of a PowerDNS API URL */
#define CHECK_MAX_API_KEY 500     /* characters of a PowerDNS API key */
#define CHECK_MAX_SERVER_ID 64    /* characters of a PowerDNS server id */
#define CHECK_MAX_PROGRAM 4096    /* bytes of an exec program path */
#define CHECK_MAX_TSIG_BYTES 512  /* decoded bytes of a TSIG secret */
#define CHECK_MAX_TSIG_B64 ((CHECK_MAX_TSIG_BYTES + 2) / 3 * 4)
#define CHECK_EXEC_TIMEOUT_MAX 300

/* The names of the types, in enum order: the API's "type" and the SQL CHECK. */
static const char *const provider_type_names[PROVIDER_TYPE_COUNT] = {
    [PROVIDER_RFC2136] = "rfc2136",
    [PROVIDER_POWERDNS] = "powerdns",
    [PROVIDER_EXEC] = "exec",
    [PROVIDER_MANUAL] = "manual",
};

/* The TSIG algorithms ldns signs with, by their BIND names. */
static const char *const check_tsig_algorithms[] = {
    "hmac-sha256", "hmac-sha384", "hmac-sha512", "hmac-sha224", "hmac-sha1", "hmac-md5", NULL,
};

enum check_kind { CHECK_STRING, CHECK_INT };

/* One setting a type takes: where it lives, its JSON type, whether required, its default, its own rules. */
struct check_key {
    bool secret;          /* a member of secret, not of config */
    const char *name;
    enum check_kind kind;
    bool required;
    const char *def_str;  /* default filled into config when absent; NULL: none */
    json_int_t def_int;   /* CHECK_INT default when > 0 */
    /* The value's own rules; false with the reason in err (never quoting a secret). */
    bool (*valid)(const json_t *v, const struct config *cfg, char *err, size_t errlen);
};

/* Finds a type by name. */
int provider_type_parse(const char *s)
{
    for (int i = 0; s && i < PROVIDER_TYPE_COUNT; i++)
        if (strcmp(provider_type_names[i], s) == 0)
            return i;
    return -1;
}

/* Names a type; "unknown" for a value outside the enum so a caller never prints NULL. */
const char *provider_type_name(enum provider_type t)
{
    if ((int)t < 0 || t >= PROVIDER_TYPE_COUNT)
        return "unknown";
    return provider_type_names[t];
}

/* True when s is a host name as DNS writes it: labels of letters, digits, '-' and '_', one trailing dot allowed. */
static bool check_dns_syntax(const char *s)
{
    size_t n = strlen(s);
    if (n > 1 && s[n - 1] == '.')
        n--;
    if (n == 0 || n > CHECK_MAX_DNS_NAME)
        return false;
    size_t label = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '.') {
            /* An empty label, or one ending in a hyphen. */
            if (label == 0 || s[i - 1] == '-')
                return false;
            label = 0;
            continue;
        }
        /* Underscores appear in key names and service zones; anything else has no place in a name. */
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                  (c == '-' && label > 0);
        if (!ok || ++label > 63)
            return false;
    }
    return label > 0 && s[n - 1] != '-';
}

/* key_name / zone: a DNS name. */
static bool check_dns_name(const json_t *v, const struct config *cfg, char *err, size_t errlen)
{
    (void)cfg;
    if (check_dns_syntax(json_string_value(v)))
        return true;
    snprintf(err, errlen,
             "must be a DNS name of at most %d characters: labels of 1 to 63 letters, digits, '-' or '_' "
             "(no '-' first or last) separated by dots",
             CHECK_MAX_DNS_NAME);
    return false;
}

/* algorithm: one of the TSIG algorithms. */
static bool check_algorithm(const json_t *v, const struct config *cfg, char *err, size_t errlen)
{
    (void)cfg;
    for (const char *const *a = check_tsig_algorithms; *a; a++)
        if (strcmp(*a, json_string_value(v)) == 0)
            return true;
    snprintf(err, errlen, "must be one of hmac-sha256, hmac-sha384, hmac-sha512, hmac-sha224, hmac-sha1, hmac-md5");
    return false;
}

/* Reads a port: 1 to 5 digits, 1..65535. */
static bool check_port(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 5 || strspn(s, "0123456789") != n)
        return false;
    long p = strtol(s, NULL, 10);
    return p >= 1 && p <= 65535;
}

/* True when the n bytes at s are a numeric address of family af. */
static bool check_ip(const char *s, size_t n, int af)
{
    char host[INET6_ADDRSTRLEN + 1];
    unsigned char addr[sizeof(struct in6_addr)];
    if (n == 0 || n >= sizeof host)
        return false;
    memcpy(host, s, n);
    host[n] = '\0';
    return inet_pton(af, host, addr) == 1;
}

/* server: "ip", "ip:port" or "[v6]:port"; numeric only, so no resolver decides where TSIG-signed updates go. */
static bool check_server(const json_t *v, const struct config *cfg, char *err, size_t errlen)
{
    (void)cfg;
    const char *s = json_string_value(v);
    bool ok;
    if (s[0] == '[') {
        const char *close = strchr(s, ']');
        ok = close && check_ip(s + 1, (size_t)(close - s - 1), AF_INET6) &&
             (close[1] == '\0' || (close[1] == ':' && check_port(close + 2)));
    } else {
        const char *colon = strchr(s, ':');
        if (!colon)
            ok = check_ip(s, strlen(s), AF_INET);
        else if (!strchr(colon + 1, ':'))
            ok = check_ip(s, (size_t)(colon - s), AF_INET) && check_port(colon + 1);
        else
            ok = check_ip(s, strlen(s), AF_INET6); /* a bare IPv6 address: its port can only be the default */
    }
    if (!ok)
        snprintf(err, errlen,
                 "must be a numeric IP address with an optional port: \"192.0.2.53\", \"192.0.2.53:5353\", "
                 "\"2001:db8::53\" or \"[2001:db8::53]:5353\" (port 1 to 65535)");
    return ok;
}

/* key_secret: standard base64 (with padding) of 1..512 bytes, as tsig-keygen prints it. */
static bool check_tsig_secret(const json_t *v, const struct config *cfg, char *err, size_t errlen)
{
    (void)cfg;
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const char *s = json_string_value(v);
    size_t n = strlen(s);
    /* Checked before decoding: EVP_DecodeBlock skips blanks and would accept more than base64. */
    size_t body = strspn(s, alphabet), pad = strspn(s + body, "=");
    bool ok = n > 0 && n <= CHECK_MAX_TSIG_B64 && n % 4 == 0 && pad <= 2 && body + pad == n;
    if (ok) {
        unsigned char *raw = malloc(n / 4 * 3 + 1);
        int got = raw ? EVP_DecodeBlock(raw, (const unsigned char *)s, (int)n) : -1;
        ok = got >= 0 && (size_t)got - pad >= 1 && (size_t)got - pad <= CHECK_MAX_TSIG_BYTES;
        if (raw) {
            OPENSSL_cleanse(raw, n / 4 * 3 + 1);
            free(raw);
        }
    }
    if (!ok)
        snprintf(err, errlen, "must be the key's secret in base64 (as tsig-keygen prints it), 1 to %d bytes",
                 CHECK_MAX_TSIG_BYTES);
    return ok;
}

/* api_url: an http:// or https:// URL without blanks or control characters. */
static bool check_url(const json_t *v, const struct config *cfg, char *err, size_t errlen)
{
    (void)cfg;
    const char *s = json_string_value(v);
    size_t n = strlen(s), scheme = 0;
    if (strncasecmp(s, "https://", 8) == 0)
        scheme = 8;
    else if (strncasecmp(s, "http://", 7) == 0)
        scheme = 7;
    bool ok = scheme && n <= CHECK_MAX_URL && s[scheme] && s[scheme] != '/';
    for (size_t i = 0; ok && i < n; i++)
        ok = (unsigned char)s[i] > 0x20 && (unsigned char)s[i] < 0x7f;
    if (!ok)
        snprintf(err, errlen,
                 "must be the http:// or https:// URL of the PowerDNS API (e.g. \"http://192.0.2.53:8081\"), "
                 "at most %d characters without spaces",
                 CHECK_MAX_URL);
    return ok;
}

/* server_id: it becomes a segment of the API's URL path, so only unreserved characters. */
static bool check_server_id(const json_t *v, const struct config *cfg, char *err, size_t errlen)
{
    (void)cfg;
    const char *s = json_string_value(v);
    size_t n = strlen(s);
    bool ok = n >= 1 && n <= CHECK_MAX_SERVER_ID &&
              strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == n;
    if (!ok)
        snprintf(err, errlen, "must be 1 to %d letters, digits, '.', '_' or '-' (usually \"localhost\")",
                 CHECK_MAX_SERVER_ID);
    return ok;
}

/* api_key: it travels in an HTTP header, so printable ASCII only. */
static bool check_api_key(const json_t *v, const struct config *cfg, char *err, size_t errlen)
{
    (void)cfg;
    const char *s = json_string_value(v);
    size_t n = strlen(s);
    bool ok = n >= 1 && n <= CHECK_MAX_API_KEY;
    for (size_t i = 0; ok && i < n; i++)
        ok = (unsigned char)s[i] >= 0x20 && (unsigned char)s[i] < 0x7f;
    if (!ok)
        snprintf(err, errlen, "must be 1 to %d printable ASCII characters", CHECK_MAX_API_KEY);
    return ok;
}

/* True when program is one word of the space-separated list. */
static bool check_listed(const char *list, const char *program)
{
    size_t n = strlen(program);
    for (const char *p = list; *p;) {
        p += strspn(p, " \t");
        size_t len = strcspn(p, " \t");
        if (len == n && n && strncmp(p, program, n) == 0)
            return true;
        p += len;
    }
    return false;
}

/* program: one the operator allows; tenants never name a program of their own choosing. */
static bool check_program(const json_t *v, const struct config *cfg, char *err, size_t errlen)
{
    const char *list = cfg ? cfg->dns_exec_programs : NULL;
    if (!list || !list[strspn(list, " \t")]) {
        snprintf(err, errlen,
                 "the operator has allowed no programs for exec providers on this server ([dns] exec_programs)");
        return false;
    }
    const char *s = json_string_value(v);
    if (strlen(s) <= CHECK_MAX_PROGRAM && check_listed(list, s))
        return true;
    /* The list is the operator's offer to tenants: naming it tells the panel what it may choose. */
    snprintf(err, errlen, "must be one of the programs the operator allows: %s", list);
    return false;
}

/* timeout_s: seconds the program may run, 1..300. */
static bool check_timeout(const json_t *v, const struct config *cfg, char *err, size_t errlen)
{
    (void)cfg;
    json_int_t t = json_integer_value(v);
    if (t >= 1 && t <= CHECK_EXEC_TIMEOUT_MAX)
        return true;
    snprintf(err, errlen, "must be a number of seconds from 1 to %d", CHECK_EXEC_TIMEOUT_MAX);
    return false;
}

/* The settings of each type, in the order they are checked. */
static const struct check_key check_rfc2136[] = {
    { false, "key_name", CHECK_STRING, true, NULL, 0, check_dns_name },
    { false, "algorithm", CHECK_STRING, false, "hmac-sha256", 0, check_algorithm },
    { false, "server", CHECK_STRING, false, NULL, 0, check_server },
    { false, "zone", CHECK_STRING, false, NULL, 0, check_dns_name },
    { true, "key_secret", CHECK_STRING, true, NULL, 0, check_tsig_secret },
};
static const struct check_key check_powerdns[] = {
    { false, "api_url", CHECK_STRING, true, NULL, 0, check_url },
    { false, "server_id", CHECK_STRING, false, "localhost", 0, check_server_id },
    { true, "api_key", CHECK_STRING, true, NULL, 0, check_api_key },
};
static const struct check_key check_exec[] = {
    { false, "program", CHECK_STRING, true, NULL, 0, check_program },
    { false, "timeout_s", CHECK_INT, false, NULL, 60, check_timeout },
};

/* One type's table. */
struct check_table {
    const struct check_key *keys;
    size_t n;
};

static const struct check_table check_tables[PROVIDER_TYPE_COUNT] = {
    [PROVIDER_RFC2136] = { check_rfc2136, sizeof check_rfc2136 / sizeof check_rfc2136[0] },
    [PROVIDER_POWERDNS] = { check_powerdns, sizeof check_powerdns / sizeof check_powerdns[0] },
    [PROVIDER_EXEC] = { check_exec, sizeof check_exec / sizeof check_exec[0] },
    [PROVIDER_MANUAL] = { NULL, 0 },
};

/* Finds a setting of the table by where it lives and its name. */
static const struct check_key *check_find(const struct check_table *t, bool secret, const char *name)
{
    for (size_t i = 0; i < t->n; i++)
        if (t->keys[i].secret == secret && strcmp(t->keys[i].name, name) == 0)
            return &t->keys[i];
    return NULL;
}

/* Refuses the first member of obj the type does not take under that object. */
static bool check_unknown(enum provider_type type, const struct check_table *t, const json_t *obj, bool secret,
                          char *field, size_t fieldlen, char *err, size_t errlen)
{
    const char *where = secret ? "secret" : "config";
    size_t takes = 0;
    for (size_t i = 0; i < t->n; i++)
        takes += t->keys[i].secret == secret;
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)obj, k, v) {
        if (check_find(t, secret, k))
            continue;
        snprintf(field, fieldlen, "%s.%.64s", where, k);
        if (takes == 0)
            snprintf(err, errlen, "a provider of type %s takes no %s settings", provider_type_name(type), where);
        else
            snprintf(err, errlen, "a provider of type %s has no %s setting \"%.64s\"", provider_type_name(type),
                     where, k);
        return false;
    }
    return true;
}

/* Checks one setting's presence, JSON type and own rules; fills the default into config. */
static bool check_one(const struct check_key *key, json_t *config, const json_t *secret, const struct config *cfg,
                      char *field, size_t fieldlen, char *err, size_t errlen)
{
    const char *where = key->secret ? "secret" : "config";
    const json_t *v = secret || !key->secret ? json_object_get(key->secret ? secret : config, key->name) : NULL;
    char why[400];
    snprintf(field, fieldlen, "%s.%s", where, key->name);
    /* An optional setting sent as null takes its default, as the API's own members do. */
    if (!v || json_is_null(v)) {
        if (key->required) {
            snprintf(err, errlen, "%s.%s is required", where, key->name);
            return false;
        }
        if (key->def_str)
            json_object_set_new(config, key->name, json_string(key->def_str));
        else if (key->def_int > 0)
            json_object_set_new(config, key->name, json_integer(key->def_int));
        return true;
    }
    if (key->kind == CHECK_INT && !json_is_integer(v)) {
        snprintf(err, errlen, "%s.%s must be an integer", where, key->name);
        return false;
    }
    if (key->kind == CHECK_STRING) {
        /* A NUL would cut the value short where C reads it; nobody means one. */
        if (!json_is_string(v) || json_string_length(v) != strlen(json_string_value(v))) {
            snprintf(err, errlen, "%s.%s must be a string without NUL characters", where, key->name);
            return false;
        }
    }
    if (key->valid && !key->valid(v, cfg, why, sizeof why)) {
        snprintf(err, errlen, "%s.%s %s", where, key->name, why);
        return false;
    }
    return true;
}

/* Removes members whose value is null, so the stored config holds only what is set. */
static void check_drop_nulls(json_t *obj)
{
    const char *k;
    json_t *v;
    void *tmp;
    json_object_foreach_safe(obj, tmp, k, v) {
        if (json_is_null(v))
            json_object_del(obj, k);
    }
}

/* Checks a provider's settings against its type's table. */
bool provider_check(enum provider_type t, json_t *config, const json_t *secret, const struct config *cfg,
                    char *field, size_t fieldlen, char *err, size_t errlen)
{
    if ((int)t < 0 || t >= PROVIDER_TYPE_COUNT) {
        snprintf(field, fieldlen, "type");
        snprintf(err, errlen, "type must be one of rfc2136, powerdns, exec, manual");
        return false;
    }
    if (!json_is_object(config)) {
        snprintf(field, fieldlen, "config");
        snprintf(err, errlen, "config must be an object");
        return false;
    }
    if (secret && !json_is_object(secret)) {
        snprintf(field, fieldlen, "secret");
        snprintf(err, errlen, "secret must be an object");
        return false;
    }
    const struct check_table *tab = &check_tables[t];
    if (!check_unknown(t, tab, config, false, field, fieldlen, err, errlen))
        return false;
    if (secret && !check_unknown(t, tab, secret, true, field, fieldlen, err, errlen))
        return false;
    check_drop_nulls(config);
    for (size_t i = 0; i < tab->n; i++)
        if (!check_one(&tab->keys[i], config, secret, cfg, field, fieldlen, err, errlen))
            return false;
    field[0] = '\0';
    err[0] = '\0';
    return true;
}
