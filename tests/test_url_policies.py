"""Every URL pattern (page or API operation) declares an access policy (DESIGN.md rule 1)."""

from django.urls import URLPattern, URLResolver, get_resolver, path

from zhengdun.org.access import access_policy


def iter_views(resolver, prefix=""):
    for pattern in resolver.url_patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from iter_views(pattern, route)
        elif isinstance(pattern, URLPattern):
            yield route, pattern.callback


def ninja_operations(callback):
    """The operations behind a django-ninja path view (found in the view's closure)."""
    for cell in getattr(callback, "__closure__", None) or ():
        target = cell.cell_contents
        if hasattr(target, "operations"):
            return list(target.operations)
    return None


def views_without_policy(resolver) -> list[str]:
    missing = []
    for route, callback in iter_views(resolver):
        if getattr(callback, "access_policy", None) is not None:
            continue
        operations = ninja_operations(callback)
        if operations is None:
            missing.append(route)
            continue
        for op in operations:
            if getattr(op.view_func, "access_policy", None) is None:
                missing.append(f"{route} [{','.join(op.methods)}] {op.view_func.__name__}")
    return missing


def test_every_view_and_api_operation_declares_a_policy():
    missing = views_without_policy(get_resolver())
    assert missing == [], f"views without an access policy: {missing}"


def test_the_walk_finds_api_operations():
    routes = [route for route, cb in iter_views(get_resolver()) if ninja_operations(cb)]
    assert any(route.startswith("api/") for route in routes)


class _FakeResolverModule:
    def undecorated(request):  # noqa: N805 - a bare function used as a view
        return None

    declared = access_policy(public=True)(lambda request: None)
    urlpatterns = [path("bad/", undecorated), path("good/", declared)]


def test_the_walk_fails_on_a_view_without_policy():
    from django.urls.resolvers import RegexPattern
    from django.urls.resolvers import URLResolver as Resolver

    resolver = Resolver(RegexPattern(r"^/"), _FakeResolverModule)
    assert views_without_policy(resolver) == ["bad/"]
