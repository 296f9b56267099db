/* fcgi_min — the API scenario's ceiling for make bench: a FastCGI responder that answers every request with
 * one fixed JSON body, with as many threads as certmill-fcgi has by default (4). Not part of certmill.
 * With FILE, a request for /min-list is answered with that file's bytes instead (a body as large as a page
 * of the list endpoint, so that the list is also compared with a responder sending as much).
 *
 * Usage: fcgi_min ADDRESS:PORT [THREADS [FILE]]
 */
#include <fcgiapp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FCGI_MIN_MAX_THREADS 64
#define FCGI_MIN_MAX_FILE (4 * 1024 * 1024)

static int fcgi_min_sock = -1;
static char *fcgi_min_file;      /* the /min-list body; NULL: none */
static int fcgi_min_file_len;

/* Reads FILE (at most FCGI_MIN_MAX_FILE bytes) as the /min-list body; false when it cannot. */
static int fcgi_min_load(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    fcgi_min_file = malloc(FCGI_MIN_MAX_FILE);
    size_t n = fcgi_min_file ? fread(fcgi_min_file, 1, FCGI_MIN_MAX_FILE, f) : 0;
    fclose(f);
    fcgi_min_file_len = (int)n;
    return n > 0;
}

/* Accepts requests on the shared socket and answers each with the fixed body. */
static void *fcgi_min_loop(void *arg)
{
    (void)arg;
    static const char body[] = "{\"id\":\"ord_bench\",\"status\":\"queued\",\"domains\":[\"bench.example.test\"]}\n";
    FCGX_Request req;
    if (FCGX_InitRequest(&req, fcgi_min_sock, 0) != 0)
        return NULL;
    for (;;) {
        if (FCGX_Accept_r(&req) < 0)
            break;
        const char *uri = FCGX_GetParam("DOCUMENT_URI", req.envp);
        int list = fcgi_min_file && uri && strcmp(uri, "/min-list") == 0;
        const char *b = list ? fcgi_min_file : body;
        int len = list ? fcgi_min_file_len : (int)sizeof body - 1;
        /* libfcgi's own printf knows no %zu. */
        FCGX_FPrintF(req.out, "Status: 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n",
                     len);
        FCGX_PutStr(b, len, req.out);
        FCGX_Finish_r(&req);
    }
    return NULL;
}

/* Opens the socket and runs the threads until killed. */
int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: fcgi_min ADDRESS:PORT [THREADS [FILE]]\n");
        return 2;
    }
    int threads = argc > 2 ? atoi(argv[2]) : 4;
    if (threads < 1 || threads > FCGI_MIN_MAX_THREADS)
        threads = 4;
    if (argc > 3 && !fcgi_min_load(argv[3])) {
        fprintf(stderr, "fcgi_min: cannot read %s\n", argv[3]);
        return 1;
    }
    if (FCGX_Init() != 0)
        return 1;
    /* libfcgi catches SIGTERM to finish the request under way; this responder may just stop. */
    signal(SIGTERM, SIG_DFL);
    fcgi_min_sock = FCGX_OpenSocket(argv[1], 128);
    if (fcgi_min_sock < 0) {
        fprintf(stderr, "fcgi_min: cannot listen on %s\n", argv[1]);
        return 1;
    }
    pthread_t tid[FCGI_MIN_MAX_THREADS];
    for (int i = 0; i < threads; i++)
        pthread_create(&tid[i], NULL, fcgi_min_loop, NULL);
    for (int i = 0; i < threads; i++)
        pthread_join(tid[i], NULL);
    return 0;
}
