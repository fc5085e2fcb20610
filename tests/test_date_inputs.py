"""Every date box shows its value: <input type="date"> displays only ISO (2026-12-02), so every
date widget renders ISO whatever the language, while the fields still parse the forms people type
(2026/12/02, 2026年12月2日, …)."""

import datetime as dt
import importlib
import pkgutil
import re
from pathlib import Path

import pytest
from django import forms
from django.utils import timezone, translation

import zhengdun
from zhengdun.widgets import DateInput, DateTimeInput

ROOT = Path(zhengdun.__file__).resolve().parent
LANGUAGES = ["zh-hans", "en"]


def project_forms() -> list[type[forms.BaseForm]]:
    for module in pkgutil.walk_packages([str(ROOT)], prefix="zhengdun."):
        if re.search(r"\.forms(_\w+)?$", module.name):
            importlib.import_module(module.name)

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    return sorted({c for c in subclasses(forms.BaseForm) if c.__module__.startswith("zhengdun.")},
                  key=lambda c: f"{c.__module__}.{c.__qualname__}")


def date_fields():
    found = []
    for form in project_forms():
        for name, field in form.base_fields.items():
            if isinstance(field, forms.DateField | forms.DateTimeField):
                found.append((f"{form.__module__}.{form.__qualname__}.{name}", field))
    return found


def test_the_walk_finds_the_date_fields():
    names = [name for name, _field in date_fields()]
    assert "zhengdun.learning.forms.MaterialForm.published_on" in names
    assert "zhengdun.learning.forms.ExamForm.start_at" in names
    assert len(names) >= 10


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_date_field_of_every_form_renders_iso(language):
    day, moment = dt.date(2026, 12, 2), timezone.make_aware(dt.datetime(2026, 12, 2, 9, 30))
    wrong = []
    with translation.override(language):
        for name, field in date_fields():
            if isinstance(field, forms.DateTimeField):
                html = field.widget.render("x", field.prepare_value(moment))
                ok = isinstance(field.widget, DateTimeInput) and 'value="2026-12-02T09:30"' in html
            else:
                html = field.widget.render("x", field.prepare_value(day))
                ok = isinstance(field.widget, DateInput) and 'value="2026-12-02"' in html
            if not ok:
                wrong.append(f"{name}: {html}")
    assert not wrong, "date fields not using zhengdun.widgets (ISO values):\n" + "\n".join(wrong)


def test_no_module_builds_its_own_date_widget():
    """A forms.DateInput(...) of its own would render the locale's 2026/12/02 again."""
    pattern = re.compile(r"\bforms\.(DateInput|DateTimeInput|SelectDateWidget)\b")
    offenders = [f"{p.relative_to(ROOT)}:{text.count(chr(10), 0, m.start()) + 1}"
                 for p in ROOT.rglob("*.py") if p.name != "widgets.py"
                 for text in [p.read_text(encoding="utf-8")] for m in pattern.finditer(text)]
    assert not offenders, f"use zhengdun.widgets.DateInput / DateTimeInput: {offenders}"


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("typed", ["2026-12-02", "2026/12/02", "2026.12.02", "2026年12月2日", "2026年12月02日"])
def test_date_fields_accept_what_people_type(language, typed):
    with translation.override(language):
        assert forms.DateField(widget=DateInput()).clean(typed) == dt.date(2026, 12, 2)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("typed", ["2026-12-02T09:30", "2026-12-02 09:30", "2026/12/02 09:30"])
def test_datetime_fields_accept_the_browser_and_typed_forms(language, typed):
    with translation.override(language):
        value = forms.DateTimeField(widget=DateTimeInput()).clean(typed)
    assert timezone.localtime(value).replace(tzinfo=None) == dt.datetime(2026, 12, 2, 9, 30)


def test_model_less_date_input_uses_iso_too():
    """Settings (zhengdun.formats) put ISO first, so even a plain Django DateInput shows ISO."""
    with translation.override("zh-hans"):
        assert forms.DateInput().format_value(dt.date(2026, 12, 2)) == "2026-12-02"


def test_new_material_page_shows_todays_date_in_the_date_box(cast, client_for):
    body = client_for(cast.admin_a).get("/learning/materials/new/").content.decode()
    box = re.search(r'<input[^>]*name="published_on"[^>]*>', body).group(0)
    assert 'type="date"' in box
    assert f'value="{timezone.localdate():%Y-%m-%d}"' in box
