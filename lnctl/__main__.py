"""``python -m lnctl``."""

from lnctl.cli.entry import main

raise SystemExit(main())
