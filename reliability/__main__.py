"""`python -m reliability`: the campaign (reliability/campaign.py)."""

from reliability.campaign import main

raise SystemExit(main())
