from evictsim.cli import entry

entry()
