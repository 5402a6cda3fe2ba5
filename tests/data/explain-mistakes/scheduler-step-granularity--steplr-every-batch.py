# pattern of: https://github.com/Lornatang/SRGAN-PyTorch/blob/00e2728a40ffc65216de05bce8e99768aa12a33e/train.py
#   (StepLR(step_size=epochs // 2) stepped inside the batch loop; Apache-2.0)
# confirmed: https://github.com/Lornatang/SRGAN-PyTorch/issues/1 ("Yeah, I found it. I will fix it.")
# written for kb (the mistake's shape, not the project's code); kb explain fires on the upstream code too
# expect: scheduler-step-granularity line 20

import torch

epochs = 100
optimizer = torch.optim.Adam(generator.parameters(), lr=1e-4)
scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=epochs // 2, gamma=0.1)

for epoch in range(epochs):
    for low_res, high_res in dataloader:
        generator.zero_grad()
        loss = content_criterion(generator(low_res), high_res)
        loss.backward()
        optimizer.step()
        # decays the rate every batch, not every epoch
        scheduler.step()
