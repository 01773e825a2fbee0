"""Who sees which dashboard (apps.metrics.policy.metrics_scope), the cases behind a number, and the
cost of a dashboard in queries."""

import re

import pytest
import time_machine

from .conftest import KEY, NOW

PAGE = f"/dashboards/{KEY}/"
PANELS = ["wip", "aging", "approvals", "exceptions", "cycle-time", "rework", "sla"]


def panels_on(html: str) -> list[str]:
    return re.findall(r'<section class="card panel" id="panel-([a-z-]+)"', html)


@pytest.mark.parametrize("username", ["olivia", "oscar", "audrey", "admin"])
def test_owners_operators_auditors_and_admins_see_every_panel(history, demo, client, username):
    client.force_login(demo[username])
    for url in ("/dashboards/", PAGE):
        response = client.get(url)
        assert response.status_code == 200, url
        assert panels_on(response.content.decode()) == PANELS


@pytest.mark.parametrize("url", ["/dashboards/", PAGE, f"{PAGE}wip.csv", "/dashboards/wip.csv"])
def test_a_plain_requester_is_refused(history, demo, client, url):
    client.force_login(demo["alice"])
    response = client.get(url)
    assert response.status_code == 403
    assert "follow your own requests on their case pages" in response.content.decode()


def test_a_manager_sees_only_the_approvals_pending_with_their_reports(history, demo, client):
    """carol manages bob, who holds D's approval; bob manages alice, who holds none."""
    client.force_login(demo["carol"])
    with time_machine.travel(NOW, tick=False):
        html = client.get(PAGE).content.decode()
    assert panels_on(html) == ["approvals"]
    assert re.search(r"<td>bob</td><td><a [^>]*>1</a></td>", html)
    assert "approvals-latency" not in html  # the latency of whole workflows is not theirs to see
    client.force_login(demo["bob"])
    html = client.get("/dashboards/").content.decode()
    assert panels_on(html) == ["approvals"] and "approvals-person" not in html
    assert client.get(f"{PAGE}wip.csv").status_code == 403


def test_the_navigation_offers_dashboards_to_who_may_see_them(demo, client):
    for username, offered in (("olivia", True), ("oscar", True), ("bob", True), ("alice", False), ("fiona", False)):
        client.force_login(demo[username])
        assert ('href="/dashboards/"' in client.get("/").content.decode()) is offered, username


def test_a_number_opens_the_cases_behind_it(history, demo, client):
    d = history["D"].pk
    url = f"/dashboards/cases/?workflow={KEY}&panel=wip&ref=stage:review"
    client.force_login(demo["audrey"])
    html = client.get(url).content.decode()
    assert f'<a href="/cases/{d}/">#{d}</a>' in html
    # A workflow owner reads every case of their workflow (issue 17): the cases are linked.
    client.force_login(demo["olivia"])
    html = client.get(url).content.decode()
    assert f'<a href="/cases/{d}/">#{d}</a>' in html
    assert "Open cases by stage: review, open cases" in html
    # The cycle time's closed cases: A, B, C and F, test cases never.
    html = client.get(f"/dashboards/cases/?workflow={KEY}&panel=cycle-time&ref=overall").content.decode()
    listed = [int(n) for n in re.findall(r"<td>(?:<a [^>]*>)?#(\d+)", html)]
    assert listed == sorted(history[name].pk for name in "ABCF")


def test_the_cases_page_refuses_what_the_person_may_not_see(history, demo, client):
    client.force_login(demo["bob"])
    assert client.get(f"/dashboards/cases/?workflow={KEY}&panel=wip&ref=stage:review").status_code == 403
    client.force_login(demo["oscar"])
    assert client.get(f"/dashboards/cases/?workflow={KEY}&panel=wip&ref=stage:nowhere").status_code == 404
    assert client.get(f"/dashboards/cases/?workflow={KEY}&panel=nothing&ref=x").status_code == 400
    assert client.get(f"/dashboards/cases/?workflow={KEY}&panel=wip&ref=open&from=yesterday").status_code == 400
    # No number named: a 400 naming `ref`, not an empty list of a label's "cases".
    unnamed = client.get(f"/dashboards/cases/?workflow={KEY}&panel=wip")
    assert unnamed.status_code == 400 and "ref" in unnamed.content.decode()


# Each page's statements for a person seeing all (oscar) and a workflow owner (olivia): session and
# user, the scope, the filter, the workflows and versions offered, the teams and roles offered, then
# each panel (see tests/metrics/test_policy_and_cost.py) and the alert thresholds crossed, whatever
# the number of cases.
# Three fewer than before the cycle times and returns were kept on the case (the cycle-time panel
# read the versions and their calendar, the rework panel each case's rework tasks); one more
# since the aging panel counts its buckets in the database (counts, then the oldest, instead of
# every open case: the work no longer grows with the number of open cases).
QUERIES = {("oscar", "/dashboards/"): 21, ("oscar", PAGE): 22, ("olivia", PAGE): 24}


@pytest.mark.parametrize(("username", "url"), sorted(QUERIES))
def test_a_dashboard_costs_a_fixed_number_of_queries(history, demo, client, django_assert_num_queries, username, url):
    client.force_login(demo[username])
    client.get(url)  # sessions, calendars and the like warmed once
    with time_machine.travel(NOW, tick=False), django_assert_num_queries(QUERIES[(username, url)]):
        assert client.get(url).status_code == 200


def test_the_panels_fragment_does_not_read_what_only_the_filter_form_shows(
    history, demo, client, django_assert_num_queries
):
    # htmx swaps the panels alone (the form stays on the page): three fewer than the page, its
    # layout's one and the teams and roles the form offers (two; they were read again before).
    client.force_login(demo["oscar"])
    client.get(PAGE)
    with time_machine.travel(NOW, tick=False), django_assert_num_queries(QUERIES[("oscar", PAGE)] - 3):
        assert client.get(PAGE, HTTP_HX_REQUEST="true").status_code == 200


def test_a_crossed_threshold_shows_on_the_dashboard(history, demo, client):
    from apps.alerts.services import alert_rule_set, alerts_check

    alert_rule_set(actor=demo["olivia"], workflow_key=KEY, metric="aging_days", threshold="0.2")
    client.force_login(demo["olivia"])
    assert "Thresholds crossed" not in client.get(PAGE).content.decode(), "not before a check found it"
    alerts_check(now=NOW)
    page = client.get(PAGE).content.decode()
    assert "Thresholds crossed" in page and "oldest open case older than (business days) 0.20" in page
    client.force_login(demo["bob"])  # a manager sees his reports' approvals, not the workflow's alerts
    assert "Thresholds crossed" not in client.get("/dashboards/").content.decode()
