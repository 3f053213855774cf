#!/usr/bin/env bash
# The schema of a database as schemas/tables.sql holds it: pg_dump -s without
# the lines that vary from dump to dump (pg_dump's session keys and version).
#   schemas/dump.sh CONNINFO
set -euo pipefail
pg_dump -s --no-owner --no-privileges "$1" | grep -v -e '^\\restrict' -e '^\\unrestrict' -e '^-- Dumped from' -e '^-- Dumped by'
