"""Server-rendered pages: the department workbench and the clerks' triage queue."""
