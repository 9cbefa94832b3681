"""Engine: SimPy processes at the grain of Redis's event loop driving the compiled request kernel."""
