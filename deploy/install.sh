#!/usr/bin/env bash
# Installs procpush on a systemd host from an `npm pack` tarball: the package (npm install -g), a
# `procpush` system user, /etc/procpush/{procpush.yaml,procpush.env} and the units, then enables the
# daemon (or the timer). Run from a checkout of the repository. Idempotent: an existing config is kept.
#
#   npm ci && npm pack                           # -> procpush-<version>.tgz (prepack builds dist/)
#   sudo deploy/install.sh --remote-write https://prometheus.example/api/v1/write procpush-*.tgz
#
# Options:
#   --remote-write URL   new config pushes with remote write to URL
#   --pushgateway URL    new config pushes to the Pushgateway at URL (its base URL)
#   --timer              enable procpush-once.timer (one push a minute) instead of procpush.service
#   --no-start           install and validate only; enable nothing (works without systemd)
#   --root DIR           stage under DIR (no user, no chown, no systemctl): for packaging and tests
#   -h, --help
set -euo pipefail

usage() { sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; }
# systemd manages this host (the units can be loaded and started).
systemd_running() { [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; }
die() { echo "install.sh: $*" >&2; exit 2; }

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
root=''
sink_type=''
sink_url=''
mode=daemon
start=yes
tarball=''
while [ $# -gt 0 ]; do
  case "$1" in
    --remote-write) [ $# -ge 2 ] || die "$1 needs a URL"; sink_type=remote_write; sink_url=$2; shift 2 ;;
    --pushgateway) [ $# -ge 2 ] || die "$1 needs a URL"; sink_type=pushgateway; sink_url=$2; shift 2 ;;
    --timer) mode=timer; shift ;;
    --no-start) start=no; shift ;;
    --root) [ $# -ge 2 ] || die "$1 needs a directory"; root=$(cd "$2" && pwd); shift 2 ;;
    -h|--help) usage; exit 0 ;;
    -*) die "unknown option $1 (see --help)" ;;
    *) [ -z "$tarball" ] || die "one tarball only"; tarball=$1; shift ;;
  esac
done
case "$sink_url" in ''|http://*|https://*) ;; *) die "the URL must start with http:// or https://" ;; esac
case "$sink_url" in *'#'*|*'|'*|*"'"*|*'"'*|*' '*) die "the URL contains a character this script does not write into YAML; edit the config by hand" ;; esac

[ -n "$root" ] || [ "$(id -u)" -eq 0 ] || die "run as root (or stage with --root DIR)"
if [ -z "$root" ] && [ "$start" = yes ] && ! systemd_running; then
  die "systemd is not running on this host, so procpush cannot be enabled as a service: install with --no-start, then run it from cron (deploy/cron/procpush) or your init system"
fi
command -v node >/dev/null || die "Node.js >= 20 is needed (node not found on PATH)"
major=$(node -p 'process.versions.node.split(".")[0]')
[ "$major" -ge 20 ] || die "Node.js >= 20 is needed (found $(node --version))"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if [ -z "$tarball" ]; then
  echo "== building a package from $repo"
  (cd "$repo" && npm ci --no-audit --no-fund && npm pack --pack-destination "$work") >&2 || die "building the package in $repo failed (see npm's messages above)"
  tarball=$(ls "$work"/procpush-*.tgz)
fi
[ -f "$tarball" ] || die "no such tarball: $tarball"
tarball=$(cd "$(dirname "$tarball")" && pwd)/$(basename "$tarball")
contents=$(tar tzf "$tarball" 2>/dev/null) || die "$tarball is not a gzipped tar (an npm pack tarball)"
if ! printf '%s\n' "$contents" | grep -qx 'package/dist/cli.js'; then
  die "$tarball has no dist/cli.js: it was packed without building. Run npm ci && npm pack in the repository (prepack builds dist/), or run this script without a tarball"
fi

# 1. The package. npm's global prefix is /usr/local on Debian; the units name $prefix/bin/procpush.
if [ -n "$root" ]; then prefix=/usr/local; else prefix=$(npm prefix -g); fi
echo "== npm install -g $tarball (prefix $root$prefix)"
npm install -g --no-audit --no-fund --prefix "$root$prefix" "$tarball" >&2 ||
  die "npm install -g failed (see npm's messages above; its dependencies come from the npm registry, which must be reachable)"
bin=$prefix/bin/procpush
[ -x "$root$bin" ] || die "npm install -g succeeded but left no $root$bin: npm's global prefix is $prefix (npm prefix -g); the units expect the binary there"

# 2. The user the agent runs as (capabilities come from the unit, not from the user).
if [ -z "$root" ] && ! id procpush >/dev/null 2>&1; then
  echo "== adding system user procpush"
  useradd --system --user-group --home-dir /var/lib/procpush --no-create-home --shell /usr/sbin/nologin procpush
fi

# 3. Config and environment: written once, never overwritten.
etc=$root/etc/procpush
install -d -m 0750 "$etc"
config=$etc/procpush.yaml
if [ -e "$config" ]; then
  echo "== keeping $config"
  [ -z "$sink_url" ] || echo "   (not changed: edit its sinks: section to point at $sink_url)"
else
  echo "== writing $config"
  cp "$here/systemd/procpush.yaml" "$config"
  if [ -n "$sink_url" ]; then
    sed -i -e "s|^  - type: remote_write .*|  - type: $sink_type|" -e "s|^    url: .*|    url: $sink_url|" "$config"
    # The durable queue is remote write's; the Pushgateway keeps only the latest push.
    [ "$sink_type" = remote_write ] || sed -i -e '/^    # Batches a down receiver/d' -e '/^    queue: /d' "$config"
  fi
fi
[ -e "$etc/procpush.env" ] || cp "$here/systemd/procpush.env" "$etc/procpush.env"
if [ -z "$root" ]; then
  chown root:procpush "$etc" "$config" "$etc/procpush.env"
  chmod 0640 "$config" "$etc/procpush.env"
fi
echo "== procpush check --config.path $config"
"$root$bin" check --config.path "$config"

# 4. Units, naming the installed binary.
units=$root/etc/systemd/system
install -d -m 0755 "$units"
for u in procpush.service procpush-once.service procpush-once.timer; do
  sed -e "s|/usr/local/bin/procpush|$bin|g" -e "s|/usr/local/lib/node_modules/procpush|$prefix/lib/node_modules/procpush|g" \
    "$here/systemd/$u" > "$units/$u"
  chmod 0644 "$units/$u"
done
echo "== installed the units in $units"

if [ -n "$root" ] || [ "$start" = no ]; then
  if [ -z "$root" ] && systemd_running; then
    systemctl daemon-reload
    echo "== done; enable with: systemctl enable --now $([ "$mode" = timer ] && echo procpush-once.timer || echo procpush.service)"
  elif [ -z "$root" ]; then
    echo "== done; systemd is not running here: the units are installed but not loaded. Run $bin from cron (deploy/cron/procpush) or your init system"
  else
    echo "== done; enable with: systemctl enable --now $([ "$mode" = timer ] && echo procpush-once.timer || echo procpush.service)"
  fi
  exit 0
fi
systemctl daemon-reload
if [ "$mode" = timer ]; then
  systemctl disable --now procpush.service >/dev/null 2>&1 || true
  systemctl enable --now procpush-once.timer
  echo "== enabled procpush-once.timer; follow it with: journalctl -u procpush-once.service -f"
else
  systemctl disable --now procpush-once.timer >/dev/null 2>&1 || true
  systemctl enable --now procpush.service
  echo "== enabled procpush.service; follow it with: journalctl -u procpush -f; curl -s 127.0.0.1:9256/healthz"
fi
