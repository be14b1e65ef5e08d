"""Optimizer Gallery: scenario files in, animated optimizer trajectories out."""

__version__ = "0.1.0"
