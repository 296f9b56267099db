-- 019_chains: intermediate chains stored once (issue 7, scale). Every certificate of a CA
-- has the same one to three issuers, so the chain's PEM (2-4 kB) was most of a row; now a
-- certificate points at one row of chains, found by the SHA-256 of its text.
CREATE TABLE chains (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    sha256       bytea NOT NULL UNIQUE CHECK (length(sha256) = 32),
    pem          text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now()
);

INSERT INTO chains (sha256, pem)
    SELECT DISTINCT sha256(convert_to(chain_pem, 'UTF8')), chain_pem FROM certificates;
ALTER TABLE certificates ADD COLUMN chain_id bigint REFERENCES chains(id);
UPDATE certificates c SET chain_id = h.id FROM chains h WHERE h.sha256 = sha256(convert_to(c.chain_pem, 'UTF8'));
ALTER TABLE certificates ALTER COLUMN chain_id SET NOT NULL;
ALTER TABLE certificates DROP COLUMN chain_pem;

-- The benchmark's queue scenario (tests/bench, make bench): a job of kind 'noop' has no
-- order and no certificate; a worker claims it and deletes it in its outcome transaction
-- (fence check, delete, commit) like the last step of an order, without any CA work. Only
-- the benchmark inserts such jobs; the API cannot.
ALTER TABLE jobs DROP CONSTRAINT jobs_kind_check;
ALTER TABLE jobs ADD CONSTRAINT jobs_kind_check CHECK (kind IN ('order', 'revoke', 'noop'));
ALTER TABLE jobs DROP CONSTRAINT jobs_target_check;
ALTER TABLE jobs ADD CONSTRAINT jobs_target_check CHECK (
    (kind = 'order' AND order_id IS NOT NULL AND certificate_id IS NULL) OR
    (kind = 'revoke' AND certificate_id IS NOT NULL AND order_id IS NULL) OR
    (kind = 'noop' AND order_id IS NULL AND certificate_id IS NULL));

-- The roles of 017_audit: the API reads chains, the worker stores them.
GRANT SELECT ON chains TO certmill_api;
GRANT SELECT, INSERT ON chains TO certmill_worker;
