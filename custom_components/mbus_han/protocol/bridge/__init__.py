"""A headless bridge: the meters of a remote site, published to an MQTT broker.

Runs without Home Assistant on a small computer next to the meters (``mbus-han bridge
CONFIG``): polls M-Bus buses and listens to HAN ports with the same protocol code as the
integration, and publishes Home Assistant MQTT discovery, states and the raw HAN frames.
"""
