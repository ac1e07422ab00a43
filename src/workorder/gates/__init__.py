"""The PO review's gates: findings from the evidence the action gathered (core, baseline, criteria, risk, integrity)."""
