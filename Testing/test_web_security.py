"""What a web server may read and who may use it: the case folder and the binding rules."""

import os

import pytest
import SimpleITK as sitk

from gliomaai.errors import GliomaAIError
from gliomaai_web.app import access_token, is_loopback
from gliomaai_web.case_folder import PHANTOM, CaseFolder
from helpers import write


@pytest.fixture
def cases(tmp_path):
    root = tmp_path / "cases"
    write(sitk.Image(8, 8, 8, sitk.sitkFloat32), root / "two" / "flair.nii.gz")
    write(sitk.Image(8, 8, 8, sitk.sitkFloat32), root / "two" / "t1ce.nii.gz")
    write(sitk.Image(8, 8, 8, sitk.sitkUInt8), root / "two" / "seg.nii.gz")
    (root / "empty").mkdir()
    secret = tmp_path / "secret"
    write(sitk.Image(8, 8, 8, sitk.sitkFloat32), secret / "t1.nii.gz")
    os.symlink(secret, root / "link-out")  # leads out of the folder: never offered, never read
    return root


def test_lists_cases_with_their_sequences_and_the_phantom(cases):
    folder = CaseFolder(cases)
    entries = {e.name: e.sequences for e in folder.entries()}
    assert entries == {PHANTOM: ("t1n", "t1c", "t2w", "t2f"), "two": ("t1c", "t2f")}
    assert folder.path("two") == cases.resolve() / "two"
    assert folder.path(PHANTOM) is None


@pytest.mark.parametrize("name", ["../secret", "link-out", "/etc", "two/../two", "..", "", "empty", "missing"])
def test_no_name_reaches_outside_the_listed_cases(cases, name):
    with pytest.raises(GliomaAIError, match="not one of the cases offered"):
        CaseFolder(cases).path(name)


def test_without_a_folder_only_the_phantom(tmp_path):
    folder = CaseFolder(None)
    assert folder.names() == [PHANTOM]
    with pytest.raises(GliomaAIError):
        folder.path("two")
    with pytest.raises(GliomaAIError, match="not a folder"):
        CaseFolder(tmp_path / "nowhere")


def test_phantom_loads_small_and_without_labels():
    case = CaseFolder(None).load(PHANTOM)
    assert case.name == "phantom" and case.labels is None and set(case.present) == {"t1n", "t1c", "t2w", "t2f"}


def test_a_token_is_required_off_loopback(monkeypatch):
    monkeypatch.delenv("GLIOMAAI_WEB_TOKEN", raising=False)
    assert is_loopback("127.0.0.1") and is_loopback("localhost") and is_loopback("::1")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.20")
    assert access_token("127.0.0.1", None) is None
    made = access_token("0.0.0.0", None)
    assert made and len(made) >= 24 and made != access_token("0.0.0.0", None)
    assert access_token("0.0.0.0", "given") == "given"
    monkeypatch.setenv("GLIOMAAI_WEB_TOKEN", "from-env")
    assert access_token("10.0.0.5", None) == "from-env"


@pytest.mark.parametrize("arguments, message", [(["--cases", "/nonexistent-cases"], "not a folder"),
                                                (["--port", "70000"], "outside 0..65535")])
def test_the_command_refuses_bad_options_before_serving(capsys, arguments, message):
    from gliomaai.cli import main

    assert main(["web", *arguments]) == 2
    err = capsys.readouterr().err
    assert message in err and "what to do:" in err
