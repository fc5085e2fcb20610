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


def _module_with(patterns):
    return type("Urls", (), {"urlpatterns": patterns})


def test_the_walk_fails_on_an_api_operation_without_policy():
    """An operation without @api_policy is found, also when its path has another, declared method."""
    import uuid

    from django.urls.resolvers import RegexPattern
    from django.urls.resolvers import URLResolver as Resolver
    from ninja import NinjaAPI, Router

    from zhengdun.org.api_auth import api_policy
    from zhengdun.urls import api_urls

    router = Router()

    @router.get("/declared")
    @api_policy(name="authenticated")
    def declared(request):
        return {}

    @router.post("/declared")
    def declared_path_undeclared_post(request):
        return {}

    @router.get("/undeclared")
    def undeclared(request):
        return {}

    test_api = NinjaAPI(urls_namespace=f"walk-{uuid.uuid4().hex}")
    test_api.add_router("/", router)
    resolver = Resolver(RegexPattern(r"^/"), _module_with([path("api/", api_urls(test_api))]))
    assert sorted(set(views_without_policy(resolver))) == [
        "api/declared [POST] declared_path_undeclared_post",
        "api/undeclared [GET] undeclared",
    ]


def test_only_the_named_documentation_pages_of_the_api_are_public():
    """Callbacks are not made public by their type (django-ninja's docs views are partials): an
    operation or any other view that happens to be a functools.partial keeps needing a policy."""
    import functools
    from types import SimpleNamespace

    from django.urls.resolvers import RegexPattern
    from django.urls.resolvers import URLResolver as Resolver

    from zhengdun.urls import API_DOC_URL_NAMES, api_urls

    sneaky = path("sneaky", functools.partial(lambda request: None), name="sneaky")
    fake = SimpleNamespace(urls=([sneaky], "fake", "fake"))
    resolver = Resolver(RegexPattern(r"^/"), _module_with([path("api/", api_urls(fake))]))
    assert views_without_policy(resolver) == ["api/sneaky"]
    public = [route for route, cb in iter_views(get_resolver())
              if "api/" in route and getattr(getattr(cb, "access_policy", None), "public", False)]
    # the schema, the Swagger UI, and the JSON 404s of the API root and of unknown paths
    assert set(public) == {"api/openapi.json", "api/docs", "api/", "^api/"}, public
    assert API_DOC_URL_NAMES == {"openapi-json", "openapi-view"}
