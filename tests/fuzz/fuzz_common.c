/* fuzz_common — the configuration and fcgi context the drivers share. */
#include "fuzz_common.h"

#include "base/log.h"

#include <string.h>
#include <time.h>

static struct config_ca fuzz_ca = {
    .name = "fuzz-ca",
    .directory = "https://127.0.0.1:9/dir",
    .max_inflight = 1,
    .timeout_ms = 1000,
    .eab_alg = "HS256",
};

static struct config fuzz_cfg = {
    .path = "fuzz.conf",
    .db_conninfo = "host=127.0.0.1 port=9 connect_timeout=1",
    .default_ca = "fuzz-ca",
    .max_body = 65536,
    .max_names = 100,
    .poll_interval_ms = 1000,
    .lease_seconds = 60,
    .dns_port = 53,
    .dns_timeout_ms = 1000,
    .dns_propagation_timeout_s = 60,
    .http01_port = 80,
    .cas = &fuzz_ca,
    .n_cas = 1,
};

/* The shared configuration (static: the drivers never change it). */
const struct config *fuzz_config(void)
{
    return &fuzz_cfg;
}

/* A context whose next connection attempt lies in the far future: handlers answer 503 at their first query. */
struct fcgi_ctx *fuzz_fcgi_ctx(void)
{
    static struct fcgi_app app;
    static struct fcgi_ctx ctx;
    static int ready;
    if (!ready) {
        log_init("fuzz", LOG_LVL_ERROR);
        app.cfg = &fuzz_cfg;
        unsigned char key[SEAL_KEY_LEN];
        memset(key, 0x42, sizeof key);
        seal_keyring_add(&app.keys, key);
        app.have_master_key = 1;
        fcgi_ctx_init(&ctx, &app, 0);
        ready = 1;
    }
    ctx.next_connect = time(NULL) + 86400 * 365;
    return &ctx;
}
