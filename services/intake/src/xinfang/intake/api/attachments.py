"""Attachment upload: type and size checked, stored by content hash."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, UploadFile

from xinfang.common.errors import ApiError
from xinfang.common.web import ERROR_RESPONSES
from xinfang.intake.api.deps import IntakeDep
from xinfang.intake.attachments import sniff
from xinfang.intake.bootstrap import Intake
from xinfang.intake.models import Attachment, AttachmentStored

router = APIRouter(prefix="/api/v1", responses=ERROR_RESPONSES)


async def store_attachment(
    intake: Intake, *, data: bytes, declared: str | None
) -> AttachmentStored:
    """Check and store one file; 413 too large, 415 a type not allowed, 422 empty."""
    limit = intake.settings.max_attachment_bytes
    if len(data) > limit:
        raise ApiError(
            413,
            "payload_too_large",
            f"附件不得超过 {limit} 字节",
            f"attachment exceeds {limit} bytes",
            field="file",
        )
    if not data:
        raise ApiError(422, "empty_file", "附件为空", "the file is empty", field="file")
    kind = sniff(data)
    allowed = intake.settings.attachment_types
    declared_base = (declared or "").split(";")[0].strip()
    if kind not in allowed or (
        declared_base and declared_base not in (kind, "application/octet-stream")
    ):
        raise ApiError(
            415,
            "unsupported_media_type",
            f"仅接受以下类型的附件：{'、'.join(allowed)}",
            f"attachments must be one of {', '.join(allowed)}",
            field="file",
        )
    sha = intake.attachments.save(data)
    async with intake.db.transaction() as session:
        if await session.get(Attachment, sha) is None:
            session.add(
                Attachment(
                    sha256=sha, content_type=kind, size=len(data), created_at=intake.clock.now()
                )
            )
    return AttachmentStored(sha256=sha, content_type=kind, size=len(data))


@router.post(
    "/attachments", status_code=201, tags=["petitions"], summary="Upload an attachment (附件)"
)
async def upload(
    intake: IntakeDep, file: Annotated[UploadFile, File(description="PDF, JPEG, PNG or text")]
) -> AttachmentStored:
    """Stores a file by its SHA-256 and returns the hash to cite in a petition's `attachments`.

    The type is read from the file's own bytes; 413 beyond the size limit, 415 for other types.
    """
    data = await file.read(intake.settings.max_attachment_bytes + 1)
    return await store_attachment(intake, data=data, declared=file.content_type)
