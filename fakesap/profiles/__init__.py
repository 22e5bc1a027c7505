"""Shipped fault profiles (TOML). Load them with ``fakesap.faults.load_profile(name)``."""
