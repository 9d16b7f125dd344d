"""The fix GliomaAI carries for trame-slicer 2.0.0's first brush stroke.

trame-slicer builds an effect's view pipelines when the effect's parameter node enters the
scene. At start-up that happens while the views are still being made: the view node exists,
but the view manager does not know its view yet, so the pipeline is given no view
(`SetView(None)`). Activating the brush then makes no paint widget, and the first stroke raises
`AttributeError: 'NoneType' object has no attribute 'paint_interaction_stopped'`: nothing is
painted. Here the view is looked up again when an effect is activated, by then it exists.
"""


def attach_missing_views(editor, effect) -> int:
    """Give each of `effect`'s pipelines that has no view the view of its view node; how many were fixed."""
    fixed = 0
    for weak_pipeline in getattr(effect, "pipelines", ()):
        pipeline = weak_pipeline()
        if pipeline is None or getattr(pipeline, "_view", None) is not None:
            continue
        view = editor._view_manager.get_view(pipeline.GetViewNode())
        if view is not None:
            pipeline.SetView(view)
            fixed += 1
    return fixed


def fix_first_brush_stroke(editor) -> None:
    """Make `editor` (a trame_slicer SegmentationEditor) attach missing views whenever an effect is activated."""
    if getattr(editor, "_gliomaai_view_fix", False):
        return
    activate = editor.set_active_effect

    def set_active_effect(effect):
        if effect is not None:
            attach_missing_views(editor, effect)
        return activate(effect)

    editor.set_active_effect = set_active_effect
    editor._gliomaai_view_fix = True
