"""Pieces several ``/v1`` modules are built from."""
