/* test_db_row — timestamps from PostgreSQL become RFC 3339 UTC whatever the session's TimeZone. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "db_internal.h"

#include <string.h>

/* Converts v and compares the string with want. */
static void expect_ts(const char *v, const char *want)
{
    json_t *j = db_ts_json(v);
    assert_non_null(j);
    assert_string_equal(json_string_value(j), want);
    json_decref(j);
}

/* UTC text (the session default certmill sets) and other offsets (a pooled session that kept another TimeZone). */
static void test_offsets(void **state)
{
    (void)state;
    expect_ts("2026-11-28 21:39:54.123456+00", "2026-11-28T21:39:54Z");
    expect_ts("2026-11-28 21:39:54+00", "2026-11-28T21:39:54Z");
    expect_ts("2026-11-29 03:09:54.5+05:30", "2026-11-28T21:39:54Z");
    expect_ts("2026-11-28 13:39:54-08", "2026-11-28T21:39:54Z");
    expect_ts("2026-12-31 23:30:00-01", "2027-01-01T00:30:00Z");
    expect_ts("1883-11-18 12:03:58-00:03:58", "1883-11-18T12:07:56Z");
}

/* Text that is not an ISO timestamp is passed on unchanged rather than guessed at. */
static void test_unreadable(void **state)
{
    (void)state;
    expect_ts("infinity", "infinity");
    expect_ts("28.11.2026 21:39", "28.11.2026 21:39");
    expect_ts("2026-11-28 21:39:54+x", "2026-11-28 21:39:54+x");
}

int main(void)
{
    const struct CMUnitTest tests[] = { cmocka_unit_test(test_offsets), cmocka_unit_test(test_unreadable) };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
