"""The task files: one module per task (or family of tasks), each declaring TASK or TASKS.

The registry (stilts_nb/tasks/__init__.py) imports every module here; adding a file is adding a
task. `rte.py` is the shortest complete example.
"""
