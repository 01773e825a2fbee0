"""gunicorn's settings for the web process, all from the environment (README "Running in
production"). gunicorn reads this file by itself when started in this directory (Procfile,
scripts/prod.sh); a command-line option overrides it.
"""

import glob
import os
import shutil
import tempfile

# --- Prometheus (apps.ops, README "Health and monitoring") -------------------------------------------
# NOTE: first, before anything imports prometheus_client: it picks its storage when imported. The
# request histogram of /metrics is summed over this server's processes through files in
# PROMETHEUS_MULTIPROC_DIR; unset, each gunicorn takes a fresh directory of its own (removed when it
# stops). A directory named in the environment must belong to this gunicorn alone: it is emptied
# when gunicorn starts (stale files would count old requests again).
_own_metrics_dir = None
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    _own_metrics_dir = os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="wms-metrics-")


def on_starting(server):
    for stale in glob.glob(os.path.join(os.environ["PROMETHEUS_MULTIPROC_DIR"], "*.db")):
        os.remove(stale)


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)  # a replaced process's live gauges go with it


def on_exit(server):
    if _own_metrics_dir:
        shutil.rmtree(_own_metrics_dir, ignore_errors=True)


# --- the server -------------------------------------------------------------------------------------
# Where to listen: every interface by default (a reverse proxy or load balancer in front, on this
# machine or another); WEB_HOST=127.0.0.1 when the proxy runs on this machine.
bind = [f"{os.environ.get('WEB_HOST', '0.0.0.0')}:{os.environ.get('PORT', '8000')}"]
# Processes x threads = requests served at once. Processes: about one per CPU core (gunicorn's own
# WEB_CONCURRENCY convention); threads keep a process busy while a request waits on the database.
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("WEB_THREADS", "4"))
# A request that runs longer than this is killed (and logged); the slow work (automated steps,
# e-mail, webhooks) runs in the django-q2 workers, never in a request.
timeout = int(os.environ.get("WEB_TIMEOUT", "30"))
graceful_timeout = 30
# Each process is replaced after about this many requests (a slow leak cannot grow forever).
max_requests = int(os.environ.get("WEB_MAX_REQUESTS", "2000"))
max_requests_jitter = max_requests // 10
# Proxies whose X-Forwarded-Proto gunicorn believes (Django's SECURE_PROXY_SSL_HEADER reads the same
# header: the proxy must set it on every request, overwriting what a client sent).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
accesslog = "-"  # one line per request on stdout, for the process supervisor's log
# NOTE: gunicorn's control socket defaults to one path per user: several gunicorn on one machine
# would fight over it. Off unless GUNICORN_CONTROL_SOCKET names a path for this one.
control_socket = os.environ.get("GUNICORN_CONTROL_SOCKET", "gunicorn.ctl")
control_socket_disable = "GUNICORN_CONTROL_SOCKET" not in os.environ
