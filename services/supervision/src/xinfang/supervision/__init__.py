"""xinfang supervision: the legal clocks of every case, and everything that watches them.

Owns deadlines, the case state machine (the 15 statuses of practice), supervision orders (督办),
escalations, early warnings, the review chain, KPIs, ledgers (台账), bulletins (通报) and the
dashboard. Consumes intake's and routing's events (`petition.*`, `assignment.*`, `case.answered`);
emits `deadline.scheduled|warned|missed`, `case.status_changed`, `supervision.order_issued`,
`supervision.escalated`, `review.opened`, `case.finalised` and `alert.raised`. Timers live in the
database and are fired by the `Scheduler` worker on the injectable clock. See README.md.
"""
