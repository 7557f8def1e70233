"""What the controller is doing right now, for the assistants' screen: a snapshot and change notices."""
