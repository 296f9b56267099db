/*
 * request_id — the id of one API request, shared by the front server's access log,
 * certmill's log lines and the X-Request-Id response header: the front's own
 * (nginx $request_id as the REQUEST_ID parameter, Apache mod_unique_id's UNIQUE_ID),
 * else a random one.
 */
#ifndef CM_FCGI_REQUEST_ID_H
#define CM_FCGI_REQUEST_ID_H

#include <stdbool.h>
#include <stddef.h>

#define FCGI_REQUEST_ID_MAX 64 /* characters of an id taken from the front server */

/* True when s is 1 to FCGI_REQUEST_ID_MAX characters of [A-Za-z0-9._@-]. */
bool fcgi_request_id_valid(const char *s);
/* Writes the request's id into out (at least 65 bytes): REQUEST_ID, UNIQUE_ID, else 32 random hex digits. */
void fcgi_request_id(char **envp, char *out, size_t outlen);

#endif
