"""The 404 page says what is missing in words, never the name of Django's resolver exception."""


def test_an_address_no_route_matches_says_there_is_nothing_here(signed_in):
    response = signed_in("alice").get("/no/such/page/")
    page = response.content.decode()
    assert response.status_code == 404
    assert "There is nothing here." in page and "Resolver404" not in page


def test_a_missing_object_keeps_the_reason_the_page_gave(signed_in):
    response = signed_in("alice").get("/requests/new/no-such-workflow/")
    assert response.status_code == 404
    assert "Unknown workflow &#x27;no-such-workflow&#x27;" in response.content.decode()
