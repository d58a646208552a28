"""``scripts/demo``: simulated meters, a real Home Assistant, the integration set up by its flow.

The pieces are small so the browser test can reuse them: :mod:`.processes` starts and stops
child processes, :mod:`.simulators` the meter simulators, :mod:`.home_assistant` the server and
its config dir, :mod:`.client` talks REST and websocket to it, :mod:`.flows` drives config flows
step by step, :mod:`.dashboard` installs the dashboard and energy preferences, and :mod:`.run`
ties them together.
"""
