"""HTTP layer: pydantic schemas and thin routers over ``app.core`` and ``app.jobs``."""
