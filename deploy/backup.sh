#!/bin/sh
# Nightly backup: the database (custom format, restorable with pg_restore) and the
# uploaded files, kept 14 days here; copy /var/backups/participation off the machine
# (rsync, restic or borg to another site) so that a lost disk is not a lost platform.
set -eu
dest=/var/backups/participation
stamp=$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$dest"
# DATABASE_URL is SQLAlchemy's form; pg_dump wants plain postgresql://.
pg_dump --format=custom --no-owner --file="$dest/db-$stamp.dump" \
    "$(printf '%s' "$DATABASE_URL" | sed 's/^postgresql+psycopg:/postgresql:/')"
tar -C "${UPLOAD_FOLDER:-/var/lib/participation/uploads}" -czf "$dest/uploads-$stamp.tar.gz" .
find "$dest" -type f -mtime +14 -delete
