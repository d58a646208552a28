"""Pieces of the fault-injection soak and load benchmark (``benchmarks/soak.py``).

Home Assistant runs as a real process (its own bootstrap, recorder on SQLite, log file) so a
restart is a real restart and its event loop is not shared with the simulators; the meters,
the fault schedule and the checks live in the driving process.
"""
