"""Backends turn a feature plan and normalized tables into a per-customer table with segment flags."""
