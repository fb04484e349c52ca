"""`python -m sftkit ...` is the same as the `sft` command."""

from sftkit.cli import main

raise SystemExit(main())
