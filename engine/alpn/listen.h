/* alpn/listen — the non-blocking TCP socket certmill-alpn accepts handshakes on. */
#ifndef CM_ALPN_LISTEN_H
#define CM_ALPN_LISTEN_H

#include <stddef.h>

/*
 * Listens on spec, "host:port" or "[v6 literal]:port" (the first address host
 * resolves to). Returns a non-blocking, close-on-exec socket, or -1 with the reason
 * in err.
 */
int alpn_listen_open(const char *spec, int backlog, char *err, size_t errlen);

#endif
