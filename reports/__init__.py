"""Reports on how the practice's phone performs, computed from the call trace."""
