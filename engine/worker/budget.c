/*
 * budget — the gate before newOrder: an order that would exceed a CA budget waits, queued,
 * until the window lets it through, instead of being sent to be refused.
 *
 * Renewals (Let's Encrypt's rule, boulder's ratelimits: an order for exactly the names of a
 * certificate already issued) are exempt from new_orders and certs_per_domain and spend
 * neither; they still count for certs_per_name_set and failed_validations. certmill knows
 * a renewal when the tenant holds an unexpired certificate from the same CA for the same
 * set of names.
 */
#include "budget.h"

#include "base/log.h"
#include "base/xalloc.h"
#include "db_budget.h"
#include "ident/regdom.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

/* One key of one budget the order would spend (or, for failed_validations, be stopped by). */
struct budget_item {
    enum budget_kind kind;
    const char *account; /* the tenant, or "" */
    char *key;
};

struct budget_items {
    struct budget_item *v;
    size_t n;
};

/* Adds an item unless the same (kind, key) is there already. */
static void budget_items_add(struct budget_items *it, enum budget_kind kind, const char *account, const char *key)
{
    for (size_t i = 0; i < it->n; i++)
        if (it->v[i].kind == kind && strcmp(it->v[i].key, key) == 0)
            return;
    it->v = xrealloc(it->v, (it->n + 1) * sizeof *it->v);
    it->v[it->n++] = (struct budget_item){ kind, account, xstrdup(key) };
}

/* Frees the items. */
static void budget_items_free(struct budget_items *it)
{
    for (size_t i = 0; i < it->n; i++)
        free(it->v[i].key);
    free(it->v);
}

/* Orders strings for qsort. */
static int budget_strcmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The exact set of identifiers as one key: the distinct names, sorted, joined by ",". */
static char *budget_name_set(const json_t *names)
{
    size_t n = json_array_size(names), len = 1;
    const char **v = xcalloc(n ? n : 1, sizeof *v);
    for (size_t i = 0; i < n; i++) {
        v[i] = json_string_value(json_array_get(names, i));
        if (!v[i])
            v[i] = "";
        len += strlen(v[i]) + 1;
    }
    qsort(v, n, sizeof *v, budget_strcmp);
    char *out = xcalloc(1, len), *p = out;
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && strcmp(v[i], v[i - 1]) == 0)
            continue;
        if (p != out)
            *p++ = ',';
        size_t l = strlen(v[i]);
        memcpy(p, v[i], l);
        p += l;
    }
    *p = '\0';
    free(v);
    return out;
}

/* Lists the keys of every budget that is on for this CA and applies to this order. */
static void budget_items_of(struct step *s, bool renewal, struct budget_items *it)
{
    const struct config_ca *ca = s->ca->conf;
    json_t *names = json_object_get(s->order, "domains");
    size_t i;
    json_t *v;
    if (ca->budget[BUDGET_NEW_ORDERS].limit > 0 && !renewal)
        /* Per ACME account: its URL names it (a new registration is a new account at the CA). */
        budget_items_add(it, BUDGET_NEW_ORDERS, s->tenant_id, s->kid ? s->kid : s->tenant_id);
    if (ca->budget[BUDGET_CERTS_PER_DOMAIN].limit > 0 && !renewal)
        json_array_foreach(names, i, v)
        {
            char reg[300];
            if (json_string_value(v) && regdom_of(json_string_value(v), reg, sizeof reg))
                budget_items_add(it, BUDGET_CERTS_PER_DOMAIN, "", reg);
        }
    if (ca->budget[BUDGET_CERTS_PER_NAME_SET].limit > 0) {
        char *set = budget_name_set(names);
        budget_items_add(it, BUDGET_CERTS_PER_NAME_SET, "", set);
        free(set);
    }
    if (ca->budget[BUDGET_FAILED_VALIDATIONS].limit > 0)
        json_array_foreach(names, i, v)
        {
            /* The CA names a wildcard's authorization by its base name. */
            const char *n = json_string_value(v);
            if (n)
                budget_items_add(it, BUDGET_FAILED_VALIDATIONS, s->tenant_id, strncmp(n, "*.", 2) == 0 ? n + 2 : n);
        }
}

/* The longest window of the CA's budgets that are on (what pruning keeps). */
static long budget_longest_window(const struct config_ca *ca)
{
    long w = 0;
    for (int k = 0; k < BUDGET_COUNT; k++)
        if (ca->budget[k].limit > 0 && ca->budget[k].window_s > w)
            w = ca->budget[k].window_s;
    return w;
}

/* The "waiting" object of an order held by a budget until `until` (epoch seconds). */
static json_t *budget_waiting_json(const struct budget_item *b, const struct budget_rule *r, time_t until)
{
    struct tm tm;
    char ts[32];
    strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&until, &tm));
    return json_pack("{s:s, s:s, s:s, s:i, s:I, s:s}", "reason", "rate_limit", "budget", budget_name(b->kind), "key",
                     b->key, "limit", r->limit, "window_seconds", (json_int_t)r->window_s, "until", ts);
}

/* Inside the gate's transaction: counts every key; *blocked is the one that frees last. */
static enum db_rc budget_check(struct step *s, const struct budget_items *it, long *blocked, double *until,
                               double *now)
{
    const struct config_ca *ca = s->ca->conf;
    *blocked = -1;
    for (size_t i = 0; i < it->n; i++) {
        const struct budget_item *b = &it->v[i];
        const struct budget_rule *r = &ca->budget[b->kind];
        struct db_budget_count c;
        /* An order's own certificate reservation (from before a restart) is its own slot. */
        bool cert = b->kind == BUDGET_CERTS_PER_DOMAIN || b->kind == BUDGET_CERTS_PER_NAME_SET;
        enum db_rc rc = db_budget_count(s->w->db, ca->name, budget_name(b->kind), b->account, b->key, r->limit,
                                        r->window_s, cert ? s->order_id : NULL, &c);
        if (rc != DB_OK)
            return rc;
        *now = c.now;
        double free_at = 0;
        if (!budget_allows(r, c.counted, c.oldest, &free_at) && (*blocked < 0 || free_at > *until)) {
            *blocked = (long)i;
            *until = free_at;
        }
    }
    return DB_OK;
}

/* Inside the gate's transaction: spends a slot of each budget (failed_validations only stops). */
static enum db_rc budget_take(struct step *s, const struct budget_items *it)
{
    enum db_rc rc = DB_OK;
    for (size_t i = 0; i < it->n && rc == DB_OK; i++) {
        const struct budget_item *b = &it->v[i];
        if (b->kind == BUDGET_FAILED_VALIDATIONS)
            continue;
        bool reserve = b->kind != BUDGET_NEW_ORDERS;
        rc = db_budget_add(s->w->db, s->ca->conf->name, budget_name(b->kind), b->account, b->key, s->order_id,
                           !reserve);
    }
    return rc;
}

/* Ends the step with the order waiting: queued, "waiting" set, the job due when the slot frees. */
static enum step_rc budget_wait(struct step *s, const struct budget_item *b, double until, double now)
{
    const struct budget_rule *r = &s->ca->conf->budget[b->kind];
    time_t until_s = (time_t)until;
    if ((double)until_s < until)
        until_s++; /* whole seconds, rounded up: never before the slot frees */
    json_t *waiting = budget_waiting_json(b, r, until_s);
    /* A little after the event has left the window, by the database's clock. */
    long delay_ms = (long)((until_s - now) * 1000.0) + 500;
    if (delay_ms < 500)
        delay_ms = 500;
    char last[400];
    snprintf(last, sizeof last, "waiting for the CA's %s budget (%d per %lds) of %s", budget_name(b->kind), r->limit,
             r->window_s, b->key);
    enum db_rc rc = db_budget_order_waiting(s->w->db, s->order_id, waiting);
    if (rc == DB_OK)
        rc = step_job_reschedule(s, delay_ms, s->job.attempts, s->job.polls, last);
    if (rc == DB_OK)
        rc = step_tx_commit(s);
    enum step_rc ret = rc == DB_OK ? STEP_RC_OK : step_tx_abort(s, rc);
    if (ret == STEP_RC_OK) {
        const char *ts = json_string_value(json_object_get(waiting, "until"));
        log_info("order %s: %s until %s", s->order_id, last, ts);
        step_log(s, "held back: the CA's %s budget (%d per %lds) for %s is spent; waiting until %s",
                 budget_name(b->kind), r->limit, r->window_s, b->key, ts);
    }
    json_decref(waiting);
    return ret;
}

/* The gate before newOrder. */
bool budget_gate(struct step *s, enum step_rc *rc)
{
    const struct config_ca *ca = s->ca->conf;
    bool renewal = false;
    if (ca->budget[BUDGET_NEW_ORDERS].limit > 0 || ca->budget[BUDGET_CERTS_PER_DOMAIN].limit > 0) {
        if (db_budget_is_renewal(s->w->db, s->tenant_id, ca->name, json_object_get(s->order, "domains"),
                                 &renewal) != DB_OK) {
            s->problem = step_problem("database_unavailable", "the database failed while checking the CA budget",
                                      true, NULL);
            *rc = STEP_RC_RETRY;
            return false;
        }
    }
    struct budget_items it = { 0 };
    budget_items_of(s, renewal, &it);
    if ((*rc = step_tx_begin(s)) != STEP_RC_OK) {
        budget_items_free(&it);
        return false;
    }
    json_t *locks = json_array();
    for (size_t i = 0; i < it.n; i++) {
        char *k = xasprintf("%s|%s|%s", budget_name(it.v[i].kind), it.v[i].account, it.v[i].key);
        json_array_append_new(locks, json_string(k));
        free(k);
    }
    long blocked = -1;
    double until = 0, now = 0;
    enum db_rc drc = it.n ? db_budget_lock(s->w->db, ca->name, locks) : DB_OK;
    json_decref(locks);
    if (drc == DB_OK)
        drc = budget_check(s, &it, &blocked, &until, &now);
    bool pass = false;
    if (drc != DB_OK) {
        *rc = step_tx_abort(s, drc);
    } else if (blocked >= 0) {
        *rc = budget_wait(s, &it.v[blocked], until, now);
    } else {
        drc = budget_take(s, &it);
        /* An order that was held for the budget stops showing it. */
        if (drc == DB_OK && json_is_true(json_object_get(s->order, "waiting_shown")))
            drc = db_budget_order_waiting(s->w->db, s->order_id, NULL);
        /* Pruning now and then keeps the table at what the windows can still count. */
        if (drc == DB_OK && it.n && rand() % 16 == 0)
            drc = db_budget_prune(s->w->db, ca->name, budget_longest_window(ca));
        if (drc == DB_OK)
            drc = step_tx_commit(s);
        if (drc == DB_OK) {
            pass = true;
            if (renewal)
                log_debug("order %s: a renewal: exempt from new_orders and certs_per_domain", s->order_id);
        } else {
            *rc = step_tx_abort(s, drc);
        }
    }
    budget_items_free(&it);
    return pass;
}

/* Confirms the order's reserved certificate slots (inside the issuing transaction). */
enum db_rc budget_record_issued(struct step *s)
{
    return db_budget_confirm(s->w->db, s->order_id);
}

/* Counts a failed authorization; a failure to write it is logged, not the order's failure. */
void budget_record_failure(struct step *s, const char *identifier)
{
    const struct config_ca *ca = s->ca->conf;
    if (!identifier || ca->budget[BUDGET_FAILED_VALIDATIONS].limit <= 0)
        return;
    if (db_budget_add(s->w->db, ca->name, budget_name(BUDGET_FAILED_VALIDATIONS), s->tenant_id, identifier,
                      s->order_id, true) != DB_OK)
        log_warn("order %s: cannot count the failed validation of %s", s->order_id, identifier);
}
