-- Audit log and least privilege (issue 6, points 8 and 9). See docs/security.md.
--
-- audit_log: one row per change made through the API (a successful POST, PUT, PATCH or
-- DELETE) or the admin CLI. Rows name who (tenant and API key, or "cli:" + the OS
-- user), what (method and path, or the CLI command, and the object's id), when and from
-- where (the client address the front server passes). No request body is stored.
-- No foreign key to tenants: the rows outlive a removed tenant.
CREATE TABLE audit_log (
    id          bigserial PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    tenant_id   text,
    api_key_id  text,
    actor       text NOT NULL CHECK (actor ~ '^(api|cli:.+)$'),
    action      text NOT NULL CHECK (length(action) <= 600),
    object_id   text CHECK (length(object_id) <= 200),
    status      integer,
    remote_addr text CHECK (length(remote_addr) <= 200)
);
CREATE INDEX audit_log_tenant ON audit_log (tenant_id, id DESC);

-- The services' roles, by convention certmill_api (certmill-fcgi, certmill-alpn) and
-- certmill_worker (certmill-worker). Roles belong to the cluster, not the database: the
-- operator creates them with a password (docs/security.md); when they do not exist yet
-- they are made here without LOGIN, so the grants below always have a grantee and the
-- operator only adds `ALTER ROLE ... LOGIN PASSWORD ...`. Creating them needs CREATEROLE;
-- without it this migration stops and says so (create the roles first).
DO $$
DECLARE
    r text;
BEGIN
    FOREACH r IN ARRAY ARRAY['certmill_api', 'certmill_worker'] LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) THEN
            EXECUTE format('CREATE ROLE %I NOLOGIN', r);
        END IF;
    END LOOP;
END
$$;

-- Nothing for anyone but what is granted below (PUBLIC has no table rights by default;
-- said again so an older grant cannot linger).
REVOKE ALL ON ALL TABLES IN SCHEMA public FROM PUBLIC, certmill_api, certmill_worker;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM PUBLIC, certmill_api, certmill_worker;
GRANT USAGE ON SCHEMA public TO certmill_api, certmill_worker;

-- certmill-fcgi (and certmill-alpn, which reads authorizations): the API's queries
-- (db/api_*.c, db/renew.c's renew request, db/ca_dir.c's profiles, health's schema
-- version). No ACME account keys, no rate budget rows; API keys only to match a hash.
GRANT SELECT ON tenants TO certmill_api;
GRANT SELECT (id, tenant_id, key_hash, revoked_at) ON api_keys TO certmill_api;
GRANT SELECT, INSERT, UPDATE ON orders TO certmill_api;
-- DELETE: retrying a failed order drops its old authorizations (db/api_order_actions.c).
GRANT SELECT, DELETE ON authorizations TO certmill_api;
GRANT SELECT ON http01_probes TO certmill_api;
GRANT SELECT, UPDATE ON certificates TO certmill_api;
GRANT SELECT, INSERT, UPDATE, DELETE ON jobs TO certmill_api;
GRANT SELECT, INSERT, UPDATE, DELETE ON dns_providers TO certmill_api;
GRANT SELECT, INSERT ON order_log TO certmill_api;
GRANT SELECT, INSERT, UPDATE, DELETE ON tenant_eab TO certmill_api;
GRANT SELECT, INSERT, UPDATE ON ca_directories TO certmill_api;
GRANT SELECT ON events TO certmill_api;
GRANT SELECT, INSERT, UPDATE, DELETE ON webhooks TO certmill_api;
GRANT SELECT, UPDATE ON webhook_deliveries TO certmill_api;
GRANT SELECT ON schema_migrations TO certmill_api;
-- The audit log: append only (no SELECT: the tenant's API does not read it back).
GRANT INSERT ON audit_log TO certmill_api;

-- certmill-worker: the steps' queries (db/work_*.c, db/renew.c, db/ca_dir.c, the DNS
-- provider a step uses). No API keys, no tenants, no audit log.
GRANT SELECT, INSERT, UPDATE ON acme_accounts TO certmill_worker;
GRANT SELECT, INSERT, UPDATE ON orders TO certmill_worker;
GRANT SELECT, INSERT, UPDATE, DELETE ON authorizations TO certmill_worker;
GRANT SELECT, INSERT, DELETE ON http01_probes TO certmill_worker;
GRANT SELECT, INSERT, UPDATE ON certificates TO certmill_worker;
GRANT SELECT, INSERT, UPDATE, DELETE ON jobs TO certmill_worker;
GRANT SELECT ON dns_providers TO certmill_worker;
GRANT SELECT, INSERT ON order_log TO certmill_worker;
GRANT SELECT ON tenant_eab TO certmill_worker;
GRANT SELECT, INSERT, UPDATE ON ca_directories TO certmill_worker;
GRANT SELECT, INSERT, UPDATE, DELETE ON rate_events TO certmill_worker;
GRANT SELECT, INSERT ON events TO certmill_worker;
GRANT SELECT ON webhooks TO certmill_worker;
GRANT SELECT, INSERT, UPDATE ON webhook_deliveries TO certmill_worker;

-- The sequences behind the bigserial ids of the tables each role inserts into.
DO $$
DECLARE
    g record;
    s text;
BEGIN
    FOR g IN SELECT t.rolname, t.tbl
             FROM (VALUES ('certmill_api', 'audit_log'), ('certmill_api', 'jobs'), ('certmill_api', 'order_log'),
                          ('certmill_worker', 'acme_accounts'), ('certmill_worker', 'authorizations'),
                          ('certmill_worker', 'jobs'), ('certmill_worker', 'order_log'),
                          ('certmill_worker', 'rate_events'), ('certmill_worker', 'events')) AS t(rolname, tbl)
    LOOP
        s := pg_get_serial_sequence(g.tbl, 'id');
        IF s IS NULL THEN
            s := pg_get_serial_sequence(g.tbl, 'seq');
        END IF;
        IF s IS NOT NULL THEN
            EXECUTE format('GRANT USAGE ON SEQUENCE %s TO %I', s, g.rolname);
        END IF;
    END LOOP;
END
$$;
