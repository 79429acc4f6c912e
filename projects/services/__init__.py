"""Writes to projects and what they contain. Each module owns one kind of object; every service checks
access through the engine, writes atomically and records its audit event in the same transaction."""

from projects.services.objects import OBJECT_MODELS, object_create, object_delete, project_create, project_delete, project_update

__all__ = ["OBJECT_MODELS", "object_create", "object_delete", "project_create", "project_delete", "project_update"]
