"""xinfang supervision: the legal clocks of every case.

Owns deadlines; later also supervision orders (督办), escalations, alerts, KPIs and ledgers.
Consumes `xinfang.petition.received.v1`, which starts the routing clock (转送/交办, 15 days from
registration), and `xinfang.petition.routed.v1`, which starts the acceptance-notice clock (受理告知,
15 days from the department's receipt). Counts each deadline on the Chinese working-day calendar
and emits `xinfang.deadline.scheduled.v1` once per case and clock.
"""
