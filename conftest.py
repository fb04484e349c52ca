"""Root of every pytest run in this repository: the kit's target options, once.

`pytest_plugins` is only honoured in the rootdir's conftest, which is why this file
exists; the suites' own conftests add their hooks and fixtures.
"""

pytest_plugins = ("sftkit.pytest_plugin",)
