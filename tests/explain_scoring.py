"""kb explain measured against the blind labels of tests/data/real-scripts (labels.yaml, made before kb explain
existed). Shared by tests/test_explain_corpus.py and benchmarks/explain_eval.py.

The split is fixed by repository: rules were developed on DEV_REPOS only; the held-out half is only measured.

How a knob counts: a found knob is right when a label has the same cell, line and kind; a label is found when a
knob has its cell, line and kind (several labels of one kind on one line, e.g. `SVC(gamma=gamma, C=C)`, are found
by one knob of that kind there). "With page" also needs the label's page. A mistake is right when a label of the
same kind lies within the lines it reports (line..end_line); every other reported likely mistake is a false alarm,
and every other minor point (severity "minor": kb says the usual practice differs, not that it is a bug) is counted
apart, as `minor_unlabelled`.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import yaml

CORPUS = Path(__file__).resolve().parent / "data" / "real-scripts"
LABELS = CORPUS / "labels.yaml"
# Chosen before any rule was written: the repositories whose files were read while developing. Each framework the
# issue names is in the held-out half except scikit-learn (one repository, so one half); Lightning and the
# notebooks are held out whole.
DEV_REPOS = {"pytorch/examples", "keras-team/keras", "scikit-learn/scikit-learn", "tloen/alpaca-lora"}
# The third batch (2026-12-07), added to the dev half before kb explain was run on it: scripts whose settings live
# in module-level constants and config objects, a style the held-out half showed kb missing (nanoGPT).
DEV_REPOS |= {
    "lucidrains/x-transformers",
    "karpathy/minGPT",
    "MorvanZhou/PyTorch-Tutorial",
    "rasbt/LLMs-from-scratch",
    "graykode/nlp-tutorial",
    "KellerJordan/cifar10-airbench",
    "keras-team/keras-io",
}
# The fourth batch (2026-12-07), dev as well: Lightning, HF Trainer and Keras scripts from community repositories.
DEV_REPOS |= {
    "MatteoFasulo/LightningTests",
    "Naagar/pyTorch_Lightning_tute",
    "davidguzmanr/siamese-neural-networks",
    "divamgupta/image-segmentation-keras",
    "paleumm/Introduction-to-Lightning",
    "philschmid/deep-learning-pytorch-huggingface",
    "philschmid/huggingface-sagemaker-workshop-series",
    "qqwweee/keras-yolo3",
    "TSTB-dev/Group-Ensemble",  # the fifth batch: plain PyTorch loops
    "youngerous/uda",
}
# The seventh batch (2026-12-07, second session), dev, decided before kb explain was run on it (the sixth, and the
# eighth collected beside this one, are held out).
DEV_REPOS |= {
    "BIGBALLON/cifar-10-cnn",
    "Bjarten/early-stopping-pytorch",
    "Hvass-Labs/TensorFlow-Tutorials",
    "asteroid-team/asteroid",
    "bentrevett/pytorch-sentiment-analysis",
    "databrickslabs/dolly",
    "dipanjanS/practical-machine-learning-with-python",
    "ethanhe42/pytorch-lightning-GPT",
    "jankrepl/mildlyoverfitted",
    "lucidrains/vit-pytorch",
}
# The tenth batch (2026-12-07, second session): research code and competition solutions, dev, decided before kb
# explain was run on it (the eleventh, collected beside it, is held out).
DEV_REPOS |= {
    "AetherCortex/Llama-X",
    "akamaster/pytorch_resnet_cifar10",
    "alexander-rakhlin/CNN-for-Sentence-Classification-in-Keras",
    "asanakoy/kaggle_carvana_segmentation",
    "cbaziotis/datastories-semeval2017-task4",
    "clovaai/CutMix-PyTorch",
    "declare-lab/flan-alpaca",
    "hirune924/kaggle-SETI-2ndPlaceSolution",
    "jeonsworld/ViT-pytorch",
    "kozodoi/Kaggle_Home_Credit",
}
# The thirteenth batch (2026-12-07, second session): tabular (Kaggle-style) and PyTorch scripts, dev, decided before
# kb explain was run on it.
DEV_REPOS |= {
    "agconti/kaggle-titanic",
    "csanri/kaggle-playground-series-2025",
    "ferpb/pytorch-resnet-cifar",
    "keigohtr/kaggle-ipynb-template",
    "xinming365/DL-exercise",
}

# The fourteenth batch (2026-12-07, third session): blind, measured once on arrival as held-out (12 files: precision
# 0.869, recall 0.740, 0/1 mistakes, 1 false alarm, Adam's L2 in a GCN script), then moved to the dev half to work
# on what it showed; the fifteenth batch, collected after, is held out to measure that work.
DEV_REPOS |= {
    "Madrobot9182/AttentionSpan.ai",
    "Raja-Vignesh7/ML-NLP-Engineer",
    "amozie/amozie",
    "antoninichiq/Machine_Learning",
    "as7895/DSFNet",
    "bmsookim/graph-tutorial.pytorch",
    "dcabezas98/IN",
    "donglinkang2021/MinVQVAE",
    "dvgodoy/PyTorchStepByStep",
    "emepetres/kaggle-ps-s3e2",
    "jskDr/keraspp_2021",
    "paulseghers/samy_mlops",
}


# The eighteenth batch (2026-12-07, fourth session): blind, measured once on arrival as held-out (12 files:
# precision 0.974, recall 0.701, 0/0 mistakes, 1 false alarm), then moved to the dev half to work on what it showed.
DEV_REPOS |= {
    "1998frankchen/TravelMind",
    "AI-Huang/kaggle-dogs-vs-cats",
    "Aphoh/nanoGPT-playground",
    "CS-savvy/Transformer-for-Parkinsons-disease",
    "Heshi99/AI-Data-Analyst",
    "Heusini/SAST",
    "HeverLaw/PCNN-for-wind-reconstruction",
    "Hewell0/ProjOOD",
    "Hewitt6/3D-Causal-ShuffleNet-in-Dual-Paths-for-Efficient-Action-Recognition",
    "Hewq77/LGCT",
    "Hexanol777/PixelGAN",
    "Hexmagic/Keras-ToAndroid",
}


# The nineteenth batch (2026-12-07, fifth session): blind, measured once on arrival as held-out (12 files:
# precision 0.911, recall 0.590, 0/2 mistakes, 1 false alarm), then moved to the dev half to work on what it showed.
DEV_REPOS |= {
    "AdrianRomo/LyricGenerator",
    "VaheC/Pytorch_Study",
    "YerongLi/ChatGLM-Efficient-Tuning",
    "cccbook/py2cs",
    "husisy/learning",
    "leoliu5550/AI_study",
    "miszkur/data-efficient-NLP",
    "nju-websoft/FormulaReasoning",
    "robertovicario/BSc-Computer-Science-Thesis",
    "traja-team/traja-research",
    "voldemortX/pytorch-auto-drive",
    "youngsm/point2vec",
}


def load_labels() -> list[dict]:
    return yaml.safe_load(LABELS.read_text(encoding="utf-8"))


def half(entry: dict) -> str:
    return "dev" if entry["repo"] in DEV_REPOS else "held-out"


@dataclass
class Tally:
    found: int = 0  # knobs kb reported
    found_right: int = 0  # ... that match a label
    labels: int = 0
    labels_found: int = 0
    labels_found_with_page: int = 0
    mistakes_reported: int = 0
    mistakes_right: int = 0
    mistake_labels: int = 0
    mistake_labels_found: int = 0
    start_labels: int = 0
    start_agreed: int = 0
    files: int = 0
    misses: list = field(default_factory=list)  # (file, label) not found
    extras: list = field(default_factory=list)  # (file, knob) found but not labelled
    false_alarms: list = field(default_factory=list)  # likely mistakes no label names
    minor_unlabelled: list = field(default_factory=list)  # minor points no label names (not false alarms)

    @property
    def precision(self) -> float:
        return self.found_right / self.found if self.found else 1.0

    @property
    def recall(self) -> float:
        return self.labels_found / self.labels if self.labels else 1.0

    @property
    def recall_with_page(self) -> float:
        return self.labels_found_with_page / self.labels if self.labels else 1.0

    @property
    def false_alarm_count(self) -> int:
        return len(self.false_alarms)

    def add(self, other: Tally) -> None:
        for name in self.__dataclass_fields__:
            value = getattr(other, name)
            setattr(self, name, getattr(self, name) + value)


def _literal(text: object) -> str:
    """A value as written, compared loosely: '1e-3' and '0.001' agree; quotes and spaces are dropped."""
    text = str(text).strip().strip("'\"")
    try:
        return repr(float(text))
    except ValueError:
        return text.replace(" ", "")


def defined_here(label: dict, knobs: list[dict]) -> list[dict]:
    """Knobs kb reports where a value is used, resolved to the value this label marks where it is defined.

    Labels made in 2026-12-07 (the second batch) mark a knob both where its value is defined (a constant, an argparse
    default, a parameter's default) and where it is used; kb reports the use and names the definition in
    `resolved`. Such a definition label is found when kb reports its kind, in its cell, resolved to the value
    written after the label's last '=' (a wrongly resolved value stays a miss)."""
    if "=" not in str(label["value"]):
        return []
    value = _literal(str(label["value"]).rsplit("=", 1)[1])
    return [
        k
        for k in knobs
        if k["kind"] == label["kind"]
        and k["cell"] == label.get("cell")
        and k["resolved"] is not None
        and _literal(k["resolved"]) == value
    ]


def score(entry: dict, result: dict) -> Tally:
    """One file: `entry` from labels.yaml, `result` the JSON of `kb explain --json`."""
    tally = Tally(files=1)
    knobs = result["knobs"]
    at = defaultdict(list)
    for knob in knobs:
        at[(knob["cell"], knob["line"], knob["kind"])].append(knob)
    labelled = {(label.get("cell"), label["line"], label["kind"]) for label in entry["knobs"]}
    tally.found = len(knobs)
    for knob in knobs:
        # right where a label is, or reported at its use and resolved to the definition a label marks (the
        # counterpart of defined_here, which counts that label found)
        defined_at = re.fullmatch(r"line (\d+)", str(knob.get("resolved_from") or ""))
        at_definition = bool(defined_at) and (knob["cell"], int(defined_at.group(1)), knob["kind"]) in labelled
        if (knob["cell"], knob["line"], knob["kind"]) in labelled or at_definition:
            tally.found_right += 1
        else:
            tally.extras.append((entry["file"], knob))
    tally.labels = len(entry["knobs"])
    for label in entry["knobs"]:
        matches = at.get((label.get("cell"), label["line"], label["kind"]), []) or defined_here(label, knobs)
        if matches:
            tally.labels_found += 1
            tally.labels_found_with_page += any(m["page"] == label["page"] for m in matches)
        else:
            tally.misses.append((entry["file"], label))
    tally.mistake_labels = len(entry["mistakes"])
    tally.mistakes_reported = len(result["mistakes"])
    for reported in result["mistakes"]:
        right = any(
            label["kind"] == reported["id"]
            and label.get("cell") == reported["cell"]
            and reported["line"] <= label["line"] <= reported["end_line"]
            for label in entry["mistakes"]
        )
        tally.mistakes_right += right
        if not right:
            minor = reported.get("severity") == "minor"
            (tally.minor_unlabelled if minor else tally.false_alarms).append((entry["file"], reported))
    for label in entry["mistakes"]:
        tally.mistake_labels_found += any(
            label["kind"] == r["id"] and label.get("cell") == r["cell"] and r["line"] <= label["line"] <= r["end_line"]
            for r in result["mistakes"]
        )
    tally.start_labels = len(entry.get("start_with", []))
    tally.start_agreed = len(set(entry.get("start_with", [])) & {s["kind"] for s in result["start"]})
    return tally


def summarize(results: dict[str, dict]) -> dict[str, dict[str, Tally]]:
    """{half: {"all" and each framework: Tally}}, and {"batch": {"batch N (half)": Tally}} (the order the blind
    batches arrived in: labels.yaml's `batch`), for results keyed by file name."""
    table: dict[str, dict[str, Tally]] = defaultdict(lambda: defaultdict(Tally))
    for entry in load_labels():
        if entry["file"] not in results:
            continue
        tally = score(entry, results[entry["file"]])
        for name in (half(entry), "all"):
            table[name]["all"].add(tally)
            table[name][entry["framework"]].add(tally)
        table["batch"][f"batch {entry['batch']:>2} ({half(entry)})"].add(tally)
    return table
