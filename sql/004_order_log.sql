-- 004_order_log: what happened to an order, in words, for the panel and the operator
-- (DNS records published and removed, an exec hook's output, pre-flight verdicts).

CREATE TABLE order_log (
    id        bigserial PRIMARY KEY,
    order_id  text NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
    at        timestamptz NOT NULL DEFAULT now(),
    message   text NOT NULL CHECK (length(message) <= 2000)
);
CREATE INDEX order_log_order ON order_log (order_id, id);
