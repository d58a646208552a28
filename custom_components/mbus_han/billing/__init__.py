"""The numbers a bill is made of, computed from meter readings (pure Python, no Home Assistant)."""
