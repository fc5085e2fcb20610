"""Checks for uploaded files: allowed type (by extension and by the file's first bytes) and size.

A refused file raises ValidationError with a message that names the file and the reason; the
caller saves nothing."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from zhengdun.uploads import content_matches

MATERIAL_TYPES = ("pdf", "doc", "docx", "ppt", "pptx", "xls", "xlsx", "jpg", "jpeg", "png", "mp4", "txt")


def max_bytes() -> int:
    return int(getattr(settings, "LEARNING_UPLOAD_MAX_BYTES", 50 * 1024 * 1024))


def check_upload(upload, *, allowed=MATERIAL_TYPES, limit: int | None = None, field: str = "attachment") -> str:
    """Return the lower-case extension of an acceptable upload, or raise ValidationError."""
    limit = limit or max_bytes()
    name = getattr(upload, "name", "") or ""
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if ext not in allowed:
        raise ValidationError({field: _("文件“%(name)s”的类型不被接受：只接受 %(types)s 文件")
                               % {"name": name, "types": "、".join(allowed)}})
    size = getattr(upload, "size", None) or 0
    if size > limit:
        raise ValidationError({field: _("文件“%(name)s”过大（%(size).1f MB）：不能超过 %(limit).0f MB")
                               % {"name": name, "size": size / 1048576, "limit": limit / 1048576}})
    if size == 0:
        raise ValidationError({field: _("文件“%(name)s”是空文件") % {"name": name}})
    ok = content_matches(ext, upload)
    if not ok:
        raise ValidationError({field: _("文件“%(name)s”的内容与扩展名 .%(ext)s 不符，已拒收")
                               % {"name": name, "ext": ext}})
    return ext
