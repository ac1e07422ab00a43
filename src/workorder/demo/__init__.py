"""The offline demo and its scripted agents.

Docstring only: the scripted agents run as ``python -m workorder.demo.agent`` (and ``.milestone_agent``)
and must import nothing heavy. The entry point is :func:`workorder.demo.run.run_demo`.
"""
