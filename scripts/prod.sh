#!/usr/bin/env bash
# The production start on one machine (README "Running in production"): migrate, collect the static
# files, then serve gunicorn (web) and a django-q2 cluster (worker) until stopped; SIGTERM or Ctrl-C
# stops both, letting requests and tasks in flight finish. Everything comes from the environment:
#   required  SECRET_KEY, ALLOWED_HOSTS, DATABASE_URL (PostgreSQL); with several processes or
#             machines Q2_REDIS_URL and CACHE_URL (Redis)
#   optional  PORT (8000), WEB_HOST, WEB_CONCURRENCY, WEB_THREADS, Q2_WORKERS, CSRF_TRUSTED_ORIGINS, EMAIL_*,
#             METRICS_TOKEN (README has them all)
# On several machines, run the same commands under a process supervisor (the Procfile lists them);
# migrate and collectstatic once per deploy.
set -euo pipefail
cd "$(dirname "$0")/.."
export DJANGO_SETTINGS_MODULE="${DJANGO_SETTINGS_MODULE:-wms.settings.production}"
BIN=.venv/bin
[ -x "$BIN/python" ] || BIN="$(dirname "$(command -v python3)")"

missing=()
for name in SECRET_KEY ALLOWED_HOSTS DATABASE_URL; do
  [ -n "${!name:-}" ] || missing+=("$name")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "scripts/prod.sh: set ${missing[*]} in the environment (README \"Running in production\")" >&2
  exit 2
fi
case "$DATABASE_URL" in
  postgres://* | postgresql://*) ;;
  *) echo "scripts/prod.sh: DATABASE_URL should name PostgreSQL (SQLite is for one development machine)" >&2 ;;
esac
[ -n "${Q2_REDIS_URL:-}" ] || echo "scripts/prod.sh: Q2_REDIS_URL unset: the queue lives in the database (ORM broker)" >&2

"$BIN/python" manage.py migrate --noinput
"$BIN/python" manage.py collectstatic --noinput --verbosity 0
"$BIN/python" manage.py check --deploy --fail-level ERROR

pids=()
stop() {
  trap - INT TERM EXIT
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  # gunicorn finishes its requests (graceful_timeout), qcluster its tasks; then nothing is left.
  for _ in $(seq 1 60); do
    alive=0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ "$alive" = 0 ] && break
    sleep 0.5
  done
  for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap stop INT TERM EXIT

"$BIN/python" manage.py qcluster &
pids+=($!)
Q_CLUSTER_NAME=ui "$BIN/python" manage.py qcluster &  # UI steps' own queue (the Procfile's ui-worker)
pids+=($!)
"$BIN/gunicorn" wms.wsgi &
pids+=($!)
echo "WMS: gunicorn on ${WEB_HOST:-0.0.0.0}:${PORT:-8000} (${WEB_CONCURRENCY:-2} processes x ${WEB_THREADS:-4} threads), django-q2 cluster of ${Q2_WORKERS:-2} workers, UI steps' cluster of ${WMS_UI_STEP_WORKERS:-1}"
# Either one ending ends both: a supervisor restarts the whole start.
wait -n "${pids[@]}"
