"""Messages to patients: the practice's texts (compose), the providers that send them, the outbox worker."""
