"""Small M-Bus master: 42 V boost, 36/24 V transmitter, adaptive-threshold receiver."""
