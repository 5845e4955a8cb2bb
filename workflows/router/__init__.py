"""The Router building block: a goal in plain words becomes the flows that serve it."""
