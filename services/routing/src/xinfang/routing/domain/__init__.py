"""Routing's pure rules, no I/O: the directory, the routing rules, conflict-of-interest shielding
and the working-day arithmetic of the workbench."""
