/*
 * certmill-fcgi — the HTTP front of certmill as a FastCGI application.
 *
 *   certmill-fcgi [--config FILE] [--threads N]
 *
 * Listens on [api] fcgi_listen (host:port or a socket path) and answers with N
 * threads (default 4), each with its own database connection. SIGTERM or SIGINT:
 * stop accepting, finish the requests in progress, exit 0.
 */
#include "db.h"
#include "app.h"
#include "base/config.h"
#include "base/log.h"
#include "base/xalloc.h"
#include "crypto/seal.h"
#include "base/listen.h"
#include "base/notify.h"
#include "limiter.h"
#include "metrics.h"
#include "serve.h"

#include <errno.h>
#include <fcgiapp.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <time.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define FCGI_DEFAULT_THREADS 4
#define FCGI_MAX_THREADS 256
#define FCGI_BACKLOG 256

struct fcgi_opts {
    const char *config;
    int threads;
};

/* Prints how to call the program. */
static void fcgi_usage(FILE *f)
{
    fprintf(f, "usage: certmill-fcgi [--config FILE] [--threads N]\n");
}

/* Reads the command line; false on a usage error. */
static bool fcgi_parse_args(int argc, char **argv, struct fcgi_opts *o)
{
    o->config = NULL;
    o->threads = FCGI_DEFAULT_THREADS;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
            o->config = argv[++i];
        } else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc) {
            char *end;
            long n = strtol(argv[++i], &end, 10);
            if (*end || n < 1 || n > FCGI_MAX_THREADS) {
                fprintf(stderr, "certmill-fcgi: --threads takes 1 to %d\n", FCGI_MAX_THREADS);
                return false;
            }
            o->threads = (int)n;
        } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fcgi_usage(stdout);
            exit(0);
        } else {
            fcgi_usage(stderr);
            return false;
        }
    }
    return true;
}

/* Does nothing: its delivery makes a blocked accept() fail with EINTR. */
static void fcgi_on_wake(int sig)
{
    (void)sig;
}

/* Blocks the stop signals in every thread (inherited), so main receives them with sigwait. */
static void fcgi_block_signals(sigset_t *set)
{
    sigemptyset(set);
    sigaddset(set, SIGTERM);
    sigaddset(set, SIGINT);
    pthread_sigmask(SIG_BLOCK, set, NULL);
    /* A client that hangs up must not kill the process on write. */
    signal(SIGPIPE, SIG_IGN);
    /* SIGUSR1 only interrupts a serving thread's accept() at shutdown (no SA_RESTART). */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = fcgi_on_wake;
    sigaction(SIGUSR1, &sa, NULL);
}

/* Starts the threads, waits for a stop signal, and winds them down. */
static int fcgi_run(const struct fcgi_app *app, int listen_fd, bool inherited, int nthreads, sigset_t *set)
{
    struct fcgi_serve_arg *args = xcalloc((size_t)nthreads, sizeof *args);
    pthread_t *tids = xcalloc((size_t)nthreads, sizeof *tids);
    int started = 0, rc = 0;
    for (; started < nthreads; started++) {
        fcgi_ctx_init(&args[started].ctx, app, started);
        args[started].listen_fd = listen_fd;
        if (pthread_create(&tids[started], NULL, fcgi_serve_thread, &args[started]) != 0) {
            log_error("cannot start thread %d", started);
            rc = 1;
            break;
        }
    }
    if (rc == 0) {
        log_info("listening on %s with %d threads", inherited ? "the socket of the service manager" : app->cfg->fcgi_listen,
                 nthreads);
        notify_send("READY=1");
        int sig = 0;
        while (sigwait(set, &sig) != 0)
            ;
        log_info("signal %d: finishing requests in progress and stopping", sig);
        notify_send("STOPPING=1");
    }
    fcgi_serve_stop();
    FCGX_ShutdownPending();
    if (inherited) {
        /* The socket belongs to the service manager, which keeps it for the next start: shutting it
         * down would break that. Each thread is interrupted in accept() instead (SIGUSR1, no restart),
         * again until it is gone: one busy with a request finishes it first. */
        for (int i = 0; i < started; i++) {
            struct timespec until;
            do {
                pthread_kill(tids[i], SIGUSR1);
                clock_gettime(CLOCK_REALTIME, &until);
                until.tv_nsec += 100 * 1000000L;
                if (until.tv_nsec >= 1000000000L) {
                    until.tv_sec++;
                    until.tv_nsec -= 1000000000L;
                }
            } while (pthread_timedjoin_np(tids[i], NULL, &until) == ETIMEDOUT);
        }
    } else {
        /* Wakes every thread blocked in accept(): on Linux it then fails with EINVAL. */
        shutdown(listen_fd, SHUT_RDWR);
        for (int i = 0; i < started; i++)
            pthread_join(tids[i], NULL);
    }
    free(tids);
    free(args);
    return rc;
}

/* Loads everything, serves until a stop signal, frees everything. */
int main(int argc, char **argv)
{
    struct fcgi_opts opts;
    struct fcgi_app app;
    char err[512];
    sigset_t set;
    int rc = 1, listen_fd = -1;
    memset(&app, 0, sizeof app);
    log_init("certmill-fcgi", LOG_LVL_INFO);
    if (!fcgi_parse_args(argc, argv, &opts))
        return 2;
    struct config *cfg = config_load(opts.config, err, sizeof err);
    if (!cfg) {
        fprintf(stderr, "certmill-fcgi: %s\n", err);
        return 2;
    }
    log_set_level((enum log_level)cfg->log_level);
    log_set_format((enum log_format)cfg->log_format);
    db_set_transaction_pooling(cfg->db_pooled);
    app.cfg = cfg;
    if (!seal_keyring_load(&app.keys, cfg->master_key_file, cfg->previous_master_key_files, err, sizeof err)) {
        fprintf(stderr, "certmill-fcgi: %s\n", err);
        rc = 2;
        goto out;
    }
    app.have_master_key = true;
    app.limiter = fcgi_limiter_new();
    /* Seed jansson's hash function before threads race to do it. */
    json_object_seed(0);
    if (FCGX_Init() != 0) {
        log_error("cannot initialise libfcgi");
        goto out;
    }
    /* Under systemd's certmill-fcgi.socket the socket comes ready-made; else [api] fcgi_listen. */
    listen_fd = notify_listen_fd();
    bool inherited = listen_fd >= 0;
    if (inherited)
        log_info("using the listening socket passed by the service manager");
    else
        listen_fd = listen_open(cfg->fcgi_listen, FCGI_BACKLOG, false, err, sizeof err);
    if (listen_fd < 0) {
        log_error("%s", err);
        goto out;
    }
    fcgi_block_signals(&set);
    fcgi_metrics_start(&app);
    rc = fcgi_run(&app, listen_fd, inherited, opts.threads, &set);
    /* After the serving threads: their last counts go out with the final flush. */
    fcgi_metrics_stop();
    log_info("stopped");
out:
    if (listen_fd > 0)
        close(listen_fd);
    seal_keyring_clear(&app.keys);
    fcgi_limiter_free(app.limiter);
    config_free(cfg);
    return rc;
}
