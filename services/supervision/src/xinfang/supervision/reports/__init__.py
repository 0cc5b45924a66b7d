"""Ledgers (台账), the order register and the bulletin (通报): rows, files and charts."""
