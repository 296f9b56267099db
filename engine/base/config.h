/* config — the typed contents of certmill.conf, shared by every program. */
#ifndef CM_CONFIG_H
#define CM_CONFIG_H

#include "base/budget_conf.h"
#include "base/rate_limit.h"
#include "webhook/netpolicy.h"

#include <stdbool.h>
#include <stddef.h>

/* One `[ca.NAME]` section: an ACME CA certmill may order from. */
struct config_ca {
    char *name;
    char *directory;      /* directory URL */
    char *trust;          /* PEM bundle verifying the CA's TLS; NULL: system store */
    int max_inflight;     /* cap on concurrent requests to this CA, across workers */
    bool exclusive_new_order; /* newOrder only while no other request is in flight */
    int timeout_ms;       /* every request to the CA */
    char *contact;        /* mailto: for new accounts; NULL: none */
    char *caa_identities; /* the CA's CAA issuer domains, space-separated; NULL: skip the CAA pre-flight */
    char *preferred_chain; /* CN of the root (top issuer) of the chain wanted; NULL: the CA's default */
    char *eab_kid;        /* External Account Binding key id; NULL: no EAB */
    unsigned char *eab_hmac_key; /* its MAC key, decoded (eab_hmac_key or eab_hmac_key_file); secret */
    size_t eab_hmac_keylen;
    char *eab_alg;        /* "HS256", "HS384" or "HS512" */
    int failover_after;   /* passing failures (CA down, 5xx) of one order before it moves to a fallback CA; 0: never */
    char *default_profile; /* ACME profile of orders that name none; NULL: none (the CA's default) */
    struct budget_rule budget[BUDGET_COUNT]; /* rate-limit budgets (budget_*; default: Let's Encrypt's) */
};

#define CONFIG_MAX_QUOTA 100000000L

struct config {
    char *path;
    char *db_conninfo;        /* the owner's: certmill migrate and the CLI */
    char *db_conninfo_api;    /* certmill-fcgi and certmill-alpn (default: db_conninfo) */
    char *db_conninfo_worker; /* certmill-worker (default: db_conninfo) */
    bool db_pooled;           /* api/worker connections go through a transaction pooler (db.h) */
    char *master_key_file;
    char *previous_master_key_files; /* space-separated, decrypt only; NULL when none */
    char *fcgi_listen;    /* host:port or a socket path */
    char *default_ca;
    size_t max_body;      /* bytes of a request body */
    int max_names;        /* names per order */
    long key_cache_ms;    /* how long a front keeps an API key it looked up (fcgi/auth_cache.h); 0: never */
    /* Abuse limits per tenant (rate_limit, rate_burst, max_*); a tenant's own override wins. */
    struct rate_rule api_rate; /* requests; per_s 0: none */
    long max_active_orders;    /* orders not final; -1: none */
    long max_certificates;     /* certificates kept (active or expiring); -1: none */
    int poll_interval_ms; /* worker idle poll */
    int lease_seconds;    /* how long a claimed step stays with a worker */
    int log_level;
    int log_format;       /* enum log_format; auto: journal when stderr is the journal, else text */
    /* [dns]: how certmill asks DNS (pre-flight, zone cuts, propagation) */
    char *dns_resolvers;        /* "ip[:port] ip[:port] ..."; NULL: /etc/resolv.conf */
    int dns_port;               /* port of authoritative servers found through NS (53; tests differ) */
    int dns_timeout_ms;         /* per query */
    int dns_propagation_timeout_s; /* how long a record may take to reach every server */
    char *dns_exec_programs;    /* space-separated programs exec providers may name; NULL: none */
    /* [http01]: how HTTP-01 answers are served and checked */
    int http01_port;            /* port the CA (and the self-check) uses: 80, the test stack differs */
    char *http01_webroot;       /* also write token files under DIR/.well-known/acme-challenge; NULL: no */
    /* [alpn]: certmill-alpn, the TLS-ALPN-01 responder */
    char *alpn_listen;          /* host:port */
    /* [webhooks]: where deliveries may go and how they are retried */
    struct wh_allow webhook_allow;  /* non-public ranges allowed (allow_destinations); default none */
    long webhook_retry_base_ms;     /* first retry delay; each next one 4 times longer, up to 6 h */
    long webhook_timeout_ms;        /* one delivery attempt */
    int webhook_rotate_grace_s;     /* the old secret still signs this long after rotate-secret */
    struct config_ca *cas;
    size_t n_cas;
};

/*
 * Finds the file (explicit path, else $CERTMILL_CONFIG, else /etc/certmill/certmill.conf),
 * reads and checks it. NULL with "file:line: reason" in err on any problem.
 */
struct config *config_load(const char *path, char *err, size_t errlen);
/* False (err names the file and the chmod) when other users may read or change the file. */
bool config_perm_check(const char *path, char *err, size_t errlen);
const struct config_ca *config_ca_find(const struct config *cfg, const char *name);
void config_free(struct config *cfg);

#endif
