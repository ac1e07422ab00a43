"""The commands the action runs and the boundary they run behind: proc, gitops, isolation, pythonshim."""
