"""A template: one variant per language, each a `str.format` pattern over the notice's fields."""

from __future__ import annotations

from dataclasses import dataclass

FOOTER_ZH = """
　　送达方式：{delivery_method}

{authority}
{date}
"""

FOOTER_EN = """
Delivered by: {delivery_method}

{authority}
{date}
"""


@dataclass(frozen=True)
class Variant:
    """Subject, body and SMS text in one language."""

    subject: str
    body: str
    sms: str


@dataclass(frozen=True)
class Template:
    zh: Variant
    en: Variant


def letter(*, subject: str, body: str, sms: str, locale: str = "zh") -> Variant:
    """A variant whose body ends with the delivery method, the authority and the date."""
    footer = FOOTER_EN if locale == "en" else FOOTER_ZH
    return Variant(subject=subject, body=body.rstrip("\n") + "\n" + footer, sms=sms)
