"""Validation of the simulator against a live redis-server: replay the same trace to both, compare.

``resp`` speaks the protocol, ``server`` starts and stops a private redis-server, ``replay`` drives it
in real time and records outcomes and INFO, ``compare`` runs the simulator on the same requests and
puts the two side by side. The CLI front end is ``evictsim validate``.
"""
