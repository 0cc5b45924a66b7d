"""Supervision's HTTP routes."""
