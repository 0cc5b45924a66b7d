"""xinfang routing: who handles each petition (谁主管、谁负责；属地管理、分级负责).

Owns the department directory (versioned, audited), the routing rules, the assignments, the
triage queue and the department workbench. Consumes `xinfang.petition.received.v1`; emits
`petition.routed` / `petition.triaged`, and the workbench's `assignment.*` and `case.answered`
events, each department's on subjects ending in its code (`xinfang.petition.routed.C_URBAN`),
and by signed webhook to departments without NATS. An accusation never reaches the accused unit
nor a unit it leads (`domain.shielding`).
"""
