"""Stand-ins for the controller's I/O edges in fast tests: a scriptable ARI, a virtual-time loop."""
