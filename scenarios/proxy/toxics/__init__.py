"""Toxics: one module per toxic, all registered by name in ``registry.TOXICS``."""
