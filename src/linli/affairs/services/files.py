"""Pre-review files made safe to keep: the type decided by the content (never the name or the browser's type),
photos re-encoded without metadata (`linli.core.photos`), PDFs checked.

A PDF cannot be re-encoded here, so it is checked instead: it must start like a PDF, end like one, have a
cross-reference section, be under the size limit, not be encrypted (staff could not read it) and carry no active
content (JavaScript, launch actions, embedded files, forms that submit). It is served only to its owner and the
street's reviewers, as an attachment with a sandboxing content security policy.

Process uploads *before* the transaction that stores them (`photo_process` refuses to run inside one).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from linli.core.errors import Problem
from linli.core.photos import photo_process, sniff_format

MAX_PDF_BYTES = 10 * 1024 * 1024
# Names whose presence makes a PDF do something when opened (PDF 1.7, ISO 32000-1, 12.6 and 12.7).
PDF_ACTIVE = re.compile(rb"/(JavaScript|JS|Launch|EmbeddedFile|EmbeddedFiles|RichMedia|SubmitForm|ImportData|XFA)\b")
PDF_ENCRYPTED = re.compile(rb"/Encrypt\b")


@dataclass(frozen=True)
class CheckedFile:
    """A file that passed the checks: the bytes to store and what they are."""

    content: bytes
    content_type: str  # "image/jpeg" | "application/pdf"
    ext: str  # "jpg" | "pdf"
    width: int = 0
    height: int = 0

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


def _invalid(detail: Any, reason: str) -> Problem:
    return Problem("file_invalid", detail=detail, extra={"reason": reason})


def _read(upload: Any, limit: int) -> bytes:
    if isinstance(upload, bytes | bytearray):
        return bytes(upload[: limit + 1])
    if hasattr(upload, "seek"):
        upload.seek(0)
    data = upload.read(limit + 1)
    if hasattr(upload, "seek"):
        upload.seek(0)
    return bytes(data or b"")


def pdf_check(data: bytes) -> None:
    """Refuse what is not a plain, readable PDF (see the module docstring)."""
    if len(data) > MAX_PDF_BYTES:
        raise _invalid(format_lazy(_("PDF 太大，请不超过 {mb} MB"), mb=MAX_PDF_BYTES // (1024 * 1024)), "too_large")
    head = data[:1024]
    if not re.search(rb"%PDF-[12]\.\d", head):
        raise _invalid(_("不是有效的 PDF 文件"), "not_pdf")
    if b"%%EOF" not in data[-2048:]:
        raise _invalid(_("PDF 文件不完整"), "truncated")
    if b"xref" not in data and b"/XRef" not in data:
        raise _invalid(_("PDF 文件不完整"), "no_xref")
    if PDF_ENCRYPTED.search(data):
        raise _invalid(_("PDF 文件有密码保护，请上传未加密的文件"), "encrypted")
    if PDF_ACTIVE.search(data):
        raise _invalid(_("PDF 文件含有脚本或附件，请另存为普通 PDF 或拍照上传"), "active_content")


def file_check(upload: Any) -> CheckedFile:
    """Check one uploaded file by its content: a photo (JPEG, PNG, WebP, HEIF) comes back re-encoded as a JPEG
    without metadata; a PDF comes back as it is once checked; anything else is `file_invalid`."""
    if isinstance(upload, CheckedFile):
        return upload
    head = _read(upload, 16)
    if not head:
        raise _invalid(_("文件是空的"), "empty")
    if head.startswith(b"%PDF-") or (b"%PDF-" in _read(upload, 1024)):
        data = _read(upload, MAX_PDF_BYTES)
        pdf_check(data)
        return CheckedFile(content=data, content_type="application/pdf", ext="pdf")
    if sniff_format(head) is None:
        raise _invalid(_("只能上传照片（JPEG、PNG、WebP、HEIC）或 PDF 文件"), "unsupported")
    try:
        photo = photo_process(upload)
    except Problem as exc:
        raise _invalid(exc.detail, str(exc.extra.get("reason", "photo"))) from None
    return CheckedFile(
        content=photo.content, content_type="image/jpeg", ext="jpg", width=photo.width, height=photo.height
    )
