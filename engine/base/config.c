/* config — reads certmill.conf into struct config, refusing unknown keys and bad values. */
#include "base/config.h"
#include "base/ini.h"
#include "base/log.h"
#include "base/xalloc.h"
#include "crypto/b64.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define CONFIG_DEFAULT_PATH "/etc/certmill/certmill.conf"

/* The keys each section may hold; anything else is a typo worth stopping for. */
static const char *const config_keys_database[] = { "conninfo", "conninfo_api", "conninfo_worker", "transaction_pooling", NULL };
static const char *const config_keys_keys[] = { "master_key_file", "previous_master_key_files", NULL };
static const char *const config_keys_api[] = { "fcgi_listen", "default_ca", "max_body", "max_names",
                                               "rate_limit", "rate_burst", "max_active_orders",
                                               "max_certificates", "key_cache_ms", NULL };
static const char *const config_keys_worker[] = { "poll_interval_ms", "lease_seconds", NULL };
static const char *const config_keys_log[] = { "level", "format", NULL };
static const char *const config_keys_dns[] = { "resolvers",     "port", "timeout_ms", "propagation_timeout_s",
                                               "exec_programs", NULL };
static const char *const config_keys_alpn[] = { "listen", NULL };
static const char *const config_keys_http01[] = { "port", "webroot", NULL };
static const char *const config_keys_webhooks[] = { "allow_destinations", "retry_base_ms", "timeout_ms",
                                                    "rotate_grace_s", NULL };
static const char *const config_keys_ca[] = { "directory", "trust", "max_inflight",
                                              "exclusive_new_order", "timeout_ms", "contact",
                                              "caa_identities", "preferred_chain", "eab_kid",
                                              "eab_hmac_key", "eab_hmac_key_file", "eab_alg",
                                              "failover_after", "default_profile", "budget_new_orders",
                                              "budget_certs_per_domain", "budget_certs_per_name_set",
                                              "budget_failed_validations", NULL };

/* Tells whether key is in a NULL-terminated list. */
static bool config_key_known(const char *const *keys, const char *key)
{
    for (; *keys; keys++)
        if (strcmp(*keys, key) == 0)
            return true;
    return false;
}

/* Checks every entry against the known sections and keys. */
static bool config_check_keys(const struct ini *ini, char *err, size_t errlen)
{
    for (size_t i = 0; i < ini->n; i++) {
        const struct ini_entry *e = &ini->v[i];
        const char *const *keys = NULL;
        if (strcmp(e->section, "database") == 0)
            keys = config_keys_database;
        else if (strcmp(e->section, "keys") == 0)
            keys = config_keys_keys;
        else if (strcmp(e->section, "api") == 0)
            keys = config_keys_api;
        else if (strcmp(e->section, "worker") == 0)
            keys = config_keys_worker;
        else if (strcmp(e->section, "log") == 0)
            keys = config_keys_log;
        else if (strcmp(e->section, "dns") == 0)
            keys = config_keys_dns;
        else if (strcmp(e->section, "alpn") == 0)
            keys = config_keys_alpn;
        else if (strcmp(e->section, "webhooks") == 0)
            keys = config_keys_webhooks;
        else if (strcmp(e->section, "http01") == 0)
            keys = config_keys_http01;
        else if (strncmp(e->section, "ca.", 3) == 0 && e->section[3])
            keys = config_keys_ca;
        if (!keys) {
            snprintf(err, errlen, "%s:%d: unknown section [%s]", ini->path, e->line, e->section);
            return false;
        }
        if (!config_key_known(keys, e->key)) {
            snprintf(err, errlen, "%s:%d: unknown key '%s' in [%s]", ini->path, e->line, e->key, e->section);
            return false;
        }
    }
    return true;
}

/* Finds the line of a key, for error messages. */
static int config_line(const struct ini *ini, const char *section, const char *key)
{
    for (size_t i = 0; i < ini->n; i++)
        if (strcmp(ini->v[i].section, section) == 0 && strcmp(ini->v[i].key, key) == 0)
            return ini->v[i].line;
    return 0;
}

/* Reads a quota of [api]: a count from 0, or "none" (-1). */
static bool config_quota(const struct ini *ini, const char *key, long def, long *out, char *err, size_t errlen)
{
    const char *v = ini_get(ini, "api", key);
    if (v && strcmp(v, "none") == 0) {
        *out = -1;
        return true;
    }
    char *end;
    errno = 0;
    long n = v ? strtol(v, &end, 10) : def;
    if (v && (errno || end == v || *end || n < 0 || n > CONFIG_MAX_QUOTA)) {
        snprintf(err, errlen, "%s:%d: %s must be an integer from 0 to %ld, or none", ini->path,
                 config_line(ini, "api", key), key, CONFIG_MAX_QUOTA);
        return false;
    }
    *out = n;
    return true;
}

/* Reads the abuse limits of [api]: the request rate and burst per tenant, and the quotas. */
static bool config_api_limits(const struct ini *ini, struct config *cfg, char *err, size_t errlen)
{
    const char *rate = ini_get(ini, "api", "rate_limit");
    cfg->api_rate.per_s = 20;
    if (rate && !rate_parse(rate, &cfg->api_rate.per_s)) {
        snprintf(err, errlen, "%s:%d: rate_limit must be N/s, N/m, N/h or none", ini->path,
                 config_line(ini, "api", "rate_limit"));
        return false;
    }
    const char *v = ini_get(ini, "api", "rate_burst");
    char *end;
    errno = 0;
    long n = v ? strtol(v, &end, 10) : 100;
    if (v && (errno || end == v || *end || n < 1 || n > RATE_MAX_BURST)) {
        snprintf(err, errlen, "%s:%d: rate_burst must be an integer from 1 to %d", ini->path,
                 config_line(ini, "api", "rate_burst"), RATE_MAX_BURST);
        return false;
    }
    cfg->api_rate.burst = (int)n;
    return config_quota(ini, "max_active_orders", 1000, &cfg->max_active_orders, err, errlen) &&
           config_quota(ini, "max_certificates", 10000, &cfg->max_certificates, err, errlen);
}

/* Reads an integer in [lo, hi], or the default when absent. */
static bool config_int(const struct ini *ini, const char *section, const char *key, long lo, long hi,
                       long def, long *out, char *err, size_t errlen)
{
    const char *v = ini_get(ini, section, key);
    if (!v) {
        *out = def;
        return true;
    }
    char *end;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (errno || end == v || *end || n < lo || n > hi) {
        snprintf(err, errlen, "%s:%d: %s must be an integer from %ld to %ld", ini->path,
                 config_line(ini, section, key), key, lo, hi);
        return false;
    }
    *out = n;
    return true;
}

/* Reads yes/no/true/false/1/0, or the default when absent. */
static bool config_bool(const struct ini *ini, const char *section, const char *key, bool def, bool *out,
                        char *err, size_t errlen)
{
    const char *v = ini_get(ini, section, key);
    if (!v) {
        *out = def;
        return true;
    }
    if (!strcmp(v, "yes") || !strcmp(v, "true") || !strcmp(v, "1") || !strcmp(v, "on")) {
        *out = true;
        return true;
    }
    if (!strcmp(v, "no") || !strcmp(v, "false") || !strcmp(v, "0") || !strcmp(v, "off")) {
        *out = false;
        return true;
    }
    snprintf(err, errlen, "%s:%d: %s must be yes or no", ini->path, config_line(ini, section, key), key);
    return false;
}

/* Copies a string value, or the default (which may be NULL). */
static char *config_str(const struct ini *ini, const char *section, const char *key, const char *def)
{
    const char *v = ini_get(ini, section, key);
    return xstrdup(v && *v ? v : def);
}

/* Reads the EAB MAC key of a file: its first line, base64url. NULL (err set) on failure. */
static char *config_read_secret_line(const struct ini *ini, const char *section, const char *path, char *err,
                                     size_t errlen)
{
    FILE *f = fopen(path, "r");
    char line[1024];
    if (!f) {
        snprintf(err, errlen, "%s:%d: cannot read eab_hmac_key_file %s: %s", ini->path,
                 config_line(ini, section, "eab_hmac_key_file"), path, strerror(errno));
        return NULL;
    }
    bool ok = fgets(line, sizeof line, f) != NULL;
    fclose(f);
    if (!ok) {
        snprintf(err, errlen, "%s:%d: eab_hmac_key_file %s is empty", ini->path,
                 config_line(ini, section, "eab_hmac_key_file"), path);
        return NULL;
    }
    line[strcspn(line, "\r\n")] = '\0';
    char *s = xstrdup(line);
    OPENSSL_cleanse(line, sizeof line);
    return s;
}

/* Reads the External Account Binding keys of a [ca.NAME] section; the key is never logged. */
static bool config_load_ca_eab(const struct ini *ini, const char *section, struct config_ca *ca, char *err,
                               size_t errlen)
{
    const char *key = ini_get(ini, section, "eab_hmac_key");
    const char *file = ini_get(ini, section, "eab_hmac_key_file");
    ca->eab_kid = config_str(ini, section, "eab_kid", NULL);
    ca->eab_alg = config_str(ini, section, "eab_alg", "HS256");
    if (strcmp(ca->eab_alg, "HS256") != 0 && strcmp(ca->eab_alg, "HS384") != 0 &&
        strcmp(ca->eab_alg, "HS512") != 0) {
        snprintf(err, errlen, "%s:%d: eab_alg must be HS256, HS384 or HS512", ini->path,
                 config_line(ini, section, "eab_alg"));
        return false;
    }
    if (key && !*key)
        key = NULL;
    if (file && !*file)
        file = NULL;
    if (key && file) {
        snprintf(err, errlen, "%s: [%s] has both eab_hmac_key and eab_hmac_key_file", ini->path, section);
        return false;
    }
    if (!ca->eab_kid && !key && !file)
        return true;
    if (!ca->eab_kid || (!key && !file)) {
        snprintf(err, errlen, "%s: [%s] needs eab_kid and eab_hmac_key (or eab_hmac_key_file) together", ini->path,
                 section);
        return false;
    }
    char *text = file ? config_read_secret_line(ini, section, file, err, errlen) : xstrdup(key);
    if (!text)
        return false;
    /* CAs hand the key out base64url; some add the padding of plain base64. */
    size_t n = strlen(text);
    while (n > 0 && text[n - 1] == '=')
        text[--n] = '\0';
    bool ok = n > 0 && b64url_decode(text, &ca->eab_hmac_key, &ca->eab_hmac_keylen) && ca->eab_hmac_keylen > 0;
    OPENSSL_cleanse(text, strlen(text));
    free(text);
    if (!ok) {
        snprintf(err, errlen, "%s:%d: the EAB HMAC key of [%s] is not base64url", ini->path,
                 config_line(ini, section, file ? "eab_hmac_key_file" : "eab_hmac_key"), section);
        return false;
    }
    return true;
}

/* Reads the rate-limit budgets of a [ca.NAME] section: "N/DURATION" or "none"; Let's Encrypt's by default. */
static bool config_load_ca_budgets(const struct ini *ini, const char *section, struct config_ca *ca, char *err,
                                   size_t errlen)
{
    for (int k = 0; k < BUDGET_COUNT; k++) {
        const char *key = budget_conf_key((enum budget_kind)k);
        const char *v = ini_get(ini, section, key);
        ca->budget[k] = budget_default((enum budget_kind)k);
        if (v && !budget_rule_parse(v, &ca->budget[k])) {
            snprintf(err, errlen, "%s:%d: %s must be N/DURATION (e.g. 50/7d, 300/3h, 20s..52w) or none", ini->path,
                     config_line(ini, section, key), key);
            return false;
        }
    }
    return true;
}

/* Reads one [ca.NAME] section. */
static bool config_load_ca(const struct ini *ini, const char *section, struct config_ca *ca, char *err,
                           size_t errlen)
{
    long n;
    ca->name = xstrdup(section + 3);
    ca->directory = config_str(ini, section, "directory", NULL);
    ca->trust = config_str(ini, section, "trust", NULL);
    ca->contact = config_str(ini, section, "contact", NULL);
    ca->caa_identities = config_str(ini, section, "caa_identities", NULL);
    ca->preferred_chain = config_str(ini, section, "preferred_chain", NULL);
    ca->default_profile = config_str(ini, section, "default_profile", NULL);
    if (!ca->directory) {
        snprintf(err, errlen, "%s: [%s] needs a directory URL", ini->path, section);
        return false;
    }
    if (strncmp(ca->directory, "https://", 8) != 0) {
        snprintf(err, errlen, "%s:%d: directory must be an https:// URL", ini->path,
                 config_line(ini, section, "directory"));
        return false;
    }
    /* The same shape the API takes for an order's profile (1..64 characters, no spaces). */
    if (ca->default_profile && (strlen(ca->default_profile) > 64 || strpbrk(ca->default_profile, " \t"))) {
        snprintf(err, errlen, "%s:%d: default_profile must be 1 to 64 characters without spaces", ini->path,
                 config_line(ini, section, "default_profile"));
        return false;
    }
    /* 0 turns the cross-worker gate off: it holds session advisory locks, which PgBouncer's transaction pooling cannot keep. */
    if (!config_int(ini, section, "max_inflight", 0, 1024, 8, &n, err, errlen))
        return false;
    ca->max_inflight = (int)n;
    if (!config_int(ini, section, "timeout_ms", 100, 600000, 30000, &n, err, errlen))
        return false;
    ca->timeout_ms = (int)n;
    if (!config_int(ini, section, "failover_after", 0, 100, 3, &n, err, errlen))
        return false;
    ca->failover_after = (int)n;
    if (!config_load_ca_eab(ini, section, ca, err, errlen))
        return false;
    if (!config_load_ca_budgets(ini, section, ca, err, errlen))
        return false;
    if (!config_bool(ini, section, "exclusive_new_order", false, &ca->exclusive_new_order, err, errlen))
        return false;
    if (ca->exclusive_new_order && ca->max_inflight == 0) {
        snprintf(err, errlen, "%s:%d: exclusive_new_order needs the gate: max_inflight must be at least 1", ini->path,
                 config_line(ini, section, "max_inflight"));
        return false;
    }
    return true;
}

/* Reads [webhooks]: the destinations allowed besides public addresses, retry pace, timeout. */
static bool config_load_webhooks(const struct ini *ini, struct config *cfg, char *err, size_t errlen)
{
    long n;
    char why[160];
    if (!wh_allow_parse(ini_get(ini, "webhooks", "allow_destinations"), &cfg->webhook_allow, why, sizeof why)) {
        snprintf(err, errlen, "%s:%d: %s", ini->path, config_line(ini, "webhooks", "allow_destinations"), why);
        return false;
    }
    if (!config_int(ini, "webhooks", "retry_base_ms", 10, 3600000, 10000, &n, err, errlen))
        return false;
    cfg->webhook_retry_base_ms = n;
    if (!config_int(ini, "webhooks", "timeout_ms", 100, 60000, 10000, &n, err, errlen))
        return false;
    cfg->webhook_timeout_ms = n;
    if (!config_int(ini, "webhooks", "rotate_grace_s", 0, 30 * 86400, 86400, &n, err, errlen))
        return false;
    cfg->webhook_rotate_grace_s = (int)n;
    return true;
}

/* Turns the parsed file into struct config. */
static bool config_from_ini(const struct ini *ini, struct config *cfg, char *err, size_t errlen)
{
    long n;
    if (!config_check_keys(ini, err, errlen))
        return false;
    cfg->db_conninfo = config_str(ini, "database", "conninfo", "dbname=certmill");
    /* Each service connects as its own role (docs/security.md); absent: the owner's conninfo. */
    cfg->db_conninfo_api = config_str(ini, "database", "conninfo_api", cfg->db_conninfo);
    cfg->db_conninfo_worker = config_str(ini, "database", "conninfo_worker", cfg->db_conninfo);
    if (!config_bool(ini, "database", "transaction_pooling", false, &cfg->db_pooled, err, errlen))
        return false;
    cfg->master_key_file = config_str(ini, "keys", "master_key_file", "/etc/certmill/master.key");
    cfg->previous_master_key_files = config_str(ini, "keys", "previous_master_key_files", NULL);
    cfg->fcgi_listen = config_str(ini, "api", "fcgi_listen", "127.0.0.1:9000");
    if (!config_int(ini, "api", "max_body", 1024, 16 * 1024 * 1024, 65536, &n, err, errlen))
        return false;
    cfg->max_body = (size_t)n;
    if (!config_int(ini, "api", "max_names", 1, 100, 100, &n, err, errlen))
        return false;
    cfg->max_names = (int)n;
    if (!config_int(ini, "api", "key_cache_ms", 0, 60000, 2000, &n, err, errlen))
        return false;
    cfg->key_cache_ms = n;
    if (!config_api_limits(ini, cfg, err, errlen))
        return false;
    if (!config_int(ini, "worker", "poll_interval_ms", 10, 600000, 1000, &n, err, errlen))
        return false;
    cfg->poll_interval_ms = (int)n;
    if (!config_int(ini, "worker", "lease_seconds", 5, 3600, 60, &n, err, errlen))
        return false;
    cfg->lease_seconds = (int)n;
    cfg->dns_resolvers = config_str(ini, "dns", "resolvers", NULL);
    if (!config_int(ini, "dns", "port", 1, 65535, 53, &n, err, errlen))
        return false;
    cfg->dns_port = (int)n;
    if (!config_int(ini, "dns", "timeout_ms", 100, 60000, 3000, &n, err, errlen))
        return false;
    cfg->dns_timeout_ms = (int)n;
    if (!config_int(ini, "dns", "propagation_timeout_s", 1, 86400, 300, &n, err, errlen))
        return false;
    cfg->dns_propagation_timeout_s = (int)n;
    cfg->dns_exec_programs = config_str(ini, "dns", "exec_programs", NULL);
    cfg->alpn_listen = config_str(ini, "alpn", "listen", "127.0.0.1:10443");
    if (!config_int(ini, "http01", "port", 1, 65535, 80, &n, err, errlen))
        return false;
    cfg->http01_port = (int)n;
    cfg->http01_webroot = config_str(ini, "http01", "webroot", NULL);
    if (!config_load_webhooks(ini, cfg, err, errlen))
        return false;
    const char *lvl = ini_get(ini, "log", "level");
    cfg->log_level = lvl ? log_level_parse(lvl) : LOG_LVL_INFO;
    if (cfg->log_level < 0) {
        snprintf(err, errlen, "%s:%d: level must be error, warn, info or debug", ini->path,
                 config_line(ini, "log", "level"));
        return false;
    }
    const char *fmt = ini_get(ini, "log", "format");
    cfg->log_format = fmt ? log_format_parse(fmt) : LOG_FMT_AUTO;
    if (cfg->log_format < 0) {
        snprintf(err, errlen, "%s:%d: format must be auto, text, journal or json", ini->path,
                 config_line(ini, "log", "format"));
        return false;
    }
    /* Each distinct [ca.NAME] section becomes one CA, in file order. */
    for (size_t i = 0; i < ini->n; i++) {
        const char *sec = ini->v[i].section;
        if (strncmp(sec, "ca.", 3) != 0 || config_ca_find(cfg, sec + 3))
            continue;
        cfg->cas = xrealloc(cfg->cas, (cfg->n_cas + 1) * sizeof *cfg->cas);
        struct config_ca *ca = &cfg->cas[cfg->n_cas++];
        memset(ca, 0, sizeof *ca);
        if (!config_load_ca(ini, sec, ca, err, errlen))
            return false;
    }
    cfg->default_ca = config_str(ini, "api", "default_ca", cfg->n_cas ? cfg->cas[0].name : NULL);
    if (cfg->default_ca && !config_ca_find(cfg, cfg->default_ca)) {
        snprintf(err, errlen, "%s:%d: default_ca names no [ca.%s] section", ini->path,
                 config_line(ini, "api", "default_ca"), cfg->default_ca);
        return false;
    }
    return true;
}

/*
 * Refuses a configuration file other users can read or write: it names the database
 * password file, may hold EAB keys inline, and says which programs a worker may run.
 * The group may read it (root:certmill 0640, the services' group).
 */
bool config_perm_check(const char *path, char *err, size_t errlen)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return true; /* ini_load reports the missing file */
    if ((st.st_mode & S_IRWXO) || (st.st_mode & S_IWGRP)) {
        snprintf(err, errlen,
                 "%s: other users may read or change it (mode %04o): it holds secrets; "
                 "chmod 0640 %s (group: the services' user) or 0600",
                 path, (unsigned)(st.st_mode & 07777), path);
        return false;
    }
    return true;
}

/* Finds, reads and checks the configuration file. */
struct config *config_load(const char *path, char *err, size_t errlen)
{
    if (!path || !*path)
        path = getenv("CERTMILL_CONFIG");
    if (!path || !*path)
        path = CONFIG_DEFAULT_PATH;
    if (!config_perm_check(path, err, errlen))
        return NULL;
    struct ini *ini = ini_load(path, err, errlen);
    if (!ini)
        return NULL;
    struct config *cfg = xcalloc(1, sizeof *cfg);
    cfg->path = xstrdup(path);
    bool ok = config_from_ini(ini, cfg, err, errlen);
    ini_free(ini);
    if (!ok) {
        config_free(cfg);
        return NULL;
    }
    return cfg;
}

/* Looks a CA up by name. */
const struct config_ca *config_ca_find(const struct config *cfg, const char *name)
{
    for (size_t i = 0; name && i < cfg->n_cas; i++)
        if (strcmp(cfg->cas[i].name, name) == 0)
            return &cfg->cas[i];
    return NULL;
}

/* Releases the configuration. */
void config_free(struct config *cfg)
{
    if (!cfg)
        return;
    for (size_t i = 0; i < cfg->n_cas; i++) {
        free(cfg->cas[i].name);
        free(cfg->cas[i].directory);
        free(cfg->cas[i].trust);
        free(cfg->cas[i].contact);
        free(cfg->cas[i].caa_identities);
        free(cfg->cas[i].preferred_chain);
        free(cfg->cas[i].eab_kid);
        free(cfg->cas[i].eab_alg);
        free(cfg->cas[i].default_profile);
        if (cfg->cas[i].eab_hmac_key)
            OPENSSL_cleanse(cfg->cas[i].eab_hmac_key, cfg->cas[i].eab_hmac_keylen);
        free(cfg->cas[i].eab_hmac_key);
    }
    free(cfg->cas);
    free(cfg->path);
    free(cfg->db_conninfo);
    free(cfg->db_conninfo_api);
    free(cfg->db_conninfo_worker);
    free(cfg->master_key_file);
    free(cfg->previous_master_key_files);
    free(cfg->fcgi_listen);
    free(cfg->default_ca);
    free(cfg->dns_resolvers);
    free(cfg->dns_exec_programs);
    free(cfg->alpn_listen);
    free(cfg->http01_webroot);
    free(cfg);
}
