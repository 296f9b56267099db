/* db_provider — reading a tenant's DNS provider, for the API's /test and the worker alike. */
#ifndef CM_DB_PROVIDER_H
#define CM_DB_PROVIDER_H

#include "db.h"

#include <stddef.h>

/*
 * What publishing through the provider needs: *row = {id, type, config}; *sealed its
 * sealed secret or NULL (caller frees). DB_NOTFOUND when it is not the tenant's.
 */
enum db_rc db_dns_provider_load(struct db *db, const char *tenant_id, const char *id, json_t **row,
                                unsigned char **sealed, size_t *len);

#endif
