"""An evidence pack as an HTTP download, for the API and the portal page alike.

The pack is written to a temporary file (never held in memory) and streamed from it; the file is
gone when the answer has been sent, or at once when the export fails (the error goes on up)."""

import tempfile

from django.http import FileResponse

from .services import evidence_export


def evidence_download(*, actor, date_from, date_to, workflow: str, via: str) -> FileResponse:
    """The pack of the range as `evidence-<from>-<to>[-<workflow>].zip`; raises what
    `evidence_export` raises (ValidationFailed naming the field, NotAllowed)."""
    stream = tempfile.TemporaryFile()
    try:
        manifest = evidence_export(
            actor=actor, date_from=date_from, date_to=date_to, workflow=workflow, out=stream, via=via
        )
    except BaseException:
        stream.close()
        raise
    stream.seek(0)
    scope = manifest["range"]
    name = f"evidence-{scope['from']}-{scope['to']}" + (f"-{scope['workflow']}" if scope["workflow"] else "")
    response = FileResponse(stream, as_attachment=True, filename=f"{name}.zip", content_type="application/zip")
    response["X-Content-Type-Options"] = "nosniff"
    return response
