#!/usr/bin/env bash
# Serve the portal and run a django-q2 worker together; Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
PORT="${PORT:-8000}"
PY=.venv/bin/python
# The invoice-processing demo calls the simulated ERP served by this same server (apps/demo).
export WMS_ENDPOINT_ERP="${WMS_ENDPOINT_ERP:-http://127.0.0.1:${PORT}/demo/erp}"

pids=()
stop() {
  trap - INT TERM EXIT
  echo
  echo "Stopping web server and worker..."
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  # Give the worker time to finish its current task, then make sure nothing is left behind.
  for _ in $(seq 1 20); do
    alive=0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ "$alive" = 0 ] && break
    sleep 0.5
  done
  for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  pkill -KILL -P "$$" 2>/dev/null || true
  wait 2>/dev/null || true
}
trap stop INT TERM EXIT

$PY manage.py qcluster &
pids+=($!)
# UI steps' own queue (README "UI automation steps"): a second cluster, one worker with one Chromium.
Q_CLUSTER_NAME=ui $PY manage.py qcluster &
pids+=($!)
$PY manage.py runserver "127.0.0.1:${PORT}" --noreload &
pids+=($!)

sleep 2
cat <<MSG

  WMS is running:   http://127.0.0.1:${PORT}/
  Admin:            http://127.0.0.1:${PORT}/admin/
  API docs:         http://127.0.0.1:${PORT}/api/docs/

  Demo logins (password "demo" for all):
    alice   requester (Engineering, manager bob)
    bob     Engineering head (manager carol)     carol   director
    fiona   finance                              frank   finance
    leo     legal                                audrey  auditor
    olivia  workflow owner                       oscar   operator
    admin   superuser

  Press Ctrl-C to stop both the web server and the worker.

MSG
wait -n "${pids[@]}"
