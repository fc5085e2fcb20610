"""The generated access matrix (tests/test_access_matrix.py) limited to this app's routes, so a
learning regression shows here even while other apps' routes are still being registered."""

import pytest

import tests.test_access_matrix as matrix


@pytest.mark.parametrize("username", ["admin_a", "clerk_a", "supervisor_a"])
def test_learning_routes_answer_404_out_of_scope(cast, client_for, username, monkeypatch):
    routes = [r for r in matrix.object_routes() if r[0].startswith(("learning/", "api/learning"))]
    assert routes
    monkeypatch.setattr(matrix, "object_routes", lambda: routes)
    matrix.test_out_of_scope_objects_answer_404_everywhere(cast, client_for, username)
