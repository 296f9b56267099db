/* Unit tests: the configuration file is refused when other users can read it; the per-service conninfos. */
#include "base/config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Writes text to a fresh file with the given mode; the path goes into path (a mkstemp template). */
static void conf_write(char *path, const char *text, mode_t mode)
{
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    assert_int_equal(fchmod(fd, mode), 0);
    close(fd);
}

static const char conf_text[] = "[database]\n"
                                "conninfo = dbname=certmill user=certmill password=owner-secret\n"
                                "conninfo_api = dbname=certmill user=certmill_api\n";

/* Mode 0644 or 0604 (others may read) and 0660 (the group may write) are refused, naming the file and the fix. */
static void test_loose_modes_refused(void **state)
{
    (void)state;
    static const mode_t loose[] = { 0644, 0604, 0666, 0660, 0601 };
    for (size_t i = 0; i < sizeof loose / sizeof loose[0]; i++) {
        char path[] = "/tmp/cm-test-conf-XXXXXX";
        char err[512] = "";
        conf_write(path, conf_text, loose[i]);
        struct config *c = config_load(path, err, sizeof err);
        assert_null(c);
        assert_non_null(strstr(err, path));
        assert_non_null(strstr(err, "chmod 0640"));
        /* The refusal never echoes the file's contents (the password). */
        assert_null(strstr(err, "owner-secret"));
        unlink(path);
    }
}

/* 0600 and 0640 load; conninfo_worker falls back to conninfo, conninfo_api is taken as given. */
static void test_tight_modes_load(void **state)
{
    (void)state;
    static const mode_t tight[] = { 0600, 0640, 0400 };
    for (size_t i = 0; i < sizeof tight / sizeof tight[0]; i++) {
        char path[] = "/tmp/cm-test-conf-XXXXXX";
        char err[512] = "";
        conf_write(path, conf_text, tight[i]);
        struct config *c = config_load(path, err, sizeof err);
        assert_non_null(c);
        assert_string_equal(c->db_conninfo_api, "dbname=certmill user=certmill_api");
        assert_string_equal(c->db_conninfo_worker, c->db_conninfo);
        config_free(c);
        unlink(path);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_loose_modes_refused),
        cmocka_unit_test(test_tight_modes_load),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
