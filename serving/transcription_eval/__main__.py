import sys

from serving.transcription_eval.cli import main

sys.exit(main())
