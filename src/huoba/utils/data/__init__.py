"""huoba.utils.data: datasets, samplers, collation and the DataLoader."""
from .dataset import (Dataset, IterableDataset, TensorDataset, ConcatDataset, ChainDataset, Subset, StackDataset,
                      random_split)
from .sampler import (Sampler, SequentialSampler, RandomSampler, SubsetRandomSampler, WeightedRandomSampler,
                      BatchSampler)
from .collate import default_collate, default_convert
from .dataloader import DataLoader, get_worker_info, WorkerInfo
from . import dataloader, dataset, sampler

_utils = type("_utils", (), {"collate": __import__(__name__ + ".collate", fromlist=["x"])})
