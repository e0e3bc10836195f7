"""Optimizer Playground: see how optimizers and training techniques behave.

``__version__`` is the one place the version is written: ``pyproject.toml`` reads it for the
package metadata (``[tool.setuptools.dynamic]``), and the app and the console script report it.
"""

__version__ = "0.1.0"
