"""The notices' wording, versioned: a notice keeps the id of the template it was created with, so a
retry next week reads exactly like the first try even if the wording has moved on.

Each template has a formal Chinese variant (the default) and an English one; each variant a
subject, a plain-text body (e-mail, letter, portal, webhook) and a short SMS text. Every body
ends with the delivery method (送达方式), the issuing authority and the date.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from xinfang.notify.templates import petitioner, staff
from xinfang.notify.templates.base import Template, Variant
from xinfang.notify.templates.fields import localise

__all__ = ["LATEST", "TEMPLATES", "Rendered", "Template", "Variant", "render"]


@dataclass(frozen=True)
class Rendered:
    subject: str
    body: str
    sms: str


TEMPLATES: dict[str, Template] = {**petitioner.TEMPLATES, **staff.TEMPLATES}

# The template a new notice of each type is created with.
LATEST: dict[str, str] = {template_id.rsplit(".", 1)[0]: template_id for template_id in TEMPLATES}


def render(template_id: str, fields: Mapping[str, str], *, locale: str = "zh") -> Rendered:
    """Fill a template in a language (zh unless en); KeyError if a field is missing."""
    template = TEMPLATES[template_id]
    variant = template.en if locale == "en" else template.zh
    values = localise(fields, locale="en" if locale == "en" else "zh")
    return Rendered(
        subject=variant.subject.format_map(values),
        body=variant.body.format_map(values),
        sms=variant.sms.format_map(values),
    )
