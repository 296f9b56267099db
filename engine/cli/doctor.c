/* doctor — one line per check of an installation, each failure with how to fix it. */
#include "doctor.h"

#include "acme/acme.h"
#include "crypto/seal.h"
#include "db.h"
#include "db_migrate.h"

#include <openssl/crypto.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

/* Prints one check's result; returns 1 for a failure (to be added up). */
static int doctor_line(bool ok, const char *what, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int doctor_line(bool ok, const char *what, const char *fmt, ...)
{
    va_list ap;
    printf("%-5s %s", ok ? "ok" : "FAIL", what);
    if (fmt && *fmt) {
        fputs(": ", stdout);
        va_start(ap, fmt);
        vprintf(fmt, ap);
        va_end(ap);
    }
    putchar('\n');
    return ok ? 0 : 1;
}

/* The master key: there, a regular file, 0600 (or stricter), 64 hex characters. */
static int doctor_master_key(const struct config *cfg)
{
    struct stat st;
    char err[300];
    unsigned char key[SEAL_KEY_LEN];
    const char *path = cfg->master_key_file;
    if (!path)
        return doctor_line(false, "master key", "[keys] master_key_file is not set: openssl rand -hex 32 > FILE; "
                                               "chmod 600 FILE; set master_key_file = FILE");
    if (stat(path, &st) != 0)
        return doctor_line(false, "master key", "%s does not exist: create it with openssl rand -hex 32 > %s; "
                                               "chmod 600 %s (a new key cannot read what the old one sealed)",
                           path, path, path);
    if (st.st_mode & (S_IRWXG | S_IRWXO))
        return doctor_line(false, "master key", "%s has mode %03o: others must not read it: chmod 600 %s", path,
                           (unsigned)(st.st_mode & 0777), path);
    bool ok = seal_key_load(path, key, err, sizeof err);
    OPENSSL_cleanse(key, sizeof key);
    return ok ? doctor_line(true, "master key", "%s", path)
              : doctor_line(false, "master key", "%s: %s", path, err);
}

/* The database: reachable with [database] conninfo, schema at the version of these programs. */
static int doctor_database(const struct config *cfg)
{
    char err[512];
    struct db *db = db_open(cfg->db_conninfo, err, sizeof err);
    if (!db)
        return doctor_line(false, "database", "%s; check [database] conninfo, that PostgreSQL runs and accepts "
                                             "this user (pg_hba.conf), and the password file", err);
    int have = db_schema_version(db), want = db_schema_latest();
    db_close(db);
    if (have < 0)
        return doctor_line(false, "database", "reachable, but the schema version cannot be read: run certmill migrate");
    if (have < want)
        return doctor_line(false, "database", "schema at version %d, these programs need %d: run certmill migrate",
                           have, want);
    if (have > want)
        return doctor_line(false, "database", "schema at version %d is newer than these programs (%d): upgrade "
                                             "certmill on this host", have, want);
    return doctor_line(true, "database", "reachable, schema at version %d", have);
}

/* One CA: its directory over verified TLS, and EAB keys when it requires them. */
static int doctor_ca(const struct config_ca *ca)
{
    char what[160];
    snprintf(what, sizeof what, "CA %s", ca->name);
    struct acme_opts o = { .directory_url = ca->directory, .trust_file = ca->trust, .timeout_ms = ca->timeout_ms };
    struct acme_client *c = acme_client_new(&o);
    struct acme_result res;
    acme_result_init(&res);
    int bad;
    if (!c) {
        bad = doctor_line(false, what, "cannot set up an ACME client for %s", ca->directory);
    } else if (acme_directory_load(c, &res) != ACME_OK) {
        bad = doctor_line(false, what, "directory %s: %s; check the URL, the network, and trust = (the CA bundle "
                                       "that verifies its TLS certificate)",
                          ca->directory, res.error[0] ? res.error : "no answer");
    } else if (acme_directory_eab_required(c) && !ca->eab_kid) {
        bad = doctor_line(false, what, "the CA requires External Account Binding and [ca.%s] has no eab_kid / "
                                       "eab_hmac_key (tenants may bring their own: PUT /v1/ca-credentials/%s)",
                          ca->name, ca->name);
    } else {
        bad = doctor_line(true, what, "directory %s answers%s", ca->directory,
                          acme_directory_eab_required(c) ? ", EAB keys configured" : "");
    }
    acme_result_clear(&res);
    acme_client_free(c);
    return bad;
}

/* Runs every check. */
int doctor_run(const struct config *cfg)
{
    int bad = doctor_line(true, "configuration", "%s", cfg->path);
    bad += doctor_master_key(cfg);
    bad += doctor_database(cfg);
    if (cfg->n_cas == 0)
        bad += doctor_line(false, "CAs", "no [ca.NAME] section: add one (docs/acme.md has examples)");
    for (size_t i = 0; i < cfg->n_cas; i++)
        bad += doctor_ca(&cfg->cas[i]);
    printf("%d problem%s found\n", bad, bad == 1 ? "" : "s");
    return bad ? 1 : 0;
}
