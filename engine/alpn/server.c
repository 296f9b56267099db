/* alpn/server — the poll() loop that answers TLS-ALPN-01 handshakes. */
#include "alpn/server.h"

#include "alpn/cert.h"
#include "alpn/hello.h"
#include "base/log.h"
#include "base/xalloc.h"
#include "ident/domain.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/tls1.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* After accept() fails for want of descriptors or memory, stop accepting this long. */
#define ALPN_ACCEPT_PAUSE_MS 100
/* The poll-set marker of listening socket k (connections use their slot index, the pool SIZE_MAX). */
#define ALPN_PFD_LISTEN(k) (SIZE_MAX - 1 - (size_t)(k))
/* The longest the loop sleeps with nothing due (signals wake it anyway). */
#define ALPN_IDLE_WAIT_MS 60000

enum alpn_conn_state {
    ALPN_CONN_FREE = 0,
    ALPN_CONN_HANDSHAKE, /* waiting for the peer (events says which way) */
    ALPN_CONN_LOOKUP,    /* handshake paused in the ClientHello callback until the pool answers */
    ALPN_CONN_CLOSING,   /* close_notify sent; reading until the peer closes */
    ALPN_CONN_ORPHAN     /* socket closed while its lookup runs: the slot waits for it */
};

/* What became of a handshake, for its debug line. */
enum alpn_outcome {
    ALPN_OUT_NO_HELLO = 0,
    ALPN_OUT_NO_ALPN,
    ALPN_OUT_NO_SNI,
    ALPN_OUT_BAD_NAME,
    ALPN_OUT_NOT_FOUND,
    ALPN_OUT_DB_DOWN,
    ALPN_OUT_FOUND,
    ALPN_OUT_INTERNAL,
    ALPN_OUT_LOOKUP, /* still waiting for the database */
    ALPN_OUT_COUNT
};

static const char *const alpn_outcome_text[ALPN_OUT_COUNT] = {
    [ALPN_OUT_NO_HELLO] = "no ClientHello",
    [ALPN_OUT_NO_ALPN] = "acme-tls/1 not offered",
    [ALPN_OUT_NO_SNI] = "no server name",
    [ALPN_OUT_BAD_NAME] = "invalid server name",
    [ALPN_OUT_NOT_FOUND] = "not found",
    [ALPN_OUT_DB_DOWN] = "database unavailable",
    [ALPN_OUT_FOUND] = "found",
    [ALPN_OUT_INTERNAL] = "internal error",
    [ALPN_OUT_LOOKUP] = "no answer from the database yet",
};

struct alpn_conn {
    enum alpn_conn_state state;
    int fd;
    SSL *ssl;
    short events;        /* POLLIN or POLLOUT: what OpenSSL waits for */
    int64_t deadline_ms; /* handshake (or linger) deadline */
    enum alpn_outcome outcome;
    bool looked_up;      /* lk holds the pool's answer for lk.name */
    struct alpn_lookup lk;
    char peer[INET6_ADDRSTRLEN + 16];
};

struct alpn_server {
    int listen_fds[ALPN_MAX_LISTEN];
    size_t n_listen;
    struct alpn_pool *pool;
    EVP_PKEY *key;
    SSL_CTX *ctx;
    size_t n_used; /* slots not FREE (ORPHAN ones included) */
    int64_t accept_pause_until;
    int64_t accept_error_logged;
    struct alpn_conn conns[ALPN_MAX_CONNS];
    struct pollfd pfd[ALPN_MAX_CONNS + 1 + ALPN_MAX_LISTEN];
    size_t pfd_slot[ALPN_MAX_CONNS + 1 + ALPN_MAX_LISTEN];
};

/* Milliseconds on the monotonic clock. */
static int64_t alpn_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The reason of the first queued OpenSSL error (or a fallback), clearing the queue for the next connection. */
static const char *alpn_ssl_reason(char *buf, size_t len, const char *fallback)
{
    unsigned long e = ERR_peek_error();
    const char *r = e ? ERR_reason_error_string(e) : NULL;
    snprintf(buf, len, "%s", r ? r : fallback);
    ERR_clear_error();
    return buf;
}

/* Logs the one debug line of a handshake: who, which name, what was found, how it ended. */
static void alpn_conn_log(const struct alpn_conn *c, const char *end)
{
    log_debug("handshake from %s name=%s: %s, %s", c->peer, c->lk.name[0] ? c->lk.name : "-",
              alpn_outcome_text[c->outcome], end);
}

/* Releases the socket and TLS state; the slot is free unless a lookup still writes into it. */
static void alpn_conn_close(struct alpn_server *s, struct alpn_conn *c)
{
    SSL_free(c->ssl);
    c->ssl = NULL;
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    if (c->state == ALPN_CONN_LOOKUP) {
        c->state = ALPN_CONN_ORPHAN;
        return;
    }
    free(c->lk.key_authorization);
    c->lk.key_authorization = NULL;
    c->state = ALPN_CONN_FREE;
    s->n_used--;
}

/* Fails the ClientHello callback with a TLS alert, recording why. */
static int alpn_hello_refuse(struct alpn_conn *c, enum alpn_outcome why, int alert, int *al)
{
    c->outcome = why;
    *al = alert;
    return SSL_CLIENT_HELLO_ERROR;
}

/* Installs the challenge certificate of the looked-up name on this connection. */
static int alpn_hello_serve(struct alpn_server *s, struct alpn_conn *c, SSL *ssl, int *al)
{
    switch (c->lk.status) {
    case ALPN_LOOKUP_NOTFOUND:
        return alpn_hello_refuse(c, ALPN_OUT_NOT_FOUND, SSL_AD_UNRECOGNIZED_NAME, al);
    case ALPN_LOOKUP_UNAVAILABLE:
        return alpn_hello_refuse(c, ALPN_OUT_DB_DOWN, SSL_AD_INTERNAL_ERROR, al);
    case ALPN_LOOKUP_FOUND:
        break;
    }
    X509 *x = alpn_cert_build(c->lk.name, c->lk.key_authorization, s->key);
    if (!x)
        return alpn_hello_refuse(c, ALPN_OUT_INTERNAL, SSL_AD_INTERNAL_ERROR, al);
    /* Per connection, not per context: concurrent handshakes each get their own name's certificate. */
    int ok = SSL_use_certificate(ssl, x) == 1 && SSL_use_PrivateKey(ssl, s->key) == 1;
    X509_free(x);
    if (!ok) {
        char why[128];
        log_error("cannot install the challenge certificate: %s", alpn_ssl_reason(why, sizeof why, "unknown"));
        return alpn_hello_refuse(c, ALPN_OUT_INTERNAL, SSL_AD_INTERNAL_ERROR, al);
    }
    c->outcome = ALPN_OUT_FOUND;
    return SSL_CLIENT_HELLO_SUCCESS;
}

/*
 * ClientHello callback: refuses what is not a TLS-ALPN-01 validation, pauses the
 * handshake for the database lookup, and once it is answered chooses the certificate.
 * Runs before OpenSSL parses SNI, hence the reading of the raw extensions.
 */
static int alpn_on_client_hello(SSL *ssl, int *al, void *arg)
{
    struct alpn_server *s = arg;
    struct alpn_conn *c = SSL_get_app_data(ssl);
    const unsigned char *ext;
    size_t len;
    char raw[DOMAIN_MAX_LEN + 2]; /* one trailing dot is tolerated, and normalised away */
    char name[DOMAIN_MAX_LEN + 1];  /* the stored name: a DNS name, or the address of a reverse-DNS SNI */
    bool has_sni = SSL_client_hello_get0_ext(ssl, TLSEXT_TYPE_server_name, &ext, &len) == 1;
    bool name_ok = has_sni && alpn_hello_sni(ext, len, raw, sizeof raw) &&
                   alpn_hello_lookup_name(raw, name, sizeof name);
    if (c->looked_up) {
        /* Called again after our retry, or for the second ClientHello after a HelloRetryRequest. */
        if (!name_ok || strcmp(name, c->lk.name) != 0)
            return alpn_hello_refuse(c, ALPN_OUT_BAD_NAME, SSL_AD_ILLEGAL_PARAMETER, al);
        return alpn_hello_serve(s, c, ssl, al);
    }
    if (name_ok) /* known before the checks below, so the debug line names it */
        memcpy(c->lk.name, name, sizeof c->lk.name);
    if (SSL_client_hello_get0_ext(ssl, TLSEXT_TYPE_application_layer_protocol_negotiation, &ext, &len) != 1 ||
        !alpn_hello_ext_offers(ext, len, ALPN_ACME_TLS_1))
        return alpn_hello_refuse(c, ALPN_OUT_NO_ALPN, SSL_AD_NO_APPLICATION_PROTOCOL, al);
    if (!has_sni)
        return alpn_hello_refuse(c, ALPN_OUT_NO_SNI, SSL_AD_MISSING_EXTENSION, al);
    if (!name_ok)
        return alpn_hello_refuse(c, ALPN_OUT_BAD_NAME, SSL_AD_UNRECOGNIZED_NAME, al);
    c->state = ALPN_CONN_LOOKUP;
    c->outcome = ALPN_OUT_LOOKUP;
    alpn_pool_submit(s->pool, (size_t)(c - s->conns), &c->lk);
    return SSL_CLIENT_HELLO_RETRY;
}

/* ALPN select callback: acme-tls/1 exactly, or no handshake (RFC 8737 §4). */
static int alpn_on_select(SSL *ssl, const unsigned char **out, unsigned char *outlen, const unsigned char *in,
                          unsigned int inlen, void *arg)
{
    (void)ssl;
    (void)arg;
    size_t at;
    if (!alpn_hello_offers(in, inlen, ALPN_ACME_TLS_1, &at))
        return SSL_TLSEXT_ERR_ALERT_FATAL;
    *out = in + at; /* inside the client's list: valid for the whole handshake */
    *outlen = (unsigned char)strlen(ALPN_ACME_TLS_1);
    return SSL_TLSEXT_ERR_OK;
}

/* Makes the TLS context: TLS 1.2 and 1.3, no resumption (every handshake must carry a certificate). */
static SSL_CTX *alpn_server_ctx(struct alpn_server *s)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    if (!ctx)
        return NULL;
    if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1 || SSL_CTX_set_num_tickets(ctx, 0) != 1) {
        SSL_CTX_free(ctx);
        return NULL;
    }
    SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION);
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_client_hello_cb(ctx, alpn_on_client_hello, s);
    SSL_CTX_set_alpn_select_cb(ctx, alpn_on_select, s);
    return ctx;
}

/* The handshake is done: send close_notify, half-close, and wait briefly for the peer's own close. */
static void alpn_conn_finish(struct alpn_conn *c)
{
    alpn_conn_log(c, "challenge certificate served");
    /* Non-blocking: if close_notify cannot go out now, the FIN still tells the peer. */
    SSL_shutdown(c->ssl);
    ERR_clear_error();
    shutdown(c->fd, SHUT_WR);
    /*
     * Closing at once with unread data from the peer would send a RST, which may
     * destroy our last flight before the peer reads it; so read until its close.
     */
    c->state = ALPN_CONN_CLOSING;
    c->events = POLLIN;
    c->deadline_ms = alpn_now_ms() + ALPN_LINGER_MS;
}

/* Runs the handshake as far as it goes without waiting, and acts on where it stopped. */
static void alpn_conn_advance(struct alpn_server *s, struct alpn_conn *c, bool peer_gone)
{
    ERR_clear_error();
    int r = SSL_do_handshake(c->ssl);
    if (r == 1) {
        alpn_conn_finish(c);
        return;
    }
    int e = SSL_get_error(c->ssl, r);
    if (e == SSL_ERROR_WANT_CLIENT_HELLO_CB) {
        c->events = POLLRDHUP; /* nothing to read until the lookup answers, but a peer giving up is noticed */
        return;
    }
    if ((e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) && !peer_gone) {
        c->events = e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT;
        return;
    }
    char why[128];
    if (e == SSL_ERROR_SSL)
        alpn_ssl_reason(why, sizeof why, "TLS error");
    else if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_ZERO_RETURN ||
             (e == SSL_ERROR_SYSCALL && (r == 0 || errno == ECONNRESET || errno == EPIPE)))
        snprintf(why, sizeof why, "peer closed the connection");
    else
        snprintf(why, sizeof why, "%s", e == SSL_ERROR_SYSCALL ? strerror(errno) : "TLS error");
    ERR_clear_error();
    char end[160];
    if (c->outcome != ALPN_OUT_FOUND && c->outcome != ALPN_OUT_NO_HELLO)
        snprintf(end, sizeof end, "handshake refused"); /* by our ClientHello callback, with an alert */
    else
        snprintf(end, sizeof end, "handshake failed: %s", why);
    alpn_conn_log(c, end);
    alpn_conn_close(s, c);
}

/* Reads and drops what the peer sends after the handshake, until it closes or the linger ends. */
static void alpn_conn_drain(struct alpn_server *s, struct alpn_conn *c)
{
    char buf[4096];
    for (;;) {
        ssize_t n = recv(c->fd, buf, sizeof buf, 0);
        if (n > 0)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        if (n < 0 && errno == EINTR)
            continue;
        alpn_conn_close(s, c); /* EOF or an error: either way the peer is done */
        return;
    }
}

/* Writes "addr:port" (v6 in brackets) of a peer, for the logs. */
static void alpn_peer_name(const struct sockaddr_storage *ss, socklen_t len, char *out, size_t outlen)
{
    char host[INET6_ADDRSTRLEN], port[8];
    if (getnameinfo((const struct sockaddr *)ss, len, host, sizeof host, port, sizeof port,
                    NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
        snprintf(out, outlen, "?");
        return;
    }
    snprintf(out, outlen, ss->ss_family == AF_INET6 ? "[%s]:%s" : "%s:%s", host, port);
}

/* Takes one accepted socket into a free slot. */
static void alpn_conn_open(struct alpn_server *s, int fd, const struct sockaddr_storage *ss, socklen_t sslen)
{
    struct alpn_conn *c = NULL;
    for (size_t i = 0; i < ALPN_MAX_CONNS && !c; i++)
        if (s->conns[i].state == ALPN_CONN_FREE)
            c = &s->conns[i];
    SSL *ssl = c ? SSL_new(s->ctx) : NULL;
    if (!ssl || SSL_set_fd(ssl, fd) != 1) {
        char why[128];
        log_error("cannot set up a TLS connection: %s",
                  alpn_ssl_reason(why, sizeof why, c ? "SSL_new failed" : "no free slot"));
        SSL_free(ssl);
        close(fd);
        return;
    }
    memset(c, 0, sizeof *c);
    c->fd = fd;
    c->ssl = ssl;
    c->state = ALPN_CONN_HANDSHAKE;
    c->events = POLLIN;
    c->deadline_ms = alpn_now_ms() + ALPN_HANDSHAKE_TIMEOUT_MS;
    c->outcome = ALPN_OUT_NO_HELLO;
    alpn_peer_name(ss, sslen, c->peer, sizeof c->peer);
    int one = 1;
    /* Handshake flights are small and latency-bound: no Nagle delay between them. */
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    SSL_set_app_data(ssl, c);
    SSL_set_accept_state(ssl);
    s->n_used++;
}

/* The oldest connection that has not yet delivered a ClientHello, or NULL. */
static struct alpn_conn *alpn_server_idlest(struct alpn_server *s)
{
    struct alpn_conn *old = NULL;
    for (size_t i = 0; i < ALPN_MAX_CONNS; i++) {
        struct alpn_conn *c = &s->conns[i];
        if (c->state == ALPN_CONN_HANDSHAKE && c->outcome == ALPN_OUT_NO_HELLO &&
            (!old || c->deadline_ms < old->deadline_ms))
            old = c;
    }
    return old;
}

/*
 * Accepts the waiting connections. When every slot is taken, the oldest connection
 * still silent makes room: otherwise a few hundred idle sockets would hold off the
 * CA's validation until they time out, whereas a validator sends its ClientHello at
 * once and so is never the one dropped.
 */
static void alpn_server_accept(struct alpn_server *s, int listen_fd)
{
    for (;;) {
        if (s->n_used >= ALPN_MAX_CONNS && !alpn_server_idlest(s))
            return; /* the rest wait in the listen backlog */
        struct sockaddr_storage ss;
        socklen_t sslen = sizeof ss;
        int fd = accept4(listen_fd, (struct sockaddr *)&ss, &sslen, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd >= 0) {
            if (s->n_used >= ALPN_MAX_CONNS) {
                struct alpn_conn *old = alpn_server_idlest(s);
                alpn_conn_log(old, "dropped to make room (all connection slots taken)");
                alpn_conn_close(s, old);
            }
            alpn_conn_open(s, fd, &ss, sslen);
            continue;
        }
        if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            return;
        /* Out of descriptors or memory: the listening socket stays readable, so pause rather than spin. */
        int64_t now = alpn_now_ms();
        s->accept_pause_until = now + ALPN_ACCEPT_PAUSE_MS;
        if (now - s->accept_error_logged >= 10000 || s->accept_error_logged == 0) {
            log_error("accept: %s", strerror(errno));
            s->accept_error_logged = now;
        }
        return;
    }
}

/* Resumes the handshakes whose lookups have finished. */
static void alpn_server_lookups(struct alpn_server *s)
{
    size_t ids[ALPN_MAX_CONNS];
    size_t n = alpn_pool_done(s->pool, ids, ALPN_MAX_CONNS);
    for (size_t i = 0; i < n; i++) {
        if (ids[i] >= ALPN_MAX_CONNS)
            continue;
        struct alpn_conn *c = &s->conns[ids[i]];
        if (c->state == ALPN_CONN_ORPHAN) {
            c->state = ALPN_CONN_HANDSHAKE; /* anything but LOOKUP: the close frees the slot */
            alpn_conn_close(s, c);
            continue;
        }
        if (c->state != ALPN_CONN_LOOKUP)
            continue;
        c->looked_up = true;
        c->state = ALPN_CONN_HANDSHAKE;
        alpn_conn_advance(s, c, false);
    }
}

/* Closes the connections whose deadline has passed; returns ms until the next deadline (or -1). */
static int64_t alpn_server_expire(struct alpn_server *s, int64_t now)
{
    int64_t next = -1;
    for (size_t i = 0; i < ALPN_MAX_CONNS; i++) {
        struct alpn_conn *c = &s->conns[i];
        if (c->state != ALPN_CONN_HANDSHAKE && c->state != ALPN_CONN_LOOKUP && c->state != ALPN_CONN_CLOSING)
            continue;
        if (c->deadline_ms <= now) {
            if (c->state != ALPN_CONN_CLOSING)
                alpn_conn_log(c, "timed out");
            alpn_conn_close(s, c);
            continue;
        }
        if (next < 0 || c->deadline_ms - now < next)
            next = c->deadline_ms - now;
    }
    return next;
}

/* Prepares the server around its listening sockets, a lookup pool and the signing key. */
struct alpn_server *alpn_server_new(const int *listen_fds, size_t n_listen, struct alpn_pool *pool, EVP_PKEY *key)
{
    if (!listen_fds || n_listen == 0 || n_listen > ALPN_MAX_LISTEN) {
        log_error("server: 1 to %d listening sockets, not %zu", ALPN_MAX_LISTEN, n_listen);
        return NULL;
    }
    struct alpn_server *s = xcalloc(1, sizeof *s);
    memcpy(s->listen_fds, listen_fds, n_listen * sizeof *listen_fds);
    s->n_listen = n_listen;
    s->pool = pool;
    s->key = key;
    for (size_t i = 0; i < ALPN_MAX_CONNS; i++)
        s->conns[i].fd = -1;
    s->ctx = alpn_server_ctx(s);
    if (!s->ctx) {
        char why[128];
        log_error("cannot make the TLS context: %s", alpn_ssl_reason(why, sizeof why, "unknown"));
        free(s);
        return NULL;
    }
    return s;
}

/*
 * Fills the poll set: the pool, the listening sockets (while slots are free; slot
 * marker ALPN_PFD_LISTEN(k) for socket k), and the live connections.
 */
static nfds_t alpn_server_pollset(struct alpn_server *s, int64_t now)
{
    nfds_t n = 0;
    s->pfd[n] = (struct pollfd){ .fd = alpn_pool_fd(s->pool), .events = POLLIN };
    s->pfd_slot[n++] = SIZE_MAX;
    if ((s->n_used < ALPN_MAX_CONNS || alpn_server_idlest(s)) && now >= s->accept_pause_until) {
        for (size_t k = 0; k < s->n_listen; k++) {
            s->pfd[n] = (struct pollfd){ .fd = s->listen_fds[k], .events = POLLIN };
            s->pfd_slot[n++] = ALPN_PFD_LISTEN(k);
        }
    }
    for (size_t i = 0; i < ALPN_MAX_CONNS; i++) {
        struct alpn_conn *c = &s->conns[i];
        if (c->state != ALPN_CONN_HANDSHAKE && c->state != ALPN_CONN_LOOKUP && c->state != ALPN_CONN_CLOSING)
            continue;
        s->pfd[n] = (struct pollfd){ .fd = c->fd, .events = c->events };
        s->pfd_slot[n++] = i;
    }
    return n;
}

/* The loop: wait, serve ready connections, resume answered lookups, accept, expire. */
void alpn_server_run(struct alpn_server *s, volatile sig_atomic_t *stop, const sigset_t *wait_mask)
{
    bool accept_ready[ALPN_MAX_LISTEN] = { false }, lookups_ready = false;
    while (!*stop) {
        int64_t now = alpn_now_ms();
        int64_t wait = alpn_server_expire(s, now);
        if (now < s->accept_pause_until && (wait < 0 || s->accept_pause_until - now < wait))
            wait = s->accept_pause_until - now;
        if (wait < 0 || wait > ALPN_IDLE_WAIT_MS)
            wait = ALPN_IDLE_WAIT_MS;
        nfds_t n = alpn_server_pollset(s, now);
        struct timespec ts = { (time_t)(wait / 1000), (long)(wait % 1000) * 1000000L };
        int r = ppoll(s->pfd, n, &ts, wait_mask);
        if (r < 0) {
            if (errno != EINTR) {
                log_error("ppoll: %s", strerror(errno));
                break;
            }
            continue;
        }
        memset(accept_ready, 0, sizeof accept_ready);
        lookups_ready = false;
        for (nfds_t i = 0; i < n && r > 0; i++) {
            short re = s->pfd[i].revents;
            if (!re)
                continue;
            if (s->pfd_slot[i] == SIZE_MAX) {
                lookups_ready = true;
                continue;
            }
            if (s->pfd_slot[i] >= ALPN_PFD_LISTEN(s->n_listen - 1) && s->pfd_slot[i] < SIZE_MAX) {
                accept_ready[SIZE_MAX - 1 - s->pfd_slot[i]] = true;
                continue;
            }
            struct alpn_conn *c = &s->conns[s->pfd_slot[i]];
            bool gone = (re & (POLLHUP | POLLERR | POLLRDHUP)) != 0;
            if (c->state == ALPN_CONN_HANDSHAKE)
                alpn_conn_advance(s, c, gone);
            else if (c->state == ALPN_CONN_CLOSING)
                alpn_conn_drain(s, c);
            else if (c->state == ALPN_CONN_LOOKUP && gone) {
                alpn_conn_log(c, "peer closed the connection during the lookup");
                alpn_conn_close(s, c);
            }
        }
        if (lookups_ready)
            alpn_server_lookups(s);
        for (size_t k = 0; k < s->n_listen; k++)
            if (accept_ready[k])
                alpn_server_accept(s, s->listen_fds[k]);
    }
    /* Stopping: drop every connection now; slots with a running lookup become orphans. */
    for (size_t i = 0; i < ALPN_MAX_CONNS; i++) {
        struct alpn_conn *c = &s->conns[i];
        if (c->state == ALPN_CONN_HANDSHAKE || c->state == ALPN_CONN_LOOKUP || c->state == ALPN_CONN_CLOSING)
            alpn_conn_close(s, c);
    }
}

/* Frees the server; the pool is stopped, so no lookup writes into a slot any more. */
void alpn_server_free(struct alpn_server *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < ALPN_MAX_CONNS; i++) {
        struct alpn_conn *c = &s->conns[i];
        SSL_free(c->ssl);
        if (c->fd >= 0)
            close(c->fd);
        free(c->lk.key_authorization);
    }
    SSL_CTX_free(s->ctx);
    free(s);
}
