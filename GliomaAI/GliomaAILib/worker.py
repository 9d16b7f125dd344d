"""Long work in a background thread, for a panel that polls it: progress, cancel, result or error.

No Qt here. The desktop panel starts a BackgroundJob and polls `progress` and `done` from a
qt.QTimer on the GUI thread, so Slicer never freezes; the job's function must not touch the
scene (VTK/MRML objects belong to the GUI thread): read the nodes before starting, change the
scene after `done`. PyTorch releases the GIL while it computes, so the GUI stays responsive.
"""

import threading


class BackgroundJob:
    """Runs `work(progress, cancel)` in a daemon thread.

    `work` receives progress(fraction, message) to report with and cancel() -> bool to check
    between steps (as gliomaai's segment_case and finetune do). Poll `progress` and `done`;
    then `result()` returns the value, or raises what `work` raised (Cancelled after cancel()).
    """

    def __init__(self, work, name: str = "GliomaAI job"):
        self._work = work
        self._name = name
        self._lock = threading.Lock()
        self._cancel = threading.Event()
        self._finished = threading.Event()
        self._progress = (0.0, "waiting")
        self._value = None
        self._error = None
        self._thread = None

    def start(self) -> "BackgroundJob":
        if self._thread is not None:
            raise RuntimeError("The job was started already.")
        self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
        self._progress = (0.0, "starting")
        self._thread.start()
        return self

    def _report(self, fraction, message="") -> None:
        with self._lock:
            self._progress = (min(1.0, max(0.0, float(fraction))), str(message))

    def _run(self) -> None:
        try:
            self._value = self._work(self._report, self._cancel.is_set)
            self._report(1.0, "done")
        except BaseException as error:  # handed to the GUI thread, which shows it
            self._error = error
        finally:
            self._finished.set()

    def cancel(self) -> None:
        """Ask the work to stop at its next check (it raises Cancelled there)."""
        self._cancel.set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    @property
    def progress(self) -> tuple:
        """(fraction 0..1, message) as last reported."""
        with self._lock:
            return self._progress

    @property
    def running(self) -> bool:
        return self._thread is not None and not self._finished.is_set()

    @property
    def done(self) -> bool:
        return self._finished.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the job ends (or `timeout` seconds); True if it ended. Not for the GUI thread."""
        return self._finished.wait(timeout)

    def result(self):
        """The work's value, or its exception raised here; only once the job is done."""
        if not self.done:
            raise RuntimeError("The job has not finished.")
        if self._error is not None:
            raise self._error
        return self._value


class BackgroundRun:
    """A panel's Apply: a run prepared on the main thread, its work in a worker thread, its result
    added to the scene on the main thread by finish() once `done` (poll `progress` meanwhile)."""

    def __init__(self, work, add_to_scene, name: str):
        self.job = BackgroundJob(work, name=name)
        self._add_to_scene = add_to_scene

    def start(self) -> "BackgroundRun":
        self.job.start()
        return self

    @property
    def progress(self) -> tuple:
        return self.job.progress

    @property
    def done(self) -> bool:
        return self.job.done

    def cancel(self) -> None:
        self.job.cancel()

    def finish(self, scene):
        """The new nodes; raises the worker's error (Cancelled if cancelled), adding nothing then."""
        return self._add_to_scene(scene, self.job.result())
