"""The `stilts-nb` sub-commands, one module per pipeline stage (cli.py puts them together).

They live here, not in each stage's folder, because importing any module of a folder first
runs the folder's __init__, which imports that stage's face: torch for training and synthesis,
pandas for sweeps. `stilts-nb --help` imports only these modules; a command imports its stage
when it runs.
"""
