#!/usr/bin/env bash
# demo.sh — what `make run` does once `make up` has started the stack: order
# one certificate for two fresh names under example.test through the API,
# show the order's progress, fetch and verify the certificate, then follow the
# stack's logs until Ctrl-C.
#
# Usage: scripts/demo.sh            (after scripts/stack.sh up)
#   CM_DEMO_TIMEOUT  seconds to wait for the order   [120]
#   CM_DEMO_NO_TAIL  1 = stop after the certificate   [0]
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
envfile=$repo/var/stack.env
out=$repo/var/demo
timeout=${CM_DEMO_TIMEOUT:-120}

unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY

die() { printf 'demo: error: %s\n' "$*" >&2; exit 1; }

command -v jq >/dev/null 2>&1 || "$repo/scripts/deps.sh"
[[ -r "$envfile" ]] || die "no $envfile: run 'make up' (scripts/stack.sh up) first"
set -a
# shellcheck disable=SC1090
. "$envfile"
set +a
[[ -n "${CERTMILL_API_KEY:-}" ]] ||
    die "no API key in $envfile (were the certmill binaries built before 'make up'?)"

# api METHOD PATH [BODY] — call the API; the body goes to $resp, the HTTP
# status to $code.
api() {
    local method=$1 path=$2 body=${3:-} tmp args=()
    tmp=$(mktemp)
    args=(-sS -X "$method" -o "$tmp" -w '%{http_code}' --max-time 30
        -H "Authorization: Bearer $CERTMILL_API_KEY" -H 'Accept: application/json')
    [[ -z "$body" ]] || args+=(-H 'Content-Type: application/json' --data-binary "$body")
    code=$(curl "${args[@]}" "$CERTMILL_URL$path") || code=000
    resp=$(<"$tmp")
    rm -f "$tmp"
}

# ---- order -------------------------------------------------------------
label=demo-$(openssl rand -hex 4)
domains=("$label.example.test" "www.$label.example.test")
order=$(jq -cn --arg a "${domains[0]}" --arg b "${domains[1]}" \
    '{domains: [$a, $b], challenge: "http-01", key_type: "ec-p256"}')
echo "demo: POST $CERTMILL_URL/v1/orders $order"
api POST /v1/orders "$order"
[[ "$code" == 202 ]] || die "POST /v1/orders answered $code: $resp"
id=$(jq -r '.id // empty' <<<"$resp")
[[ -n "$id" ]] || die "order without id: $resp"
status=$(jq -r '.status' <<<"$resp")
start=$SECONDS
echo "demo: order $id: $status"

# ---- progress ----------------------------------------------------------
while [[ "$status" != issued && "$status" != failed && "$status" != cancelled ]]; do
    ((SECONDS - start < timeout)) || die "order $id still '$status' after ${timeout}s"
    sleep 0.2
    api GET "/v1/orders/$id"
    [[ "$code" == 200 ]] || die "GET /v1/orders/$id answered $code: $resp"
    new=$(jq -r '.status' <<<"$resp")
    if [[ "$new" != "$status" ]]; then
        status=$new
        printf 'demo: order %s: %s (%ds)\n' "$id" "$status" $((SECONDS - start))
        # Authorizations, when the API lists them.
        jq -r '(.authorizations // [])[] | "        \(.domain): \(.status) (\(.challenge // "-"))"' \
            <<<"$resp" 2>/dev/null || true
    fi
done
if [[ "$status" != issued ]]; then
    jq . <<<"$resp" >&2 || printf '%s\n' "$resp" >&2
    die "order $id ended $status"
fi

# ---- certificate -------------------------------------------------------
cert_id=$(jq -r '.certificate_id // empty' <<<"$resp")
[[ -n "$cert_id" ]] || die "issued order without certificate_id: $resp"
api GET "/v1/certificates/$cert_id"
[[ "$code" == 200 ]] || die "GET /v1/certificates/$cert_id answered $code: $resp"
mkdir -p "$out"
jq -r '.fullchain_pem' <<<"$resp" >"$out/fullchain.pem"
# Split the full chain: the first certificate is the leaf, the rest the chain.
awk -v leaf="$out/leaf.pem" -v chain="$out/chain.pem" '
    BEGIN { n = 0; printf "" > leaf; printf "" > chain }
    /-----BEGIN CERTIFICATE-----/ { n++ }
    n == 1 { print > leaf }
    n > 1  { print > chain }' "$out/fullchain.pem"
[[ -s "$out/leaf.pem" ]] || die "no certificate in fullchain_pem"
echo "demo: certificate $cert_id written to $out/fullchain.pem"
untrusted=()
[[ -s "$out/chain.pem" ]] && untrusted=(-untrusted "$out/chain.pem")
openssl verify -CAfile "$CERTMILL_CA_ROOT" "${untrusted[@]}" "$out/leaf.pem" ||
    die "the certificate does not verify against $CERTMILL_CA_ROOT"
openssl x509 -in "$out/leaf.pem" -noout -subject -ext subjectAltName -enddate -serial |
    sed 's/^/    /'

# ---- logs --------------------------------------------------------------
[[ "${CM_DEMO_NO_TAIL:-0}" == 1 ]] && exit 0
echo "demo: following the stack's logs (Ctrl-C to stop; the stack keeps running, 'make down' stops it)"
logs=()
for f in "$CERTMILL_LOG_DIR"/*.log "$CERTMILL_STACK_DIR/nginx/access.log" "$CERTMILL_STACK_DIR/nginx/error.log"; do
    [[ -e "$f" ]] && logs+=("$f")
done
trap 'echo; exit 0' INT
tail -n 5 -F "${logs[@]}"
