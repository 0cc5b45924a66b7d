"""xinfang intake: the front door.

Owns petitions and petitioners, personal data included (sealed at rest, rotatable keys, an HMAC
of the ID number for matching, every full-identity read audited). Registers petitions from every
channel — the API, clerks' registration (API and page), the petitioner portal at `/` and Open311
GeoReport v2 at `/open311/v2/` — with one validation and one detection (repeat, collective,
leapfrog, refusals). Emits `petition.received`, `petition.refused`, `petition.evaluated` and
`petition.review_requested`; keeps each case's public view from routing's, supervision's and
notify's events (`petition.routed/triaged`, `assignment.*`, `case.*`, `review.opened`,
`deadline.scheduled`, `notice.delivered/failed`).
"""
