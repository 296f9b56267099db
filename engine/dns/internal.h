/* dns/internal — what the files of engine/dns share; not for other modules (tests may peek). */
#ifndef CM_DNS_INTERNAL_H
#define CM_DNS_INTERNAL_H

#include "dns/dns.h"

#include <ldns/ldns.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* EDNS payload size we announce: the "DNS flag day 2020" value, which avoids IP fragments. */
#define DNS_EDNS_SIZE 1232

struct dns_ctx {
    ldns_resolver **res; /* one per configured resolver: ldns keeps one port per resolver */
    char **res_label;    /* "127.0.0.1:53" (or "resolv.conf") for messages */
    size_t n_res;
    int auth_port;
    int timeout_ms;
};

/* Aborts when ldns could not allocate (p NULL), as xalloc does; returns p. */
void *dns_must(void *p);
/* Writes a reason for the caller, who may have passed no buffer. */
__attribute__((format(printf, 3, 4))) void dns_err(char *err, size_t errlen, const char *fmt, ...);

/* Name text from a caller ("example.test", "*.x.test", "_acme-challenge.x", trailing dot allowed) to a
 * dname; refuses other characters, empty labels and names over 253 characters. */
ldns_rdf *dns_name_parse(const char *name, char *err, size_t errlen);
/* A dname as text: lower case, no trailing dot ("." for the root); never NULL. */
char *dns_name_text(const ldns_rdf *dname);
/* True when a and b are the same name (case-insensitively). */
bool dns_name_eq(const ldns_rdf *a, const ldns_rdf *b);
/* True when sub is parent or below it. */
bool dns_name_under(const ldns_rdf *sub, const ldns_rdf *parent);
/* "ip", "ip:port", "[v6]:port" or a bare IPv6 address to an A/AAAA rdf and a port (default_port when
 * none is given). */
bool dns_addr_parse(const char *text, int default_port, ldns_rdf **addr, int *port, char *err, size_t errlen);
/* An A/AAAA rdf as address text; never NULL. */
char *dns_addr_text(const ldns_rdf *addr);
/* "ip:port" or "[ip]:port" into buf. */
const char *dns_hostport(const char *addr, int port, char *buf, size_t len);
/* The mnemonic of an rcode ("NXDOMAIN"), or "RCODE 23". */
const char *dns_rcode_name(int rcode, char *buf, size_t len);

/* A resolver for one server (an authoritative one: callers send with RD=0); the caller frees it. */
ldns_resolver *dns_resolver_one(const struct dns_ctx *ctx, const ldns_rdf *addr, int port);
/*
 * Sends one query through r and returns the answer only when it matches the query (ID, QR, question);
 * truncated UDP answers are asked again over TCP by ldns. False with a reason when nothing usable came.
 */
bool dns_query_send(const struct dns_ctx *ctx, ldns_resolver *r, const ldns_rdf *name, ldns_rr_type type,
                    uint16_t flags, ldns_pkt **reply, char *err, size_t errlen);
/* Asks the context's resolvers (RD=1) in order until one gives NOERROR or NXDOMAIN (else the last answer
 * wins); *from is the label of the resolver that answered. False when none answered. */
bool dns_query_resolvers(struct dns_ctx *ctx, const ldns_rdf *name, ldns_rr_type type, ldns_pkt **reply,
                         const char **from, char *err, size_t errlen);

/* True when a is a referral (no answer, NS but no SOA in the authority section). */
bool dns_pkt_is_referral(const ldns_pkt *a);

/* A question answered through the resolvers, CNAMEs followed. */
struct dns_lookup {
    int rcode;         /* LDNS_RCODE_NOERROR or LDNS_RCODE_NXDOMAIN (of the last name) */
    ldns_rdf *final;   /* the name at the end of the CNAME chain */
    ldns_rr_list *rrs; /* records of the type asked owned by final, at most DNS_MAX_RRSET */
    size_t n_cnames;
};

/* Asks the resolvers for type at name, following CNAMEs (those in the answer first, then by asking
 * again), at most DNS_MAX_CNAME_CHAIN. False on loops, long chains and answers other than NOERROR/NXDOMAIN;
 * then out holds nothing but rcode: the last answer's, -1 when none came. */
bool dns_lookup(struct dns_ctx *ctx, const ldns_rdf *name, ldns_rr_type type, struct dns_lookup *out, char *err,
                size_t errlen);
void dns_lookup_clear(struct dns_lookup *l);

/* The bytes of a TXT record's strings, joined (NUL bytes replaced by '?'); never NULL. */
char *dns_txt_rr_value(const ldns_rr *rr);

/* TSIG (tsig.c). ldns 1.8 signs hmac-md5/sha1/sha256/sha512 only, so hmac-sha224/384 are done here. */
/* The algorithm's name as a domain name with the trailing dot ("hmac-sha256."); NULL when unknown. */
const char *dns_tsig_alg_dname(const char *algorithm);
/* True when ldns itself can sign and verify with the algorithm. */
bool dns_tsig_ldns_knows(const char *algorithm);
/* Adds a TSIG record signing pkt (as the last thing before it is sent). */
bool dns_tsig_sign(ldns_pkt *pkt, const struct dns_tsig *key, char *err, size_t errlen);
/* True when reply (wire: the bytes as received) carries a TSIG by key over query's MAC. */
bool dns_tsig_verify(ldns_pkt *reply, const uint8_t *wire, size_t wirelen, const struct dns_tsig *key,
                     const ldns_pkt *query);
/* certmill's own TSIG code (used for the algorithms ldns lacks; the unit test checks it against ldns). */
bool dns_tsig_sign_own(ldns_pkt *pkt, const struct dns_tsig *key, uint64_t now, char *err, size_t errlen);
bool dns_tsig_verify_own(const uint8_t *wire, size_t wirelen, const ldns_pkt *reply, const struct dns_tsig *key,
                         const ldns_rdf *query_mac);

#endif
