"""`python -m huoba ...` is the `huoba` command."""
import sys

from .cli import main

sys.exit(main())
