# pattern of: https://github.com/BatsResearch/labelmodels/blob/03fe595e8c00c06a7f2ae53fa8df8390dd37fa64/labelmodels/label_model.py
#   (scheduler.step() at the top of each epoch, before the batch loop's optimizer.step())
# the same order reported and fixed: https://github.com/ThilinaRajapakse/pytorch-transformers-classification/issues/21
# written for kb (the mistake's shape, not the project's code); kb explain fires on the upstream code too
# expect: scheduler-before-optimizer line 14

import torch


def fit(model, batches, epochs=5):
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    scheduler = torch.optim.lr_scheduler.MultiStepLR(optimizer, [3, 4], gamma=0.1)
    for epoch in range(epochs):
        scheduler.step()
        model.train()
        for inputs in batches:
            optimizer.zero_grad()
            loss = -torch.mean(model(*inputs))
            loss.backward()
            optimizer.step()
