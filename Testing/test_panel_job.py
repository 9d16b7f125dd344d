"""PanelJob: the polling every GliomaAI panel shares, with a real background run and stand-in widgets
(Qt cannot run here: the progress bar, label and timer are plain objects with the same attributes)."""

import threading
import time
from types import SimpleNamespace

from gliomaai.inference.engine import Cancelled
from GliomaAILib.panel_job import PanelJob
from GliomaAILib.worker import BackgroundRun
from helpers import StandInTimer


def _panel(finish=None):
    shown, errors, refreshed = [], [], []
    job = PanelJob(StandInTimer(), SimpleNamespace(value=-1, visible=False), SimpleNamespace(text=""),
                   finish or (lambda background: background.finish(None)), shown.append, lambda: refreshed.append(1),
                   failed="It failed.", error_display=lambda title, detail: errors.append((title, detail)))
    assert job.timer.slots["timeout()"] == job.poll and job.timer.interval > 0
    return job, shown, errors, refreshed


def _run(work):
    return BackgroundRun(work, lambda scene, value: f"added {value}", name="test").start()


def _poll_until_done(job, timeout=10):
    deadline = time.monotonic() + timeout
    while job.running and time.monotonic() < deadline:
        job.poll()
        time.sleep(0.01)


def test_progress_then_the_result_goes_to_the_panel():
    gate = threading.Event()

    def work(progress, cancel):
        progress(0.5, "half way")
        gate.wait(5)
        return 42

    job, shown, errors, refreshed = _panel()
    job.start(_run(work))
    assert job.timer.active and job.progress_bar.visible
    deadline = time.monotonic() + 5
    while job.progress_bar.value != 50 and time.monotonic() < deadline:
        job.poll()
    assert (job.progress_bar.value, job.status_label.text) == (50, "half way")
    gate.set()
    _poll_until_done(job)
    assert shown == ["added 42"] and not errors and refreshed == [1]
    assert not job.timer.active and not job.progress_bar.visible and not job.running


def test_cancel_adds_nothing_and_says_so():
    def work(progress, cancel):
        while not cancel():
            time.sleep(0.01)
        raise Cancelled("stopped")

    job, shown, errors, _ = _panel()
    job.start(_run(work))
    job.cancel()
    assert job.status_label.text == "Cancelling..."
    _poll_until_done(job)
    assert not shown and not errors and job.status_label.text.startswith("Cancelled")


def test_a_failure_is_shown_with_its_reason():
    def work(progress, cancel):
        raise ValueError("the grids differ")

    job, shown, errors, refreshed = _panel()
    job.start(_run(work))
    _poll_until_done(job)
    assert not shown and errors == [("It failed.", "the grids differ")] and refreshed == [1]


def test_stopping_cancels_a_run_still_going():
    release = threading.Event()

    def work(progress, cancel):
        release.wait(5)
        if cancel():
            raise Cancelled("stopped")
        return 1

    job, shown, _, _ = _panel()
    run = _run(work)
    job.start(run)
    job.stop()
    release.set()
    run.job.wait(5)
    assert run.job.cancelled and not job.running and not shown
