"""The page: trame-slicer's viewer layout with two tools in its drawer, the GliomaAI panel and
trame-slicer's Segment Editor, and Slicer's views in the middle. Widgets only; every button
calls a GliomaAIPanel method and every value is one of its state keys."""

from trame.widgets import html
from trame.widgets.vuetify3 import (VAlert, VBtn, VCard, VCardActions, VCardText, VCardTitle, VCheckbox, VChip,
                                    VDialog, VDivider, VProgressLinear, VSelect, VSlider, VSpacer)
from trame_slicer.app.ui import (ControlButton, LayoutButton, SegmentEditorUI,
                                 SegmentEditorUndoRedoUI, ViewerLayout)

TITLE = "GliomaAI: research software, not a medical device"
STATUS_COLOURS = "{present: 'green', synthetic: 'orange', missing: 'grey'}"


class GliomaAIPanelUI(html.Div):
    """Case, segmentation, correction, imputation and saliency controls."""

    def __init__(self, panel, **kwargs):
        super().__init__(classes="pa-3 d-flex flex-column ga-2", **kwargs)
        with self:
            html.Div("Case", classes="text-subtitle-1")
            VSelect(v_model=("g_case",), items=("g_cases",), density="compact", hide_details=True, label="Case", id="gliomaai-case",
                     disabled=("g_busy",))
            VBtn("Load case", click=panel.load_case, disabled=("g_busy",), variant="tonal", id="gliomaai-load")
            with html.Div(v_if=("g_loaded",), classes="d-flex flex-wrap ga-1"):
                VChip("{{ s.sequence }}: {{ s.status }}", v_for="s in g_sequences", key="s.sequence", size="small",
                      color=(f"{STATUS_COLOURS}[s.status]",), title=("s.title",))
            VSelect(v_if=("g_loaded",), v_model=("g_view_sequence",), label="Shown sequence", density="compact",
                    hide_details=True, items=("g_sequences.filter(s => s.status !== 'missing').map(s => s.sequence)",))
            VAlert(v_if=("g_synthetic_warning",), text=("g_synthetic_warning",), type="warning", density="compact",
                   id="gliomaai-synthetic")
            VDivider()
            with html.Div(classes="d-flex ga-2"):
                VBtn("Segment", click=panel.segment, disabled=("!g_loaded || g_busy",), color="primary",
                     id="gliomaai-segment")
                VBtn("Impute missing", click=panel.impute, disabled=("!g_loaded || g_busy",), variant="tonal",
                     id="gliomaai-impute")
                VBtn("Cancel", v_if=("g_busy",), click=panel.cancel, variant="text", id="gliomaai-cancel")
            VProgressLinear(v_if=("g_progress_visible",), model_value=("g_progress",), height=6, color="primary",
                            id="gliomaai-progress")
            html.Div("{{ g_status }}", classes="text-body-2", id="gliomaai-status")
            VDivider()
            html.Div("Correction", classes="text-subtitle-1")
            html.Div("{{ g_segmentation || 'Segment the case, then correct it in the Segment Editor.' }}",
                     classes="text-body-2")
            VBtn("Save correction", click=panel.save_correction, disabled=("!g_segmentation || g_busy",),
                 variant="tonal", id="gliomaai-save")
            html.Div("{{ g_saved }}", v_if=("g_saved",), classes="text-body-2", id="gliomaai-saved")
            VDivider()
            html.Div("Saliency (explains the model, shows no tumour)", classes="text-subtitle-1")
            with html.Div(classes="d-flex ga-2"):
                VSelect(v_model=("g_method",), items=("g_methods",), label="Method", density="compact",
                        hide_details=True)
                VSelect(v_model=("g_target",), items=("g_targets",), label="Target", density="compact",
                        hide_details=True, style="max-width: 90px;")
            VCheckbox(v_model=("g_trust",), label="Trust checks (slower)", density="compact", hide_details=True)
            with html.Div(classes="d-flex ga-2"):
                VBtn("Explain", click=panel.explain, disabled=("!g_loaded || g_busy",), variant="tonal",
                     id="gliomaai-explain")
                VBtn("Hide map", v_if=("g_saliency",), click=panel.hide_saliency, variant="text")
            VSlider(v_model=("g_threshold",), min=0, max=1, step=0.05, label="Threshold", density="compact",
                    hide_details=True, thumb_label=True, disabled=("!g_saliency",))
            VSlider(v_model=("g_opacity",), min=0, max=1, step=0.05, label="Opacity", density="compact",
                    hide_details=True, thumb_label=True, disabled=("!g_saliency",))
        with VDialog(v_model=("g_error_visible",), max_width=520), VCard():
            VCardTitle("{{ g_error_title }}")
            VCardText("{{ g_error }}", id="gliomaai-error")
            with VCardActions():
                VSpacer()
                VBtn("Close", click="g_error_visible = false")


class GliomaAIPageUI:
    """The whole page; `tools` maps each drawer tool's name to its widget."""

    PANEL, EDITOR = "GliomaAIPanelUI", SegmentEditorUI.__name__

    def __init__(self, server, layout_manager, panel):
        with ViewerLayout(server, title=TITLE, is_drawer_visible=True) as self.layout:
            self.layout.state["trame__title"] = "GliomaAI"
            self.layout.state["active_tool"] = self.PANEL
            with self.layout.drawer:
                self.panel = GliomaAIPanelUI(panel, v_if=(self._is_active(self.PANEL),))
                self.editor = SegmentEditorUI(v_if=(self._is_active(self.EDITOR),), id="gliomaai-editor")
            with self.layout.toolbar:
                self._tool_button("mdi-brain", "GliomaAI panel", self.PANEL, "gliomaai-panel-tool")
                self._tool_button("mdi-palette", "Segment Editor", self.EDITOR, "gliomaai-editor-tool")
                self.layout_button = LayoutButton(classes="mt-1")
            with self.layout.undo_redo:
                SegmentEditorUndoRedoUI(editor_ui=self.editor, v_if=(self._is_active(self.EDITOR),))
            with self.layout.content:
                layout_manager.initialize_layout_grid(self.layout)

    @staticmethod
    def _is_active(tool: str) -> str:
        return f"active_tool === '{tool}'"

    def _tool_button(self, icon: str, name: str, tool: str, element_id: str):
        def toggle():
            self.layout.state["active_tool"] = tool
            self.layout.state["is_drawer_visible"] = True

        return ControlButton(icon=icon, name=name, click=toggle, active=(self._is_active(tool),), classes="mt-1",
                             id=element_id)
