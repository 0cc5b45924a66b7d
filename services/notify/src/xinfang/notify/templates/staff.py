"""Notices to departments and leaders. They never carry a petitioner's contact details; about a
confidential accusation they never name the accuser (`petitioners` reads 依法保密)."""

from __future__ import annotations

from xinfang.notify.templates.base import Template, letter

NEW_ASSIGNMENT = Template(
    zh=letter(
        subject="【{authority}】信访事项{route_verb}通知（{case_no}）",
        body="""\
{department_name}：

　　现将信访事项“{title}”（信访件编号{case_no}，信访人：{petitioners}）于{routed_date}\
{route_verb}你单位办理。{route_verb}理由：{reason}。请依照《信访工作条例》的规定\
在十五日内告知信访人是否受理，并按期办结。{report_due}
""",
        sms="【{authority}】{department_name}：信访事项{case_no}已{route_verb}你单位，请及时受理。",
    ),
    en=letter(
        locale="en",
        subject="[{authority}] New case {case_no} {route_verb} you",
        body="""\
To {department_name}:

Case {case_no} "{title}" (petitioners: {petitioners}) was {route_verb} you on {routed_date}: \
{reason}. Tell the petitioner within 15 days whether you accept it. {report_due}
""",
        sms="[{authority}] {department_name}: case {case_no} {route_verb} you.",
    ),
)

SUPERVISION_ORDER = Template(
    zh=letter(
        subject="【{authority}】督办单（{order_id}，{case_no}）",
        body="""\
{department_name}：

　　你单位办理的信访事项“{title}”（信访件编号{case_no}），因{reason}，现予督办\
（督办单号{order_id}）。请于{feedback_due_date}前书面反馈办理情况。
""",
        sms="【{authority}】{department_name}：信访事项{case_no}已督办，请于{feedback_due_date}前反馈。",
    ),
    en=letter(
        locale="en",
        subject="[{authority}] Supervision order {order_id}, case {case_no}",
        body="""\
To {department_name}:

Case {case_no} "{title}" is under supervision order {order_id} because: {reason}. Report in \
writing by {feedback_due_date}.
""",
        sms="[{authority}] {department_name}: order {order_id} on {case_no}, "
        "report by {feedback_due_date}.",
    ),
)

ESCALATION = Template(
    zh=letter(
        subject="【{authority}】督办升级通知（{order_id}，{case_no}）",
        body="""\
{department_name}：

　　督办单{order_id}（信访件编号{case_no}，“{title}”）逾期未反馈，现升级为{step_text}。\
请立即办理并反馈。
""",
        sms="【{authority}】{department_name}：督办单{order_id}逾期未反馈，已升级为{step_text}。",
    ),
    en=letter(
        locale="en",
        subject="[{authority}] Supervision order {order_id} escalated, case {case_no}",
        body="""\
To {department_name}:

Supervision order {order_id} on case {case_no} "{title}" went unanswered and is escalated to \
{step_text}. Act and report at once.
""",
        sms="[{authority}] {department_name}: order {order_id} escalated to {step_text}.",
    ),
)

ALERT = Template(
    zh=letter(
        subject="【{authority}】信访预警：{kind_text}",
        body="""\
{name}：

　　{raised_date}系统发出{kind_text}预警（编号{alert_id}）：{summary}\
{about_case}

　　请及时研判处置。
""",
        sms="【{authority}】{kind_text}预警：{summary}",
    ),
    en=letter(
        locale="en",
        subject="[{authority}] Early warning: {kind_text}",
        body="""\
Dear {name},

On {raised_date} the system raised a {kind_text} warning ({alert_id}): {summary}{about_case}
""",
        sms="[{authority}] {kind_text} warning: {summary}",
    ),
)

DEADLINE_WARNING = Template(
    zh=letter(
        subject="【{authority}】信访事项期限预警（{case_no}）",
        body="""\
{department_name}：

　　你单位办理的信访事项“{title}”（信访件编号{case_no}）{deadline_text}期限将于{due_date}届满\
（{level_text}）。请抓紧办理，按期办结。
""",
        sms="【{authority}】{department_name}：信访事项{case_no}{deadline_text}期限{due_date}届满，请抓紧办理。",
    ),
    en=letter(
        locale="en",
        subject="[{authority}] Deadline warning, case {case_no}",
        body="""\
To {department_name}:

The {deadline_text} deadline of case {case_no} "{title}" ends on {due_date} ({level_text}). \
Finish the step in time.
""",
        sms="[{authority}] {department_name}: {deadline_text} of {case_no} due {due_date}.",
    ),
)

DEADLINE_MISSED = Template(
    zh=letter(
        subject="【{authority}】信访事项超期提醒（{case_no}）",
        body="""\
{department_name}：

　　你单位办理的信访事项“{title}”（信访件编号{case_no}）{deadline_text}期限已于{due_date}届满，\
至今未办结，已列入超期件。请立即办理并说明原因。
""",
        sms="【{authority}】{department_name}：信访事项{case_no}{deadline_text}已超期，请立即办理。",
    ),
    en=letter(
        locale="en",
        subject="[{authority}] Deadline missed, case {case_no}",
        body="""\
To {department_name}:

The {deadline_text} deadline of case {case_no} "{title}" ended on {due_date} with the step not \
done; the case is now overdue. Act at once and explain the delay.
""",
        sms="[{authority}] {department_name}: {deadline_text} of {case_no} is overdue.",
    ),
)

TEMPLATES: dict[str, Template] = {
    "new_assignment.v1": NEW_ASSIGNMENT,
    "supervision_order.v1": SUPERVISION_ORDER,
    "deadline_warning.v1": DEADLINE_WARNING,
    "deadline_missed.v1": DEADLINE_MISSED,
    "escalation.v1": ESCALATION,
    "alert.v1": ALERT,
}
