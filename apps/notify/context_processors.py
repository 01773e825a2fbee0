from django.utils.functional import SimpleLazyObject

from .selectors import unread_count


def notifications(request):
    """The header badge's unread count: one COUNT, and only when a page shows the header."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"unread_notifications": SimpleLazyObject(lambda: unread_count(user=user))}
