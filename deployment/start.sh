#!/bin/sh
# The bot's one way to start, in the container (its CMD) and in `make runtime-check`, which runs
# this script from an environment built from requirements.txt alone: bring the database up to the
# current schema, then become the bot (exec, so it receives the container's stop signal).
#
# In compose the one-shot `migrate` service has already upgraded before any replica starts, so
# here the upgrade finds nothing to do. Where replicas start together on an older schema (say a
# Kubernetes rollout with no migration job), one upgrades and the others wait for it (a PostgreSQL
# advisory lock in storage/migrate.py), then find the schema current.
set -eu
cd "$(dirname "$0")/.."
python -m storage upgrade
exec python -m bot "$@"
