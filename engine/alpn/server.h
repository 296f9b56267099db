/*
 * alpn/server — the handshake loop of certmill-alpn: one thread, poll() over up to
 * ALPN_MAX_LISTEN non-blocking listening sockets and up to ALPN_MAX_CONNS non-blocking TLS
 * connections. A ClientHello without ALPN "acme-tls/1" or without a valid SNI name
 * fails at once; otherwise the handshake pauses (SSL_CLIENT_HELLO_RETRY) while the
 * lookup pool asks PostgreSQL, then resumes with the challenge certificate of the
 * name or fails with unrecognized_name. After a completed handshake the connection
 * is closed (close_notify): the CA needs no application data.
 */
#ifndef CM_ALPN_SERVER_H
#define CM_ALPN_SERVER_H

#include "alpn/lookup.h"

#include <openssl/evp.h>
#include <signal.h>

#define ALPN_MAX_CONNS 256          /* connections at once; when full, the oldest silent one makes room */
#define ALPN_HANDSHAKE_TIMEOUT_MS 10000 /* from accept to the end of the handshake */
#define ALPN_LINGER_MS 2000         /* after close_notify, for the peer's own close */
#define ALPN_MAX_LISTEN 4           /* listening sockets ([alpn] listen addresses), e.g. 127.0.0.1 and ::1 */

struct alpn_server;

/*
 * Prepares the TLS context and connection slots. listen_fds are n_listen (1 to
 * ALPN_MAX_LISTEN) non-blocking listening sockets; key signs every challenge
 * certificate (both stay the caller's). NULL on failure (logged).
 */
struct alpn_server *alpn_server_new(const int *listen_fds, size_t n_listen, struct alpn_pool *pool, EVP_PKEY *key);
/*
 * Serves handshakes until *stop is set by a signal handler. The signals that set it
 * must be blocked in the caller; they are let in only while the loop waits (ppoll),
 * so a signal is never missed between a check and the wait.
 */
void alpn_server_run(struct alpn_server *s, volatile sig_atomic_t *stop, const sigset_t *wait_mask);
/* Closes every connection and frees the server; call after alpn_pool_stop (lookups write into its slots). */
void alpn_server_free(struct alpn_server *s);

#endif
