/* Unit tests: the three log formats (text, journal, JSON lines), the per-thread context, and [log] format. */
#include "base/config.h"
#include "base/log.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A fresh stream the records go to. */
static FILE *capture_start(enum log_format fmt)
{
    FILE *f = tmpfile();
    assert_non_null(f);
    log_init("certmill-test", LOG_LVL_DEBUG);
    log_set_stream(f);
    log_set_format(fmt);
    log_ctx_clear();
    return f;
}

/* Everything written since capture_start; the caller frees. Records go back to stderr. */
static char *capture_end(FILE *f)
{
    fflush(f);
    long n = ftell(f);
    assert_true(n >= 0);
    char *s = calloc(1, (size_t)n + 1);
    rewind(f);
    assert_int_equal(fread(s, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    log_set_stream(NULL);
    log_set_format(LOG_FMT_TEXT);
    log_ctx_clear();
    return s;
}

/* Counts the lines of s (each ends with \n). */
static size_t lines(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

/* Text: time, program[pid], level, the message on one line, then the context ids set. */
static void test_text(void **state)
{
    (void)state;
    FILE *f = capture_start(LOG_FMT_TEXT);
    log_ctx_set_order("0b9d4f1c-order");
    log_ctx_set_tenant("tenant-7");
    log_ctx_set_request("3f2a9c");
    log_info("published TXT %s\nforged: line", "_acme-challenge.example.com");
    log_ctx_set_order(NULL);
    log_ctx_set_request("");
    log_warn("no order here");
    char *out = capture_end(f);
    assert_int_equal(lines(out), 2);
    char want[256];
    snprintf(want, sizeof want,
             " certmill-test[%ld] info: published TXT _acme-challenge.example.com forged: line "
             "order_id=0b9d4f1c-order tenant_id=tenant-7 request_id=3f2a9c\n",
             (long)getpid());
    assert_non_null(strstr(out, want));
    /* The time first: 2026-11-29T03:15:49.123Z */
    assert_int_equal(out[4], '-');
    assert_int_equal(out[10], 'T');
    assert_int_equal(out[23], 'Z');
    assert_non_null(strstr(out, "warn: no order here tenant_id=tenant-7\n"));
    assert_null(strstr(strchr(out, '\n') + 1, "order_id"));
    free(out);
}

/* Journal: one sd-daemon priority prefix per line, <3> error to <7> debug, no own time stamp. */
static void test_journal(void **state)
{
    (void)state;
    FILE *f = capture_start(LOG_FMT_JOURNAL);
    log_ctx_set_order("o-1");
    log_error("e");
    log_warn("w");
    log_info("i");
    log_debug("d");
    log_set_level(LOG_LVL_INFO);
    log_debug("not shown");
    char *out = capture_end(f);
    assert_string_equal(out, "<3>error: e order_id=o-1\n<4>warn: w order_id=o-1\n<6>info: i order_id=o-1\n"
                             "<7>debug: d order_id=o-1\n");
    free(out);
}

/* JSON lines: each line one object with time, level, program, pid, msg and the context ids set. */
static void test_json(void **state)
{
    (void)state;
    FILE *f = capture_start(LOG_FMT_JSON);
    log_ctx_set_order("o-2");
    log_ctx_set_tenant("t-2");
    log_ctx_set_request("r-2");
    log_error("the CA said \"%s\"\nnext", "badNonce");
    log_ctx_clear();
    log_info("bytes \xff\xfe of a peer");
    char *out = capture_end(f);
    assert_int_equal(lines(out), 2);
    char *nl = strchr(out, '\n');
    *nl = '\0';
    json_error_t jerr;
    json_t *a = json_loads(out, 0, &jerr);
    json_t *b = json_loads(nl + 1, 0, &jerr);
    assert_non_null(a);
    assert_non_null(b);
    assert_string_equal(json_string_value(json_object_get(a, "level")), "error");
    assert_string_equal(json_string_value(json_object_get(a, "program")), "certmill-test");
    assert_int_equal(json_integer_value(json_object_get(a, "pid")), getpid());
    assert_string_equal(json_string_value(json_object_get(a, "msg")), "the CA said \"badNonce\"\nnext");
    assert_string_equal(json_string_value(json_object_get(a, "order_id")), "o-2");
    assert_string_equal(json_string_value(json_object_get(a, "tenant_id")), "t-2");
    assert_string_equal(json_string_value(json_object_get(a, "request_id")), "r-2");
    const char *t = json_string_value(json_object_get(a, "time"));
    assert_non_null(t);
    assert_int_equal(strlen(t), strlen("2026-11-29T03:15:49.123Z"));
    assert_int_equal(t[23], 'Z');
    /* Context cleared: no ids; bytes that are not UTF-8 still make a valid line. */
    assert_null(json_object_get(b, "order_id"));
    assert_null(json_object_get(b, "tenant_id"));
    assert_null(json_object_get(b, "request_id"));
    assert_string_equal(json_string_value(json_object_get(b, "msg")), "bytes ?? of a peer");
    json_decref(a);
    json_decref(b);
    free(out);
}

/* auto: journal exactly when $JOURNAL_STREAM names the stream's device and inode. */
static void test_auto(void **state)
{
    (void)state;
    FILE *f = tmpfile();
    assert_non_null(f);
    struct stat st;
    assert_int_equal(fstat(fileno(f), &st), 0);
    char js[64];
    snprintf(js, sizeof js, "%llu:%llu", (unsigned long long)st.st_dev, (unsigned long long)st.st_ino);
    log_set_stream(f);
    setenv("JOURNAL_STREAM", js, 1);
    log_set_format(LOG_FMT_AUTO);
    assert_int_equal(log_get_format(), LOG_FMT_JOURNAL);
    /* JSON into the journal keeps the priority prefix, so journalctl -p still works. */
    log_set_format(LOG_FMT_JSON);
    log_ctx_clear();
    log_error("x");
    snprintf(js, sizeof js, "%llu:%llu", (unsigned long long)st.st_dev, (unsigned long long)st.st_ino + 1);
    setenv("JOURNAL_STREAM", js, 1);
    log_set_format(LOG_FMT_AUTO);
    assert_int_equal(log_get_format(), LOG_FMT_TEXT);
    unsetenv("JOURNAL_STREAM");
    log_set_format(LOG_FMT_AUTO);
    assert_int_equal(log_get_format(), LOG_FMT_TEXT);
    char *out = capture_end(f);
    assert_true(strncmp(out, "<3>{", 4) == 0);
    free(out);
}

/* Context ids are cut to their size and keep only id characters (no forged fields). */
static void test_ctx_sanitised(void **state)
{
    (void)state;
    FILE *f = capture_start(LOG_FMT_TEXT);
    log_ctx_set_request("abc def\nlevel=error");
    char longid[200];
    memset(longid, 'a', sizeof longid - 1);
    longid[sizeof longid - 1] = '\0';
    log_ctx_set_order(longid);
    assert_string_equal(log_ctx_request(), "abc?def?level?error");
    log_info("m");
    char *out = capture_end(f);
    char *o = strstr(out, "order_id=");
    assert_non_null(o);
    assert_int_equal(strcspn(o + strlen("order_id="), " "), LOG_CTX_MAX - 1);
    free(out);
}

/* Runs on a second thread: it starts with no context and its own does not leak back. */
static void *other_thread(void *arg)
{
    (void)arg;
    bool empty = log_ctx_request()[0] == '\0';
    log_ctx_set_request("from-the-other-thread");
    return empty ? (void *)1 : NULL;
}

/* The context belongs to the thread that set it (certmill-fcgi serves on several). */
static void test_ctx_per_thread(void **state)
{
    (void)state;
    log_ctx_set_request("main-thread");
    pthread_t t;
    void *ok = NULL;
    assert_int_equal(pthread_create(&t, NULL, other_thread, NULL), 0);
    assert_int_equal(pthread_join(t, &ok), 0);
    assert_non_null(ok);
    assert_string_equal(log_ctx_request(), "main-thread");
    log_ctx_clear();
}

/* [log] format: the four names; anything else stops start-up with file:line. */
static void test_config_format(void **state)
{
    (void)state;
    static const struct { const char *v; int want; } ok[] = {
        { "auto", LOG_FMT_AUTO }, { "text", LOG_FMT_TEXT }, { "journal", LOG_FMT_JOURNAL }, { "json", LOG_FMT_JSON }
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0] + 2; i++) {
        char path[] = "/tmp/cm-test-log-XXXXXX";
        int fd = mkstemp(path);
        assert_true(fd >= 0);
        char text[128];
        const char *v = i < 4 ? ok[i].v : i == 4 ? "JSON" : NULL;
        if (v)
            snprintf(text, sizeof text, "[log]\nlevel = debug\nformat = %s\n", v);
        else
            snprintf(text, sizeof text, "[log]\nlevel = debug\n");
        assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
        close(fd);
        char err[512] = "";
        struct config *c = config_load(path, err, sizeof err);
        if (i < 4) {
            assert_non_null(c);
            assert_int_equal(c->log_format, ok[i].want);
        } else if (i == 4) {
            assert_null(c);
            char want[128];
            snprintf(want, sizeof want, "%s:3: format must be auto, text, journal or json", path);
            assert_string_equal(err, want);
        } else {
            assert_non_null(c);
            assert_int_equal(c->log_format, LOG_FMT_AUTO); /* the default */
        }
        config_free(c);
        unlink(path);
    }
    assert_int_equal(log_format_parse("json"), LOG_FMT_JSON);
    assert_int_equal(log_format_parse(""), -1);
    assert_int_equal(log_format_parse(NULL), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_text),          cmocka_unit_test(test_journal),
        cmocka_unit_test(test_json),          cmocka_unit_test(test_auto),
        cmocka_unit_test(test_ctx_sanitised), cmocka_unit_test(test_ctx_per_thread),
        cmocka_unit_test(test_config_format),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
