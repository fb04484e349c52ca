"""`python -m reference ...` is the same as the `sft` command."""

from reference.cli import main

raise SystemExit(main())
