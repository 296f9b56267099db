/* webroot — HTTP-01 token files under a configured directory. */
#include "webroot.h"

#include "base/xalloc.h"
#include "crypto/b64.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define WEBROOT_DIR "/.well-known/acme-challenge"

/* Makes ROOT/.well-known/acme-challenge (ROOT too), readable by the web server. */
static bool webroot_mkdirs(const char *root, char *err, size_t errlen)
{
    char *a = xasprintf("%s/.well-known", root), *b = xasprintf("%s%s", root, WEBROOT_DIR);
    bool ok = (mkdir(root, 0755) == 0 || errno == EEXIST) && (mkdir(a, 0755) == 0 || errno == EEXIST) &&
              (mkdir(b, 0755) == 0 || errno == EEXIST);
    if (!ok)
        snprintf(err, errlen, "cannot make %s: %s", b, strerror(errno));
    free(a);
    free(b);
    return ok;
}

/* Writes the key authorization under a temporary name and renames it, so a reader never sees half a file. */
bool webroot_write(const char *root, const char *token, const char *key_authorization, char *err, size_t errlen)
{
    /* The token names the file: it must be base64url and nothing else (no '/', no '..'). */
    if (!b64url_valid(token, 256)) {
        snprintf(err, errlen, "refusing a token that is not base64url");
        return false;
    }
    if (!webroot_mkdirs(root, err, errlen))
        return false;
    char *tmp = xasprintf("%s%s/.%s.%ld.tmp", root, WEBROOT_DIR, token, (long)getpid());
    char *path = xasprintf("%s%s/%s", root, WEBROOT_DIR, token);
    bool ok = false;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0) {
        snprintf(err, errlen, "cannot write %s: %s", tmp, strerror(errno));
    } else {
        size_t n = strlen(key_authorization);
        ok = write(fd, key_authorization, n) == (ssize_t)n;
        /* fchmod: the umask must not make the file unreadable for the web server. */
        ok = ok && fchmod(fd, 0644) == 0;
        ok = close(fd) == 0 && ok;
        ok = ok && rename(tmp, path) == 0;
        if (!ok) {
            snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
            unlink(tmp);
        }
    }
    free(tmp);
    free(path);
    return ok;
}

/* Unlinks the token's file. */
bool webroot_remove(const char *root, const char *token, char *err, size_t errlen)
{
    if (!b64url_valid(token, 256))
        return true;
    char *path = xasprintf("%s%s/%s", root, WEBROOT_DIR, token);
    bool ok = unlink(path) == 0 || errno == ENOENT;
    if (!ok)
        snprintf(err, errlen, "cannot remove %s: %s", path, strerror(errno));
    free(path);
    return ok;
}
