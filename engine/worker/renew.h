/*
 * renew — the renewal scheduler of certmill-worker (docs/renewals.md): a pass over the
 * certificates whose renew_at is due, and what an order's end means for the certificate
 * it renews (superseded when issued, backoff when failed).
 */
#ifndef CM_RENEW_H
#define CM_RENEW_H

#include "step.h"

/* Claims and handles up to max due certificates, one transaction each; returns how many it handled. */
int renew_pass(struct worker *w, int max);
/*
 * (tx of the order's failure) When the order renews a certificate, that certificate's next
 * renewal backs off (1 min, 10 min, 100 min, then daily, with jitter).
 */
enum db_rc renew_order_failed(struct step *s);
/* When a certificate valid from not_before to not_after is due for renewal (unix seconds, jittered). */
long long renew_cert_at(long long not_before, long long not_after);
/*
 * (tx of the certificate's store, which set its renewal time) When the order renews a
 * certificate, that one becomes superseded and certificate.renewed is recorded.
 */
enum db_rc renew_cert_issued(struct step *s, const char *cert_id, long long not_before, long long not_after);

#endif
