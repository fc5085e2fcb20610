"""Simplified Chinese input formats: ISO first (see zhengdun.formats).

Django's own zh_Hans list puts 2026/12/02 first, and its 年月日 entries use %n/%j (whitespace and
day of the year in strptime), so they are restated here."""

DATE_INPUT_FORMATS = [
    "%Y-%m-%d",  # 2026-12-02 (what <input type="date"> sends)
    "%Y/%m/%d",  # 2026/12/02
    "%Y.%m.%d",  # 2026.12.02
    "%Y年%m月%d日",  # 2026年12月2日
    "%Y%m%d",  # 20261202
]

DATETIME_INPUT_FORMATS = [
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M:%S.%f",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M",  # what <input type="datetime-local"> sends
    "%Y-%m-%dT%H:%M:%S",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y年%m月%d日 %H:%M:%S",
    "%Y年%m月%d日 %H:%M",
]
