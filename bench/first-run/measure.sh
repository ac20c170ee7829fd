#!/usr/bin/env bash
# Time from `git clone` to the demo's first recognition event, as a newcomer meets it:
#
#   bash bench/first-run/measure.sh [--duration S]     writes bench/results/first-run.md
#
# Clones HEAD into a new folder beside this checkout (so ../shared, when there, is found as a user's clone would
# find its samples), with no node_modules/ and no .facefleet/, then runs the README's `npm run demo` on ports of its
# own and stamps every line of its output with the seconds since the clone started. The apt packages and npm's
# download cache of this machine are what they are: the report says which apt packages were already installed.
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
duration=45
while [ $# -gt 0 ]; do
  case "$1" in
    --duration) duration="${2:?--duration needs seconds}"; shift 2 ;;
    *) echo "bench/first-run/measure.sh: unknown option '$1' (use --duration S)" >&2; exit 2 ;;
  esac
done

# The clone is a sibling of this checkout, so its ../shared is this checkout's ../shared.
work="$(mktemp -d "$(dirname "$repo")/first-run-XXXXXX")"
log="$(mktemp /tmp/first-run-log-XXXXXX)"
trap 'rm -rf "$work" "$log"' EXIT
have=()
for tool in ffmpeg java mvn; do command -v "$tool" >/dev/null && have+=("$tool"); done

start=$(date +%s.%N)
stamp() { while IFS= read -r line; do printf '%7.1f  %s\n' "$(awk -v a="$(date +%s.%N)" -v b="$start" 'BEGIN { print a - b }')" "$line"; done; }
{
  echo "git clone"
  git clone -q "$repo" "$work"
  cd "$work"
  # Ports of its own: a demo or test already running on this machine keeps its own.
  npm run demo -- --duration "$duration" --port 19292 --http-port 18280 --mqtt-port 11983 2>&1
} 2>&1 | stamp | tee "$log"

at() { sed -n "/$1/{s/^ *\([0-9.]*\).*/\1/p;q}" "$log"; }
clone_done=$(at "setup: npm ci")
setup_done=$(at "setup: done")
dashboard=$(at "facefleet demo: dashboard")
first_event=$(at "person_seen\|unknown_person\|watchlist_hit")
mkdir -p "$repo/bench/results"
{
  echo "# Clone to first event"
  echo
  echo "\`bash bench/first-run/measure.sh\` on $(date -u +%F), $(nproc) cores, commit $(git -C "$repo" rev-parse --short HEAD)."
  echo "Already installed before the run: ${have[*]:-nothing} (apt); npm's download cache as this machine had it."
  echo
  echo "| step | seconds since \`git clone\` |"
  echo "|---|---|"
  echo "| clone done, set-up starts (\`npm ci\`) | ${clone_done:-?} |"
  echo "| set-up done (npm ci, build, models) | ${setup_done:-?} |"
  echo "| dashboard URL printed | ${dashboard:-?} |"
  echo "| first recognition event | ${first_event:-never} |"
  echo
  echo "Set-up steps as printed:"
  echo
  echo '```'
  { grep -E "setup: |==> |facefleet demo: " "$log" || true; } | sed -n 1,40p
  echo '```'
} >"$repo/bench/results/first-run.md"
echo "wrote bench/results/first-run.md (first event at ${first_event:-never} s)"
[ -n "$first_event" ]
