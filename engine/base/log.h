/*
 * log — one-line log records on stderr, with a level and the program name, in one of
 * three formats (text, journal with sd-daemon priority prefixes, JSON lines), each
 * carrying the order, tenant and request the calling thread works for (log_ctx_*).
 */
#ifndef CM_LOG_H
#define CM_LOG_H

#include <stdio.h>
#include <stddef.h>

enum log_level { LOG_LVL_ERROR = 0, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

/* [log] format: auto picks journal when stderr is the journal ($JOURNAL_STREAM), else text. */
enum log_format { LOG_FMT_AUTO = 0, LOG_FMT_TEXT, LOG_FMT_JOURNAL, LOG_FMT_JSON };

#define LOG_CTX_MAX 64 /* bytes kept of a context id (ids are UUIDs, request ids 32 hex) */

void log_init(const char *prog, enum log_level level);
void log_set_level(enum log_level level);
/* Parses "error|warn|info|debug"; returns -1 for anything else. */
int log_level_parse(const char *s);
/* Parses "auto|text|journal|json"; returns -1 for anything else. */
int log_format_parse(const char *s);
/* Sets the format; LOG_FMT_AUTO is resolved here, against the stream records go to. */
void log_set_format(enum log_format format);
/* The format in use (never LOG_FMT_AUTO). */
enum log_format log_get_format(void);
/* Sends records to f instead of stderr (tests); NULL: back to stderr. Call log_set_format after. */
void log_set_stream(FILE *f);
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Copies hostile text (from a CA, a client) into dst, cut short and with control characters replaced. */
const char *log_safe(char *dst, size_t dstlen, const char *src);

/*
 * The calling thread's context, added to each record it writes until changed: the
 * order, its tenant, the API request (certmill-fcgi sets them per request, the worker
 * per claimed step). NULL or "" clears one; characters outside [A-Za-z0-9._:@-] become '?'.
 */
void log_ctx_set_order(const char *order_id);
void log_ctx_set_tenant(const char *tenant_id);
void log_ctx_set_request(const char *request_id);
/* Forgets all three (end of a request or a step). */
void log_ctx_clear(void);
/* The request id of the calling thread, "" when none. */
const char *log_ctx_request(void);

#define log_error(...) log_msg(LOG_LVL_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LVL_DEBUG, __VA_ARGS__)

#endif
