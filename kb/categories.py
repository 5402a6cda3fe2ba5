"""The one list of page categories: folder name, title and one-line blurb (kb new, kb list, the site's navigation)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Category:
    name: str  # the folder under concepts/
    title: str  # as the site's navigation shows it
    blurb: str  # one sentence on the category's index page


# In the order the site's navigation lists them: the vague goals first, then the generic training problems, then
# the problems of particular tasks.
CATEGORY_LIST = (
    Category(
        "goals",
        "Where to start",
        'Vague goals ("how do I improve my model?"): short routes that find out what is wrong first and send '
        "you to the page that fixes it.",
    ),
    Category(
        "optimization",
        "Optimization",
        "The learning rate, the optimizer, the batch and the schedule: loss that will not go down, goes down "
        "too slowly, or blows up.",
    ),
    Category(
        "generalization",
        "Generalization",
        "Training looks fine but validation does not: overfitting, underfitting, regularization, fine-tuning.",
    ),
    Category(
        "data", "Data", "Splits, leakage, imbalance, normalization, shuffling: problems that live in the data pipeline."
    ),
    Category("tabular", "Tabular models", "Gradient boosting, categorical features, missing values."),
    Category(
        "evaluation", "Evaluation", "Metrics, curves, baselines and calibration: reading what the model is telling you."
    ),
    Category(
        "debugging",
        "Debugging",
        "Errors, NaNs, out-of-memory, shapes and devices, and models that silently do nothing.",
    ),
    Category(
        "language-models",
        "Language models",
        "Fine-tuning transformers and LLMs: label masking, chat templates, LoRA, memory, preference tuning.",
    ),
    Category(
        "vision",
        "Detection and segmentation",
        "Object detection and segmentation: low mAP, small objects, boxes, thresholds, empty masks.",
    ),
    Category(
        "generative",
        "Generative models",
        "GANs, diffusion fine-tuning and autoencoders: collapse, instability, overcooked results.",
    ),
    Category(
        "sequences",
        "Speech and time series",
        "Speech recognition, sequence-to-sequence models and forecasting: WER, CTC, baselines, leakage in time.",
    ),
    Category(
        "reinforcement-learning",
        "Reinforcement learning",
        "Rewards that never improve, custom environments, reward scaling, exploration.",
    ),
    Category(
        "recommenders",
        "Recommenders",
        "Retrieval and ranking models: negative sampling, AUC near 0.5, evaluation that flatters.",
    ),
)
CATEGORIES: dict[str, Category] = {c.name: c for c in CATEGORY_LIST}
NAMES = tuple(CATEGORIES)


def title(name: str) -> str:
    category = CATEGORIES.get(name)
    return category.title if category else name.replace("-", " ").capitalize()
