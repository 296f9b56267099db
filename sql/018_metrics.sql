-- Metrics (issue 8, point 6). See docs/operations.md, "Reading the metrics".
--
-- metric_counters: the counters and histogram series of every certmill process of the
-- cluster. Each process counts in memory and adds its deltas here every few seconds
-- and at exit (one upsert for all of them), so GET /metrics on any front shows
-- cluster-wide counters that only grow. labels is the formatted Prometheus label set
-- (`ca="le",endpoint="newOrder",result="2xx"`); its values are bounded by the code
-- (CA names from the configuration, route patterns, status classes), never ids.
CREATE TABLE metric_counters (
    name       text NOT NULL CHECK (name ~ '^[a-zA-Z_:][a-zA-Z0-9_:]*$' AND length(name) <= 128),
    labels     text NOT NULL CHECK (length(labels) <= 512),
    value      double precision NOT NULL DEFAULT 0,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (name, labels)
);

-- The scrape-time gauges stay cheap on large tables: counts by status come from
-- index-only scans, the soonest expiry from the first entry of a partial index.
CREATE INDEX orders_status_ca ON orders (status, ca);
CREATE INDEX certificates_status_ca ON certificates (status, ca);
CREATE INDEX certificates_in_service_expiry ON certificates (not_after) WHERE status IN ('active', 'expiring');

-- Both services' processes flush their deltas; /metrics (certmill-fcgi) reads them.
GRANT SELECT, INSERT, UPDATE ON metric_counters TO certmill_api, certmill_worker;
