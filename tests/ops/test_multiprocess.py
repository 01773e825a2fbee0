"""Several web processes: with PROMETHEUS_MULTIPROC_DIR set, a scrape answered by any process
reports the requests every process answered (prometheus_client's multiprocess mode)."""

import os
import subprocess
import sys
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

ROOT = Path(__file__).resolve().parents[2]

# One "web process": answers `n` requests for a page that does not exist, through the whole middleware stack,
# then prints the request metrics as /metrics would (no database needed for either).
PROCESS = """
import os, sys, django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wms.settings.test")
django.setup()
from django.test import Client
from django.test.utils import setup_test_environment
from prometheus_client import generate_latest
from apps.ops.metrics import request_registry
setup_test_environment()
for _ in range(int(sys.argv[1])):
    Client().get("/no-such-page/")
sys.stdout.write(generate_latest(request_registry()).decode())
"""


def run_process(requests: int, directory: Path) -> str:
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(directory), "DATABASE_URL": "sqlite:///:memory:"}
    done = subprocess.run(
        [sys.executable, "-c", PROCESS, str(requests)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def unmatched_count(text: str) -> float:
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "wms_http_request_duration_seconds_count" and sample.labels["route"] == "unmatched":
                return sample.value
    return 0.0


def test_a_scrape_sums_every_web_process(tmp_path):
    first = run_process(2, tmp_path)
    assert unmatched_count(first) == 2
    second = run_process(3, tmp_path)
    assert unmatched_count(second) == 5  # its own 3 and the first process's 2
    assert len(list(tmp_path.glob("histogram_*.db"))) == 2  # one file per process
