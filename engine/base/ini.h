/* ini — reads a `key = value` file with `[sections]` into a flat list. */
#ifndef CM_INI_H
#define CM_INI_H

#include <stddef.h>

struct ini_entry {
    char *section;
    char *key;
    char *value;
    int line;
};

struct ini {
    char *path;
    struct ini_entry *v;
    size_t n;
};

/* Reads path; on error returns NULL and writes "file:line: reason" into err. */
struct ini *ini_load(const char *path, char *err, size_t errlen);
/* Returns the value of section/key, or NULL. */
const char *ini_get(const struct ini *ini, const char *section, const char *key);
void ini_free(struct ini *ini);

#endif
