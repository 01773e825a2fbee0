"""q2 entry points (thin: the work is in services.py)."""

from . import services


def run_due():
    return len(services.schedules_run_due())
