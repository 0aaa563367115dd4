"""The ``tasman`` command: a thin layer over the library API, one module per command group."""
