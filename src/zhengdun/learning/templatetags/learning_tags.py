from django import template
from django.utils.html import format_html

register = template.Library()


@register.filter
def pct(value):
    """0.8234 -> '82.3%'; None -> '—'."""
    if value is None:
        return "—"
    return f"{value * 100:.1f}%"


@register.filter
def cell(value):
    """An officer-file cell: plain text, or (text, url) rendered as a link."""
    if isinstance(value, (tuple, list)) and len(value) == 2:
        return format_html('<a href="{}">{}</a>', value[1], value[0])
    return value


@register.filter
def get(mapping, key):
    return (mapping or {}).get(str(key), "")


@register.filter
def has_letter(answer, letter):
    return letter in (answer or "")
