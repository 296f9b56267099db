-- 022_rate_buckets: the CA budgets' events counted per hour too, so that the budget
-- check before each newOrder reads a few rows instead of every event of the window
-- (engine/worker/budget.c; make bench: with 2,000 orders in the window one count took
-- 0.8 ms, and it grows with every order).
--
-- rate_buckets holds, per (ca, budget, account, md5(key)) and UTC hour, how many events
-- of rate_events fall in it, kept by a trigger. Summed over the hours a window touches it
-- is an upper bound of the window's exact count (it includes the window's first partial
-- hour and reservations of orders that failed since): when that bound is under the limit
-- the budget allows the request without counting events (db_budget_count).
CREATE TABLE rate_buckets (
    ca       text NOT NULL,
    budget   text NOT NULL,
    account  text NOT NULL,
    key_md5  text NOT NULL,
    hour     timestamptz NOT NULL,
    n        integer NOT NULL,
    PRIMARY KEY (ca, budget, account, key_md5, hour)
);

-- Keeps rate_buckets equal to rate_events grouped by hour: an insert adds one, a delete
-- takes one away, an update that moves an event (a reservation confirmed, dated anew)
-- does both.
CREATE FUNCTION rate_buckets_follow() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        UPDATE rate_buckets SET n = n - 1
         WHERE ca = OLD.ca AND budget = OLD.budget AND account = OLD.account AND key_md5 = md5(OLD.key)
           AND hour = date_trunc('hour', OLD.at, 'UTC');
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO rate_buckets AS b (ca, budget, account, key_md5, hour, n)
        VALUES (NEW.ca, NEW.budget, NEW.account, md5(NEW.key), date_trunc('hour', NEW.at, 'UTC'), 1)
        ON CONFLICT (ca, budget, account, key_md5, hour) DO UPDATE SET n = b.n + 1;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER rate_events_buckets AFTER INSERT OR DELETE OR UPDATE OF ca, budget, account, key, at
    ON rate_events FOR EACH ROW EXECUTE FUNCTION rate_buckets_follow();

INSERT INTO rate_buckets (ca, budget, account, key_md5, hour, n)
SELECT ca, budget, account, md5(key), date_trunc('hour', at, 'UTC'), count(*)
  FROM rate_events GROUP BY 1, 2, 3, 4, 5;

-- Confirming an order's reservations at issuance found them by reading the whole table.
CREATE INDEX rate_events_unconfirmed ON rate_events (order_id) WHERE NOT confirmed;

GRANT SELECT, INSERT, UPDATE, DELETE ON rate_buckets TO certmill_worker;
