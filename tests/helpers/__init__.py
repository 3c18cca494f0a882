"""Helpers for tests that drive kb in subprocesses: synthetic collections and process drivers."""
