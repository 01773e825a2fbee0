"""Unknown paths under /api/ answer in the API's JSON error shape, whatever the method."""

from rest_framework.test import APIClient


def test_a_post_to_an_unknown_api_path_is_a_json_404_not_a_csrf_page(demo):
    # Found by the fuzz run: a POST whose id does not match the route fell to the catch-all view,
    # which CSRF-checked it and answered with Django's HTML 403 page.
    client = APIClient(enforce_csrf_checks=True)
    for path in ["/api/v1/tasks/abc/claim/", "/api/v1/no-such-thing/"]:
        response = client.post(path, {"x": 1}, format="json")
        assert response.status_code == 404, (path, response.status_code)
        assert response.json() == {"detail": "Not found."}
