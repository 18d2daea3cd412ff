"""``python -m dicompress``: the command line."""

import sys

from dicompress.cli.main import main

if __name__ == "__main__":  # not when a worker process (spawn) imports this module as its main
    sys.exit(main())
