"""GliomaAI in a web browser: Slicer's views and Segment Editor on trame-slicer, driving the same
Qt-free logic (GliomaAILib, GliomaAISegmentLib, GliomaAIExplainLib) as the desktop modules.

- case_folder: the cases a server may read, and nothing outside their folder;
- editor_fix: the carried fix of trame-slicer 2.0.0's first brush stroke;
- panel: the GliomaAI panel's state and callbacks (load, segment, save correction, impute, saliency);
- ui: the page; app: the pieces put together and served (`gliomaai web`).
"""
