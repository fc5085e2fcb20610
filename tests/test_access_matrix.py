"""Access matrix generated from the URL list × users × in-scope and out-of-scope objects.

For every route with an object id, a user of county A gets the county-A object (allowed)
and the county-B object (must answer 404, exactly like a missing one). A new route with a
parameter this file does not know fails the test until an object pair is registered in OBJECTS.
"""

import re

import pytest
from django.urls import get_resolver

from tests.activities.access_objects import ACTIVITY_OBJECTS
from tests.campaigns.access_objects import CAMPAIGN_OBJECTS
from tests.learning.access_objects import LEARNING_OBJECTS
from tests.test_url_policies import iter_views, ninja_operations

# parameter name -> function(cast, user) -> (id inside the user's scope, id outside it)
OBJECTS = {
    "unit_id": lambda cast, user: (cast.court_a.id, cast.court_b.id),
    "officer_id": lambda cast, user: (cast.officers["judge_a"].id, cast.officers["judge_b"].id),
    **LEARNING_OBJECTS,
    **CAMPAIGN_OBJECTS,
    **ACTIVITY_OBJECTS,
}


def _screening(cast, user):
    """A data set, run and hit in county A and in county B (created once per test)."""
    if not hasattr(cast, "_screening"):
        import datetime as dt

        from zhengdun.screening.models import ScreeningDataset, ScreeningHit, ScreeningRun

        made = {}
        for key, unit in (("a", cast.county_a), ("b", cast.county_b)):
            ds = ScreeningDataset.objects.create(unit=unit, name=key, source="server", folder="/nonexistent",
                                                 files={}, created_by=cast.clue_handler)
            run = ScreeningRun.objects.create(unit=unit, dataset=ds, as_of=dt.date(2026, 1, 1), rules="officer_business",
                                              status="succeeded", created_by=cast.clue_handler)
            hit = ScreeningHit.objects.create(unit=unit, run=run, rule="officer_business", officer_key="1",
                                              subject="officer", subject_name="x", registry="enterprises",
                                              record_key="r", match="id", score=1, evidence="e", fingerprint=key)
            made[key] = {"dataset_id": ds.id, "run_id": run.id, "hit_id": hit.id}
        cast.__dict__["_screening"] = made
    return cast.__dict__["_screening"]


OBJECTS.update({
    name: (lambda n: lambda cast, user: (_screening(cast, user)["a"][n], _screening(cast, user)["b"][n]))(name)
    for name in ("dataset_id", "run_id", "hit_id")
})
# Parameters whose objects are not unit-owned: checked elsewhere (audit entries: auditor only;
# API tokens: owner only — see tests/org/test_api.py).
NOT_UNIT_OWNED = {"entry_id", "token_id", "user_id", "assignment_id"}
# stats: figure_key names a figure of the registry (a string, not an object); the unit it is
# computed for is a query parameter, checked in tests/stats/test_pages.py.
NOT_UNIT_OWNED |= {"figure_key"}
COUNTY_A_USERS = ["admin_a", "clerk_a", "supervisor_a", "handler_a"]

_PARAM = re.compile(r"<(?:(?P<conv>[^>:]+):)?(?P<name>[^>]+)>")


def object_routes():
    found = []
    for route, callback in iter_views(get_resolver()):
        params = [m.group("name") for m in _PARAM.finditer(route)]
        if not params:
            continue
        operations = ninja_operations(callback)
        methods = sorted({m for op in operations for m in op.methods}) if operations else ["GET"]
        found.append((route, params, methods))
    return found


def fill(route: str, values: dict) -> str:
    return "/" + _PARAM.sub(lambda m: str(values[m.group("name")]), route)


def test_every_object_parameter_is_known():
    unknown = {p for _r, params, _m in object_routes() for p in params} - set(OBJECTS) - NOT_UNIT_OWNED
    assert not unknown, f"register in-scope/out-of-scope objects for parameters {sorted(unknown)} in OBJECTS"


@pytest.mark.parametrize("username", COUNTY_A_USERS)
def test_out_of_scope_objects_answer_404_everywhere(cast, client_for, username):
    check_routes(cast, client_for, username, OBJECTS)


# The clerk of court A against police A, a sibling unit in the same county (not below the clerk's unit).
SIBLING_OBJECTS = {
    "unit_id": lambda cast, user: (cast.court_a.id, cast.police_a.id),
    "officer_id": lambda cast, user: (cast.officers["judge_a"].id, cast.officers["police_a"].id),
}


def test_a_clerk_does_not_reach_a_sibling_unit_of_the_same_county(cast, client_for):
    checked = check_routes(cast, client_for, "clerk_a", SIBLING_OBJECTS, only=set(SIBLING_OBJECTS))
    assert checked >= 5


def test_an_officer_reads_their_own_file_and_unit_and_nothing_of_others(cast, client_for):
    """officer_a is linked to judge_a of court A: their own file and unit are readable, the file of a
    colleague in the same county is as missing as one in county B."""
    own = {
        "unit_id": lambda cast, user: (cast.court_a.id, cast.police_a.id),
        "officer_id": lambda cast, user: (cast.officers["judge_a"].id, cast.officers["police_a"].id),
    }
    check_routes(cast, client_for, "officer_a", own, only=set(own))
    client = client_for(cast.officer_a)
    assert client.get(f"/org/people/{cast.officers['judge_a'].id}/").status_code == 200
    assert client.get(f"/api/units/{cast.court_a.id}").status_code == 200


def test_an_officer_never_reaches_objects_of_county_b(cast, client_for):
    """Every object route, with county B's object: not found or not allowed, never served — except
    a talk the officer took part in (the fixture lets judge_a talk to county B's only officer)."""
    from zhengdun.activities.models import TalkRecord

    user = cast.officer_a
    client = client_for(user)
    checked = 0
    for route, params, methods in object_routes():
        if set(params) & NOT_UNIT_OWNED:
            continue
        outside = {p: OBJECTS[p](cast, user)[1] for p in params}
        talks = [outside[p] for p in ("talk_id", "open_talk_id") if p in outside]
        if talks and TalkRecord.objects.filter(pk__in=talks, talker=cast.officers["judge_a"]).exists():
            continue
        for method in methods:
            if method not in {"GET", "POST"}:
                continue
            for call in {client.get, client.post} if not route.startswith("api/") else {getattr(client, method.lower())}:
                response = call(fill(route, outside))
                checked += 1
                # 400/422: an API checks the request body before looking up any object
                assert response.status_code in (400, 403, 404, 405, 422), (route, call.__name__, response.status_code)
    assert checked > 20


def check_routes(cast, client_for, username, objects, only=None) -> int:
    """For every route whose object parameters are known: the in-scope object is served (or the
    role is refused outright), the out-of-scope one answers 404 exactly like a missing one."""
    user = cast.users[username]
    client = client_for(user)
    checked = 0
    for route, params, methods in object_routes():
        if set(params) & NOT_UNIT_OWNED or (only is not None and not set(params) <= only):
            continue
        inside = {p: objects[p](cast, user)[0] for p in params}
        outside = {p: objects[p](cast, user)[1] for p in params}
        for method in methods:
            if route.startswith("api/") and method not in {"GET", "POST"}:
                continue
            call = getattr(client, method.lower())
            page_method = method
            allowed = call(fill(route, inside))
            if not route.startswith("api/") and allowed.status_code == 405:
                page_method, call = "POST", client.post
                allowed = call(fill(route, inside))
            denied = call(fill(route, outside))
            checked += 1
            if route.startswith("api/") and allowed.status_code in (400, 422):
                # the request body is checked before any object is looked up: same answer either way
                assert denied.status_code == allowed.status_code, (route, method, denied.status_code)
                continue
            if allowed.status_code in (403,):
                # the role may not use this view at all: the answer must not depend on the object
                assert denied.status_code == 403, (route, page_method, denied.status_code)
                continue
            assert allowed.status_code != 404, f"{username} {page_method} {fill(route, inside)} -> 404"
            assert denied.status_code == 404, f"{username} {page_method} {fill(route, outside)} -> {denied.status_code}"
            missing = call(fill(route, {p: 10**9 for p in params}))
            assert missing.status_code == 404
            if route.startswith("api/"):
                assert denied.json()["code"] == "not_found"
    assert checked > 0
    return checked


@pytest.mark.parametrize("username", ["admin_b"])
def test_other_county_admin_sees_county_a_objects_as_missing(cast, client_for, username):
    client = client_for(cast.users[username])
    assert client.get(f"/org/people/{cast.officers['judge_a'].id}/").status_code == 404
    assert client.get(f"/api/officers/{cast.officers['judge_a'].id}").status_code == 404
    assert client.get(f"/api/units/{cast.court_a.id}").status_code == 404
    assert client.get(f"/org/units/{cast.county_a.id}/").status_code == 404


@pytest.mark.parametrize("username", ["sysadmin", "secadmin", "city_admin", "admin_a", "officer_a", "supervisor_a",
                                      "clue_handler", "clerk_a"])
def test_only_the_auditor_reads_the_audit_log(cast, client_for, username):
    client = client_for(cast.users[username])
    assert client.get("/audit/").status_code == 403
    assert client.get(f"/audit/{1}/").status_code == 403


def test_auditor_reads_the_audit_log_but_nothing_else(cast, client_for):
    client = client_for(cast.auditor)
    assert client.get("/audit/").status_code == 200
    assert client.get("/org/people/").status_code == 403
    assert client.get("/api/officers").status_code == 403
    assert client.get(f"/org/units/{cast.city.id}/").status_code == 403


def test_anonymous_is_sent_to_sign_in(db, client):
    response = client.get("/org/people/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    api = client.get("/api/me")
    assert api.status_code == 401 and api.json()["code"] == "not_authenticated"
