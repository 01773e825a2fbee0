"""Lists are plain JSON arrays; paging travels in headers (Link, X-Total-Count), as GitHub does."""

from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response


class LinkHeaderPagination(PageNumberPagination):
    page_size_query_param = "per_page"
    max_page_size = 500

    def get_paginated_response(self, data):
        links = []
        if self.page.has_next():
            links.append(f'<{self.get_next_link()}>; rel="next"')
        if self.page.has_previous():
            links.append(f'<{self.get_previous_link()}>; rel="prev"')
        headers = {"X-Total-Count": str(self.page.paginator.count)}
        if links:
            headers["Link"] = ", ".join(links)
        return Response(data, headers=headers)

    def get_paginated_response_schema(self, schema):
        return schema
