/* test_webhook_backoff — the retry delays of webhook deliveries: x4 each time, capped at 6 h, jitter up to 20%. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "worker/worker.h"

/* Each delay lies in [base * 4^(n-1), 1.2 times that], and never past 6 h (+20%). */
static void test_schedule(void **state)
{
    (void)state;
    long want = 10000;
    for (int n = 1; n <= 12; n++) {
        long got = worker_webhook_backoff_ms(10000, n);
        long lo = want > 6L * 3600 * 1000 ? 6L * 3600 * 1000 : want;
        if (got < lo || got > lo + lo / 5)
            fail_msg("attempt %d: %ld ms, wanted %ld..%ld", n, got, lo, lo + lo / 5);
        want *= 4;
    }
    /* the test stack's 200 ms base: the first three retries within about 5 s together */
    long sum = 0;
    for (int n = 1; n <= 3; n++)
        sum += worker_webhook_backoff_ms(200, n);
    assert_true(sum >= 4200 && sum <= 5040);
}

int main(void)
{
    const struct CMUnitTest tests[] = { cmocka_unit_test(test_schedule) };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
