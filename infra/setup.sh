#!/bin/sh
# The one-shot setup container of docker-compose.yml: migrate every database, make the keys the
# services call each other with (kept as files in the shared secrets volume, read through
# CX_SECRETS_DIR), and create the first admin (its password is printed once, in this log).
set -eu
keys="${CX_SECRETS_DIR:?}"
for service in journey feedback metrics gateway; do cx-$service migrate; done
cx-metrics create-api-key --name journey-relay --scope ingest --file "$keys/journey_ingest_api_key"
cx-metrics create-api-key --name feedback-relay --scope ingest --file "$keys/feedback_ingest_api_key"
cx-feedback create-api-key --name journey-relay --scope ingest --file "$keys/journey_feedback_ingest_api_key"
for service in journey feedback metrics; do
  cx-$service create-api-key --name gateway --scope write --scope gateway \
    --file "$keys/gateway_${service}_api_key"
done
cx-gateway create-user --email "${CX_ADMIN_EMAIL:-admin@example.com}" --role admin --if-no-users
