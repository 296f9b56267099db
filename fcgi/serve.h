/*
 * serve — the accept loop of one certmill-fcgi thread: accept a FastCGI request,
 * read it, dispatch it, write the answer, log one line.
 */
#ifndef CM_FCGI_SERVE_H
#define CM_FCGI_SERVE_H

#include "app.h"

#include <fcgiapp.h>

/* What a thread needs: its context and the shared listening socket. */
struct fcgi_serve_arg {
    struct fcgi_ctx ctx;
    int listen_fd;
};

/* Tells every thread to stop after its current request (the caller then shuts the socket down). */
void fcgi_serve_stop(void);
/* Answers one accepted request. */
void fcgi_serve_one(struct fcgi_ctx *ctx, FCGX_Request *fx);
/* Thread body: accepts until FCGX_ShutdownPending and the socket is shut down. arg: struct fcgi_serve_arg. */
void *fcgi_serve_thread(void *arg);

#endif
