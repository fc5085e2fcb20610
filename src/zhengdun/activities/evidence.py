"""Evidence uploads: check every file (extension, magic bytes, size) before anything is stored,
then store under MEDIA_ROOT/evidence/ with random names, removing what was written if the
transaction fails. Files are never served as public media (see views.evidence_download).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from zhengdun.activities.models import EvidenceFile
from zhengdun.uploads import content_matches

ALLOWED = {
    "jpg": "JPEG 图片", "jpeg": "JPEG 图片", "png": "PNG 图片", "pdf": "PDF 文档",
    "docx": "Word 文档（.docx）", "xlsx": "Excel 表格（.xlsx）",
}
CONTENT_TYPES = {
    "jpg": "image/jpeg", "jpeg": "image/jpeg", "png": "image/png", "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def max_bytes() -> int:
    return int(getattr(settings, "EVIDENCE_MAX_BYTES", 20 * 1024 * 1024))


def _size_label(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB" if n >= 1024 * 1024 else f"{max(1, n // 1024)} KB"


@dataclass
class CheckedFile:
    """An upload that passed validation; not yet stored."""

    upload: object
    name: str
    extension: str
    size: int
    sha256: str
    kind: str


# A scanned signed document (pledge letter): an image or a PDF, never an editable office file.
SCAN_TYPES = ("jpg", "jpeg", "png", "pdf")


def check_file(upload, *, kind: str, allowed: tuple[str, ...] | None = None) -> CheckedFile:
    """Validate one upload; raise ValidationError naming the file and the reason (in Chinese).
    `allowed` narrows the accepted extensions (e.g. SCAN_TYPES)."""
    name = Path(getattr(upload, "name", "") or "未命名文件").name
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in ALLOWED:
        raise ValidationError(
            f"文件“{name}”的类型不允许上传：只接受 jpg、png、pdf、docx、xlsx 格式的文件")
    if allowed is not None and extension not in allowed:
        raise ValidationError(_("文件“%(name)s”的类型不允许上传：这里只接受 %(types)s 格式的文件")
                              % {"name": name, "types": "、".join(t for t in allowed if t != "jpeg")})
    size = int(getattr(upload, "size", 0) or 0)
    if size == 0:
        raise ValidationError(f"文件“{name}”是空文件，请重新选择")
    if size > max_bytes():
        raise ValidationError(
            f"文件“{name}”太大（{_size_label(size)}），单个文件不能超过 {_size_label(max_bytes())}")
    if not content_matches(extension, upload):
        raise ValidationError(
            f"文件“{name}”的内容与扩展名不符：它不是真正的{ALLOWED[extension]}，可能被改过扩展名或已损坏")
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in iter(lambda: upload.read(1024 * 1024), b""):
        digest.update(chunk)
    upload.seek(0)
    return CheckedFile(upload=upload, name=name, extension=extension, size=size, sha256=digest.hexdigest(),
                       kind=kind)


def check_files(files: list[tuple[object, str]]) -> list[CheckedFile]:
    """Validate every (upload, kind) pair first: one bad file refuses the whole submission."""
    return [check_file(upload, kind=kind) for upload, kind in files if upload]


def evidence_root() -> Path:
    return Path(settings.MEDIA_ROOT) / "evidence"


def path_of(evidence: EvidenceFile) -> Path:
    return evidence_root() / evidence.stored_name


class StoredFiles:
    """Wrap a service's audited block: files stored through it are removed again if anything in
    the block raises (validation after storing, a constraint, the transaction rolling back).

        with StoredFiles() as files, audited(actor=..., action=...):
            record = ...
            files.store(checked, unit_id=record.unit_id, actor=actor, activity=record)
    """

    def __init__(self):
        self.written: list[Path] = []

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None:
            for path in self.written:
                path.unlink(missing_ok=True)
        return False

    def store(self, checked: list[CheckedFile], *, unit_id: int, actor, **owner) -> list[EvidenceFile]:
        rows = []
        for item in checked:
            stored_name = f"{secrets.token_hex(1)}/{secrets.token_hex(16)}.{item.extension}"
            target = evidence_root() / stored_name
            target.parent.mkdir(parents=True, exist_ok=True)
            item.upload.seek(0)
            with open(target, "xb") as handle:
                self.written.append(target)
                while chunk := item.upload.read(1024 * 1024):
                    handle.write(chunk)
            rows.append(EvidenceFile.objects.create(
                unit_id=unit_id, kind=item.kind, original_name=item.name[:255], stored_name=stored_name,
                extension=item.extension, size=item.size, sha256=item.sha256,
                uploaded_by=actor if getattr(actor, "pk", None) else None, **owner))
        return rows
