"""One file per officer (一人一档): a registry of sections that apps contribute.

Each app registers a provider `(scope, officer) -> Section | list[Section] | None`:

    from zhengdun.learning.officer_file import Section, register

    @register("talks", order=40, confidential=True)
    def talks(scope, officer):
        ...

Put that in `zhengdun/<app>/officer_file.py`: the page imports such a module from every
installed zhengdun app the first time it is built, so a later app (rectification) adds its
sections without editing the view. A confidential provider is not even called for a viewer
who is not entitled (the officer themself, or an office admin whose subtree holds the officer).

Apps listed in GENERIC_APPS that register nothing still get a plain section per model that
points at the officer (found by introspection), so the page works before they write one.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable
from dataclasses import dataclass, field

from django.apps import apps
from django.db.models import ForeignKey, ManyToManyField, Model, Q
from django.utils.translation import gettext as _

from zhengdun.org.models import Officer, Role

GENERIC_APPS = ("activities", "campaigns")
SKIP_APPS = ("org", "audit", "learning")


@dataclass
class Section:
    title: str
    columns: list[str] = field(default_factory=list)
    rows: list[list] = field(default_factory=list)  # a cell is text, or (text, url)
    figures: list[tuple[str, object]] = field(default_factory=list)
    confidential: bool = False
    total: int | None = None
    more_url: str = ""
    empty_text: str = ""
    key: str = ""


@dataclass
class _Provider:
    key: str
    func: Callable
    order: int
    confidential: bool
    app_label: str


_providers: dict[str, _Provider] = {}
_discovered = False


def register(key: str, *, order: int = 100, confidential: bool = False):
    """Register a section provider under a unique key (re-registering a key replaces it)."""

    def decorate(func):
        module = getattr(func, "__module__", "")
        parts = module.split(".")
        label = parts[1] if len(parts) > 1 and parts[0] == "zhengdun" else module
        _providers[key] = _Provider(key, func, order, confidential, label)
        return func

    return decorate


def autodiscover() -> None:
    global _discovered
    if _discovered:
        return
    for config in apps.get_app_configs():
        if not config.name.startswith("zhengdun.") or config.label in SKIP_APPS:
            continue
        name = f"{config.name}.officer_file"
        if importlib.util.find_spec(name) is not None:
            importlib.import_module(name)
    _discovered = True


def entitled_to_confidential(scope, officer: Officer) -> bool:
    """The officer themself, or an office admin whose subtree holds the officer."""
    if scope.officer_id and scope.officer_id == officer.id:
        return True
    return scope.has_role(Role.OFFICE_ADMIN) and any(officer.unit.path.startswith(p) for p in scope.write_paths)


def build(scope, officer: Officer) -> tuple[list[Section], bool, int]:
    """Sections for this viewer, whether they may see confidential ones, and how many were withheld."""
    autodiscover()
    entitled = entitled_to_confidential(scope, officer)
    sections: list[tuple[int, Section]] = []
    withheld = 0
    for provider in sorted(_providers.values(), key=lambda p: (p.order, p.key)):
        if provider.confidential and not entitled:
            withheld += 1
            continue
        result = provider.func(scope, officer)
        for section in (result if isinstance(result, list) else [result] if result else []):
            section.key = section.key or provider.key
            section.confidential = section.confidential or provider.confidential
            if section.confidential and not entitled:
                withheld += 1
                continue
            sections.append((provider.order, section))
    registered_apps = {p.app_label for p in _providers.values()}
    for label in GENERIC_APPS:
        if label in registered_apps or not apps.is_installed(f"zhengdun.{label}"):
            continue
        for section in _generic_sections(scope, officer, label):
            if section.confidential and not entitled:
                withheld += 1
                continue
            sections.append((200, section))
    return [s for _o, s in sorted(sections, key=lambda x: x[0])], entitled, withheld


def _generic_sections(scope, officer: Officer, label: str) -> list[Section]:
    """A plain list per model of `label` that refers to the officer (FK or M2M), scoped."""
    result = []
    for model in apps.get_app_config(label).get_models():
        if not hasattr(model.objects, "within"):
            continue
        links = [f for f in model._meta.get_fields()
                 if isinstance(f, (ForeignKey, ManyToManyField)) and f.related_model is Officer]
        if not links:
            continue
        q = Q()
        for f in links:
            q |= Q(**{f.name: officer})
        items = model.objects.within(scope).filter(q).distinct()
        total = items.count()
        if not total:
            continue
        date_field = next((f.name for f in model._meta.concrete_fields
                           if f.get_internal_type() in ("DateField", "DateTimeField")), None)
        # A link row (e.g. an activity's participant) has no useful str(): show what it links to.
        parent = None
        if type(model).__str__ is Model.__str__ or model.__str__ is Model.__str__:
            parent = next((f.name for f in model._meta.concrete_fields if isinstance(f, ForeignKey)
                           and f.related_model not in (Officer,) and f.name != "unit"
                           and f.related_model._meta.app_label == label), None)
        rows = []
        for obj in items.order_by("-pk")[:20]:
            text = str(getattr(obj, parent)) if parent else str(obj)
            when = getattr(obj, date_field) if date_field else ""
            rows.append([text, str(when or ""), str(getattr(obj, "unit", "") or "")])
        confidential = bool(getattr(model, "officer_file_confidential", False)) or "talk" in model.__name__.lower()
        result.append(Section(title=str(model._meta.verbose_name_plural), columns=[_("记录"), _("日期"), _("单位")],
                              rows=rows, total=total, confidential=confidential, key=f"{label}.{model.__name__}"))
    return result
