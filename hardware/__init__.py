"""Open hardware for M-Bus & HAN: designs described in Python, checked by the test suite.

Each design (`han_reader`, `mbus_master`, `rs232_shifter`) builds a `hardware.eda.Circuit`;
`python -m hardware.build` writes its KiCad netlist, BOM and pictures from that one source.
"""
