"""Numbered pagination for every list (templates/pagination.html)."""

from django import template

register = template.Library()


def _href(query: str, number: int) -> str:
    return f"?{query}&page={number}" if query else f"?page={number}"


@register.simple_tag
def page_links(page, query: str = "", on_each_side: int = 2, on_ends: int = 1) -> dict:
    """First/previous/next/last and the numbered pages around the current one; a gap is None."""
    paginator = page.paginator
    numbers = [n if isinstance(n, int) else None
               for n in paginator.get_elided_page_range(page.number, on_each_side=on_each_side, on_ends=on_ends)]
    last = paginator.num_pages
    return {
        "pages": [{"number": n, "href": _href(query, n) if n else "", "current": n == page.number} for n in numbers],
        "first": _href(query, 1) if page.number > 1 else "",
        "previous": _href(query, page.previous_page_number()) if page.has_previous() else "",
        "next": _href(query, page.next_page_number()) if page.has_next() else "",
        "last": _href(query, last) if page.number < last else "",
    }
