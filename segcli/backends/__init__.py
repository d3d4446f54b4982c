"""Backends: a feature plan + normalized tables → a per-customer table with segment flags."""
