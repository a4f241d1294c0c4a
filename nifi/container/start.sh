#!/bin/sh
# Entry point of the pipeline's NiFi image (nifi/Dockerfile). Applies the override files mounted at
# $PIPELINE_NIFI_OVERRIDES (kubernetes/base/nifi/*.override: keys the official start.sh has no
# variable for) to the image's conf/, then runs the official start.sh, which applies its NIFI_*,
# AUTH, KEYSTORE_* ... variables and runs NiFi in the foreground (stopping it on SIGTERM).
set -eu
overrides="${PIPELINE_NIFI_OVERRIDES:-/opt/audio-pipeline/overrides}"
apply="$(dirname "$0")/apply_properties.py"
for pair in nifi.properties:nifi.properties.override bootstrap.conf:bootstrap.conf.override; do
  target="${NIFI_HOME}/conf/${pair%%:*}"
  source="${overrides}/${pair#*:}"
  if [ -f "${source}" ]; then
    python3 "${apply}" "${target}" "${source}"
  fi
done
exec "${NIFI_START_SCRIPT:-/opt/nifi/scripts/start.sh}" "$@"
