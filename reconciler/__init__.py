"""Declarative GitOps reconciler for Genesys Cloud web messaging channels."""

__version__ = "0.1.0"
