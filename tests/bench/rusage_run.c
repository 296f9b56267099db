/* rusage_run — runs a command and writes its CPU time and peak RSS to a file, for make bench. The peers
 * are started through it because a child forked straight from the Python harness would carry the
 * harness's own peak RSS (the kernel keeps the largest of the images a process had). Not part of certmill.
 *
 * Usage: rusage_run OUTFILE COMMAND [ARG...]
 * OUTFILE gets one line: "<exit status> <user+system CPU seconds> <peak RSS kB>" (children included).
 */
#include <stdio.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

/* Forks, execs the command, waits and writes the figures. */
int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: rusage_run OUTFILE COMMAND [ARG...]\n");
        return 2;
    }
    pid_t pid = fork();
    if (pid < 0)
        return 127;
    if (pid == 0) {
        execvp(argv[2], argv + 2);
        perror(argv[2]);
        _exit(127);
    }
    int status = 0;
    struct rusage ru;
    if (wait4(pid, &status, 0, &ru) != pid)
        return 127;
    int rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    FILE *f = fopen(argv[1], "w");
    if (!f)
        return 127;
    fprintf(f, "%d %.6f %ld\n", rc,
            (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) + (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6,
            ru.ru_maxrss);
    fclose(f);
    return rc;
}
