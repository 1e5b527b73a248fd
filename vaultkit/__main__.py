"""`python -m vaultkit`."""

from .cli import entry

entry()
