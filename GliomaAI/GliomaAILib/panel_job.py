"""A panel's long run as its widgets see it: a timer polls a BackgroundRun, a progress bar and a
status label follow it, and once done its result goes into the scene on the GUI thread.

Shared by every GliomaAI panel (impute, segment, explain). Qt is only touched through the
widgets and the timer (a qt.QTimer) handed in, so the logic runs and is tested without Qt.
"""

POLL_MS = 200


class PanelJob:
    """Poll one BackgroundRun at a time for a panel.

    finish(background) adds the result to the scene (it raises the worker's error, Cancelled if
    cancelled); done(result) shows it; after() refreshes the panel whatever happened.
    """

    def __init__(self, timer, progress_bar, status_label, finish, done, after=None, failed: str = "The work failed.",
                 error_display=None, tr=None):
        self.progress_bar, self.status_label = progress_bar, status_label
        self._finish, self._done, self._after = finish, done, after or (lambda: None)
        self._failed, self._tr = failed, tr or (lambda text: text)
        self.timer, self._error_display = timer, error_display
        self.timer.setInterval(POLL_MS)
        self.timer.connect("timeout()", self.poll)
        self.background = None

    @property
    def running(self) -> bool:
        return self.background is not None

    def start(self, background, message: str = "Starting...") -> None:
        self.background = background
        self.progress_bar.value = 0
        self.progress_bar.visible = True
        self.status_label.text = self._tr(message)
        self.timer.start()

    def poll(self) -> None:
        background = self.background
        if background is None:
            self.timer.stop()
            return
        fraction, message = background.progress
        self.progress_bar.value = int(round(100 * fraction))
        self.status_label.text = self._tr("Cancelling...") if background.job.cancelled else message
        if not background.done:
            return
        self.stop()
        from gliomaai.inference.engine import Cancelled

        try:
            result = self._finish(background)
        except Cancelled:
            self.status_label.text = self._tr("Cancelled: nothing was added to the scene.")
        except Exception as error:  # shown to the user, who can fix the input and try again
            self.status_label.text = self._tr("Failed.")
            self._show_error(self._tr(self._failed), str(error))
        else:
            self._done(result)
        self._after()

    def cancel(self) -> None:
        if self.background is not None:
            self.background.cancel()
            self.status_label.text = self._tr("Cancelling...")

    def stop(self) -> None:
        """Stop polling; a run still going is cancelled and its result never added (the scene is closing)."""
        self.timer.stop()
        self.progress_bar.visible = False
        background, self.background = self.background, None
        if background is not None and not background.done:
            background.cancel()

    def _show_error(self, title: str, detail: str) -> None:
        if self._error_display is None:
            import slicer

            slicer.util.errorDisplay(title, detailedText=detail)
        else:
            self._error_display(title, detail)
