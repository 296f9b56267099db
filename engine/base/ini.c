/* ini — reads a `key = value` file with `[sections]`. */
#include "base/ini.h"
#include "base/xalloc.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define INI_MAX_LINE 4096
#define INI_MAX_ENTRIES 4096

/* Trims ASCII whitespace at both ends, in place. */
static char *ini_trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
    return s;
}

/* Parses the file line by line; comments start with # or ;. */
struct ini *ini_load(const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "%s: cannot open: %m", path);
        return NULL;
    }
    struct ini *ini = xcalloc(1, sizeof *ini);
    ini->path = xstrdup(path);
    char *section = xstrdup("");
    char line[INI_MAX_LINE];
    int lineno = 0;
    const char *why = NULL;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        if (!strchr(line, '\n') && !feof(f)) {
            why = "line too long";
            break;
        }
        char *s = ini_trim(line);
        if (!*s || *s == '#' || *s == ';')
            continue;
        if (*s == '[') {
            char *end = strchr(s, ']');
            if (!end || end[1] != '\0') {
                why = "malformed section header";
                break;
            }
            *end = '\0';
            free(section);
            section = xstrdup(ini_trim(s + 1));
            continue;
        }
        char *eq = strchr(s, '=');
        if (!eq) {
            why = "expected key = value";
            break;
        }
        *eq = '\0';
        char *key = ini_trim(s), *val = ini_trim(eq + 1);
        if (!*key) {
            why = "empty key";
            break;
        }
        if (ini_get(ini, section, key)) {
            why = "key given twice";
            break;
        }
        if (ini->n >= INI_MAX_ENTRIES) {
            why = "too many entries";
            break;
        }
        ini->v = xrealloc(ini->v, (ini->n + 1) * sizeof *ini->v);
        ini->v[ini->n++] = (struct ini_entry){ xstrdup(section), xstrdup(key), xstrdup(val), lineno };
    }
    fclose(f);
    free(section);
    if (why) {
        snprintf(err, errlen, "%s:%d: %s", path, lineno, why);
        ini_free(ini);
        return NULL;
    }
    return ini;
}

/* Looks up one value. */
const char *ini_get(const struct ini *ini, const char *section, const char *key)
{
    for (size_t i = 0; i < ini->n; i++)
        if (strcmp(ini->v[i].section, section) == 0 && strcmp(ini->v[i].key, key) == 0)
            return ini->v[i].value;
    return NULL;
}

/* Releases everything ini_load allocated. */
void ini_free(struct ini *ini)
{
    if (!ini)
        return;
    for (size_t i = 0; i < ini->n; i++) {
        free(ini->v[i].section);
        free(ini->v[i].key);
        free(ini->v[i].value);
    }
    free(ini->v);
    free(ini->path);
    free(ini);
}
