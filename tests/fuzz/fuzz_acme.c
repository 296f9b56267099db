/*
 * fuzz_acme — what a CA answers: the first byte picks the parser (directory, order,
 * authorization, challenge, problem, ARI renewal information, account), the rest is the body.
 * A hostile or broken CA must get a clean refusal, never a crash or a leak.
 */
#include "fuzz_common.h"

#include "acme/acme.h"
#include "acme/internal.h"

#include <string.h>

/* Parses the body with the parser the first byte names, and frees what it made. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const char *json = (const char *)data + 1;
    size_t len = size - 1;
    switch (data[0] % 7) {
    case 0: {
        struct acme_dir d;
        memset(&d, 0, sizeof d);
        (void)acme_dir_parse(json, len, &d);
        acme_dir_clear(&d);
        break;
    }
    case 1: {
        struct acme_order o;
        if (acme_parse_order(json, len, &o))
            acme_order_free(&o);
        break;
    }
    case 2: {
        struct acme_authz a;
        if (acme_parse_authz(json, len, &a))
            acme_authz_free(&a);
        break;
    }
    case 3: {
        struct acme_challenge c;
        if (acme_parse_challenge(json, len, &c))
            acme_challenge_free(&c);
        break;
    }
    case 4: {
        struct acme_problem p;
        if (acme_parse_problem(json, len, &p))
            acme_problem_free(&p);
        break;
    }
    case 6: {
        struct acme_account a;
        if (acme_parse_account(json, len, &a))
            acme_account_free(&a);
        break;
    }
    default: {
        struct acme_ari a;
        if (acme_ari_parse(json, len, &a))
            acme_ari_free(&a);
        break;
    }
    }
    return 0;
}
