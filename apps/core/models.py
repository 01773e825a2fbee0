"""The one table of the foundations: when each background job last proved it runs."""

from django.db import models


class Heartbeat(models.Model):
    """The last moment a background job finished a run (the worker's own beat, each sweep).

    One row per name, moved forward with one UPDATE by the job itself; /health/ and /metrics read
    the ages. A table rather than the cache: every web process must see what any worker wrote,
    and the default cache is per process.
    """

    name = models.CharField(max_length=100, unique=True)
    at = models.DateTimeField()

    def __str__(self):
        return f"{self.name} at {self.at:%Y-%m-%d %H:%M:%S}"
