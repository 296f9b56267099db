/*
 * certmill-alpn — the TLS-ALPN-01 responder (RFC 8737).
 *
 *   certmill-alpn [--config FILE] [--threads N]
 *
 * Listens on [alpn] listen: one to four addresses separated by spaces (host:port or
 * [v6]:port, e.g. "127.0.0.1:10443 [::1]:10443": an IPv6 identifier is validated at
 * its IPv6 address, RFC 8738). A CA validating a name with
 * tls-alpn-01 connects, offers ALPN "acme-tls/1" and names the domain in SNI; the
 * answer is a self-signed certificate for that name carrying the SHA-256 of the
 * pending challenge's key authorization, found in PostgreSQL (so any host running
 * certmill-alpn can answer for every worker). N lookup threads (default 4) each
 * hold a database connection; one thread serves all handshakes. SIGTERM or SIGINT:
 * drop the connections, exit 0.
 */
#include "base/listen.h"
#include "alpn/lookup.h"
#include "alpn/server.h"
#include "base/config.h"
#include "base/log.h"
#include "crypto/key.h"
#include "db.h"

#include <openssl/evp.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ALPN_DEFAULT_THREADS 4
#define ALPN_MAX_THREADS 64
#define ALPN_BACKLOG 256

static volatile sig_atomic_t alpn_stop;

/* SIGTERM/SIGINT: leave the loop (it wakes from ppoll with EINTR). */
static void alpn_on_signal(int sig)
{
    (void)sig;
    alpn_stop = 1;
}

/* Prints how to call the program. */
static void alpn_usage(FILE *f)
{
    fprintf(f, "usage: certmill-alpn [--config FILE] [--threads N]\n");
}

/* Reads the command line; -1 to go on, else the exit status. */
static int alpn_parse_args(int argc, char **argv, const char **config, int *threads)
{
    *config = NULL;
    *threads = ALPN_DEFAULT_THREADS;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
            *config = argv[++i];
        } else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc) {
            char *end;
            long n = strtol(argv[++i], &end, 10);
            if (*end || n < 1 || n > ALPN_MAX_THREADS) {
                fprintf(stderr, "certmill-alpn: --threads takes 1 to %d\n", ALPN_MAX_THREADS);
                return 2;
            }
            *threads = (int)n;
        } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            alpn_usage(stdout);
            return 0;
        } else {
            alpn_usage(stderr);
            return 2;
        }
    }
    return -1;
}

/*
 * Installs the stop handlers and blocks the stop signals: the lookup threads inherit
 * the mask (so the signals always reach the loop), and ppoll lets them in with
 * wait_mask only while it waits.
 */
static void alpn_signals(sigset_t *wait_mask)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = alpn_on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    /* A peer that hangs up must not kill the process on write. */
    signal(SIGPIPE, SIG_IGN);
    sigset_t block;
    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGINT);
    pthread_sigmask(SIG_BLOCK, &block, wait_mask);
    sigdelset(wait_mask, SIGTERM);
    sigdelset(wait_mask, SIGINT);
}

/*
 * Opens every listening socket of spec (addresses separated by spaces); *n of them in
 * fds. False with the reason in err (the ones opened are closed again).
 */
static bool alpn_listen_all(const char *spec, int *fds, size_t *n, char *err, size_t errlen)
{
    char addr[256];
    *n = 0;
    for (const char *p = spec ? spec : ""; *p;) {
        p += strspn(p, " \t");
        size_t len = strcspn(p, " \t");
        if (len == 0)
            break;
        if (len >= sizeof addr || *n == ALPN_MAX_LISTEN) {
            snprintf(err, errlen, "[alpn] listen: at most %d addresses of at most %zu characters", ALPN_MAX_LISTEN,
                     sizeof addr - 1);
            goto fail;
        }
        snprintf(addr, sizeof addr, "%.*s", (int)len, p);
        int fd = listen_open(addr, ALPN_BACKLOG, true, err, errlen);
        if (fd < 0)
            goto fail;
        fds[(*n)++] = fd;
        p += len;
    }
    if (*n > 0)
        return true;
    snprintf(err, errlen, "[alpn] listen names no address");
fail:
    while (*n > 0)
        close(fds[--*n]);
    return false;
}

int main(int argc, char **argv)
{
    const char *cfgpath;
    int threads;
    int rc = alpn_parse_args(argc, argv, &cfgpath, &threads);
    if (rc >= 0)
        return rc;
    log_init("certmill-alpn", LOG_LVL_INFO);
    char err[512];
    struct config *cfg = config_load(cfgpath, err, sizeof err);
    if (!cfg) {
        log_error("%s", err);
        return 2;
    }
    log_set_level((enum log_level)cfg->log_level);
    log_set_format((enum log_format)cfg->log_format);
    db_set_transaction_pooling(cfg->db_pooled);

    sigset_t wait_mask;
    alpn_signals(&wait_mask);

    rc = 1;
    int listen_fds[ALPN_MAX_LISTEN];
    size_t n_listen = 0;
    struct alpn_pool *pool = NULL;
    struct alpn_server *srv = NULL;
    /* One key for the life of the process: only the certificate differs between names. */
    EVP_PKEY *key = key_generate(KEY_EC_P256);
    if (!key)
        goto out;
    if (!alpn_listen_all(cfg->alpn_listen, listen_fds, &n_listen, err, sizeof err)) {
        log_error("%s", err);
        goto out;
    }
    /* One outstanding lookup per connection slot at most. */
    pool = alpn_pool_start(cfg->db_conninfo_api, threads, ALPN_MAX_CONNS, err, sizeof err);
    if (!pool) {
        log_error("%s", err);
        goto out;
    }
    srv = alpn_server_new(listen_fds, n_listen, pool, key);
    if (!srv)
        goto out;
    log_info("listening on %s with %d lookup threads", cfg->alpn_listen, threads);
    alpn_server_run(srv, &alpn_stop, &wait_mask);
    log_info("stopping");
    rc = 0;
out:
    alpn_pool_stop(pool); /* before the server: lookups still running write into its slots */
    alpn_server_free(srv);
    for (size_t i = 0; i < n_listen; i++)
        close(listen_fds[i]);
    EVP_PKEY_free(key);
    config_free(cfg);
    return rc;
}
