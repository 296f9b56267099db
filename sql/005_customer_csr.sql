-- 005_customer_csr: an order may carry the customer's own CSR (DER). certmill then sends
-- it at finalize, never makes or holds the private key, and the certificate has no
-- key_sealed. A CSR is public: stored as it is, not sealed.

ALTER TABLE orders ADD COLUMN csr_der bytea CHECK (octet_length(csr_der) <= 16384);
