"""Pure-Python meter protocols: wired M-Bus (EN 13757-2/-3) and HAN-port DLMS/COSEM push.

Nothing in this package imports Home Assistant, so it runs, and is tested, on its own.
"""
