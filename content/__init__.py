"""The content library and the pure scam-check engine.

Imports nothing of ours, does no I/O beyond reading its own data files, and never
touches a database or the network: registry look-ups are passed in by the caller.
"""
