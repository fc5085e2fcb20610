"""Does an uploaded file's content match its extension? One check shared by every upload
(evidence files, study materials): first bytes, and for Office Open XML the expected zip member."""

from __future__ import annotations

import io
import zipfile

_ZIP = b"PK\x03\x04"
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
SIGNATURES = {
    "pdf": b"%PDF-", "jpg": b"\xff\xd8\xff", "jpeg": b"\xff\xd8\xff", "png": b"\x89PNG\r\n\x1a\n",
    "doc": _OLE, "xls": _OLE, "ppt": _OLE,
}
OOXML_MEMBER = {"docx": "word/document.xml", "xlsx": "xl/workbook.xml", "pptx": "ppt/presentation.xml"}


def content_matches(extension: str, upload) -> bool:
    """True when the file's content is what `extension` says; leaves the file at position 0."""
    upload.seek(0)
    head = upload.read(16)
    try:
        if extension in OOXML_MEMBER:
            if not head.startswith(_ZIP):
                return False
            upload.seek(0)
            with zipfile.ZipFile(io.BytesIO(upload.read())) as archive:
                return OOXML_MEMBER[extension] in archive.namelist()
        if extension == "mp4":
            return head[4:8] == b"ftyp"
        if extension == "txt":
            return b"\x00" not in head
        signature = SIGNATURES.get(extension)
        return signature is not None and head.startswith(signature)
    except (zipfile.BadZipFile, OSError, ValueError):
        return False
    finally:
        upload.seek(0)
