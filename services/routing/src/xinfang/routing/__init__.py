"""xinfang routing: who handles each petition (谁主管、谁负责).

Owns the department directory, the routing rules and the assignments. Consumes
`xinfang.petition.received.v1`, decides the lead department by the most specific rule for the
petition's content category (or hands it to the petition bureau for triage when no rule fits),
stores the assignment and emits `xinfang.petition.routed.v1` on
`xinfang.petition.routed.<DEPARTMENT>`, so each department can consume only its own cases.
"""
