#!/bin/sh
# uacme-hook.sh — uacme's challenge hook for make bench: HTTP-01 only, by a token file in the
# web root that the stack's nginx serves on Pebble's HTTP-01 port (BENCH_WEBROOT).
# Called as: uacme-hook.sh METHOD TYPE IDENT TOKEN KEY_AUTH (see uacme(1), "CHALLENGE HOOK").
method=$1 type=$2 token=$4 auth=$5
[ "$type" = http-01 ] || exit 1
dir=$BENCH_WEBROOT/.well-known/acme-challenge
case $method in
begin) mkdir -p "$dir" && printf '%s' "$auth" >"$dir/$token" ;;
done | failed) rm -f "$dir/$token" ;;
*) exit 1 ;;
esac
