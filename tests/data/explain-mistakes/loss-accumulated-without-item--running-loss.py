# pattern of: https://github.com/BatsResearch/labelmodels/blob/3b5683bef7ee902dc205a8cd93572b05b88dbad5/labelmodels/label_model.py#L90
#   ("running_loss is the sum of non-detached tensors")
# confirmed: https://github.com/BatsResearch/labelmodels/issues/4 ("Ah, good catch. Thanks!")
# written for kb (the mistake's shape, not the project's code)
# expect: loss-accumulated-without-item line 19

import torch


def fit(model, batches, epochs=5):
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    for epoch in range(epochs):
        running_loss = 0.0
        for inputs in batches:
            optimizer.zero_grad()
            loss = -torch.mean(model(*inputs))
            loss.backward()
            optimizer.step()
            running_loss += loss
        print(running_loss / len(batches))
