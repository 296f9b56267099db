/* dns_cmd — `certmill dns check NAME` (addresses, CAA, the _acme-challenge zone and what each of its
 * servers serves) and `certmill dns update add|delete NAME VALUE` (RFC 2136 with a TSIG key file). */
#include "dns_cmd.h"

#include "base/xalloc.h"
#include "dns/dns.h"

#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { DNS_CMD_OK = 0, DNS_CMD_FAIL = 1, DNS_CMD_USAGE = 2 };

/* Options of both subcommands; unset ones keep the configuration's values. */
struct dns_opts {
    const char *resolvers;
    int port;
    int timeout_ms;
    const char *expect;   /* check: a TXT value to look for on every server */
    const char *issuer;   /* check: a CA's CAA domain to judge the CAA set against */
    const char *keyfile;  /* update */
    const char *key_name; /* update: which key of the file */
    const char *server;   /* update */
    const char *zone;     /* update */
    long ttl;             /* update */
};

/* Prints usage to stderr. */
static int dns_cmd_usage(void)
{
    fputs("usage: certmill dns check NAME [--expect VALUE] [--issuer CAA_DOMAIN]\n"
          "       certmill dns update add|delete NAME VALUE --keyfile FILE [--key-name KEY]\n"
          "                  [--server IP[:PORT]] [--zone ZONE] [--ttl SECONDS]\n"
          "  both take [--resolvers \"IP[:PORT] ...\"] [--port AUTH_PORT] [--timeout-ms MS]\n"
          "  (defaults from [dns] of the configuration). check prints JSON: addresses, CAA (judged for\n"
          "  --issuer), the _acme-challenge name's CNAME target, zone, servers and the TXT each serves;\n"
          "  exit status 1 when a lookup fails or, with --expect, a server does not serve VALUE.\n",
          stderr);
    return DNS_CMD_USAGE;
}

/* Parses a decimal number in [lo, hi]. */
static bool dns_cmd_num(const char *s, long lo, long hi, long *out)
{
    char *end = NULL;
    long v = strtol(s, &end, 10);
    if (!*s || *end || v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

/* Reads the options; the positional arguments are left in argv[optind..]. */
static bool dns_cmd_opts(int argc, char **argv, struct dns_opts *o)
{
    static const struct option opts[] = {
        { "resolvers", required_argument, NULL, 'r' }, { "port", required_argument, NULL, 'p' },
        { "timeout-ms", required_argument, NULL, 't' }, { "expect", required_argument, NULL, 'e' },
        { "issuer", required_argument, NULL, 'i' },    { "keyfile", required_argument, NULL, 'k' },
        { "key-name", required_argument, NULL, 'n' },  { "server", required_argument, NULL, 's' },
        { "zone", required_argument, NULL, 'z' },      { "ttl", required_argument, NULL, 'l' },
        { NULL, 0, NULL, 0 }
    };
    long v;
    int c;
    optind = 0; /* glibc: start a fresh scan (main's getopt_long has run) */
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'r':
            o->resolvers = optarg;
            break;
        case 'p':
            if (!dns_cmd_num(optarg, 1, 65535, &v))
                return false;
            o->port = (int)v;
            break;
        case 't':
            if (!dns_cmd_num(optarg, 1, 600000, &v))
                return false;
            o->timeout_ms = (int)v;
            break;
        case 'e':
            o->expect = optarg;
            break;
        case 'i':
            o->issuer = optarg;
            break;
        case 'k':
            o->keyfile = optarg;
            break;
        case 'n':
            o->key_name = optarg;
            break;
        case 's':
            o->server = optarg;
            break;
        case 'z':
            o->zone = optarg;
            break;
        case 'l':
            if (!dns_cmd_num(optarg, 0, 2147483647L, &o->ttl))
                return false;
            break;
        default:
            return false;
        }
    }
    return true;
}

/* A JSON array of strings. */
static json_t *dns_cmd_strings(char *const *v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_string(v[i]));
    return a;
}

/* Prints one JSON value on stdout. */
static void dns_cmd_print(json_t *v)
{
    char *s = json_dumps(v, JSON_INDENT(2) | JSON_ENCODE_ANY);
    if (s) {
        puts(s);
        free(s);
    }
}

/* Names of the answer kinds, for scripts. */
static const char *dns_cmd_kind(enum dns_answer_kind k)
{
    static const char *const names[] = { "data", "nodata", "nxdomain", "not_authoritative", "rcode", "no_answer" };
    return (unsigned)k < sizeof names / sizeof names[0] ? names[k] : "?";
}

/* "addresses" of the check. */
static json_t *dns_cmd_addresses(struct dns_ctx *ctx, const char *name, bool *failed)
{
    static const char *const status[] = { "found", "nodata", "nxdomain" };
    struct dns_addrs *a = NULL;
    char err[400];
    json_t *o = json_object();
    if (!dns_addresses(ctx, name, &a, err, sizeof err)) {
        json_object_set_new(o, "error", json_string(err));
        *failed = true;
        return o;
    }
    json_object_set_new(o, "status", json_string(status[a->status]));
    json_object_set_new(o, "canonical", json_string(a->canonical));
    json_object_set_new(o, "a", dns_cmd_strings(a->a, a->n_a));
    json_object_set_new(o, "aaaa", dns_cmd_strings(a->aaaa, a->n_aaaa));
    dns_addrs_free(a);
    return o;
}

/* "caa" of the check. */
static json_t *dns_cmd_caa(struct dns_ctx *ctx, const char *name, bool wildcard, const char *issuer, bool *failed)
{
    struct dns_caa_set *set = NULL;
    char err[400];
    json_t *o = json_object();
    if (!dns_caa_lookup(ctx, name, &set, err, sizeof err)) {
        json_object_set_new(o, "error", json_string(err));
        *failed = true;
        return o;
    }
    json_object_set_new(o, "found_at", set->found_at ? json_string(set->found_at) : json_null());
    json_t *recs = json_array();
    for (size_t i = 0; i < set->n; i++)
        json_array_append_new(recs, json_pack("{s:i, s:s, s:s}", "flags", (int)set->records[i].flags, "tag",
                                              set->records[i].tag, "value", set->records[i].value));
    json_object_set_new(o, "records", recs);
    if (issuer) {
        char reason[400];
        bool ok = dns_caa_allows(set, issuer, wildcard, reason, sizeof reason);
        json_object_set_new(o, "issuer", json_string(issuer));
        json_object_set_new(o, "allowed", json_boolean(ok));
        json_object_set_new(o, "reason", json_string(reason));
    }
    dns_caa_set_free(set);
    return o;
}

/* "acme_challenge" of the check: CNAME, zone, servers, what each serves (and propagation of a value). */
static json_t *dns_cmd_challenge(struct dns_ctx *ctx, const char *base, const char *expect, bool *failed)
{
    char err[400];
    char *rname = xasprintf("_acme-challenge.%s", base), *target = NULL;
    struct dns_zone *zone = NULL;
    json_t *o = json_object();
    json_object_set_new(o, "name", json_string(rname));
    if (!dns_cname_follow(ctx, rname, &target, err, sizeof err))
        goto fail;
    json_object_set_new(o, "cname_target", json_string(target));
    if (!dns_zone_find(ctx, target, &zone, err, sizeof err))
        goto fail;
    json_object_set_new(o, "zone", json_string(zone->apex));
    json_object_set_new(o, "primary", json_string(zone->primary));
    json_object_set_new(o, "primary_address", zone->primary_addr ? json_string(zone->primary_addr) : json_null());
    json_t *servers = json_array(), *by = json_object();
    for (size_t i = 0; i < zone->n_servers; i++) {
        char hp[80];
        const struct dns_server *s = &zone->servers[i];
        struct dns_txt_answer *ans = NULL;
        dns_server_str(s, hp, sizeof hp);
        json_array_append_new(servers, json_pack("{s:s, s:s}", "name", s->name, "address", hp));
        dns_txt_at(ctx, s->addr, s->port, target, &ans);
        json_object_set_new(by, hp,
                            json_pack("{s:s, s:s, s:s, s:o}", "ns", s->name, "answer", dns_cmd_kind(ans->kind),
                                      "what", ans->what ? ans->what : "", "values",
                                      dns_cmd_strings(ans->values, ans->n_values)));
        dns_txt_answer_free(ans);
    }
    json_object_set_new(o, "servers", servers);
    json_object_set_new(o, "txt_by_server", by);
    if (expect) {
        struct dns_prop_report *rep = NULL;
        bool complete = dns_propagation_check(ctx, zone, target, expect, &rep);
        char *problem = dns_prop_report_problem(rep);
        json_object_set_new(o, "propagation",
                            json_pack("{s:s, s:b, s:I, s:I, s:o}", "value", expect, "complete", complete, "served",
                                      (json_int_t)rep->n_served, "servers", (json_int_t)rep->n_servers, "problem",
                                      problem ? json_string(problem) : json_null()));
        *failed = *failed || !complete;
        free(problem);
        dns_prop_report_free(rep);
    }
    goto done;
fail:
    json_object_set_new(o, "error", json_string(err));
    *failed = true;
done:
    dns_zone_free(zone);
    free(target);
    free(rname);
    return o;
}

/* certmill dns check NAME: prints what certmill's pre-flight and DNS-01 steps would see. */
static int dns_cmd_check(struct dns_ctx *ctx, const char *name, const struct dns_opts *o)
{
    bool wildcard = strncmp(name, "*.", 2) == 0, failed = false;
    const char *base = wildcard ? name + 2 : name;
    json_t *out = json_object();
    json_object_set_new(out, "name", json_string(name));
    json_object_set_new(out, "wildcard", json_boolean(wildcard));
    json_object_set_new(out, "addresses", dns_cmd_addresses(ctx, base, &failed));
    json_object_set_new(out, "caa", dns_cmd_caa(ctx, name, wildcard, o->issuer, &failed));
    json_object_set_new(out, "acme_challenge", dns_cmd_challenge(ctx, base, o->expect, &failed));
    dns_cmd_print(out);
    json_decref(out);
    return failed ? DNS_CMD_FAIL : DNS_CMD_OK;
}

/* certmill dns update add|delete NAME VALUE: one RFC 2136 update, signed with the key file's key. */
static int dns_cmd_update(struct dns_ctx *ctx, bool add, const char *name, const char *value,
                          const struct dns_opts *o)
{
    struct dns_tsig *key = NULL;
    char err[600];
    if (!o->keyfile) {
        fputs("certmill: dns update needs --keyfile FILE (BIND key syntax, as tsig-keygen writes)\n", stderr);
        return DNS_CMD_USAGE;
    }
    if (!dns_tsig_parse_keyfile(o->keyfile, o->key_name, &key, err, sizeof err)) {
        fprintf(stderr, "certmill: %s\n", err);
        return DNS_CMD_FAIL;
    }
    enum dns_update_rc rc =
        dns_update_txt(ctx, o->server, o->zone, name, value, (uint32_t)o->ttl, key, add, err, sizeof err);
    json_t *out = json_pack("{s:s, s:s, s:s, s:s, s:s}", "action", add ? "add" : "delete", "name", name, "value",
                            value, "key", key->name, "result", dns_update_rc_name(rc));
    if (rc != DNS_UPDATE_OK) {
        json_object_set_new(out, "error", json_string(err));
        fprintf(stderr, "certmill: dns update: %s\n", err);
    }
    dns_cmd_print(out);
    json_decref(out);
    dns_tsig_free(key);
    return rc == DNS_UPDATE_OK ? DNS_CMD_OK : DNS_CMD_FAIL;
}

/* Entry point; see dns_cmd.h. */
int dns_cmd_run(const struct config *cfg, int argc, char **argv)
{
    struct dns_opts o = { .resolvers = cfg->dns_resolvers,
                          .port = cfg->dns_port,
                          .timeout_ms = cfg->dns_timeout_ms,
                          .ttl = 60 };
    if (!dns_cmd_opts(argc, argv, &o))
        return dns_cmd_usage();
    char **pos = argv + optind;
    int npos = argc - optind;
    const char *sub = npos > 0 ? pos[0] : "";
    bool check = strcmp(sub, "check") == 0 && npos == 2;
    bool update = strcmp(sub, "update") == 0 && npos == 4 && (!strcmp(pos[1], "add") || !strcmp(pos[1], "delete"));
    if (!check && !update)
        return dns_cmd_usage();
    char err[400];
    struct dns_ctx *ctx = dns_ctx_new(o.resolvers, o.port, o.timeout_ms, err, sizeof err);
    if (!ctx) {
        fprintf(stderr, "certmill: [dns]: %s\n", err);
        return DNS_CMD_FAIL;
    }
    int ret = check ? dns_cmd_check(ctx, pos[1], &o) : dns_cmd_update(ctx, !strcmp(pos[1], "add"), pos[2], pos[3], &o);
    dns_ctx_free(ctx);
    return ret;
}
