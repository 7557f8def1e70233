"""Putting a person on the line: ringing headsets or outside numbers, and bridging whoever answers."""
