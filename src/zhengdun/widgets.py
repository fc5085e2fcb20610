"""Date and time widgets for every form of the project.

<input type="date"> shows a value only in ISO form (2026-12-02) and <input type="datetime-local">
only as 2026-12-02T09:30; the zh-hans input format (2026/12/02) would leave the box empty. These
widgets render ISO whatever the active language; parsing is the field's job and accepts ISO and
the locale's forms (see zhengdun.formats). Use them instead of forms.DateInput/DateTimeInput
(tests/test_date_inputs.py checks every form).
"""

from django import forms


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%dT%H:%M")
