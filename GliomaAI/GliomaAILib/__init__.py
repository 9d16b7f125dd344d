"""Qt-free logic of the GliomaAI Slicer modules: cases, labels and results in the MRML scene.

Every function takes the scene (or nodes of it) as an argument and uses MRML/VTK, numpy and
slicer.util's array helpers only, so the same code runs inside desktop Slicer, under pytest
with slicer-core, and behind a trame-slicer web page. Importing this package installs nothing
and needs nothing beyond what Slicer ships (see dependencies.py for the rest).
"""
