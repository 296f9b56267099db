"""200 orders spread over both front hosts (issue 10, point 3): every one is issued by the
workers of two hosts, each certificate verifies against Pebble's root, each order used one
ACME order, and Pebble's HTTP-01 requests reached both fronts (the names resolve to both)."""

import os

from conftest import describe, CLUSTER, ca_orders, openssl_verify, unique_name, wait_final

N_ORDERS = 200


def http01_hits(front):
    """How many HTTP-01 requests certmill-fcgi answered on that front (nginx's http01.log)."""
    path = os.path.join(CLUSTER["CM_STACK_DIR"], front, "nginx", "http01.log")
    if not os.path.exists(path):
        return 0
    return sum(1 for line in open(path) if "/.well-known/acme-challenge/" in line and " 200 " in line)


def test_200_orders_over_both_fronts_are_issued(new_tenant, db):
    before = {f: http01_hits(f) for f in ("front1", "front2")}
    tenant, api = new_tenant()
    ids = []
    for _ in range(N_ORDERS):
        r = api.order(unique_name("spread"))  # alternates front1, front2
        assert r.status_code == 202, r.text
        ids.append(r.json()["id"])
    done = wait_final(ids, timeout=400)
    assert len(done) == N_ORDERS, f"{N_ORDERS - len(done)} orders not final after 400 s: {describe(ids)}"
    assert set(done.values()) == {"issued"}, {s: list(done.values()).count(s) for s in set(done.values())}

    # every certificate, read through either front, verifies against the CA's root
    for oid in ids:
        order = api.get(f"/v1/orders/{oid}").json()
        r = api.get(f"/v1/certificates/{order['certificate_id']}")
        assert r.status_code == 200, r.text
        openssl_verify(r.json())
    cur = db.cursor()
    cur.execute("SELECT count(DISTINCT order_id), count(DISTINCT serial) FROM certificates WHERE tenant_id = %s",
                (tenant["id"],))
    assert cur.fetchone() == (N_ORDERS, N_ORDERS)
    # one ACME order per certmill order, at certmill and at the CA
    cur.execute("SELECT count(DISTINCT acme_order_url) FROM orders WHERE tenant_id = %s", (tenant["id"],))
    assert cur.fetchone()[0] == N_ORDERS
    assert len(ca_orders(db, tenant["id"])) == N_ORDERS
    # Pebble validated through both fronts
    after = {f: http01_hits(f) for f in ("front1", "front2")}
    assert all(after[f] > before[f] for f in after), (before, after)
