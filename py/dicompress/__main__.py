"""``python -m dicompress``: the command line."""

import sys

from dicompress.cli import main

sys.exit(main())
