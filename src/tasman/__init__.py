"""Tasman: from seized evidence to the right country.

The library API lives in the stage packages (``tasman.evidence``, ``tasman.triage`` ...);
``tasman.cli`` and ``tasman.serve`` are thin layers over it.
"""

__version__ = "0.1.0"
