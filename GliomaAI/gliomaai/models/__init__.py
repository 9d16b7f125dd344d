"""Networks, model cards (what a model is, what trained it, what it scored) and the built-in models."""
