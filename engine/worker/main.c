/* certmill-worker — claims due steps from PostgreSQL and advances orders one step at a time. */
#include "heartbeat.h"
#include "renew.h"
#include "wdns.h"
#include "wmetrics.h"
#include "worker.h"

#include "base/clock.h"
#include "base/log.h"
#include "base/notify.h"
#include "base/xalloc.h"
#include "crypto/cert.h"
#include "db.h"
#include "db_metrics.h"
#include "db_work.h"

#include <curl/curl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t worker_stop;

/* SIGTERM/SIGINT: finish the current step, then leave. */
static void worker_on_signal(int sig)
{
    (void)sig;
    worker_stop = 1;
}

/* Sleeps for ms milliseconds unless a signal ends it sooner. */
static void worker_nap(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

/* Connects to the database, waiting (with the poll interval) while it is down. */
static struct db *worker_connect(const struct config *cfg)
{
    char err[512];
    bool said = false;
    while (!worker_stop) {
        struct db *db = db_open(cfg->db_conninfo_worker, err, sizeof err);
        if (db && db_job_listen(db) == DB_OK)
            return db;
        db_close(db);
        if (!said)
            log_warn("%s; retrying", db ? "cannot LISTEN" : err);
        said = true;
        worker_nap(cfg->poll_interval_ms);
    }
    return NULL;
}

/*
 * Waits for work: until a notification, the next due job, the next scheduler pass or
 * webhook look (each at least once per poll interval), whichever comes first. A
 * renewal falling due between two passes waits for the next pass: renewals are
 * planned days ahead, and one statement fewer per wake-up counts when steps are short.
 */
static void worker_idle(struct worker *w, long long next_pass)
{
    long long now = clock_now_ms();
    long ms = w->cfg->poll_interval_ms, due = -1;
    if (db_job_next_due(w->db, &due) == DB_OK && due >= 0 && due < ms)
        ms = due;
    const long long at[] = { next_pass, w->webhook_check_ms };
    for (size_t i = 0; i < sizeof at / sizeof at[0]; i++)
        if (at[i] - now < ms)
            ms = at[i] <= now ? 0 : (long)(at[i] - now);
    if (ms > 0 && (db_job_wait(w->db, ms) & DB_WAKE_WEBHOOK))
        w->webhook_check_ms = 0;
}

/* Due certificates handled per scheduler pass: a backlog is worked off between steps. */
#define WORKER_RENEW_BATCH 50

/* Claims and runs steps until told to stop; a renewal scheduler pass at most once per poll interval. */
static void worker_loop(struct worker *w)
{
    long long next_pass = 0, next_beat = 0;
    long watchdog_ms = notify_watchdog_ms();
    while (!worker_stop) {
        /* The service manager's watchdog: kept fed while the loop turns, at half its interval. */
        if (watchdog_ms > 0 && clock_now_ms() >= next_beat) {
            notify_send("WATCHDOG=1");
            next_beat = clock_now_ms() + watchdog_ms / 2;
        }
        if (db_is_down(w->db)) {
            if (!db_ensure(w->db) || db_job_listen(w->db) != DB_OK) {
                worker_nap(w->cfg->poll_interval_ms);
                continue;
            }
        }
        bool renewed = false;
        if (clock_now_ms() >= next_pass) {
            int n = renew_pass(w, WORKER_RENEW_BATCH);
            renewed = n > 0;
            /* A full batch leaves more due: the next pass comes after one step, not a whole interval. */
            next_pass = clock_now_ms() + (n == WORKER_RENEW_BATCH ? 0 : w->cfg->poll_interval_ms);
        }
        /* Webhook deliveries take turns with order steps, so neither starves the other. */
        bool stepped = worker_run_one(w);
        /* Notifications that came while busy: a delivery to send is not left for the poll. */
        if (db_job_wait(w->db, 0) & DB_WAKE_WEBHOOK)
            w->webhook_check_ms = 0;
        bool sent = !worker_stop && worker_webhook_run_one(w);
        bool idle = !stepped && !sent && !renewed && !worker_stop;
        wmetrics_flush(w, idle);
        if (idle)
            worker_idle(w, next_pass);
    }
}

/* Prints usage. */
static int worker_usage(void)
{
    fputs("usage: certmill-worker [--config FILE] [--id NAME]\n", stderr);
    return 2;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = { { "config", required_argument, NULL, 'c' },
                                          { "id", required_argument, NULL, 'i' },
                                          { NULL, 0, NULL, 0 } };
    const char *cfgpath = NULL, *id = NULL;
    int c;
    while ((c = getopt_long(argc, argv, "c:i:", opts, NULL)) != -1) {
        if (c == 'c')
            cfgpath = optarg;
        else if (c == 'i')
            id = optarg;
        else
            return worker_usage();
    }
    log_init("certmill-worker", LOG_LVL_INFO);
    char err[512];
    struct worker w;
    memset(&w, 0, sizeof w);
    w.cfg = config_load(cfgpath, err, sizeof err);
    if (!w.cfg) {
        log_error("%s", err);
        return 2;
    }
    log_set_level((enum log_level)w.cfg->log_level);
    log_set_format((enum log_format)w.cfg->log_format);
    db_set_transaction_pooling(w.cfg->db_pooled);
    if (!seal_keyring_load(&w.keys, w.cfg->master_key_file, w.cfg->previous_master_key_files, err, sizeof err)) {
        log_error("%s", err);
        config_free(w.cfg);
        return 2;
    }
    char host[64] = "host";
    gethostname(host, sizeof host - 1);
    /* The lease owner names host, instance and pid, so an operator can tell who holds a step. */
    int n = snprintf(w.id, sizeof w.id, "%.24s/%.24s/%ld", host, id ? id : "worker", (long)getpid());
    if (n < 0 || (size_t)n >= sizeof w.id)
        w.id[sizeof w.id - 1] = '\0';
    w.n_cas = w.cfg->n_cas;
    w.cas = xcalloc(w.n_cas ? w.n_cas : 1, sizeof *w.cas);
    for (size_t i = 0; i < w.n_cas; i++)
        w.cas[i].conf = &w.cfg->cas[i];

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = worker_on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    curl_global_init(CURL_GLOBAL_DEFAULT);

    if (!wdns_init(&w)) {
        worker_cas_free(&w);
        config_free(w.cfg);
        return 2;
    }
    w.db = worker_connect(w.cfg);
    if (w.db) {
        w.hb = heartbeat_start(w.cfg->db_conninfo_worker, w.id, w.cfg->lease_seconds);
        log_info("worker %s started", w.id);
        /* Ready once the database is reached (Type=notify units start the next unit then). */
        notify_send("READY=1");
        worker_loop(&w);
    }
    log_info("worker %s stopping", w.id);
    notify_send("STOPPING=1");
    /* What this worker counted since its last flush is kept for the cluster's counters. */
    if (w.db && db_metrics_flush(w.db) != DB_OK)
        log_warn("metrics: the last counts could not be written");
    metrics_reset();
    heartbeat_stop(w.hb);
    db_close(w.gate_db);
    db_close(w.db);
    wdns_free(&w);
    worker_cas_free(&w);
    keycache_clear(&w.decoded_keys);
    cert_chain_forget();
    seal_keyring_clear(&w.keys);
    config_free(w.cfg);
    curl_global_cleanup();
    return 0;
}
