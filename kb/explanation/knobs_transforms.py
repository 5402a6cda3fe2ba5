"""Data augmentation and input normalization in PyTorch code: torchvision, albumentations and kornia transforms, a
project's own random transforms named like theirs, and the mixing weight of mixup and CutMix."""

from __future__ import annotations

import ast

from .code import Code
from .knobs import Found

AUGMENTATIONS = {"ColorJitter", "AutoAugment", "RandAugment", "TrivialAugmentWide", "AugMix", "GaussianBlur"}
AUGMENTATIONS |= {"ElasticTransform", "HorizontalFlip", "VerticalFlip", "ShiftScaleRotate", "Rotate", "Affine"}
AUGMENTATIONS |= {"CoarseDropout", "HueSaturationValue", "GaussNoise", "MixUp", "CutMix", "Cutout"}

NOT_TRANSFORMS = ("Sampler", "State", "Generator", "Forest", "Search", "Split", "Tree", "Erasing")


def _project_augmentation(code: Code, call: ast.Call, name: str) -> bool:
    """A random transform the project writes itself, named like the libraries' (`utils.ColorJitter`, `Lighting`,
    a joint `RandomCrop` for image and mask in its own transforms module)."""
    if not code.from_project(call.func):
        return False
    random_named = name.startswith("Random") and not any(n in name for n in NOT_TRANSFORMS)
    return random_named or name in AUGMENTATIONS or name == "Lighting"


def transforms(found: Found, call: ast.Call) -> bool:
    code = found.code
    qualname = code.qualname(call.func)
    name = qualname.split(".")[-1]
    if not qualname.startswith(("torchvision.transforms.", "albumentations.", "kornia.augmentation.")):
        if _project_augmentation(code, call, name):
            found.add("augmentation", call, code.text(call.func), "pytorch")
            return True
        return False
    if name == "Normalize":
        found.add("input_normalization", call, code.text(call), "pytorch")
    elif name.startswith("Random") or name in AUGMENTATIONS:
        found.add("augmentation", call, code.text(call), "pytorch")
    return True


def mixing(found: Found, call: ast.Call) -> bool:
    """Mixup and CutMix: the mixing weight drawn from a Beta(alpha, alpha), `lam = np.random.beta(alpha, alpha)`."""
    code = found.code
    qualname = code.qualname(call.func)
    if qualname not in ("numpy.random.beta", "torch.distributions.Beta", "torch.distributions.beta.Beta"):
        return False
    found.add("augmentation", call, code.text(call), "pytorch")
    return True
