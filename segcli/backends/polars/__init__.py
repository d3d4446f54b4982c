"""The Polars engine (the default): see engine.py. Nothing outside this package imports it;
`segcli.backends.load_engine("polars")` finds `ENGINE` here."""

from segcli.backends.polars.engine import ENGINE

__all__ = ["ENGINE"]
