/*
 * notify — the service manager protocols certmill speaks without linking libsystemd:
 * sd_notify (READY=1, WATCHDOG=1, STOPPING=1 as datagrams to $NOTIFY_SOCKET) and socket
 * activation ($LISTEN_PID/$LISTEN_FDS: the listening socket passed as fd 3). Without a
 * service manager (runit, supervisord, a shell) every call is a no-op.
 */
#ifndef CM_NOTIFY_H
#define CM_NOTIFY_H

#include <stdbool.h>

/* Sends one notification ("READY=1", ...) when $NOTIFY_SOCKET is set; true when sent (or nobody listens). */
bool notify_send(const char *state);
/* The watchdog interval asked by the manager in milliseconds ($WATCHDOG_USEC for this pid), 0 when none. */
long notify_watchdog_ms(void);
/*
 * The listening socket passed by socket activation, moved to fd 0 (where libfcgi's
 * classic API and spawn-fcgi put it), or -1 when this process was not socket-activated.
 */
int notify_listen_fd(void);

#endif
