"""Optimizer Playground: see how optimizers and training techniques behave."""
