# pattern of: https://github.com/zoogzog/chexnet/blob/34d29eeee52a620dc274e78932454c6983aee62f/ChexnetTrainer.py
#   (optim.Adam(model.parameters(), lr=0.0001, betas=(0.9, 0.999), eps=1e-08, weight_decay=1e-5); whether AdamW was
#   meant is not said there: kb reports the pattern as likely, and the weight-decay page explains the difference)
# background: https://github.com/pytorch/pytorch/issues/38767 ("weight_decay in Adam is not an L2 Penalty")
# written for kb (the mistake's shape, not the project's code); kb explain fires on the upstream code too
# expect: adam-weight-decay line 10

import torch.optim as optim

optimizer = optim.Adam(model.parameters(), lr=1e-4, betas=(0.9, 0.999), weight_decay=1e-5)
