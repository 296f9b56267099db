-- 011_renewals: the renewal scheduler (issue 5). Each certificate that renews itself has a
-- time the scheduler next acts on it (renew_at); a scheduler pass reads only the rows that
-- are due, through a partial index, so its cost follows what is due, not what is managed.

-- Whether certmill keeps the certificate valid (copied from its order at issuance; the API's
-- DELETE /v1/certificates/{id} turns it off).
ALTER TABLE certificates ADD COLUMN auto_renew boolean NOT NULL DEFAULT true;
-- When the scheduler next acts on the certificate: its renewal time, then (while a renewal is
-- under way or backing off) its next look. NULL: not renewing (auto_renew off, superseded,
-- revoked).
ALTER TABLE certificates ADD COLUMN renew_at timestamptz;
-- The renewal order made for it (the latest one), so a second pass does not make another.
ALTER TABLE certificates ADD COLUMN renewal_order_id text REFERENCES orders(id) ON DELETE SET NULL;
-- Renewal orders that failed in a row, and when the next one may be made (the backoff).
ALTER TABLE certificates ADD COLUMN renew_failures integer NOT NULL DEFAULT 0 CHECK (renew_failures >= 0);
ALTER TABLE certificates ADD COLUMN renew_retry_at timestamptz;
-- The certificate that replaced it (status superseded).
ALTER TABLE certificates ADD COLUMN superseded_by text REFERENCES certificates(id) ON DELETE SET NULL;
-- The last certificate.expiring event recorded for it (at most one a day).
ALTER TABLE certificates ADD COLUMN expiring_event_at timestamptz;

CREATE INDEX certificates_renew_due ON certificates (renew_at) WHERE renew_at IS NOT NULL;
CREATE INDEX orders_replaces ON orders (replaces_certificate_id) WHERE replaces_certificate_id IS NOT NULL;

-- Certificates issued before this migration: their order's auto_renew, and the renewal time
-- without jitter (the ARI time when the CA gave one; else a third of the lifetime left, half
-- under 10 days).
UPDATE certificates c SET auto_renew = o.auto_renew FROM orders o WHERE o.id = c.order_id;
UPDATE certificates SET renew_at = coalesce(renewal_at, not_after - (not_after - not_before)
                                   / CASE WHEN not_after - not_before < interval '10 days' THEN 2 ELSE 3 END)
 WHERE auto_renew AND status IN ('active', 'expiring');
