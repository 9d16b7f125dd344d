"""GliomaAI core library: glioma MRI cases, label conventions, metrics and models.

Needs no Slicer and no Qt: the Slicer modules, the command line and the tests all import it.
"""

__version__ = "0.1.0"
