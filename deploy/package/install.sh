#!/usr/bin/env bash
# Installs (or upgrades) the facefleet agent on a device from an unpacked package
# (deploy/package/build-agent-package.sh). Run it from the package folder:
#
#   tar xzf facefleet-agent-<version>-linux-<arch>.tar.gz
#   sudo facefleet-agent-<version>-linux-<arch>/install.sh [--agent-id ID] [--config FILE] [--no-start]
#
#   --agent-id ID  agentId of a newly written /etc/facefleet/agent.json (default: the host name)
#   --config FILE  install FILE as /etc/facefleet/agent.json instead of agent.example.json (validated first;
#                  replaces an existing one). Without it an existing agent.json is kept untouched.
#   --no-start     install and enable the unit, but do not (re)start it
#   --prefix DIR   install under DIR instead of / (for tests and image builds): DIR/opt/facefleet,
#                  DIR/etc/facefleet, DIR/etc/systemd/system, DIR/var/lib/facefleet, DIR/usr/local/bin.
#                  No user is created and systemctl is not run.
#
# What it does, each step skipped when already done (running it twice changes nothing):
#   user facefleet (system user, own group, member of video), /opt/facefleet/releases/<package> (unpacked
#   into a .partial folder, then renamed), /opt/facefleet/current -> that release (switched atomically),
#   /etc/facefleet/agent.json (only if missing), /var/lib/facefleet/{models,capture}, the systemd unit
#   facefleet-agent.service (enabled, restarted), /usr/local/bin/facefleet (the CLI as this install sees it).
set -euo pipefail

pkg="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
say() { echo "install: $*"; }
die() { echo "install.sh: $1" >&2; exit "${2:-1}"; }

prefix=/
agent_id=""
config=""
start=1
while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) [ $# -ge 2 ] || die "--prefix needs a directory" 2; prefix="$2"; shift 2 ;;
    --prefix=*) prefix="${1#--prefix=}"; shift ;;
    --agent-id) [ $# -ge 2 ] || die "--agent-id needs a value" 2; agent_id="$2"; shift 2 ;;
    --agent-id=*) agent_id="${1#--agent-id=}"; shift ;;
    --config) [ $# -ge 2 ] || die "--config needs a file" 2; config="$2"; shift 2 ;;
    --config=*) config="${1#--config=}"; shift ;;
    --no-start) start=0; shift ;;
    -h | --help) sed -n '2,22p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option '$1' (see --help)" 2 ;;
  esac
done

[ -f "$pkg/app/bin/facefleet.js" ] && [ -f "$pkg/BUILD-INFO.json" ] || die "$pkg is not an unpacked facefleet agent package (no app/bin/facefleet.js)"
[ -z "$config" ] || [ -f "$config" ] || die "--config $config: no such file"
[ -z "$config" ] || config="$(cd "$(dirname "$config")" && pwd)/$(basename "$config")"
if [ "$prefix" = / ]; then
  real=1
  [ "$(id -u)" = 0 ] || die "run as root (sudo), or give --prefix DIR to install somewhere else"
  P=""
else
  real=0
  mkdir -p "$prefix" || die "cannot create --prefix $prefix"
  P="$(cd "$prefix" && pwd)"
fi

command -v node >/dev/null || die "node is not installed: install Node.js 20 or newer (https://nodejs.org, or NodeSource's apt repository)"
node_major="$(node -p 'process.versions.node.split(".")[0]')"
[ "$node_major" -ge 20 ] || die "node $(node -v) is too old: the agent needs Node.js 20 or newer"
pkg_arch="$(node -p "require('$pkg/BUILD-INFO.json').arch")"
host_arch="$(node -p 'process.arch')"
[ "$pkg_arch" = "$host_arch" ] || die "this package is for linux/$pkg_arch, this machine is $host_arch: use the $host_arch package"
name="$(basename "$pkg")"
command -v ffmpeg >/dev/null || say "warning: ffmpeg not found; cameras, RTSP and video files need it (apt-get install ffmpeg)"

# ---- user (real installs only) ----
if [ "$real" = 1 ]; then
  getent group video >/dev/null || { say "creating group video"; groupadd --system video; }
  if id facefleet >/dev/null 2>&1; then
    case " $(id -nG facefleet) " in
      *" video "*) ;;
      *) say "adding user facefleet to group video"; usermod -aG video facefleet ;;
    esac
  else
    say "creating system user facefleet (groups facefleet, video)"
    useradd --system --user-group --groups video --home-dir /var/lib/facefleet --no-create-home \
      --shell /usr/sbin/nologin --comment "facefleet agent" facefleet
  fi
else
  say "--prefix: not creating user facefleet"
fi

# ---- release: unpack into .partial, rename, then switch `current` ----
opt="$P/opt/facefleet"
release="$opt/releases/$name"
mkdir -p "$opt/releases"
if [ -f "$release/BUILD-INFO.json" ] && cmp -s "$release/BUILD-INFO.json" "$pkg/BUILD-INFO.json"; then
  say "release $name already installed"
else
  say "installing release $name"
  rm -rf "$release.partial" "$release"
  mkdir -p "$release.partial"
  cp -a "$pkg/app" "$pkg/BUILD-INFO.json" "$release.partial/"
  [ ! -d "$pkg/models" ] || cp -a "$pkg/models" "$release.partial/"
  mv "$release.partial" "$release"
fi
if [ "$(readlink "$opt/current" 2>/dev/null)" != "releases/$name" ]; then
  say "switching $opt/current to $name"
  ln -sfn "releases/$name" "$opt/current.new"
  mv -Tf "$opt/current.new" "$opt/current"
fi

# ---- state and models folders ----
state="$P/var/lib/facefleet"
mkdir -p "$state/models" "$state/capture"
[ "$real" = 0 ] || chown -R facefleet:facefleet "$state"
chmod 750 "$state"

# ---- config ----
etc="$P/etc/facefleet"
mkdir -p "$etc"
validate() { # FILE: checked as the agent reads it (facefleet config check: agent/config.ts) by the installed release
  out_="$(node "$release/app/bin/facefleet.js" config check agent "$1" 2>&1 >/dev/null)" || { echo "install.sh: $out_" >&2; return 1; }
}
if [ -n "$config" ]; then
  validate "$config" || exit 1
  if cmp -s "$config" "$etc/agent.json"; then
    say "$etc/agent.json unchanged"
  else
    say "installing $config as $etc/agent.json"
    cp "$config" "$etc/agent.json.tmp" && mv -f "$etc/agent.json.tmp" "$etc/agent.json"
  fi
elif [ -f "$etc/agent.json" ]; then
  say "keeping existing $etc/agent.json"
  validate "$etc/agent.json" || say "warning: the existing agent.json is not valid for this release (see above)"
else
  id_="${agent_id:-$(hostname -s 2>/dev/null || hostname)}"
  say "writing $etc/agent.json (agentId $id_; edit kafka.brokers, mqtt.url and roles.capture)"
  AGENT_ID="$id_" node -e '
    const fs = require("node:fs");
    const c = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
    const id = process.env.AGENT_ID;
    c.agentId = id;
    for (const cam of c.roles?.capture ?? []) cam.camera = cam.camera.replace(/^edge-01/, id);
    fs.writeFileSync(process.argv[2], JSON.stringify(c, null, 2) + "\n");
  ' "$pkg/agent.example.json" "$etc/agent.json.tmp"
  validate "$etc/agent.json.tmp" || { rm -f "$etc/agent.json.tmp"; die "--agent-id '$id_' is not a valid agentId"; }
  mv -f "$etc/agent.json.tmp" "$etc/agent.json"
fi
chmod 640 "$etc/agent.json"
[ "$real" = 0 ] || chgrp facefleet "$etc/agent.json"

# ---- the CLI on PATH ----
bin="$P/usr/local/bin"
mkdir -p "$bin"
cat >"$bin/facefleet.tmp" <<EOF
#!/bin/sh
# facefleet CLI of the installed agent release (install.sh)
export FACEFLEET_MODELS="\${FACEFLEET_MODELS:-$state/models:$opt/current/models}"
exec node "$opt/current/app/bin/facefleet.js" "\$@"
EOF
chmod 755 "$bin/facefleet.tmp"
mv -f "$bin/facefleet.tmp" "$bin/facefleet"

# ---- systemd unit ----
units="$P/etc/systemd/system"
mkdir -p "$units"
sed -e "s#/opt/facefleet#$opt#g" -e "s#/etc/facefleet#$etc#g" -e "s#/var/lib/facefleet#$state#g" \
  "$pkg/facefleet-agent.service" >"$units/facefleet-agent.service.tmp"
if cmp -s "$units/facefleet-agent.service.tmp" "$units/facefleet-agent.service"; then
  rm -f "$units/facefleet-agent.service.tmp"
  say "unit facefleet-agent.service unchanged"
else
  mv -f "$units/facefleet-agent.service.tmp" "$units/facefleet-agent.service"
  say "installed unit $units/facefleet-agent.service"
fi

if [ "$real" = 1 ] && [ -d /run/systemd/system ] && command -v systemctl >/dev/null; then
  systemctl daemon-reload
  systemctl enable facefleet-agent.service >/dev/null 2>&1
  say "enabled facefleet-agent.service"
  if [ "$start" = 1 ]; then
    systemctl restart facefleet-agent.service
    say "started facefleet-agent.service (journalctl -u facefleet-agent -f)"
  fi
else
  say "systemctl not run (--prefix, or systemd is not running)"
fi
say "done: $name in $opt/current; models go to $state/models (facefleet models fetch, or copy the files)"
