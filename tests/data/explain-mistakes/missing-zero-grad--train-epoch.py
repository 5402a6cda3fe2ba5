# pattern of: https://github.com/yastrebksv/TennisCourtDetector/blob/582d2be1b93c81bb0800f48678d9d3fc749dbabd/base_trainer.py
#   (the batch loop calls loss.backward() and optimizer.step(), never zero_grad)
# confirmed: https://github.com/yastrebksv/TennisCourtDetector/issues/7 ("You are right, thanks! I fixed it.")
# written for kb (the mistake's shape, not the project's code); kb explain fires on the upstream code too
# expect: missing-zero-grad line 17

import numpy as np


def train_epoch(model, loader, optimizer, criterion, device):
    model.train()
    losses = []
    for images, heatmaps in loader:
        prediction = model(images.to(device))
        loss = criterion(prediction, heatmaps.to(device))
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return np.mean(losses)
