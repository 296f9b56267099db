/*
 * dns — what certmill asks of DNS, on ldns: zone cuts (SOA/NS), CNAME delegation,
 * TXT records on each authoritative server (propagation), RFC 2136 updates with TSIG,
 * CAA (RFC 8659) and A/AAAA. ldns builds and parses every packet.
 *
 * Names are given and returned as text without the trailing dot ("example.test"),
 * returned names in lower case. Every function that can fail takes err/errlen and
 * writes a reason fit for a problem document there (never a key secret). Results are
 * freed with the matching dns_*_free. A dns_ctx is not shared between threads.
 */
#ifndef CM_DNS_H
#define CM_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Bounds on what an answer may bring (more is cut, a longer walk is refused). */
#define DNS_MAX_RRSET 64       /* records taken from one RRset */
#define DNS_MAX_CNAME_CHAIN 8  /* CNAMEs followed from one name */
#define DNS_MAX_LABELS 127     /* labels walked up for zone cuts and CAA */
#define DNS_MAX_NS 16          /* NS names of a zone */
#define DNS_MAX_NS_ADDRS 8     /* addresses per NS name and family */
#define DNS_MAX_TXT_LEN 255    /* a TXT value certmill publishes (one character-string) */

/* ------------------------------------------------------------------ context */

struct dns_ctx;

/*
 * resolvers: "ip[:port] ..." separated by spaces or commas ([v6]:port for IPv6 with a
 * port), NULL or "" for /etc/resolv.conf; they are asked with RD=1, in order.
 * auth_port: the port of authoritative servers found through NS (53 but in tests).
 * timeout_ms: per query and server. NULL with a reason on a bad list.
 */
struct dns_ctx *dns_ctx_new(const char *resolvers, int auth_port, int timeout_ms, char *err, size_t errlen);
void dns_ctx_free(struct dns_ctx *ctx);

/* ------------------------------------------------------------------ zone cut */

/* One address of one authoritative server. */
struct dns_server {
    char *name; /* NS host name */
    char *addr; /* IPv4 or IPv6 address text */
    int port;   /* the context's auth_port */
};

struct dns_zone {
    char *apex;         /* owner of the SOA: the zone's name */
    char *primary;      /* SOA MNAME (primary master) */
    char *primary_addr; /* an address of MNAME, NULL when it has none (hidden primary) */
    struct dns_server *servers; /* every address of every NS, in NS name order */
    size_t n_servers;
};

/*
 * Finds the zone fqdn belongs to: the first name walking up from fqdn that owns an SOA
 * (or the SOA owner in the authority section of a NODATA/NXDOMAIN answer), then its NS
 * names and their addresses, all through the resolvers. Any NS without an address is an
 * error ("NS ns1.example.test has no address"), so callers can ask every server.
 */
bool dns_zone_find(struct dns_ctx *ctx, const char *fqdn, struct dns_zone **zone, char *err, size_t errlen);
void dns_zone_free(struct dns_zone *zone);
/* "127.0.0.1:53" or "[::1]:53" into buf. */
const char *dns_server_str(const struct dns_server *s, char *buf, size_t len);

/* ------------------------------------------------------------------ CNAME */

/*
 * Follows the CNAME chain starting at name (acme-dns style delegation of _acme-challenge);
 * *target is the last name of the chain, or name itself when it is no CNAME. Loops and
 * chains longer than DNS_MAX_CNAME_CHAIN are errors.
 */
bool dns_cname_follow(struct dns_ctx *ctx, const char *name, char **target, char *err, size_t errlen);

/* ------------------------------------------------------------------ TXT, propagation */

enum dns_answer_kind {
    DNS_ANS_DATA = 0,    /* authoritative NOERROR with TXT records at the name */
    DNS_ANS_NODATA,      /* authoritative NOERROR without TXT records */
    DNS_ANS_NXDOMAIN,    /* authoritative NXDOMAIN */
    DNS_ANS_NOT_AUTH,    /* NOERROR without the AA bit (referral, lame server) or a CNAME */
    DNS_ANS_RCODE,       /* REFUSED, SERVFAIL, NOTAUTH, ... */
    DNS_ANS_NONE,        /* no usable answer: timeout, network error, malformed reply */
};

struct dns_txt_answer {
    enum dns_answer_kind kind;
    int rcode;            /* of the answer; -1 when there was none */
    char *what;           /* for problems: "answered NXDOMAIN", "answered TXT \"x\"", "did not answer ..." */
    char **values;        /* each TXT record's strings joined, at most DNS_MAX_RRSET */
    size_t n_values;
};

/* Asks one server directly (RD=0) for the TXT records of name; *ans is always set. True when the
 * server gave an authoritative answer (DATA, NODATA, NXDOMAIN). */
bool dns_txt_at(struct dns_ctx *ctx, const char *addr, int port, const char *name, struct dns_txt_answer **ans);
void dns_txt_answer_free(struct dns_txt_answer *ans);

enum dns_prop_state {
    DNS_PROP_SERVED = 0, /* the server serves the value */
    DNS_PROP_OTHER,      /* it answered, but not with the value (see what) */
    DNS_PROP_NO_ANSWER,  /* timeout, REFUSED, SERVFAIL, ... */
};

struct dns_prop_server {
    struct dns_server server;
    enum dns_prop_state state;
    char *what;           /* as dns_txt_answer.what: "answered NXDOMAIN", "answered TXT \"old\"" */
    char **values;        /* the TXT values it answered */
    size_t n_values;
};

struct dns_prop_report {
    char *name;
    char *value;
    struct dns_prop_server *servers;
    size_t n_servers;
    size_t n_served;
};

/* Asks every server of zone for the TXT records of name; true only when all serve value.
 * *report is always set (for a zone without servers it lists none and the result is false). */
bool dns_propagation_check(struct dns_ctx *ctx, const struct dns_zone *zone, const char *name, const char *value,
                           struct dns_prop_report **report);
/* "name X: server 127.0.0.1:53 (ns1.example.test) answered NXDOMAIN; server ..." for the servers that
 * do not serve the value; NULL when all do. The caller frees it. */
char *dns_prop_report_problem(const struct dns_prop_report *report);
void dns_prop_report_free(struct dns_prop_report *report);

/* ------------------------------------------------------------------ TSIG keys */

struct dns_tsig {
    char *name;      /* key name, a domain name ("certmill-key") */
    char *algorithm; /* "hmac-sha256", "hmac-sha384", "hmac-sha512", "hmac-sha224", "hmac-sha1", "hmac-md5" */
    char *secret;    /* base64 (no whitespace); never logged */
};

/* Checks and copies a key; algorithm NULL or "" is hmac-sha256 (also accepts a trailing dot and
 * "hmac-md5.sig-alg.reg.int"); secret_b64 may hold whitespace, which is dropped. */
bool dns_tsig_from(const char *name, const char *algorithm, const char *secret_b64, struct dns_tsig **key,
                   char *err, size_t errlen);
/* Reads BIND's `key "name" { algorithm hmac-sha256; secret "base64"; };` (tsig-keygen's output; comments
 * # // and C-style allowed). want: the key's name, NULL for the first key of the text. */
bool dns_tsig_parse(const char *text, const char *want, struct dns_tsig **key, char *err, size_t errlen);
/* As dns_tsig_parse, from a file (at most 64 KiB). */
bool dns_tsig_parse_keyfile(const char *path, const char *want, struct dns_tsig **key, char *err, size_t errlen);
void dns_tsig_free(struct dns_tsig *key);

/* ------------------------------------------------------------------ RFC 2136 */

enum dns_update_rc {
    DNS_UPDATE_OK = 0,
    DNS_UPDATE_REFUSED,   /* REFUSED: the server's policy does not allow this key/client */
    DNS_UPDATE_NOTAUTH,   /* NOTAUTH without a TSIG error: not authoritative for the zone */
    DNS_UPDATE_TSIG,      /* BADSIG, BADKEY, BADTIME from the server, or its answer's signature is bad */
    DNS_UPDATE_NO_ANSWER, /* timeout, network error */
    DNS_UPDATE_FAILED,    /* another rcode (SERVFAIL, NOTZONE, ...) or a malformed answer */
    DNS_UPDATE_ERROR,     /* not sent: bad arguments, zone or primary not found */
};

/*
 * Adds (add) or deletes exactly one TXT value at name; other TXT values of the name are left, so
 * concurrent authorizations sharing a name do not clobber each other. server: "ip[:port]" (port
 * defaults to auth_port), NULL for the zone's primary master (SOA MNAME). zone: NULL to find it from
 * name. key: NULL for an unsigned update. Sent over TCP (UDP when TCP cannot connect); the answer's
 * rcode must be NOERROR and, with a key, its TSIG must verify.
 */
enum dns_update_rc dns_update_txt(struct dns_ctx *ctx, const char *server, const char *zone, const char *name,
                                  const char *value, uint32_t ttl, const struct dns_tsig *key, bool add, char *err,
                                  size_t errlen);
/* "ok", "refused", "notauth", "tsig", "no_answer", "failed", "error". */
const char *dns_update_rc_name(enum dns_update_rc rc);

/* ------------------------------------------------------------------ A / AAAA */

enum dns_addr_status { DNS_ADDR_FOUND = 0, DNS_ADDR_NODATA, DNS_ADDR_NXDOMAIN };

struct dns_addrs {
    enum dns_addr_status status; /* FOUND when any A or AAAA; NXDOMAIN when the name (after CNAMEs) does not exist */
    char *canonical;             /* the name after CNAMEs */
    char **a;
    size_t n_a;
    char **aaaa;
    size_t n_aaaa;
};

/* A and AAAA records of name through the resolvers, following CNAMEs. */
bool dns_addresses(struct dns_ctx *ctx, const char *name, struct dns_addrs **addrs, char *err, size_t errlen);
void dns_addrs_free(struct dns_addrs *addrs);

/* ------------------------------------------------------------------ CAA (RFC 8659) */

struct dns_caa {
    uint8_t flags;
    char *tag;   /* as in the record (tags compare case-insensitively) */
    char *value; /* NUL bytes replaced by '?' */
};

struct dns_caa_set {
    char *found_at; /* the name whose CAA RRset is relevant; NULL when no name up to the TLD has one */
    struct dns_caa *records;
    size_t n;
};

struct ldns_struct_rr;

/* The relevant CAA RRset of name (for "*.x" that of x): CAA at name (following CNAMEs), else at its
 * parent, ... up to, not including, the root. An empty set (found_at NULL) allows any CA. A failed lookup
 * is an error, except REFUSED for a parent of a name that was answered (an authoritative-only resolver). */
bool dns_caa_lookup(struct dns_ctx *ctx, const char *name, struct dns_caa_set **set, char *err, size_t errlen);
/* An empty set to fill with dns_caa_set_add_rr (tests, callers with records of their own). */
struct dns_caa_set *dns_caa_set_new(const char *found_at);
/* Appends one CAA record made by ldns (at most DNS_MAX_RRSET); false for another type or a full set. */
bool dns_caa_set_add_rr(struct dns_caa_set *set, const struct ldns_struct_rr *rr);
/*
 * Whether set lets issuer_domain (the CA's CAA identity, "letsencrypt.org") issue for a name, a
 * wildcard one when wildcard. Pure. No set or no issue/issuewild property: allowed; issuewild rules
 * wildcards when present, else issue; `issue ";"` forbids all; an unknown tag flagged critical forbids.
 * reason: why, for a problem or a log line.
 */
bool dns_caa_allows(const struct dns_caa_set *set, const char *issuer_domain, bool wildcard, char *reason,
                    size_t reasonlen);
void dns_caa_set_free(struct dns_caa_set *set);

#endif
