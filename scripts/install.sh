#!/usr/bin/env bash
# install.sh — `make install`: copies the built programs, the migrations, the docs, the
# sample configuration and the systemd units (rendered with the paths below) into
# DESTDIR. Usage (from the Makefile): scripts/install.sh BUILD_DIR
#   DESTDIR PREFIX BINDIR SYSCONFDIR DATADIR DOCDIR MANDIR UNITDIR come from the environment.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
build=${1:?usage: install.sh BUILD_DIR}
: "${PREFIX:=/usr/local}" "${DESTDIR:=}"
: "${BINDIR:=$PREFIX/bin}" "${SYSCONFDIR:=/etc}" "${DATADIR:=$PREFIX/share/certmill}"
: "${DOCDIR:=$PREFIX/share/doc/certmill}" "${MANDIR:=$PREFIX/share/man}" "${UNITDIR:=$PREFIX/lib/systemd/system}"

for b in certmill certmill-fcgi certmill-worker certmill-alpn; do
    [[ -x "$build/bin/$b" ]] || { echo "install: $build/bin/$b is missing: run make first" >&2; exit 1; }
done
install -d "$DESTDIR$BINDIR" "$DESTDIR$DATADIR/sql" "$DESTDIR$DATADIR/web" "$DESTDIR$DOCDIR" \
    "$DESTDIR$UNITDIR" "$DESTDIR$SYSCONFDIR/certmill"
install -m 0755 "$build"/bin/certmill "$build"/bin/certmill-fcgi "$build"/bin/certmill-worker \
    "$build"/bin/certmill-alpn "$DESTDIR$BINDIR/"
# The migrations are embedded in the programs; the files are for reading and for DBAs.
install -m 0644 sql/[0-9][0-9][0-9]_*.sql "$DESTDIR$DATADIR/sql/"
install -m 0644 web/nginx/*.conf "$DESTDIR$DATADIR/web/"
for d in web/apache web/lighttpd; do
    [[ -d "$d" ]] && install -m 0644 "$d"/* "$DESTDIR$DATADIR/web/"
done
# The dashboard's static files (a second install overwrites them rather than nesting a copy).
if [[ -d web/dashboard ]]; then
    install -d "$DESTDIR$DATADIR/web/dashboard"
    cp -R web/dashboard/. "$DESTDIR$DATADIR/web/dashboard/"
fi
install -m 0644 README.md docs/*.md docs/openapi.yaml "$build"/gen/openapi.json "$DESTDIR$DOCDIR/"
for page in docs/*.[1-8]; do
    [[ -f "$page" ]] || continue
    sec=${page##*.}
    install -d "$DESTDIR$MANDIR/man$sec"
    install -m 0644 "$page" "$DESTDIR$MANDIR/man$sec/"
done
# The sample configuration: readable by root and the certmill group only (it will hold secrets).
install -m 0640 dist/certmill.conf.sample "$DESTDIR$SYSCONFDIR/certmill/certmill.conf.sample"
# Units: the paths and the shared hardening filled in.
hardening=$(grep -v '^#' dist/systemd/hardening.conf | sed "s|@SYSCONFDIR@|$SYSCONFDIR|g")
for tpl in dist/systemd/*.in; do
    unit=$(basename "$tpl" .in)
    content=$(<"$tpl")
    content=${content//@BINDIR@/$BINDIR}
    content=${content//@SYSCONFDIR@/$SYSCONFDIR}
    content=${content//@DOCDIR@/$DOCDIR}
    content=${content//@HARDENING@/$hardening}
    printf '%s\n' "$content" >"$DESTDIR$UNITDIR/$unit"
    chmod 0644 "$DESTDIR$UNITDIR/$unit"
done
echo "installed into ${DESTDIR:-/}: $BINDIR, $DATADIR, $DOCDIR, $UNITDIR, $SYSCONFDIR/certmill"
