#!/usr/bin/env bash
# A backup of diary-bot's database: pg_dump in PostgreSQL's custom format (compressed; pg_restore
# can restore all of it or single tables), read back to check it is whole, then kept KEEP_DAYS days.
# Run daily by diary-bot-backup.timer, or by cron on a Docker host (docs/deploy.md, "Backups").
#
#   BACKUP_DIR  where the dumps go                    default /var/backups/diary-bot
#   KEEP_DAYS   how many days of dumps to keep        default 14
#   PGDATABASE  the database                          default diary
#   PG_DUMP     the pg_dump command                   default pg_dump (with PGHOST, PGUSER… from the
#               environment); on a Docker host:
#               "docker compose -f /srv/diary-bot/compose.yaml exec -T postgres pg_dump -U diary"
#   PG_RESTORE  the pg_restore command, to check the archive; on a Docker host:
#               "docker compose -f /srv/diary-bot/compose.yaml exec -T postgres pg_restore"
#
# The dumps hold every family's personal data (152-FZ): they are written readable by their owner
# only, and a copy kept elsewhere must stay as protected, and in Russia.
set -euo pipefail

BACKUP_DIR=${BACKUP_DIR:-/var/backups/diary-bot}
KEEP_DAYS=${KEEP_DAYS:-14}
PGDATABASE=${PGDATABASE:-diary}
PG_DUMP=${PG_DUMP:-pg_dump}
PG_RESTORE=${PG_RESTORE:-pg_restore}

umask 077
mkdir -p "$BACKUP_DIR"
stamp=$(date -u +%Y-%m-%dT%H%M%SZ)
final="$BACKUP_DIR/diary-$stamp.dump"
partial="$BACKUP_DIR/.diary-$stamp.dump.partial"
trap 'rm -f "$partial"' EXIT

# Through stdout, so the same line works with a pg_dump inside a container.
$PG_DUMP --format=custom --compress=6 "$PGDATABASE" > "$partial"
# Read back whole: a dump cut short (disk full, connection lost) fails here. (--list alone reads only
# the table of contents and misses a dump cut in its last table.)
$PG_RESTORE --file=/dev/null < "$partial"
mv "$partial" "$final"

# Only after a good dump do old ones go, and never the newest.
find "$BACKUP_DIR" -maxdepth 1 -name 'diary-*.dump' -mtime +"$KEEP_DAYS" ! -path "$final" -delete

echo "diary-bot backup: $final ($(du -h "$final" | cut -f1))"
