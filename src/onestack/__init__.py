"""onestack: an OpenStack-compatible private cloud in one Python package."""

__version__ = "0.1.0"
