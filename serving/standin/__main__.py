"""python -m serving.standin: the same flags as tensorflow_model_server."""

import sys

from serving.standin.server import main

sys.exit(main())
