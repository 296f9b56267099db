/* request_id — the id that ties a request's log lines, the front's access log and the answer together. */
#include "request_id.h"

#include <fcgiapp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>

/* Accepts what nginx ($request_id: 32 hex digits) and mod_unique_id (base64-like, with @ and -) send. */
bool fcgi_request_id_valid(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > FCGI_REQUEST_ID_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
              c == '_' || c == '@' || c == '-'))
            return false;
    }
    return true;
}

/* Takes the front server's id when it passes a well-formed one, else makes one. */
void fcgi_request_id(char **envp, char *out, size_t outlen)
{
    static const char *const params[] = { "REQUEST_ID", "UNIQUE_ID" };
    for (size_t i = 0; envp && i < sizeof params / sizeof params[0]; i++) {
        const char *v = FCGX_GetParam(params[i], envp);
        if (fcgi_request_id_valid(v)) {
            snprintf(out, outlen, "%s", v);
            return;
        }
    }
    unsigned char r[16];
    if (RAND_bytes(r, sizeof r) != 1)
        memset(r, 0, sizeof r); /* an id that tells nothing apart is still no reason to refuse the request */
    char hex[2 * sizeof r + 1];
    for (size_t i = 0; i < sizeof r; i++)
        snprintf(hex + 2 * i, 3, "%02x", r[i]);
    snprintf(out, outlen, "%s", hex);
}
