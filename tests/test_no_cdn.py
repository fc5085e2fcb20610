"""No asset comes from a CDN or any other web address: every script, stylesheet, font and image
is served from our own static files (vendor libraries are installed from the npm registry by
`make assets`)."""

import re
from pathlib import Path

import pytest

import zhengdun

ROOT = Path(zhengdun.__file__).resolve().parent
STATIC = ROOT / "static"
VENDOR = STATIC / "vendor"
SCANNED_SUFFIXES = {".html", ".htm", ".css", ".js", ".svg", ".txt", ".xml", ".json"}

_REMOTE = r"""(?:https?:)?//"""
PATTERNS = [
    ("script src", re.compile(r"""<script\b[^>]*\bsrc\s*=\s*["']?\s*""" + _REMOTE, re.I)),
    ("link href", re.compile(r"""<link\b[^>]*\bhref\s*=\s*["']?\s*""" + _REMOTE, re.I)),
    ("img/media src", re.compile(r"""<(?:img|source|video|audio|iframe|embed)\b[^>]*\bsrc\s*=\s*["']?\s*"""
                                 + _REMOTE, re.I)),
    ("@import", re.compile(r"""@import\s+(?:url\(\s*)?["']?\s*""" + _REMOTE, re.I)),
    ("url()", re.compile(r"""url\(\s*["']?\s*""" + _REMOTE, re.I)),
    ("JS import", re.compile(r"""\bimport\s*(?:[\w{}*,\s]+from\s*)?\(?\s*["']""" + _REMOTE)),
]


def our_files() -> list[Path]:
    """Every template of ours (any templates/ folder of the package) and every static file but vendor/."""
    files = []
    for folder in ROOT.rglob("templates"):
        files += [p for p in folder.rglob("*") if p.is_file() and p.suffix in SCANNED_SUFFIXES]
    if STATIC.exists():
        files += [p for p in STATIC.rglob("*") if p.is_file() and p.suffix in SCANNED_SUFFIXES
                  and VENDOR not in p.parents]
    return sorted(set(files))


def remote_references(text: str) -> list[str]:
    found = []
    for kind, pattern in PATTERNS:
        for match in pattern.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            found.append(f"line {line}: {kind}: {text[match.start():match.end() + 40].splitlines()[0]}")
    return found


def test_scanner_catches_remote_assets():
    samples = [
        '<script src="https://cdn.jsdelivr.net/npm/bootstrap.js"></script>',
        "<link rel='stylesheet' href='http://example.com/a.css'>",
        '<link href="//fonts.googleapis.com/css?family=Noto" rel="stylesheet">',
        '@import url("https://fonts.googleapis.com/css2");',
        "@import 'http://example.com/x.css';",
        "body { background: url(https://example.com/bg.png) }",
        '<img src="https://example.com/logo.png">',
    ]
    for sample in samples:
        assert remote_references(sample), sample
    local = ['<script src="/static/vendor/htmx/htmx.min.js"></script>',
             "<link rel=\"stylesheet\" href=\"{% static 'vendor/bootstrap/bootstrap.min.css' %}\">",
             '<a href="https://www.gov.cn/">a link, not an asset</a>', "url(fonts/bootstrap-icons.woff2)"]
    for sample in local:
        assert not remote_references(sample), sample


def test_no_template_or_static_file_loads_a_remote_asset():
    files = our_files()
    assert any(p.name == "base.html" for p in files)
    problems = []
    for path in files:
        for ref in remote_references(path.read_text(encoding="utf-8", errors="replace")):
            problems.append(f"{path.relative_to(ROOT)} {ref}")
    assert not problems, "remote asset references (serve them from static/vendor):\n" + "\n".join(problems)


STATIC_TAG = re.compile(r"""{%\s*static\s+["'](vendor/[^"']+)["']\s*%}""")


def vendor_references() -> dict[str, set[str]]:
    refs: dict[str, set[str]] = {}
    for path in our_files():
        if path.suffix not in {".html", ".htm"}:
            continue
        for ref in STATIC_TAG.findall(path.read_text(encoding="utf-8", errors="replace")):
            refs.setdefault(ref, set()).add(str(path.relative_to(ROOT)))
    return refs


def test_templates_reference_vendor_assets():
    assert "vendor/bootstrap/bootstrap.min.css" in vendor_references()


def test_every_vendor_asset_referenced_by_templates_exists():
    if not (VENDOR.exists() and any(VENDOR.iterdir())):
        pytest.skip("static/vendor is absent: run `make assets` (npm ci + copy) to check vendor files")
    missing = [f"{ref} (used in {', '.join(sorted(users))})" for ref, users in sorted(vendor_references().items())
               if not (STATIC / ref).is_file()]
    assert not missing, "vendor files missing after `make assets` (add them to the Makefile's assets target):\n" \
        + "\n".join(missing)


# --- Rendered pages: what the browser is actually told to load ------------------------------------

ASSET_REF = re.compile(r"""<(?:script|link|img|source|iframe|embed)\b[^>]*?\b(?:src|href)\s*=\s*["']([^"']+)["']""",
                       re.I)


def page_assets(html: str) -> list[str]:
    return ASSET_REF.findall(html)


def assert_all_local(html: str) -> list[str]:
    """Every asset of a rendered page is one of our static files (no host, no scheme); returns them."""
    from django.conf import settings
    from django.contrib.staticfiles import finders

    assets = page_assets(html)
    remote = [a for a in assets if re.match(r"^(?:[a-z][a-z0-9+.-]*:)?//", a, re.I)] + remote_references(html)
    assert not remote, f"remote assets: {remote}"
    prefix = "/" + settings.STATIC_URL.lstrip("/")
    not_static = [a for a in assets if not a.startswith(prefix)]
    assert not not_static, f"assets outside our static files: {not_static}"
    missing = [a for a in assets if not finders.find(a[len(prefix):].split("?")[0])]
    assert not missing, f"static files not found: {missing}"
    return assets


def test_api_docs_page_loads_swagger_ui_from_our_static_files(db):
    """/api/docs is Swagger UI from django-ninja's bundled static files ("ninja" in INSTALLED_APPS),
    not its CDN template: a closed intranet would get a blank page."""
    from django.test import Client

    response = Client().get("/api/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert "cdn.jsdelivr" not in html and "django-ninja.dev" not in html
    assets = assert_all_local(html)
    names = {a.rsplit("/", 1)[-1] for a in assets}
    assert {"swagger-ui.css", "swagger-ui-bundle.js", "swagger-ui-init.js"} <= names
    assert '"url": "/api/openapi.json"' in html  # the page's settings point at our schema


def test_api_docs_static_files_are_served(db):
    """The Swagger UI files are served by us (WhiteNoise) with DEBUG off, as in `make run`."""
    from django.test import Client

    client = Client()
    for asset in page_assets(client.get("/api/docs").content.decode()):
        response = client.get(asset)
        assert response.status_code == 200, asset
        assert b"".join(response.streaming_content if response.streaming else [response.content])


def test_base_layout_pages_load_only_local_assets(cast):
    from django.test import Client

    from tests.conftest import login_as

    assert_all_local(Client().get("/accounts/login/").content.decode())
    assert_all_local(login_as(Client(), cast.city_admin).get("/").content.decode())
