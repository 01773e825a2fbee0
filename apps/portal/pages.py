"""Pagination every portal page shares (the inbox's and the feature apps' pages)."""

from django.core.paginator import Page, Paginator

PAGE_SIZE = 25


def paginate(request, queryset, *, per_page: int = PAGE_SIZE) -> Page:
    """The page of `queryset` that `?page=` asks for; out-of-range or junk pages fall back safely."""
    return Paginator(queryset, per_page).get_page(request.GET.get("page"))
