"""Rider gate access ("碰一碰" 一触即入): gates, rider credentials, access policies, tap decisions and their audit.

The wire side (gate protocol, MQTT and HTTP drivers, the simulator) lives in the `gatewire` sub-package.
"""
