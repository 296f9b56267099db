/* listen — opening the TCP or Unix socket a certmill server accepts connections on. */
#include "base/listen.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

/* Binds a Unix socket at path, replacing a stale socket file (never another kind of file). */
static int listen_unix(const char *path, int backlog, char *err, size_t errlen)
{
    struct sockaddr_un sa;
    struct stat st;
    if (strlen(path) >= sizeof sa.sun_path) {
        snprintf(err, errlen, "socket path %s is too long", path);
        return -1;
    }
    if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
        unlink(path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(err, errlen, "socket: %s", strerror(errno));
        return -1;
    }
    memset(&sa, 0, sizeof sa);
    sa.sun_family = AF_UNIX;
    strcpy(sa.sun_path, path);
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(fd, backlog) != 0) {
        snprintf(err, errlen, "cannot listen on %s: %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

/* Splits "host:port" / "[v6]:port" into host and port. */
static int listen_split(const char *spec, char *host, size_t hostlen, const char **port)
{
    const char *colon = strrchr(spec, ':');
    if (!colon || !colon[1])
        return -1;
    const char *h = spec;
    size_t n = (size_t)(colon - spec);
    if (n >= 2 && h[0] == '[' && h[n - 1] == ']') {
        h++;
        n -= 2;
    }
    if (n == 0 || n >= hostlen)
        return -1;
    memcpy(host, h, n);
    host[n] = '\0';
    *port = colon + 1;
    return 0;
}

/* Binds the first address host:port resolves to. */
static int listen_tcp(const char *spec, int backlog, char *err, size_t errlen)
{
    char host[256];
    const char *port;
    struct addrinfo hints, *res = NULL;
    int fd = -1;
    if (listen_split(spec, host, sizeof host, &port) != 0) {
        snprintf(err, errlen, "\"%s\" is neither host:port nor an absolute socket path", spec);
        return -1;
    }
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE;
    int rc = getaddrinfo(host, port, &hints, &res);
    if (rc != 0) {
        snprintf(err, errlen, "cannot resolve %s: %s", spec, gai_strerror(rc));
        return -1;
    }
    fd = socket(res->ai_family, res->ai_socktype | SOCK_CLOEXEC, res->ai_protocol);
    if (fd < 0) {
        snprintf(err, errlen, "socket: %s", strerror(errno));
        goto out;
    }
    int one = 1;
    /* A restart must not wait for the old process's connections in TIME_WAIT. */
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, res->ai_addr, res->ai_addrlen) != 0 || listen(fd, backlog) != 0) {
        snprintf(err, errlen, "cannot listen on %s: %s", spec, strerror(errno));
        close(fd);
        fd = -1;
    }
out:
    freeaddrinfo(res);
    return fd;
}

/* Opens the socket named by spec. */
int listen_open(const char *spec, int backlog, bool nonblocking, char *err, size_t errlen)
{
    int fd = spec[0] == '/' ? listen_unix(spec, backlog, err, errlen) : listen_tcp(spec, backlog, err, errlen);
    if (fd >= 0 && nonblocking) {
        int fl = fcntl(fd, F_GETFL);
        if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) != 0) {
            snprintf(err, errlen, "cannot make %s non-blocking: %s", spec, strerror(errno));
            close(fd);
            return -1;
        }
    }
    return fd;
}
