"""How production stores static files: WhiteNoise's hashed, compressed storage, tolerant of one
kind of flaw in libraries' own files.

viewflow 2.4 ships `roboto-fontface.css` naming font files its package does not contain (nothing
of ours uses that stylesheet). Django's manifest storage refuses the whole `collectstatic` over
such a reference; this storage keeps the reference as it is (a 404 for that font, as without
hashing) and says so. A template naming a static file that was not collected still fails loudly:
the runtime lookup stays strict (`manifest_strict`).
"""

import logging

from whitenoise.storage import CompressedManifestStaticFilesStorage

logger = logging.getLogger(__name__)


class StaticFilesStorage(CompressedManifestStaticFilesStorage):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._missing: set[str] = set()

    def hashed_name(self, name, content=None, filename=None):
        try:
            return super().hashed_name(name, content, filename)
        except ValueError:
            # NOTE: with content=None this is a reference inside a collected CSS or JS file (the
            # runtime lookup never gets here while manifest_strict is on); a file of ours whose
            # content is given and still fails is a real error.
            if content is not None or self.exists(name):
                raise
            self._missing.add(name)
            return name

    def post_process(self, *args, **kwargs):
        yield from super().post_process(*args, **kwargs)
        if self._missing:  # one line, not one per file and pass
            folders = sorted({name.rsplit("/", 1)[0] for name in self._missing})
            logger.warning(
                "collectstatic: %d files named by stylesheets are not there, references kept as they are (in %s)",
                len(self._missing),
                ", ".join(folders),
            )
