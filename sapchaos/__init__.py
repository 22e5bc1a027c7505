"""sapchaos: shared helpers (catalog, logging, ports, CLI) for the bridge, emulators and scenarios."""

__version__ = "0.1.0"
