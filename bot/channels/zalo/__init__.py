"""Zalo: the Official Account (OA API v3, channel `zalo`) and the Zalo Bot API (channel `zalo_bot`).

See docs/zalo.md for the setup and shared/reference/zalo.md for the wire formats.
"""
