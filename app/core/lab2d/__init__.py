"""The 2-D Optimizer Lab: test surfaces, the safe f(x, y) parser, vectorised runs and their cost."""
