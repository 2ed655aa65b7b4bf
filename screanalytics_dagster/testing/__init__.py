"""Helpers for tests and benchmarks only: real services on loopback and the stack started for a block; production code never imports this."""
