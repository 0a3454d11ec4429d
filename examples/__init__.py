"""Runnable examples; each runs offline on the recorded example session when no key is set."""
