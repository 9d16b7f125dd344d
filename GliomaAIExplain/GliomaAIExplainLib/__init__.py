"""Qt-free logic of the GliomaAIExplain module: saliency maps shown over the case in the slice views.

For now: a project-defined heat colour table and show_overlay(), which sets the map's display
(colours, window, threshold) and puts it over a background volume in the slice views. Functions
take the scene (or nodes, or slice logics) as arguments, so they run in desktop Slicer, under
pytest with slicer-core and behind a trame-slicer page alike.
"""
