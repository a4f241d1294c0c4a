"""NiFi Python processors of the audio pipeline: thin adapters over the plain `audio_pipeline` package.

NiFi discovers the processor classes in this package's modules. Each module puts the folder above
this package on sys.path, because NiFi loads these files by path and the plain modules live there.
"""
