"""Per-locale overrides of Django's input formats (settings.FORMAT_MODULE_PATH).

A browser's <input type="date"> only shows a value in ISO form (2026-12-02) and always sends that
form, so ISO comes first: it is what every date widget renders. The locale's own forms follow, so
a date typed by hand (API clients, browsers without a date picker) still parses. Anything not set
here falls back to Django's locale module.
"""
