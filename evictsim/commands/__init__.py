"""CLI sub-commands, one module each (see :mod:`evictsim.cli`)."""
