-- 006_revoke: revocation of certificates (RFC 8555 §7.6), asynchronous through the work
-- queue like orders: the API records the request and queues a 'revoke' job; a worker
-- asks the CA and marks the certificate revoked.

-- The RFC 5280 reason asked (0 unspecified, 1 keyCompromise, 3 affiliationChanged,
-- 4 superseded, 5 cessationOfOperation: the ones CAs accept from subscribers), when the
-- panel asked (cleared when the CA refused for good), when the CA confirmed it, and the
-- CA's refusal when there was one.
ALTER TABLE certificates ADD COLUMN revoke_reason integer CHECK (revoke_reason IN (0, 1, 3, 4, 5));
ALTER TABLE certificates ADD COLUMN revoke_requested_at timestamptz;
ALTER TABLE certificates ADD COLUMN revoked_at timestamptz;
ALTER TABLE certificates ADD COLUMN revoke_problem jsonb;

-- A job now works on an order or on a certificate (kind 'revoke'), exactly one of them.
ALTER TABLE jobs ALTER COLUMN order_id DROP NOT NULL;
ALTER TABLE jobs ADD COLUMN certificate_id text UNIQUE REFERENCES certificates(id) ON DELETE CASCADE;
ALTER TABLE jobs DROP CONSTRAINT jobs_kind_check;
ALTER TABLE jobs ADD CONSTRAINT jobs_kind_check CHECK (kind IN ('order', 'revoke'));
ALTER TABLE jobs ADD CONSTRAINT jobs_target_check CHECK (
    (kind = 'order' AND order_id IS NOT NULL AND certificate_id IS NULL) OR
    (kind = 'revoke' AND certificate_id IS NOT NULL AND order_id IS NULL));
