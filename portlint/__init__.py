"""portlint: find risky network port exposure in infrastructure configuration."""

__version__ = "0.3.0"
