"""Writes of AI secrets and environment variables: checked by the engine, atomic, audited once, and never
with the value in an audit event, a message or a log line."""
