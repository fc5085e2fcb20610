"""The UI is Chinese by default and English through gettext; the English catalogue is complete."""

import re
from pathlib import Path

from django.test import Client

import zhengdun

LOCALE = Path(zhengdun.__file__).resolve().parent / "locale" / "en" / "LC_MESSAGES"


def english(client: Client) -> Client:
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 302
    return client


def test_default_language_is_chinese(db):
    body = Client().get("/accounts/login/").content.decode()
    assert 'lang="zh-hans"' in body and "用户登录" in body and "Sign in" not in body


def test_login_page_in_english_after_switching(db):
    client = english(Client())
    body = client.get("/accounts/login/").content.decode()
    assert 'lang="en"' in body
    assert "Sign in" in body and "Username" in body and "Password" in body
    assert "用户登录" not in body


def test_home_and_navigation_in_english(cast, client_for):
    client = english(client_for(cast.city_admin))
    body = client.get("/").content.decode()
    assert "Dashboard" in body and "Unit tree" in body and "Roster" in body and "My account" in body
    assert "工作台" not in body and "人员名册" not in body


def test_error_messages_in_english(cast):
    client = english(Client())
    response = client.post("/accounts/login/", {"username": "clerk_a", "password": "nope"})
    assert "Wrong username or password." in response.content.decode()


def test_switching_back_to_chinese(db):
    client = english(Client())
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    assert "用户登录" in client.get("/accounts/login/").content.decode()


def _po_entries(text: str):
    """(msgid, [msgstr…], flags) for every entry of a .po file (continuation lines joined)."""
    entries = []
    for block in re.split(r"\n\s*\n", text.strip()):
        flags = " ".join(line for line in block.splitlines() if line.startswith("#,"))
        fields: dict[str, str] = {}
        key = None
        for line in block.splitlines():
            match = re.match(r'^(msgid_plural|msgid|msgstr(?:\[\d+\])?|msgctxt)\s+"(.*)"$', line)
            if match:
                key = match.group(1)
                fields[key] = match.group(2)
            elif line.startswith('"') and key:
                fields[key] += line[1:-1]
        if "msgid" in fields:
            strs = [v for k, v in fields.items() if k.startswith("msgstr")]
            entries.append((fields["msgid"], strs, flags))
    return entries


def test_english_catalogue_is_complete_and_compiled():
    po = LOCALE / "django.po"
    assert po.exists(), "run makemessages -l en"
    entries = [e for e in _po_entries(po.read_text(encoding="utf-8")) if e[0]]
    assert len(entries) > 100
    empty = [msgid for msgid, strs, _flags in entries if not strs or any(s == "" for s in strs)]
    assert not empty, f"untranslated msgids: {empty[:10]}"
    fuzzy = [msgid for msgid, _strs, flags in entries if "fuzzy" in flags]
    assert not fuzzy, f"fuzzy entries (check and clear the flag): {fuzzy[:10]}"
    placeholder = re.compile(r"%(?:\([^)]+\))?[-#0 +]?\d*(?:\.\d+)?[sdf]")
    wrong = [(msgid, s) for msgid, strs, _f in entries for s in strs
             if not set(placeholder.findall(s)) <= set(placeholder.findall(msgid))
             or (len(strs) == 1 and sorted(placeholder.findall(s)) != sorted(placeholder.findall(msgid)))]
    assert not wrong, f"placeholders differ: {wrong[:5]}"
    mo = LOCALE / "django.mo"
    assert mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime - 1, "run compilemessages and commit the .mo"

