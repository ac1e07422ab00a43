"""Running an agent CLI under the contract: the SE runner (runner) and the LLM PO reviewer (reviewer)."""
