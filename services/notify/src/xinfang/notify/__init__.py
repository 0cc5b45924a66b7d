"""xinfang notify: tells everyone who must be told (件件有落实、事事有回音).

Owns outbound notices: their versioned templates (formal Chinese, English variants), their
recipients (petitioners' contacts only sealed; departments and leaders from notify's own
directory, `reference/recipients.json` or RECIPIENTS_FILE), every delivery attempt and its result.

Consumes `petition.received` (keeps each case's sealed contacts and whether its accuser is
confidential), `petition.routed` (登记/转送告知 to the petitioners, new-assignment notice
to the departments), `petition.refused` (不予受理 / 不再受理 / 引导告知书),
`assignment.accepted` (受理告知书), `assignment.extension_decided` (延长办理期限告知书),
`case.answered` (信访处理意见书, 复查 / 复核意见书 and an invitation to rate),
`supervision.order_issued` and `supervision.escalated` (to departments, and leaders on
escalation), `alert.raised` (early warnings to leaders).

Delivers by e-mail, SMS (signed HTTP gateway), signed webhooks, PDF letters for the mailing clerk
and in-portal notices; once per (case, notice type, recipient, step), with retries and back-off,
a circuit breaker per channel, SMS quiet hours, fallback SMS → e-mail → letter, and dead letters
an operator can re-send. Emits `notice.delivered.v1` and `notice.failed.v1`, recipients masked.
"""
