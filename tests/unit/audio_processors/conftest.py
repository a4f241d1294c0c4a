"""The processors import `nifiapi`: NiFi's Python API from our assembly, with a mocked JVM."""

from support import nifi_python

nifi_python.use_mocked_jvm()
