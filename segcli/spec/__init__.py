"""The segment language: YAML with positions → checked model (frozen dataclasses)."""
