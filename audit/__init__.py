"""`sft audit`: conformance, a fuzz campaign and a capture check, one verdict.

Each part runs as a subprocess of its own tool (pytest conformance, python -m fuzz,
the capture recorder and checker) and leaves a JSON report; this package only
orchestrates them and merges their results into `audit.json` and `index.html`.
"""

__all__ = ["__version__"]
__version__ = "0.1.0"
