"""MAX3232 RS-232 <-> 3.3 V UART shifter for commercial RS-232 M-Bus level converters."""
