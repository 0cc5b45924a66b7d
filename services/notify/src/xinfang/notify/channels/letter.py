"""Printable letters: each notice becomes an A4 PDF in Chinese, stored for the mailing clerk.

reportlab's built-in CID font STSong-Light needs no font file, and pypdf reads its text back. The
file is named by the notice id, so writing it again after a crash replaces it: one letter.
"""

from __future__ import annotations

import asyncio
import os
from io import BytesIO
from pathlib import Path

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen.canvas import Canvas

from xinfang.notify.channels.base import DeliveryError, OutboundMessage

FONT = "STSong-Light"
SIZE = 12
LEADING = 20
MARGIN = 25 * mm


def _register_font() -> None:
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))


def wrap(line: str, *, width: float) -> list[str]:
    """Break a line to the page width, character by character (Chinese has no spaces)."""
    out, current = [], ""
    for char in line:
        if pdfmetrics.stringWidth(current + char, FONT, SIZE) > width:
            out.append(current)
            current = ""
        current += char
    return [*out, current]


def render_pdf(*, address: str, subject: str, body: str) -> bytes:
    """The letter: the address block, the title centred, then the body."""
    _register_font()
    buffer = BytesIO()
    canvas = Canvas(buffer, pagesize=A4)
    canvas.setTitle(subject)
    page_width, page_height = A4
    width = page_width - 2 * MARGIN
    y = page_height - MARGIN

    def write(text: str, *, centred: bool = False) -> None:
        nonlocal y
        for piece in wrap(text, width=width) if text else [""]:
            if y < MARGIN:
                canvas.showPage()
                y = page_height - MARGIN
            canvas.setFont(FONT, SIZE)
            if centred:
                canvas.drawCentredString(page_width / 2, y, piece)
            else:
                canvas.drawString(MARGIN, y, piece)
            y -= LEADING

    for line in address.splitlines():
        write(line)
    y -= LEADING
    write(subject, centred=True)
    y -= LEADING / 2
    for line in body.splitlines():
        write(line)
    canvas.save()
    return buffer.getvalue()


class LetterChannel:
    """Writes the PDF to `directory/<notice id>.pdf`; the print queue lists it for the clerk."""

    name = "letter"

    def __init__(self, *, directory: str | Path) -> None:
        self.directory = Path(directory)

    def path_of(self, notice_id: str) -> Path:
        return self.directory / f"{notice_id}.pdf"

    async def send(self, message: OutboundMessage) -> None:
        pdf = render_pdf(address=message.recipient, subject=message.subject, body=message.body)
        try:
            await asyncio.to_thread(self._store, message.notice_id, pdf)
        except OSError as exc:
            raise DeliveryError("letter_unstored", type(exc).__name__) from exc

    def _store(self, notice_id: str, pdf: bytes) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        target = self.path_of(notice_id)
        partial = target.with_suffix(".part")
        partial.write_bytes(pdf)
        os.replace(partial, target)  # a reader never sees half a letter
