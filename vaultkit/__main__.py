"""`python -m vaultkit`."""

from .cli import main

main()
