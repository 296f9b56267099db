/* test_webhook_netpolicy — the address classes of webhook destinations, the allow list, the URL check. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "webhook/netpolicy.h"
#include "webhook/send.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

/* A sockaddr of either family from text. */
static const struct sockaddr *addr(const char *text, struct sockaddr_storage *ss)
{
    memset(ss, 0, sizeof *ss);
    struct sockaddr_in *v4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)ss;
    if (inet_pton(AF_INET, text, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
    } else {
        assert_int_equal(inet_pton(AF_INET6, text, &v6->sin6_addr), 1);
        v6->sin6_family = AF_INET6;
    }
    return (const struct sockaddr *)ss;
}

/* Each special range, its edges, and public neighbours. */
static void test_classes(void **state)
{
    (void)state;
    static const struct {
        const char *a;
        enum wh_addr_class c;
    } cases[] = {
        { "127.0.0.1", WH_ADDR_LOOPBACK },        { "127.255.255.254", WH_ADDR_LOOPBACK },
        { "::1", WH_ADDR_LOOPBACK },              { "10.0.0.1", WH_ADDR_PRIVATE },
        { "10.255.255.255", WH_ADDR_PRIVATE },    { "172.16.0.1", WH_ADDR_PRIVATE },
        { "172.31.255.255", WH_ADDR_PRIVATE },    { "172.32.0.1", WH_ADDR_PUBLIC },
        { "172.15.255.255", WH_ADDR_PUBLIC },     { "192.168.1.1", WH_ADDR_PRIVATE },
        { "192.169.0.1", WH_ADDR_PUBLIC },        { "fd00::1", WH_ADDR_PRIVATE },
        { "fc00::1", WH_ADDR_PRIVATE },           { "169.254.1.1", WH_ADDR_LINK_LOCAL },
        { "fe80::1", WH_ADDR_LINK_LOCAL },        { "febf::1", WH_ADDR_LINK_LOCAL },
        { "100.64.0.1", WH_ADDR_CGNAT },          { "100.127.255.255", WH_ADDR_CGNAT },
        { "100.128.0.1", WH_ADDR_PUBLIC },        { "169.254.169.254", WH_ADDR_METADATA },
        { "fd00:ec2::254", WH_ADDR_METADATA },    { "100.100.100.200", WH_ADDR_METADATA },
        { "0.0.0.0", WH_ADDR_UNSPECIFIED },       { "0.1.2.3", WH_ADDR_UNSPECIFIED },
        { "::", WH_ADDR_UNSPECIFIED },            { "224.0.0.1", WH_ADDR_MULTICAST },
        { "ff02::1", WH_ADDR_MULTICAST },         { "255.255.255.255", WH_ADDR_RESERVED },
        { "240.0.0.1", WH_ADDR_RESERVED },        { "192.0.2.1", WH_ADDR_RESERVED },
        { "2001:db8::1", WH_ADDR_RESERVED },      { "198.18.0.1", WH_ADDR_RESERVED },
        /* IPv4 inside IPv6: mapped, NAT64, compatible */
        { "::ffff:10.0.0.1", WH_ADDR_PRIVATE },   { "::ffff:127.0.0.1", WH_ADDR_LOOPBACK },
        { "64:ff9b::a9fe:a9fe", WH_ADDR_METADATA }, { "::10.0.0.1", WH_ADDR_PRIVATE },
        { "::ffff:93.184.216.34", WH_ADDR_PUBLIC },
        { "93.184.216.34", WH_ADDR_PUBLIC },      { "8.8.8.8", WH_ADDR_PUBLIC },
        { "2606:4700::1111", WH_ADDR_PUBLIC },    { "2a00:1450:4001::1", WH_ADDR_PUBLIC },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct sockaddr_storage ss;
        enum wh_addr_class c = wh_addr_classify(addr(cases[i].a, &ss));
        if (c != cases[i].c)
            fail_msg("%s: class %s, wanted %s", cases[i].a, wh_addr_class_name(c), wh_addr_class_name(cases[i].c));
    }
}

/* The allow list: ranges of both families; public always passes; the default allows nothing else. */
static void test_allow_list(void **state)
{
    (void)state;
    struct wh_allow none, allow;
    char err[200];
    struct sockaddr_storage ss;
    assert_true(wh_allow_parse(NULL, &none, err, sizeof err));
    assert_int_equal(none.n, 0);
    assert_false(wh_addr_permitted(&none, addr("127.0.0.1", &ss)));
    assert_false(wh_addr_permitted(&none, addr("::1", &ss)));
    assert_true(wh_addr_permitted(&none, addr("93.184.216.34", &ss)));
    assert_true(wh_allow_parse("127.0.0.0/8, ::1/128 10.1.0.0/16 fd12::5", &allow, err, sizeof err));
    assert_int_equal(allow.n, 4);
    assert_true(wh_addr_permitted(&allow, addr("127.0.0.1", &ss)));
    assert_true(wh_addr_permitted(&allow, addr("::ffff:127.1.2.3", &ss)));
    assert_true(wh_addr_permitted(&allow, addr("::1", &ss)));
    assert_true(wh_addr_permitted(&allow, addr("10.1.255.1", &ss)));
    assert_false(wh_addr_permitted(&allow, addr("10.2.0.1", &ss)));
    assert_true(wh_addr_permitted(&allow, addr("fd12::5", &ss)));
    assert_false(wh_addr_permitted(&allow, addr("fd12::6", &ss)));
    assert_false(wh_addr_permitted(&allow, addr("169.254.169.254", &ss)));
    static const char *const bad[] = { "127.0.0.0/33", "::1/129", "localhost", "10.0.0.0/", "1.2.3.4/x", "/8" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_false(wh_allow_parse(bad[i], &allow, err, sizeof err));
}

/* The URL check at creation: scheme, syntax, and literal addresses (no DNS needed). */
static void test_url_check(void **state)
{
    (void)state;
    struct wh_allow none, lo;
    char err[200], why[400];
    assert_true(wh_allow_parse("", &none, err, sizeof err));
    assert_true(wh_allow_parse("127.0.0.0/8 ::1", &lo, err, sizeof err));
    assert_int_equal(wh_url_check("http://127.0.0.1:8080/hook", &none, why, sizeof why), WH_URL_REFUSED);
    assert_non_null(strstr(why, "loopback"));
    assert_int_equal(wh_url_check("http://127.0.0.1:8080/hook", &lo, why, sizeof why), WH_URL_OK);
    assert_int_equal(wh_url_check("http://[::1]/hook", &lo, why, sizeof why), WH_URL_OK);
    assert_int_equal(wh_url_check("http://[::1]/hook", &none, why, sizeof why), WH_URL_REFUSED);
    assert_int_equal(wh_url_check("http://10.0.0.1/", &lo, why, sizeof why), WH_URL_REFUSED);
    assert_int_equal(wh_url_check("https://169.254.169.254/latest", &lo, why, sizeof why), WH_URL_REFUSED);
    assert_non_null(strstr(why, "metadata"));
    assert_int_equal(wh_url_check("http://[::ffff:192.168.0.1]/", &lo, why, sizeof why), WH_URL_REFUSED);
    /* decimal and short forms of an address are addresses too */
    assert_int_equal(wh_url_check("http://2130706433/", &none, why, sizeof why), WH_URL_REFUSED);
    assert_int_equal(wh_url_check("http://0/", &none, why, sizeof why), WH_URL_REFUSED);
    assert_int_equal(wh_url_check("http://93.184.216.34/hook", &none, why, sizeof why), WH_URL_OK);
    assert_int_equal(wh_url_check("ftp://93.184.216.34/", &none, why, sizeof why), WH_URL_INVALID);
    assert_int_equal(wh_url_check("file:///etc/passwd", &none, why, sizeof why), WH_URL_INVALID);
    assert_int_equal(wh_url_check("gopher://93.184.216.34/", &none, why, sizeof why), WH_URL_INVALID);
    assert_int_equal(wh_url_check("/relative", &none, why, sizeof why), WH_URL_INVALID);
    assert_int_equal(wh_url_check("http://", &none, why, sizeof why), WH_URL_INVALID);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_classes),
        cmocka_unit_test(test_allow_list),
        cmocka_unit_test(test_url_check),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
