# pattern of: https://github.com/zoogzog/chexnet/blob/34d29eeee52a620dc274e78932454c6983aee62f/ChexnetTrainer.py
#   (one transformSequence with RandomResizedCrop and RandomHorizontalFlip builds datasetTrain and datasetVal)
# reported: https://github.com/zoogzog/chexnet/issues/27; the same shape in
#   https://github.com/mrdbourke/pytorch-deep-learning/issues/1352
# written for kb (the mistake's shape, not the project's code); kb explain fires on the upstream code too
# expect: val-augmented line 17

import torchvision.transforms as transforms

steps = []
steps.append(transforms.RandomResizedCrop(224))
steps.append(transforms.RandomHorizontalFlip())
steps.append(transforms.ToTensor())
augment = transforms.Compose(steps)

dataset_train = ImageList(image_dir, train_list, transform=augment)
dataset_val = ImageList(image_dir, val_list, transform=augment)
