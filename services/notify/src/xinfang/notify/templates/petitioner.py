"""Notices to petitioners (告知书 / 意见书), regulations §11.1, in Chinese and English."""

from __future__ import annotations

from xinfang.notify.templates.base import Template, letter

QUERY_ZH = """
　　您可以凭信访件编号和查询码登录 {portal_url} 查询办理进展和结果：
　　信访件编号：{case_no}
　　查询码：{query_code}
　　查询码是您查询本事项的凭证，请妥善保管，不要告知他人。
"""
QUERY_EN = """
You can follow the case at {portal_url} with its number and query code:
  Case number: {case_no}
  Query code: {query_code}
Keep the query code to yourself: it is your key to the case.
"""

REGISTRATION = Template(
    zh=letter(
        subject="【{authority}】信访事项登记告知（{case_no}）",
        body="""\
{name}：

　　您于{received_date}提出的信访事项“{title}”，{authority}已予登记，信访件编号为{case_no}。\
依照《信访工作条例》第二十二条的规定，该事项已于{routed_date}{route_verb}{department_name}办理，\
{department_name}将依法告知您受理情况，请留意。
"""
        + QUERY_ZH
        + """
　　本通知由系统自动发送，请勿直接回复。
""",
        sms="【{authority}】{name}：您的信访事项（{case_no}）已登记并{route_verb}{department_name}办理。"
        "查询码{query_code}，可登录{portal_url}查询。",
    ),
    en=letter(
        locale="en",
        subject="[{authority}] Your petition {case_no} has been registered",
        body="""\
Dear {name},

Your petition "{title}" of {received_date} has been registered by {authority} as case \
{case_no}. Under Article 22 of the Regulations on Petition Work it was {route_verb} \
{department_name} on {routed_date}, which will tell you whether it accepts the matter.
"""
        + QUERY_EN,
        sms="[{authority}] {name}: case {case_no} registered and {route_verb} {department_name}. "
        "Query code {query_code}, see {portal_url}.",
    ),
)

ACCEPTANCE = Template(
    zh=letter(
        subject="【{authority}】信访事项受理告知书（{case_no}）",
        body="""\
{name}：

　　您于{received_date}提出的信访事项“{title}”（信访件编号{case_no}），\
经审查，{department_name}已于{accepted_date}依法受理。\
依照《信访工作条例》第三十二条的规定，该事项将自受理之日起六十日内办结；\
情况复杂的，经批准可以适当延长办理期限，并将告知您延期理由。
"""
        + QUERY_ZH
        + """
　　特此告知。
""",
        sms="【{authority}】{name}：您的信访事项（{case_no}）已由{department_name}于{accepted_date}受理，"
        "将在六十日内办结。",
    ),
    en=letter(
        locale="en",
        subject="[{authority}] Notice of acceptance, case {case_no}",
        body="""\
Dear {name},

Your petition "{title}" (case {case_no}) of {received_date} was accepted by \
{department_name} on {accepted_date}. Under Article 32 of the Regulations on Petition Work it \
will be concluded within 60 days of acceptance; if the time is extended you will be told why.
"""
        + QUERY_EN,
        sms="[{authority}] {name}: case {case_no} accepted by {department_name} "
        "on {accepted_date}.",
    ),
)


def _refusal(title_zh: str, title_en: str, lead_zh: str, lead_en: str) -> Template:
    return Template(
        zh=letter(
            subject="【{authority}】" + title_zh + "（{case_no}）",
            body="{name}：\n\n　　您于{received_date}提出的信访事项“{title}”"
            + "（信访件编号{case_no}），"
            + lead_zh
            + "\n\n　　理由：{reason}\n　　依据：{basis}\n"
            + "\n　　特此告知。\n",
            sms="【{authority}】{name}：您的信访事项（{case_no}）" + lead_zh + "理由：{reason}",
        ),
        en=letter(
            locale="en",
            subject="[{authority}] " + title_en + ", case {case_no}",
            body='Dear {name},\n\nYour petition "{title}" (case {case_no}) of {received_date} '
            + lead_en
            + "\n\nReason: {reason}\nBasis: {basis}\n",
            sms="[{authority}] {name}: case {case_no} " + lead_en + " Reason: {reason}",
        ),
    )


NOT_ACCEPTED = _refusal(
    "不予受理告知书",
    "Notice of non-acceptance",
    "经审查，于{refused_date}决定不予受理。",
    "was not accepted on {refused_date}.",
)
NOT_REACCEPTED = _refusal(
    "不再受理告知书",
    "Notice that the matter will not be handled again",
    "与已经办理终结的信访事项（{related_case}）属同一事实和理由，于{refused_date}决定不再受理。",
    "raises the same facts and reasons as the concluded case {related_case}; on {refused_date} "
    "it was decided not to handle it again.",
)
REDIRECTED = _refusal(
    "信访事项处理途径告知书",
    "Notice of the proper route for your matter",
    "应当通过其他法定途径解决，于{refused_date}告知您依法向有关机关提出。",
    "belongs to another lawful route; on {refused_date} you were referred to it.",
)

EXTENSION = Template(
    zh=letter(
        subject="【{authority}】延长办理期限告知书（{case_no}）",
        body="""\
{name}：

　　您提出的信访事项“{title}”（信访件编号{case_no}），因{reason}，\
依照《信访工作条例》第三十二条的规定，经批准，{department_name}的办理期限自原期限届满之日起\
延长{days}日（批准日期：{decided_date}）。

　　特此告知。
""",
        sms="【{authority}】{name}：您的信访事项（{case_no}）办理期限延长{days}日，理由：{reason}",
    ),
    en=letter(
        locale="en",
        subject="[{authority}] Notice of extension, case {case_no}",
        body="""\
Dear {name},

The time for handling your petition "{title}" (case {case_no}) by {department_name} has been \
extended by {days} days, approved on {decided_date}, because: {reason}.
""",
        sms="[{authority}] {name}: case {case_no} extended by {days} days: {reason}",
    ),
)


def _decision(kind_zh: str, kind_en: str, remedy_zh: str, remedy_en: str) -> Template:
    return Template(
        zh=letter(
            subject="【{authority}】" + kind_zh + "（{case_no}）",
            body="""\
{name}：

　　您提出的信访事项“{title}”（信访件编号{case_no}），{department_name}已依法办理，\
于{answered_date}作出如下意见：

　　处理结果：{outcome_text}
　　事实和理由：{summary}
　　依据：{legal_basis}

"""
            + remedy_zh
            + "\n",
            sms="【{authority}】{name}：您的信访事项（{case_no}）已出具"
            + kind_zh
            + "，结果：{outcome_text}。"
            "详见{portal_url}。",
        ),
        en=letter(
            locale="en",
            subject="[{authority}] " + kind_en + ", case {case_no}",
            body="""\
Dear {name},

{department_name} decided on your petition "{title}" (case {case_no}) on {answered_date}:

Outcome: {outcome_text}
Facts and reasons: {summary}
Basis: {legal_basis}

"""
            + remedy_en
            + "\n",
            sms="[{authority}] {name}: decision on case {case_no}: {outcome_text}. "
            "See {portal_url}.",
        ),
    )


DECISION = _decision(
    "信访处理意见书",
    "Decision on your petition",
    "　　如对本处理意见不服，可以自收到本意见书之日起三十日内（即{review_due_date}前），"
    "携带本意见书及相关材料，书面请求{review_body}复查。",
    "If you disagree, you may ask {review_body} in writing for a review within 30 days of "
    "receiving this decision (by {review_due_date}), enclosing this decision and your evidence.",
)
REVIEW_DECISION = _decision(
    "信访事项复查意见书",
    "Review decision",
    "　　如对本复查意见不服，可以自收到本意见书之日起三十日内（即{review_due_date}前），"
    "携带本意见书及相关材料，书面请求{review_body}复核。",
    "If you disagree, you may ask {review_body} in writing for a re-review within 30 days of "
    "receiving this decision (by {review_due_date}).",
)
RE_REVIEW_DECISION = _decision(
    "信访事项复核意见书",
    "Re-review decision",
    "　　本复核意见为终结意见。依照《信访工作条例》第三十五条的规定，"
    "信访人对复核意见不服，仍以同一事实和理由提出投诉请求的，不再受理。",
    "This re-review decision is final: a complaint on the same facts and reasons will not be "
    "handled again (Article 35 of the Regulations on Petition Work).",
)

RATING_INVITATION = Template(
    zh=letter(
        subject="【{authority}】信访事项办理满意度评价邀请（{case_no}）",
        body="""\
{name}：

　　您提出的信访事项“{title}”（信访件编号{case_no}），{department_name}已于{answered_date}\
作出答复。诚邀您对办理情况作出评价（满意、基本满意、不满意），您的评价将作为考核的依据。
"""
        + QUERY_ZH,
        sms="【{authority}】{name}：您的信访事项（{case_no}）已答复，请凭查询码{query_code}"
        "登录{portal_url}评价办理情况。",
    ),
    en=letter(
        locale="en",
        subject="[{authority}] Please rate the handling of case {case_no}",
        body="""\
Dear {name},

{department_name} answered your petition "{title}" (case {case_no}) on {answered_date}. Please \
tell us how it was handled: satisfied, basically satisfied or dissatisfied.
"""
        + QUERY_EN,
        sms="[{authority}] {name}: please rate case {case_no} at {portal_url}, "
        "query code {query_code}.",
    ),
)

TEMPLATES: dict[str, Template] = {
    "registration.v1": REGISTRATION,
    "acceptance.v1": ACCEPTANCE,
    "not_accepted.v1": NOT_ACCEPTED,
    "not_reaccepted.v1": NOT_REACCEPTED,
    "redirected.v1": REDIRECTED,
    "extension.v1": EXTENSION,
    "decision.v1": DECISION,
    "review_decision.v1": REVIEW_DECISION,
    "re_review_decision.v1": RE_REVIEW_DECISION,
    "rating_invitation.v1": RATING_INVITATION,
}
