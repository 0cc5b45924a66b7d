"""xinfang intake: the front door.

Owns petitions and petitioners, personal data included (encrypted at rest). Registers petitions
over HTTP and emits `xinfang.petition.received.v1`; keeps each case's public status and timeline
from `petition.routed`, `deadline.scheduled` and `notice.delivered/failed` so a petitioner can
track the case with its query code.
"""
