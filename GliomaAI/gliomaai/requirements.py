"""What the core library needs, in one place: pyproject.toml lists the same (a test checks it),
and inside desktop Slicer GliomaAILib.dependencies installs these at first use."""

TORCH_REQUIREMENT = "torch>=2.2"
# Slicer ships its own numpy and SimpleITK builds: never reinstalled there, but pip needs them.
SLICER_PROVIDED = ("numpy>=1.24", "SimpleITK>=2.3")
REQUIREMENTS = ("scipy>=1.10", "nibabel>=5", "monai>=1.4", "scikit-image>=0.22", "matplotlib>=3.7", "tqdm>=4.60",
                "captum>=0.7", "deepbet>=1.0")
