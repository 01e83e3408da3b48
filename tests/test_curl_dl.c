/*
 * test_curl_dl.c - libcurl loaded on first use (cli/curl_dl.c). Built twice:
 * against the real soname, where the functions work (an escape round trip),
 * and with EXPECT_MISSING against a library that does not exist, where the
 * loader returns NULL and says which library and why, every time it is asked.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "cli/curl_dl.h"

#ifdef EXPECT_MISSING
static void test_missing_library_is_named(void **state)
{
    char err[256] = "";
    (void)state;
    assert_null(curl_dl(err, sizeof(err)));
    assert_non_null(strstr(err, "cannot load " CURL_SONAME ": "));
    assert_non_null(strstr(err, "No such file"));
    err[0] = '\0';
    assert_null(curl_dl(err, sizeof(err))); /* loaded once; the reason stays */
    assert_non_null(strstr(err, CURL_SONAME));
}
#else
static void test_functions_work(void **state)
{
    char err[256] = "";
    (void)state;
    const struct curl_api *api = curl_dl(err, sizeof(err));
    assert_non_null(api);
    assert_string_equal(err, "");
    char *enc = api->easy_escape(NULL, "园区 a/b", 0);
    assert_non_null(enc);
    assert_string_equal(enc, "%E5%9B%AD%E5%8C%BA%20a%2Fb");
    api->free(enc);
    assert_ptr_equal(curl_dl(NULL, 0), api);
}
#endif

int main(void)
{
    const struct CMUnitTest tests[] = {
#ifdef EXPECT_MISSING
        cmocka_unit_test(test_missing_library_is_named),
#else
        cmocka_unit_test(test_functions_work),
#endif
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
