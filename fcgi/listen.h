/*
 * listen — the FastCGI listening socket, opened by certmill itself (libfcgi's
 * FCGX_OpenSocket exits the process on a bind error instead of reporting it):
 * "host:port" (IPv4, IPv6 in brackets, or a name) or an absolute socket path.
 */
#ifndef CM_FCGI_LISTEN_H
#define CM_FCGI_LISTEN_H

#include <stddef.h>

/* Opens and listens; -1 with the reason in err. */
int fcgi_listen_open(const char *spec, int backlog, char *err, size_t errlen);

#endif
