/* log — one-line log records on stderr: text, journal (sd-daemon prefixes) or JSON lines. */
#include "base/log.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static const char *log_prog = "certmill";
static enum log_level log_cur = LOG_LVL_INFO;
static enum log_format log_fmt = LOG_FMT_TEXT;
static FILE *log_stream; /* NULL: stderr */
static bool log_journal;  /* the stream is the journal (JSON records then carry a priority prefix too) */
static const char *const log_names[] = { "error", "warn", "info", "debug" };
static const char *const log_format_names[] = { "auto", "text", "journal", "json" };
/* sd-daemon(3) priorities: LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG. */
static const char log_prio[] = { '3', '4', '6', '7' };

/* The context of the calling thread: certmill-fcgi serves requests on several threads. */
static _Thread_local char log_ctx_order[LOG_CTX_MAX];
static _Thread_local char log_ctx_tenant[LOG_CTX_MAX];
static _Thread_local char log_ctx_req[LOG_CTX_MAX];

/* The stream records go to. */
static FILE *log_out(void)
{
    return log_stream ? log_stream : stderr;
}

/* True when $JOURNAL_STREAM names the device and inode of f: systemd connected it to the journal. */
static bool log_is_journal(FILE *f)
{
    const char *js = getenv("JOURNAL_STREAM");
    unsigned long long dev, ino;
    struct stat st;
    if (!js || sscanf(js, "%llu:%llu", &dev, &ino) != 2 || fstat(fileno(f), &st) != 0)
        return false;
    return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

/* Sets the program name and level shown in every record; the format starts as auto. */
void log_init(const char *prog, enum log_level level)
{
    log_prog = prog;
    log_cur = level;
    log_set_format(LOG_FMT_AUTO);
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

/* Maps a format name to its value. */
int log_format_parse(const char *s)
{
    for (size_t i = 0; i < sizeof log_format_names / sizeof log_format_names[0]; i++)
        if (s && strcmp(s, log_format_names[i]) == 0)
            return (int)i;
    return -1;
}

/* Sets the format, resolving auto: journal when the stream is the journal, else text. */
void log_set_format(enum log_format format)
{
    log_journal = log_is_journal(log_out());
    if (format == LOG_FMT_AUTO)
        format = log_journal ? LOG_FMT_JOURNAL : LOG_FMT_TEXT;
    log_fmt = format;
}

/* The format in use. */
enum log_format log_get_format(void)
{
    return log_fmt;
}

/* Redirects the records (tests). */
void log_set_stream(FILE *f)
{
    log_stream = f;
}

/* Copies an id into a context slot; anything but the characters of ids becomes '?'. */
static void log_ctx_copy(char *dst, const char *src)
{
    size_t i = 0;
    for (; src && src[i] && i + 1 < LOG_CTX_MAX; i++) {
        unsigned char c = (unsigned char)src[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || strchr("._:@-", c);
        dst[i] = ok && c ? (char)c : '?';
    }
    dst[i] = '\0';
}

/* Sets the order of the calling thread's records. */
void log_ctx_set_order(const char *order_id)
{
    log_ctx_copy(log_ctx_order, order_id);
}

/* Sets the tenant of the calling thread's records. */
void log_ctx_set_tenant(const char *tenant_id)
{
    log_ctx_copy(log_ctx_tenant, tenant_id);
}

/* Sets the API request of the calling thread's records. */
void log_ctx_set_request(const char *request_id)
{
    log_ctx_copy(log_ctx_req, request_id);
}

/* Forgets the context: the request or step is over. */
void log_ctx_clear(void)
{
    log_ctx_order[0] = log_ctx_tenant[0] = log_ctx_req[0] = '\0';
}

/* The calling thread's request id. */
const char *log_ctx_request(void)
{
    return log_ctx_req;
}

/* Appends " name=value" for each context id set (text and journal). */
static void log_ctx_text(char *dst, size_t n)
{
    int used = snprintf(dst, n, "%s%s%s%s%s%s", log_ctx_order[0] ? " order_id=" : "", log_ctx_order,
                        log_ctx_tenant[0] ? " tenant_id=" : "", log_ctx_tenant, log_ctx_req[0] ? " request_id=" : "",
                        log_ctx_req);
    if (used < 0)
        dst[0] = '\0';
}

/* Writes one JSON object: time, level, program, pid, msg, and the context ids set. False on failure. */
static bool log_write_json(FILE *f, enum log_level level, const char *ts, char *msg)
{
    json_t *m = json_string(msg);
    if (!m) {
        /* Not UTF-8 (bytes of a peer): the printable ASCII of it still says what happened. */
        char safe[2048];
        m = json_string(log_safe(safe, sizeof safe, msg));
    }
    json_t *o = json_object();
    json_object_set_new(o, "time", json_string(ts));
    json_object_set_new(o, "level", json_string(log_names[level]));
    json_object_set_new(o, "program", json_string(log_prog));
    json_object_set_new(o, "pid", json_integer((json_int_t)getpid()));
    json_object_set_new(o, "msg", m);
    if (log_ctx_order[0])
        json_object_set_new(o, "order_id", json_string(log_ctx_order));
    if (log_ctx_tenant[0])
        json_object_set_new(o, "tenant_id", json_string(log_ctx_tenant));
    if (log_ctx_req[0])
        json_object_set_new(o, "request_id", json_string(log_ctx_req));
    char *line = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(o);
    if (!line)
        return false;
    /* In the journal the priority prefix still tells journald the level; the stored message is the JSON. */
    if (log_journal)
        fprintf(f, "<%c>%s\n", log_prio[level], line);
    else
        fprintf(f, "%s\n", line);
    free(line);
    return true;
}

/* Writes one record: time, program, pid, level, message, context. */
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
    char ts[40], ctx[3 * LOG_CTX_MAX + 40];
    size_t n = strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(ts + n, sizeof ts - n, ".%03dZ", (int)(tv.tv_usec / 1000) % 1000);
    FILE *f = log_out();
    if (log_fmt == LOG_FMT_JSON && log_write_json(f, level, ts, msg))
        return;
    /* One event, one line: a line break inside would make the rest look like another record. */
    for (char *p = msg; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    log_ctx_text(ctx, sizeof ctx);
    /* One fprintf per record so concurrent writers do not interleave within a line. */
    if (log_fmt == LOG_FMT_JOURNAL)
        fprintf(f, "<%c>%s: %s%s\n", log_prio[level], log_names[level], msg, ctx);
    else
        fprintf(f, "%s %s[%ld] %s: %s%s\n", ts, log_prog, (long)getpid(), log_names[level], msg, ctx);
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
