# pattern of: https://github.com/jindongwang/Deep-learning-activity-recognition/blob/6ec30f24c54f47d30fbaae875a9cd40aba256442/pytorch/network.py
#   (forward() ends in F.softmax; main_pytorch.py trains it with nn.CrossEntropyLoss)
# confirmed: https://github.com/jindongwang/Deep-learning-activity-recognition/issues/10
# written for kb (the mistake's shape, not the project's code); kb explain fires on the upstream code too
# expect: softmax-before-logits-loss line 27

import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim


class ActivityNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(9, 32, (1, 9)), nn.ReLU(), nn.MaxPool2d((1, 2), 2))
        self.head = nn.Linear(32 * 60, 6)

    def forward(self, x):
        x = self.features(x).flatten(1)
        return F.softmax(self.head(x), dim=1)


model = ActivityNet()
criterion = nn.CrossEntropyLoss()
optimizer = optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
for sample, target in train_loader:
    loss = criterion(model(sample), target)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
