/*
 * dns_providers — /v1/dns-providers: a tenant's DNS providers (where certmill publishes
 * the TXT records of dns-01 orders): create, list, read one, delete, and a test that
 * publishes and removes a record through one.
 *
 * Representation: {"id", "name", "type", "config", "has_secret", "created_at",
 * "updated_at"}. The secret settings are write-only: sealed at rest (AES-256-GCM under
 * the master key, bound to the provider's id), never answered, never logged.
 */
#ifndef CM_FCGI_DNS_PROVIDERS_H
#define CM_FCGI_DNS_PROVIDERS_H

#include "app.h"
#include "request.h"
#include "response.h"

/* The legacy AAD of a provider secret, "dns-provider:<id>" (now seal_aad(SEAL_PURPOSE_DNS_PROVIDER, tenant, id)). */
#define FCGI_DNS_PROVIDER_AAD_PREFIX "dns-provider:"
#define FCGI_DNS_PROVIDER_MAX_NAME 100  /* characters of a provider's name */
#define FCGI_DNS_PROVIDER_TEST_LABEL "_certmill-test" /* the test record is this label over the name given */

/* POST /v1/dns-providers → 201 + Location. */
void fcgi_dns_providers_create(struct fcgi_ctx *ctx, struct fcgi_req *req, struct fcgi_resp *resp);
/* GET /v1/dns-providers?limit=&cursor=. */
void fcgi_dns_providers_list(struct fcgi_ctx *ctx, struct fcgi_req *req, struct fcgi_resp *resp);
/* GET /v1/dns-providers/{id}. */
void fcgi_dns_providers_get(struct fcgi_ctx *ctx, struct fcgi_req *req, struct fcgi_resp *resp);
/* DELETE /v1/dns-providers/{id} → 204, or 409 provider_in_use. */
void fcgi_dns_providers_delete(struct fcgi_ctx *ctx, struct fcgi_req *req, struct fcgi_resp *resp);
/* POST /v1/dns-providers/{id}/test {"name"} → 200 with the record and timings, or 422 provider_test_failed. */
void fcgi_dns_providers_test(struct fcgi_ctx *ctx, struct fcgi_req *req, struct fcgi_resp *resp);

#endif
