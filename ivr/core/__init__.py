"""The call core: one task per call, the router that hands each event to its call, reconcile and lease."""
