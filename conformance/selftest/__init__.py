"""The suite tested against mutants of the reference (see mutants.py and test_mutants.py)."""

__all__: list[str] = []
