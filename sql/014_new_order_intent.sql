-- 014_new_order_intent: when newOrder was sent for the order's current CA order. A worker
-- killed between the CA's answer and storing the order URL leaves this set and the URL
-- empty: the next worker looks for that order among the account's orders before it
-- sends another newOrder, so one certmill order never leaves two ACME orders behind.
ALTER TABLE orders ADD COLUMN new_order_sent_at timestamptz;
