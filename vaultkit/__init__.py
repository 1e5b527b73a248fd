"""vaultkit: a working desk for a job search run through informational interviews."""

__version__ = "0.1.0"
