"""AI provider secrets and environment variables, encrypted at rest.

Only the API, the pages, the admin and the settings use this app; nothing below them imports it.
"""
