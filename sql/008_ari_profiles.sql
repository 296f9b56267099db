-- 008_ari_profiles: what each CA's directory offers (ACME profiles, ARI), the ARI
-- renewal information of certificates (RFC 9773), and the certificate an order renews.

-- Written by a worker when it fetches a CA's directory, so certmill-fcgi (which never
-- talks to a CA) can refuse an order's profile the CA does not offer. profiles is the
-- directory's meta.profiles (object name -> description), NULL when it has none.
CREATE TABLE ca_directories (
    ca           text PRIMARY KEY,
    profiles     jsonb CHECK (profiles IS NULL OR jsonb_typeof(profiles) = 'object'),
    renewal_info boolean NOT NULL DEFAULT false,
    fetched_at   timestamptz NOT NULL DEFAULT now()
);

-- ARI: the certificate identifier (base64url(AKI keyIdentifier) "." base64url(serial)),
-- the CA's suggested renewal window, the renewal time chosen inside it, and when to ask
-- the CA again (its Retry-After, clamped). NULL until known; the identifier is set when
-- the certificate is stored, the rest when renewalInfo answered.
ALTER TABLE certificates ADD COLUMN ari_cert_id text CHECK (length(ari_cert_id) <= 512);
ALTER TABLE certificates ADD COLUMN renewal_window_start timestamptz;
ALTER TABLE certificates ADD COLUMN renewal_window_end timestamptz;
ALTER TABLE certificates ADD COLUMN renewal_explanation_url text CHECK (length(renewal_explanation_url) <= 2048);
ALTER TABLE certificates ADD COLUMN renewal_at timestamptz;
ALTER TABLE certificates ADD COLUMN ari_next_check_at timestamptz;
ALTER TABLE certificates ADD CONSTRAINT certificates_renewal_window_check
    CHECK ((renewal_window_start IS NULL) = (renewal_window_end IS NULL)
           AND (renewal_window_end IS NULL OR renewal_window_end >= renewal_window_start));
-- The periodic re-check (issue 5) finds due certificates by this.
CREATE INDEX certificates_ari_next_check ON certificates (ari_next_check_at) WHERE ari_next_check_at IS NOT NULL;

-- The certificate an order renews: newOrder then carries "replaces" (RFC 9773 §5) when
-- that certificate has an ARI identifier and the CA offers renewalInfo.
ALTER TABLE orders ADD COLUMN replaces_certificate_id text REFERENCES certificates(id) ON DELETE SET NULL;
