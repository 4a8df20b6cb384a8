"""Sparkle Motion: turn a story prompt into a short movie with spoken dialogue."""

__version__ = "0.1.0"
