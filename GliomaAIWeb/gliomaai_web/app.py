"""The web app put together: a trame server, trame-slicer's Slicer (scene, views, Segment Editor)
with the carried brush fix, the GliomaAI panel, and the page; `serve` runs it for `gliomaai web`.

One server process holds one scene: everyone who opens the page shares it, as people share a
desktop Slicer at one workstation. Run one server per person (each on its own port) where that
matters.
"""

import ipaddress
import os
import secrets
import sys
from contextlib import contextmanager
from pathlib import Path

# Views render through EGL (Mesa llvmpipe where there is no GPU); trying X first only fails slowly.
os.environ.setdefault("VTK_DEFAULT_OPENGL_WINDOW", "vtkEGLRenderWindow")

from gliomaai.errors import GliomaAIError  # noqa: E402

from .case_folder import CaseFolder  # noqa: E402

DEFAULT_CORRECTIONS = Path.home() / "GliomaAI" / "corrections"  # where the desktop module keeps them too
TOKEN_ENVIRONMENT = "GLIOMAAI_WEB_TOKEN"


class GliomaAIWebApp:
    """The app on `server`; `view_factory` None streams the views to browsers (trame-slicer's RCA views)."""

    def __init__(self, server, cases: CaseFolder, corrections_folder=DEFAULT_CORRECTIONS, segmenter="default",
                 imputer="default", engine=None, view_factory=None, timer=None):
        from trame_slicer import module as trame_slicer_module
        from trame_slicer.app.logic.layout_button_logic import LayoutButtonLogic
        from trame_slicer.app.logic.segmentation import SegmentEditorLogic
        from trame_slicer.core import SlicerApp
        from trame_slicer.rca_view import register_rca_factories

        from .editor_fix import fix_first_brush_stroke
        from .panel import GliomaAIPanel, StateTimer
        from .ui import GliomaAIPageUI

        self.server = server
        server.enable_module(trame_slicer_module)
        self.slicer_app = SlicerApp()
        fix_first_brush_stroke(self.slicer_app.segmentation_editor)
        if view_factory is None:
            register_rca_factories(self.slicer_app.view_manager, server)
        else:
            self.slicer_app.view_manager.register_factory(view_factory)
        self.editor_logic = SegmentEditorLogic(server, self.slicer_app)
        self.layout_logic = LayoutButtonLogic(server, self.slicer_app)
        self.panel = GliomaAIPanel(server.state, self.slicer_app, cases, corrections_folder, segmenter, imputer,
                                   engine, timer or StateTimer)
        self.ui = GliomaAIPageUI(server, self.layout_logic.layout_manager, self.panel)
        self.editor_logic.set_ui(self.ui.editor)
        self.layout_logic.set_ui(self.ui.layout_button)

    def view(self, name: str):
        """A Slicer view of the page by its layout name ('Red', 'Yellow', 'Green', 'ThreeD')."""
        return self.slicer_app.view_manager.get_view(name)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def access_token(host: str, token: str | None) -> str | None:
    """The token a browser must give (as ?secret=...): none on loopback, else the given one or a new one."""
    token = token or os.environ.get(TOKEN_ENVIRONMENT)
    if is_loopback(host):
        return token
    return token or secrets.token_urlsafe(24)


@contextmanager
def _server_arguments(arguments: list):
    """trame reads its options from sys.argv: give it only ours, never the gliomaai command line."""
    saved = sys.argv
    sys.argv = [saved[0], *arguments]
    try:
        yield
    finally:
        sys.argv = saved


def serve(host: str = "127.0.0.1", port: int = 8080, cases=None, corrections_folder=DEFAULT_CORRECTIONS,
          token: str | None = None, segmenter="default", imputer="default", device: str = "auto") -> None:
    """Serve the app until interrupted. Bound elsewhere than loopback, a browser must give the token."""
    from trame.app import get_server

    from gliomaai.inference.engine import default_engine

    if not 0 <= int(port) <= 65535:
        raise GliomaAIError(f"Port {port} is outside 0..65535.", "Give a free port, for example 8080.")
    case_folder = CaseFolder(cases)
    token = access_token(host, token)
    server = get_server("gliomaai", client_type="vue3")
    GliomaAIWebApp(server, case_folder, corrections_folder, segmenter, imputer, default_engine(device))
    address = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}/"
    print(f"GliomaAI web: open {address}{'?secret=' + token if token else ''}", flush=True)
    if not is_loopback(host):
        print("  the page needs this token: share the address only with people who may see these cases.", flush=True)
    arguments = ["--host", host, "--port", str(port), "--server", "--timeout", "0"]
    with _server_arguments(arguments + (["--authKey", token] if token else [])):
        server.start(host=host, port=int(port), open_browser=False, show_connection_info=False, timeout=0)
