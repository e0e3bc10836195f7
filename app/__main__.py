"""``python -m app [--host H] [--port P]``: the same as the ``optimizer-playground`` console script."""

from app.cli import main

main()
