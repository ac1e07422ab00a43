"""The work-order loop: phases, SE phase, PO review, verdict, state and labels, and the one publisher."""
