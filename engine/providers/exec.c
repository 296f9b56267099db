/* exec — the "exec" provider: an operator's program, called as lego's exec provider calls it. */
#include "provider_impl.h"
#include "base/clock.h"

#include "base/buf.h"
#include "base/log.h"
#include "base/xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define EXEC_MAX_OUTPUT 16384 /* bytes of the program's output kept for the log */

extern char **environ;

/* Tells whether program is one of the operator's allowed programs (a space-separated list). */
static bool exec_allowed(const char *list, const char *program)
{
    if (!list || !program)
        return false;
    size_t n = strlen(program);
    for (const char *p = list; *p;) {
        while (*p == ' ')
            p++;
        size_t len = strcspn(p, " ");
        if (len == n && strncmp(p, program, n) == 0)
            return true;
        p += len;
    }
    return false;
}

/* Reads the child's output until it closes or the deadline passes; false on timeout. */
static bool exec_collect(int fd, long long deadline, struct buf *out)
{
    char chunk[4096];
    for (;;) {
        long long left = deadline - clock_now_ms();
        if (left <= 0)
            return false;
        struct pollfd pfd = { .fd = fd, .events = POLLIN };
        int r = poll(&pfd, 1, (int)left);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return r == 0 ? false : true;
        ssize_t n = read(fd, chunk, sizeof chunk);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return true;
        /* Output past the cap is read and dropped, so the child never blocks on a full pipe. */
        if (out->len < EXEC_MAX_OUTPUT)
            buf_append(out, chunk, (size_t)n > EXEC_MAX_OUTPUT - out->len ? EXEC_MAX_OUTPUT - out->len : (size_t)n);
    }
}

/* Logs the program's output one line at a time, made safe. */
static void exec_log_output(const char *program, const char *action, const struct buf *out)
{
    if (!out->data)
        return;
    char *copy = xstrdup(out->data), *save = NULL;
    for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char safe[300];
        log_info("exec %s %s: %s", program, action, log_safe(safe, sizeof safe, line));
    }
    free(copy);
}

/* Runs PROGRAM ACTION FQDN. VALUE in its own process group, output captured, killed at the timeout. */
bool provider_exec_run(const struct provider *p, const struct provider_record *r, const char *action, char *err,
                       size_t errlen)
{
    const char *program = json_string_value(json_object_get(p->config, "program"));
    json_int_t timeout_s = json_integer_value(json_object_get(p->config, "timeout_s"));
    if (timeout_s <= 0)
        timeout_s = 60;
    /* Re-checked here: the operator may have withdrawn the program since the provider was made. */
    if (!exec_allowed(p->cfg ? p->cfg->dns_exec_programs : NULL, program)) {
        snprintf(err, errlen, "program %s is not among the [dns] exec_programs the operator allows",
                 program ? program : "(none)");
        return false;
    }
    int pipefd[2];
    if (pipe2(pipefd, O_CLOEXEC) != 0) {
        snprintf(err, errlen, "cannot make a pipe: %s", strerror(errno));
        return false;
    }
    char *fqdn = xasprintf("%s.", r->name);
    char *const argv[] = { (char *)program, (char *)action, fqdn, (char *)r->value, NULL };
    /* A small fixed environment: the worker's own (database, master key path) is not the program's business. */
    char *const envp[] = { "PATH=/usr/local/bin:/usr/bin:/bin", "LANG=C.UTF-8", NULL };
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, pipefd[1], 1);
    posix_spawn_file_actions_adddup2(&fa, pipefd[1], 2);
    posix_spawnattr_init(&attr);
    posix_spawnattr_setpgroup(&attr, 0);
    sigset_t none;
    sigemptyset(&none);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK);
    pid_t pid = -1;
    int rc = posix_spawn(&pid, program, &fa, &attr, argv, envp);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    close(pipefd[1]);
    bool ok = false;
    if (rc != 0) {
        snprintf(err, errlen, "cannot run %s: %s", program, strerror(rc));
    } else {
        struct buf out;
        buf_init(&out, 0);
        bool in_time = exec_collect(pipefd[0], clock_now_ms() + timeout_s * 1000, &out);
        if (!in_time)
            kill(-pid, SIGKILL); /* the whole group: a hook's own children go too */
        int status = 0;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
            ;
        exec_log_output(program, action, &out);
        if (p->output && out.data)
            buf_append(p->output, out.data, out.len);
        buf_free(&out);
        if (!in_time)
            snprintf(err, errlen, "%s %s %s did not finish within %lld s", program, action, fqdn,
                     (long long)timeout_s);
        else if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
            ok = true;
        else if (WIFEXITED(status))
            snprintf(err, errlen, "%s %s %s exited with status %d", program, action, fqdn, WEXITSTATUS(status));
        else
            snprintf(err, errlen, "%s %s %s was killed by signal %d", program, action, fqdn,
                     WIFSIGNALED(status) ? WTERMSIG(status) : 0);
    }
    close(pipefd[0]);
    free(fqdn);
    return ok;
}
