import pytest

from gliomaai.sequences import is_brain_mask_name, is_label_name, sequence_from_name


@pytest.mark.parametrize("name, expected", [
    ("BraTS-GLI-00001-000-t1n.nii.gz", "t1n"),
    ("BraTS-GLI-00001-000-t1c.nii.gz", "t1c"),
    ("BraTS-GLI-00001-000-t2w.nii.gz", "t2w"),
    ("BraTS-GLI-00001-000-t2f.nii.gz", "t2f"),
    ("Brats18_2013_3_1_t1.nii.gz", "t1n"),
    ("Brats18_2013_3_1_t1ce.nii.gz", "t1c"),
    ("Brats18_2013_3_1_t2.nii.gz", "t2w"),
    ("Brats18_2013_3_1_flair.nii.gz", "t2f"),
    ("T1_AX_POST_GAD", "t1c"),
    ("T1 AX POST GAD.nrrd", "t1c"),
    ("AX_T2_FLAIR", "t2f"),
    ("t1n-synthetic.nii.gz", "t1n"),
    ("T2W_TSE.mha", "t2w"),
    ("seg.nii.gz", None),
    ("seg-hnfnetv1-model.nii.gz", None),
    ("brainmask.nii.gz", None),
    ("notes.nii.gz", None),
])
def test_sequence_names_in_common_spellings(name, expected):
    assert sequence_from_name(name) == expected


def test_label_and_mask_names():
    assert is_label_name("seg-isen-model.nii.gz") and is_label_name("label.nrrd")
    assert not is_label_name("t1c.nii.gz")
    assert is_brain_mask_name("brainmask.nii.gz") and not is_brain_mask_name("flair.nii.gz")
