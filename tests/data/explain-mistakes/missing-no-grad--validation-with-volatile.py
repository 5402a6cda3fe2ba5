# pattern of: https://github.com/zoogzog/chexnet/blob/34d29eeee52a620dc274e78932454c6983aee62f/ChexnetTrainer.py
#   (epochVal runs the model with Variable(..., volatile=True) and no torch.no_grad())
# also in this repository, verbatim: tests/data/real-scripts/pytorchexamples-imagenet-fp16.py (validate) and
#   pytorchexamples-word-language-model.py (evaluate), labelled blind as missing-no-grad
# written for kb (the mistake's shape, not the project's code); kb explain fires on the upstream code too
# expect: missing-no-grad line 16

import torch


def validate(model, loader, criterion):
    model.eval()
    total = 0.0
    for images, labels in loader:
        images = torch.autograd.Variable(images, volatile=True)
        outputs = model(images)
        total += criterion(outputs, labels).item()
    return total / len(loader)
