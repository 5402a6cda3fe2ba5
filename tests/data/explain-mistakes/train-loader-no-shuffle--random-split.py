# pattern of: https://github.com/jacarvalho/mpd-public/blob/c07ed43e732a09a5ef0b937539f69d3d7b5e812b/mpd/trainer/train_loaders.py
#   (train_dataloader = DataLoader(train_subset, batch_size=batch_size), no shuffle)
# confirmed: https://github.com/joaoamcarvalho/mpd-public/issues/6 ("It should definitely have `shuffle=True`.")
# written for kb (the mistake's shape, not the project's code); kb explain fires on the upstream code too
# expect: train-loader-no-shuffle line 12

from torch.utils.data import DataLoader, random_split


def loaders(dataset, batch_size=32, val_fraction=0.05):
    train_part, val_part = random_split(dataset, [1 - val_fraction, val_fraction])
    train_loader = DataLoader(train_part, batch_size=batch_size)
    val_loader = DataLoader(val_part, batch_size=batch_size)
    return train_loader, val_loader
