"""xinfang notify: tells the petitioner (件件有落实、事事有回音).

Owns outbound messages: the notices, their recipients (sealed), every delivery attempt and its
result. Consumes `xinfang.petition.received.v1` (keeps each case's sealed contact details) and
`xinfang.petition.routed.v1` (one registration notice, 登记/转送告知, per recipient); a dispatcher
renders and sends due notices by e-mail with retries and back-off. Emits
`xinfang.notice.delivered.v1` and `xinfang.notice.failed.v1`, with the recipient masked.
"""
