#!/usr/bin/env bash
# Pushes facefleet to a balena fleet: stages the repository's files (git ls-files, so nothing ignored or
# built goes along) with the chosen compose file and balena.yml at the root, adds model files, and runs
# `balena push`. The images are built on balena's builders for the fleet's device type.
#
#   bash balena/push.sh FLEET [--hub] [--models DIR[:DIR]] [--stage-only DIR]
#
#   --hub          push docker-compose.hub.yml (Kafka + coordinator) instead of the agent's docker-compose.yml
#   --models       copy the model files of models/manifest.json found in DIR (sha256-checked) into the image
#   --stage-only   write the staged build context to DIR (must not exist) and stop (no balena CLI needed)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
die() { echo "balena/push.sh: $1" >&2; exit "${2:-1}"; }
say() { echo "push: $*"; }

fleet="" compose=docker-compose.yml models="" stage_only=""
while [ $# -gt 0 ]; do
  case "$1" in
    --hub) compose=docker-compose.hub.yml; shift ;;
    --models) [ $# -ge 2 ] || die "--models needs a directory" 2; models="$2"; shift 2 ;;
    --stage-only) [ $# -ge 2 ] || die "--stage-only needs a directory" 2; stage_only="$2"; shift 2 ;;
    -h | --help) sed -n '2,12p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) die "unknown option '$1' (see --help)" 2 ;;
    *) [ -z "$fleet" ] || die "one fleet only (got '$fleet' and '$1')" 2; fleet="$1"; shift ;;
  esac
done
[ -n "$fleet" ] || [ -n "$stage_only" ] || die "usage: balena/push.sh FLEET [--hub] [--models DIR] [--stage-only DIR]" 2
[ -z "$stage_only" ] || [ ! -e "$stage_only" ] || die "--stage-only $stage_only already exists"
[ -n "$stage_only" ] || command -v balena >/dev/null || die "the balena CLI is not installed (https://github.com/balena-io/balena-cli)"

work="$(mktemp -d "${TMPDIR:-/tmp}/facefleet-balena.XXXXXX")"
trap 'rm -rf "$work"' EXIT
stage="$work/context"
mkdir -p "$stage"
say "staging the repository's files"
files="$work/files"
(cd "$root" && git ls-files -co --exclude-standard) >"$files" || die "cannot list the repository's files (is $root a git checkout?)"
# Tracked files deleted in the working tree are left out.
(cd "$root" && while IFS= read -r f; do [ ! -e "$f" ] || printf '%s\0' "$f"; done <"$files" | xargs -0 cp --parents -t "$stage") \
  || die "cannot stage the repository into $stage"
cp "$root/balena/$compose" "$stage/docker-compose.yml"
cp "$root/balena/balena.yml" "$stage/balena.yml"
if [ -n "$models" ]; then
  say "adding model files from $models"
  MODEL_DIRS="$models" MANIFEST="$root/models/manifest.json" DEST="$stage/balena/models" node --input-type=module -e '
    import { createHash } from "node:crypto";
    import { copyFileSync, existsSync, readFileSync } from "node:fs";
    import { join } from "node:path";
    const manifest = JSON.parse(readFileSync(process.env.MANIFEST, "utf8"));
    let n = 0;
    for (const [id, m] of Object.entries(manifest.models)) {
      const path = process.env.MODEL_DIRS.split(":").filter(Boolean).map((d) => join(d, m.file)).find((p) => existsSync(p));
      if (!path) continue;
      if (createHash("sha256").update(readFileSync(path)).digest("hex") !== m.sha256) {
        console.error(`balena/push.sh: ${path} does not match the manifest (${id})`); process.exit(1);
      }
      copyFileSync(path, join(process.env.DEST, m.file)); console.log(`push:   ${id}`); n++;
    }
    if (n === 0) { console.error(`balena/push.sh: no model file of the manifest in ${process.env.MODEL_DIRS}`); process.exit(1); }
  '
fi
if [ -n "$stage_only" ]; then
  mv "$stage" "$stage_only"
  say "staged build context in $stage_only"
  exit 0
fi
say "balena push $fleet ($compose)"
balena push "$fleet" --source "$stage"
