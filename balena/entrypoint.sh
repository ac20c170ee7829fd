#!/bin/sh
# Container entry point (balena/Dockerfile.template). The fleet's and device's environment variables become
# the JSON config (deploy/env-config.ts, validated with the agent's / coordinator's schema), then:
#   agent         facefleet agent --config /data/facefleet/agent.json
#   coordinator   facefleet topics ensure, then facefleet coordinator --config /data/facefleet/coordinator.json
#   anything else runs as a facefleet command (e.g. `models list`, `doctor`)
set -eu
app=/opt/facefleet
mkdir -p /data/facefleet/models /data/facefleet/capture
role="${1:-agent}"
case "$role" in
  agent)
    node "$app/dist/deploy/env-config.js" agent --out /data/facefleet/agent.json
    exec node "$app/bin/facefleet.js" agent --config /data/facefleet/agent.json
    ;;
  coordinator)
    : "${FACEFLEET_STATE_DIR:=/data/facefleet/coordinator}"
    export FACEFLEET_STATE_DIR
    node "$app/dist/deploy/env-config.js" coordinator --out /data/facefleet/coordinator.json
    # Kafka (the kafka service) may still be starting: retry creating the topics for a while.
    tries=0
    until node "$app/bin/facefleet.js" topics ensure --brokers "${FACEFLEET_KAFKA_BROKERS:-127.0.0.1:9092}" \
      --frames-partitions "${FACEFLEET_FRAMES_PARTITIONS:-8}"; do
      tries=$((tries + 1))
      [ "$tries" -lt 30 ] || { echo "facefleet-entrypoint: Kafka did not come up; giving up" >&2; exit 1; }
      echo "facefleet-entrypoint: waiting for Kafka ($tries)" >&2
      sleep 5
    done
    exec node "$app/bin/facefleet.js" coordinator --config /data/facefleet/coordinator.json
    ;;
  *)
    exec node "$app/bin/facefleet.js" "$@"
    ;;
esac
