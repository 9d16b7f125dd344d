"""Qt-free logic of the GliomaAISegment module: tumour segmentations in and out of the scene.

For now: a label map file in any convention becomes a segmentation on a case's reference
volume, and a segmentation goes back to a label map file in any convention. Functions take the
scene (or nodes of it) as an argument; see GliomaAILib for the pieces they are built from.
"""
