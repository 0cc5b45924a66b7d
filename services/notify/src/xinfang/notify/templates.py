"""The notices' wording, versioned: a notice keeps the id of the template it was created with, so a
retry next week reads exactly like the first try even if the wording has moved on."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Template:
    """A subject and a plain-text body, each a `str.format` pattern over the notice's fields."""

    subject: str
    body: str


@dataclass(frozen=True)
class Rendered:
    subject: str
    body: str


REGISTRATION_V1 = Template(
    subject="【{authority}】信访事项登记告知（{case_no}）",
    body="""\
{name}：

　　您于{received_date}提出的信访事项“{title}”，{authority}已予登记，信访件编号为{case_no}。\
依照《信访工作条例》第二十二条的规定，该事项已于{routed_date}{route_verb}{department_name}办理，\
{department_name}将依法告知您受理情况，请留意。

　　您可以凭信访件编号和查询码登录 {portal_url} 查询办理进展和结果：
　　信访件编号：{case_no}
　　查询码：{query_code}
　　查询码是您查询本事项的凭证，请妥善保管，不要告知他人。

　　本邮件由系统自动发送，请勿直接回复。

{authority}
{date}
""",
)

TEMPLATES: dict[str, Template] = {
    "registration.v1": REGISTRATION_V1,
}

# The template a new notice of each type is created with.
LATEST: dict[str, str] = {
    "registration": "registration.v1",
}


def render(template_id: str, fields: Mapping[str, str]) -> Rendered:
    """Fill a template; KeyError if the template or one of its fields is missing."""
    template = TEMPLATES[template_id]
    return Rendered(
        subject=template.subject.format_map(fields), body=template.body.format_map(fields)
    )
