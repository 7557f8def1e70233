"""The callback offer in the call: a concrete time, the caller's number, the booking."""
