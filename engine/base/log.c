/* log — one-line log records on stderr. */
#include "base/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static const char *log_prog = "certmill";
static enum log_level log_cur = LOG_LVL_INFO;
static const char *const log_names[] = { "error", "warn", "info", "debug" };

/* Sets the program name and level shown in every record. */
void log_init(const char *prog, enum log_level level)
{
    log_prog = prog;
    log_cur = level;
}

/* Changes the level after start-up (from the configuration). */
void log_set_level(enum log_level level)
{
    log_cur = level;
}

/* Maps a level name to its value. */
int log_level_parse(const char *s)
{
    for (size_t i = 0; i < sizeof log_names / sizeof log_names[0]; i++)
        if (s && strcmp(s, log_names[i]) == 0)
            return (int)i;
    return -1;
}

/* Writes one record: time, program, pid, level, message. */
void log_msg(enum log_level level, const char *fmt, ...)
{
    if (level > log_cur)
        return;
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    struct timeval tv;
    gettimeofday(&tv, NULL);
    struct tm tm;
    gmtime_r(&tv.tv_sec, &tm);
    char ts[32];
    strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
    /* One fprintf per record so concurrent writers do not interleave within a line. */
    fprintf(stderr, "%s.%03ldZ %s[%ld] %s: %s\n", ts, (long)(tv.tv_usec / 1000), log_prog,
            (long)getpid(), log_names[level], msg);
}

/* Makes untrusted text safe for one log line: bounded, printable ASCII only. */
const char *log_safe(char *dst, size_t dstlen, const char *src)
{
    if (!dstlen)
        return "";
    if (!src) {
        snprintf(dst, dstlen, "(null)");
        return dst;
    }
    size_t i = 0;
    for (; src[i] && i + 1 < dstlen; i++) {
        unsigned char c = (unsigned char)src[i];
        dst[i] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
    }
    dst[i] = '\0';
    if (src[i] && dstlen > 4)
        memcpy(dst + dstlen - 4, "...", 4);
    return dst;
}
