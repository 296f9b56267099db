/* test_renew_time — renewal timing: lifetime fractions, jitter, backoff, expiring events, next look. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "worker/renew_time.h"

#define DAY RENEW_TIME_DAY
#define HOUR 3600LL
#define T0 1800000000LL /* 2027-01-15, any moment does */

/* 90 days: due with 30 days left; jitter moves it earlier by at most 4.5 days. */
static void test_due_third(void **state)
{
    (void)state;
    long long na = T0 + 90 * DAY;
    assert_int_equal(renew_time_due(T0, na, 0), na - 30 * DAY);
    long long late = renew_time_due(T0, na, 0.999999);
    assert_true(late < na - 30 * DAY - 4 * DAY);
    assert_true(late >= na - 30 * DAY - (long long)(4.5 * DAY));
}

/* 47 days (2029): 15 2/3 days left, jitter at most 2.35 days, distinct hour by hour. */
static void test_due_47_days(void **state)
{
    (void)state;
    long long na = T0 + 47 * DAY;
    long long base = na - 47 * DAY / 3;
    assert_int_equal(renew_time_due(T0, na, 0), base);
    /* Certificates issued together spread over more than two days at hour resolution. */
    long long a = renew_time_due(T0, na, 0.1), b = renew_time_due(T0, na, 0.9);
    assert_true((a - b) / HOUR >= 40);
    assert_true(base - renew_time_due(T0, na, 0.5) > 24 * HOUR);
}

/* Under 10 days: half the lifetime left (a 6-day certificate renews after 3 days). */
static void test_due_short(void **state)
{
    (void)state;
    long long na = T0 + 6 * DAY;
    assert_int_equal(renew_time_due(T0, na, 0), T0 + 3 * DAY);
    assert_true(renew_time_due(T0, na, 0.5) < T0 + 3 * DAY);
    /* 10 days exactly is a third already. */
    assert_int_equal(renew_time_due(T0, T0 + 10 * DAY, 0), T0 + 10 * DAY - 10 * DAY / 3);
    /* Out-of-range jitter is clamped, never pushes past the base time. */
    assert_int_equal(renew_time_due(T0, na, -3), T0 + 3 * DAY);
    assert_true(renew_time_due(T0, na, 7) >= T0 + 3 * DAY - (long long)(0.05 * 6 * DAY));
}

/* 1 min, 10 min, 100 min, then daily; jitter only later, by at most 20 %. */
static void test_retry_backoff(void **state)
{
    (void)state;
    assert_int_equal(renew_time_retry(T0, 1, 0), T0 + 60);
    assert_int_equal(renew_time_retry(T0, 2, 0), T0 + 600);
    assert_int_equal(renew_time_retry(T0, 3, 0), T0 + 6000);
    assert_int_equal(renew_time_retry(T0, 4, 0), T0 + DAY);
    assert_int_equal(renew_time_retry(T0, 40, 0), T0 + DAY);
    assert_int_equal(renew_time_retry(T0, 0, 0), T0 + 60);
    long long j = renew_time_retry(T0, 2, 0.99);
    assert_true(j > T0 + 600 && j <= T0 + 720);
}

/* Expiring: from min(lifetime/6, 7 days) before expiry, then daily, never after expiry. */
static void test_expiring(void **state)
{
    (void)state;
    long long na = T0 + 90 * DAY;
    assert_int_equal(renew_time_expiring(T0, na, 0), na - 7 * DAY);
    /* A day after the last event. */
    assert_int_equal(renew_time_expiring(T0, na, na - 7 * DAY), na - 6 * DAY);
    assert_int_equal(renew_time_expiring(T0, na, na - 5 * DAY + 10), na - 4 * DAY + 10);
    /* None once the next would fall at or after expiry. */
    assert_int_equal(renew_time_expiring(T0, na, na - HOUR), 0);
    /* A 6-day certificate warns in its last day. */
    assert_int_equal(renew_time_expiring(T0, T0 + 6 * DAY, 0), T0 + 5 * DAY);
    /* The renewal time always comes before the first expiring event. */
    assert_true(renew_time_due(T0, na, 0.999) < renew_time_expiring(T0, na, 0));
    assert_true(renew_time_due(T0, T0 + 6 * DAY, 0.999) < renew_time_expiring(T0, T0 + 6 * DAY, 0));
}

/* The next look is the earlier time, never in the past; 0 when nothing is set. */
static void test_next_look(void **state)
{
    (void)state;
    assert_int_equal(renew_time_next_look(T0, T0 + DAY, T0 + HOUR), T0 + HOUR);
    assert_int_equal(renew_time_next_look(T0, T0 + HOUR, T0 + DAY), T0 + HOUR);
    assert_int_equal(renew_time_next_look(T0, T0 + HOUR, 0), T0 + HOUR);
    assert_int_equal(renew_time_next_look(T0, 0, T0 + DAY), T0 + DAY);
    assert_int_equal(renew_time_next_look(T0, T0 - DAY, 0), T0);
    assert_int_equal(renew_time_next_look(T0, 0, 0), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_due_third),     cmocka_unit_test(test_due_47_days), cmocka_unit_test(test_due_short),
        cmocka_unit_test(test_retry_backoff), cmocka_unit_test(test_expiring),    cmocka_unit_test(test_next_look),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
