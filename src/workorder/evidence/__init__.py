"""What the action itself saw: the diff, its impact, the verify runs and their per-test results."""
