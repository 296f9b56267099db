-- 003_preflight: checks per name before anything is sent to the CA.

-- Orders start with the pre-flight step; the names that failed it (allow_partial) are kept.
ALTER TABLE orders DROP CONSTRAINT orders_step_check;
ALTER TABLE orders ADD CONSTRAINT orders_step_check CHECK (step IN
    ('preflight', 'new_order', 'authorize', 'publish', 'propagate', 'validate', 'finalize', 'download', 'done'));
ALTER TABLE orders ALTER COLUMN step SET DEFAULT 'preflight';
ALTER TABLE orders ADD COLUMN allow_partial boolean NOT NULL DEFAULT false;
-- Names dropped by pre-flight with allow_partial, to be tried again at the next renewal.
ALTER TABLE orders ADD COLUMN dropped_domains text[] NOT NULL DEFAULT '{}';
-- Per name: {"domain", "ok", "code", "detail"} as the last pre-flight found.
ALTER TABLE orders ADD COLUMN preflight jsonb;

-- HTTP-01 self-check: a probe token the responder serves while certmill fetches it
-- through the name's port 80, before any CA is involved.
CREATE TABLE http01_probes (
    token              text PRIMARY KEY,
    key_authorization  text NOT NULL,
    expires_at         timestamptz NOT NULL DEFAULT now() + interval '10 minutes'
);
