"""Callback capacity planning ("Slimme Planner"): config, pure planner, and YAML loading."""
