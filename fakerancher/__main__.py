import sys

from fakerancher.cli import main

sys.exit(main())
