"""moesaic: a frugal multimodal sparse Mixture-of-Experts for industrial maintenance data."""

__version__ = "0.1.0"
