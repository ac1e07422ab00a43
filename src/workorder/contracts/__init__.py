"""The shapes exchanged with the outside: the DoD packet and verdict (packet), the work order, the repo config,
event payloads, JSON schemas, milestones, the default branch, and the Forge protocol with its records."""
