"""Small M-Bus master: 44 V boost, 36/24 V transmitter, adaptive-threshold receiver."""
