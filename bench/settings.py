"""Settings for bench/engine.py: the test settings plus the baseline flow's app.

engine.py sets BENCH_DB_NAME to the throwaway database it created (a temporary SQLite file, or a
fresh PostgreSQL database next to the one DATABASE_URL names), so a run never touches real data.
"""

import os

from wms.settings.test import *  # noqa: F403
from wms.settings.test import DATABASES, INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "bench.bareflow"]

if os.environ.get("BENCH_DB_NAME"):
    DATABASES["default"]["NAME"] = os.environ["BENCH_DB_NAME"]
# A bench that runs a command in a child process (bench/evidence.py) shares its uploads with it:
# the test settings make a new temporary MEDIA_ROOT in every process.
if os.environ.get("BENCH_MEDIA_ROOT"):
    MEDIA_ROOT = os.environ["BENCH_MEDIA_ROOT"]

# Deliveries are queued for a worker, as in production, instead of run inline as in tests.
Q_CLUSTER = {**Q_CLUSTER, "sync": False, "log_level": "WARNING"}  # noqa: F405
