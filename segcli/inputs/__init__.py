"""Reading exports into the normalized frames the backends work on (see docs/inputs.md)."""
