"""NiFi Python processors of the audio pipeline: thin adapters over the plain `audio_pipeline` package.

NiFi discovers the processor classes in this package's modules and loads each file by path; the
sibling module `pipeline_path` puts the folder above this package on sys.path before any
processor module runs (see its docstring), so the processors import `audio_pipeline` directly.
"""
