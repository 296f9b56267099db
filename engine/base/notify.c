/* notify — sd_notify and socket activation, spoken directly (no libsystemd). */
#include "base/notify.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define NOTIFY_FIRST_FD 3 /* SD_LISTEN_FDS_START */

/* Reads a decimal environment variable; -1 when absent or not a number. */
static long notify_env_long(const char *name)
{
    const char *v = getenv(name);
    if (!v || !*v)
        return -1;
    char *end = NULL;
    errno = 0;
    long n = strtol(v, &end, 10);
    return errno || *end ? -1 : n;
}

/* Sends state to $NOTIFY_SOCKET (a path, or "@name" for the abstract namespace). */
bool notify_send(const char *state)
{
    const char *path = getenv("NOTIFY_SOCKET");
    if (!path || !*path)
        return true; /* no manager asked for it */
    struct sockaddr_un sa;
    size_t len = strlen(path);
    if (len >= sizeof sa.sun_path || (path[0] != '/' && path[0] != '@'))
        return false;
    memset(&sa, 0, sizeof sa);
    sa.sun_family = AF_UNIX;
    memcpy(sa.sun_path, path, len);
    if (path[0] == '@')
        sa.sun_path[0] = '\0'; /* abstract socket */
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return false;
    socklen_t salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
    ssize_t n = sendto(fd, state, strlen(state), MSG_NOSIGNAL, (struct sockaddr *)&sa, salen);
    close(fd);
    return n == (ssize_t)strlen(state);
}

/* $WATCHDOG_USEC in milliseconds when it is meant for this process. */
long notify_watchdog_ms(void)
{
    long usec = notify_env_long("WATCHDOG_USEC");
    long pid = notify_env_long("WATCHDOG_PID");
    if (usec <= 0 || (pid > 0 && pid != (long)getpid()))
        return 0;
    return usec / 1000 > 0 ? usec / 1000 : 1;
}

/* Takes the socket-activated listening socket (only the first one is used) and puts it on fd 0. */
int notify_listen_fd(void)
{
    long pid = notify_env_long("LISTEN_PID"), fds = notify_env_long("LISTEN_FDS");
    if (pid != (long)getpid() || fds < 1)
        return -1;
    /* The variables are for this process only: children must not think they were activated. */
    unsetenv("LISTEN_PID");
    unsetenv("LISTEN_FDS");
    unsetenv("LISTEN_FDNAMES");
    int fd = NOTIFY_FIRST_FD;
    if (fcntl(fd, F_GETFD) < 0)
        return -1;
    if (dup2(fd, 0) < 0)
        return -1;
    close(fd);
    fcntl(0, F_SETFD, FD_CLOEXEC);
    return 0;
}
