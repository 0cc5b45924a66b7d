"""Intake's HTTP routes."""
