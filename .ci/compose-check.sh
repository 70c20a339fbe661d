#!/usr/bin/env bash
# Validates docker-compose.yml without a Docker engine (none runs on CI machines):
# `docker compose config` when the plugin exists, else Debian's docker-compose.
set -euo pipefail
cd "$(dirname "$0")/.."
if docker compose version >/dev/null 2>&1; then
  docker compose -f docker-compose.yml config -q
elif command -v docker-compose >/dev/null 2>&1; then
  docker-compose -f docker-compose.yml config -q
else
  echo "[compose-check] installing Debian's docker-compose to validate the file" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq </dev/null
  apt-get install -y -qq docker-compose </dev/null >/dev/null
  docker-compose -f docker-compose.yml config -q
fi
echo "[compose-check] docker-compose.yml is valid"
