"""Production settings pass Django's deployment checks and refuse to start without secrets."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_check(**env):
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "wms.settings.production", **env},
    )


def test_check_deploy_is_clean_with_production_settings():
    result = run_check(SECRET_KEY=secrets.token_urlsafe(60), ALLOWED_HOSTS="wms.example.com")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    result = run_check(SECRET_KEY="", ALLOWED_HOSTS="wms.example.com")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_the_production_start_names_what_is_missing_before_touching_anything():
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL")}
    result = subprocess.run(["bash", "scripts/prod.sh"], cwd=ROOT, capture_output=True, text=True, timeout=60, env=env)
    assert result.returncode == 2
    assert "set SECRET_KEY ALLOWED_HOSTS DATABASE_URL in the environment" in result.stderr
