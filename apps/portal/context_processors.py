from django.conf import settings

from apps.org.selectors import user_badges, user_role_names, user_sees_all_cases


def portal(request):
    """Who is signed in, and what the navigation should offer them."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"demo_mode": settings.DEBUG}
    return {
        "demo_mode": settings.DEBUG,
        "my_badges": user_badges(user=user),
        "my_roles": user_role_names(user=user),
        "sees_all_cases": user_sees_all_cases(user=user),
        "demo_erp": settings.WMS_DEMO_ERP,
    }
