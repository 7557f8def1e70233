"""Helpers shared by every other package: phone numbers and masking, the YAML loader, the calendar.

Lowest layer: it imports nothing of Terugbel's own (the import-linter contract in `.importlinter`).
"""
