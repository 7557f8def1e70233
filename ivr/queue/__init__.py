"""The live queue with kept places, the dispatcher for the assistants, and headset-first callbacks."""
