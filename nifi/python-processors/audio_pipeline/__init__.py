"""Plain, NiFi-free audio analysis modules used by the NiFi Python processors.

The numerical work here is single-threaded by design: NiFi runs one Python process per processor
(and worker pools beside them) on few cores. numpy's bundled OpenBLAS would otherwise start a thread
per core for every matrix product, and under that contention its spinning threads made the decoder's
dot products about a hundred times slower (measured: 17 s instead of 0.02 s per minute of stereo on
a loaded 2-core machine). It reads the setting when numpy is first imported, which this package does
before any of its modules import numpy; a value set by the user wins.
"""

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
