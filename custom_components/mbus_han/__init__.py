"""The M-Bus & HAN integration: wired M-Bus heat meters and HAN-port smart electricity meters.

The protocol code lives in the pure-Python subpackage :mod:`.protocol`, which never imports
Home Assistant; the Home Assistant glue around it only schedules I/O and translates results.
"""

DOMAIN = "mbus_han"
