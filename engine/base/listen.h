/*
 * listen — the listening sockets of certmill-fcgi and certmill-alpn, opened by certmill
 * itself (libfcgi's FCGX_OpenSocket exits the process on a bind error instead of
 * reporting it): "host:port" (IPv4, IPv6 in brackets, or a name) or an absolute
 * Unix socket path.
 */
#ifndef CM_LISTEN_H
#define CM_LISTEN_H

#include <stdbool.h>
#include <stddef.h>

/* Opens and listens (close-on-exec; non-blocking when asked); -1 with the reason in err. */
int listen_open(const char *spec, int backlog, bool nonblocking, char *err, size_t errlen);

#endif
