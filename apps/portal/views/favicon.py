"""/favicon.ico: browsers ask for it whatever a page links; it answers with the SVG icon that
base.html links (static/favicon.svg), instead of a 404 in every server log."""

from django.http import HttpResponsePermanentRedirect
from django.templatetags.static import static
from django.views.decorators.http import require_safe

from apps.portal.errors import map_service_errors


@require_safe
@map_service_errors
def favicon(request):
    """Public, like the static file it points to: no data, nothing to check."""
    return HttpResponsePermanentRedirect(static("favicon.svg"))
