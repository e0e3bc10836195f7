"""Pure NumPy + stdlib engine: surfaces, optimizers, schedules, layers, training.

Nothing in this package may import FastAPI, Starlette or pydantic (a test enforces it).
"""
