"""Routing's HTTP routes."""
