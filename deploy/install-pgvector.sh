#!/usr/bin/env bash
# Installs the pgvector extension into the local PostgreSQL server from Debian's
# source package, for machines whose release does not ship a binary package for
# their PostgreSQL version. Idempotent: exits early when the extension is there.
#
# It uses a private apt directory for the deb-src line so the system's own
# sources are left untouched.
set -euo pipefail

pgver=${PG_MAJOR:-$(ls /etc/postgresql 2>/dev/null | sort -n | tail -1)}
if [ -z "$pgver" ]; then
  echo "install-pgvector: no PostgreSQL found under /etc/postgresql" >&2
  exit 1
fi
sharedir=$(/usr/lib/postgresql/"$pgver"/bin/pg_config --sharedir 2>/dev/null || echo /usr/share/postgresql/"$pgver")
if [ -f "$sharedir/extension/vector.control" ] && [ -z "${FORCE:-}" ]; then
  echo "install-pgvector: vector already installed for PostgreSQL $pgver"
  exit 0
fi

suite=${PGVECTOR_SUITE:-trixie}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/apt/lists/partial" "$work/src"
echo "deb-src http://deb.debian.org/debian $suite main" > "$work/apt/sources.list"
aptopts=(-o Dir::Etc::SourceList="$work/apt/sources.list" -o Dir::Etc::SourceParts=/dev/null
         -o Dir::State::Lists="$work/apt/lists")

export DEBIAN_FRONTEND=noninteractive
apt-get "${aptopts[@]}" update -qq
# Build tools and the server headers come from the machine's own release.
if ! dpkg -s "postgresql-server-dev-$pgver" >/dev/null 2>&1 || ! command -v make >/dev/null; then
  apt-get update -qq
  apt-get install -y -qq "postgresql-server-dev-$pgver" make gcc >/dev/null
fi
(cd "$work/src" && apt-get "${aptopts[@]}" source --download-only pgvector >/dev/null)
tarball=$(ls "$work"/src/pgvector_*.orig.tar.* | head -1)
tar -xf "$tarball" -C "$work/src"
srcdir=$(find "$work/src" -maxdepth 1 -type d -name 'pgvector-*' | head -1)
# OPTFLAGS="" avoids -march=native so the build runs on any x86-64 machine.
make -C "$srcdir" PG_CONFIG=/usr/lib/postgresql/"$pgver"/bin/pg_config OPTFLAGS="" >/dev/null
make -C "$srcdir" PG_CONFIG=/usr/lib/postgresql/"$pgver"/bin/pg_config install >/dev/null
echo "install-pgvector: installed $(basename "$srcdir") for PostgreSQL $pgver"
