"""Train Scenario-Wise-Rec's implementation of one model on the ML-100k split, as its MovieLens script does.

The peer of bench/peer/compare.ts (which runs ours beside it); never a dependency of optmsm. Needs Debian's
PyTorch (`apt-get install python3-torch python3-sklearn python3-pandas python3-tqdm`, run with /usr/bin/python3)
and a copy of the Scenario-Wise-Rec checkout in the folder named by $SWR_DIR; without either it prints why and
exits with status 3 (skipped).

Protocol: the model sizes and trainer settings of Scenario-Wise-Rec's scripts/run_movielens_rank_multi_domain.py
(Adam lr 1e-3, weight decay 1e-5, batch 4096, early stopping on validation AUC with patience 4; its script passes
scheduler parameters without a scheduler, so there is none), at most 50 epochs as ours, on the same fixed split
(the `split` column) and features: sparse user_id, item_id, gender, occupation, zip, genre (its cate_id = the first
genre), dense age (min-max), scenario `domain`. Unlike its script, vocabularies and the scaler are fitted on the
training rows only, with id 0 for values unseen there (its script fits them on all rows), and batches are cut
from tensors held in memory (its DataGenerator builds each batch from 4096 per-row dicts, which costs more than
the model on ML-100k: the time ratio would measure Python's data loading, not the training). Prints one JSON line:
test AUC and LogLoss overall and per domain, epochs run and the seconds of each training epoch (validation
excluded, as optmsm's log.jsonl).
"""
import argparse
import json
import os
import random
import sys
import tempfile
import time

try:
    import numpy as np
    import pandas as pd
    import torch
except ImportError as missing:  # the peer is optional
    print(f"skipped: {missing} (apt-get install python3-torch python3-pandas python3-sklearn python3-tqdm)")
    sys.exit(3)

SWR_DIR = os.environ.get("SWR_DIR")
if not SWR_DIR or not os.path.isdir(os.path.join(SWR_DIR, "scenario_wise_rec")):
    print("skipped: $SWR_DIR does not name a copy of the Scenario-Wise-Rec checkout")
    sys.exit(3)
sys.path.insert(0, SWR_DIR)

from scenario_wise_rec.basic.features import DenseFeature, SparseFeature  # noqa: E402
from scenario_wise_rec.models import multi_domain as md  # noqa: E402
from scenario_wise_rec.trainers import CTRTrainer  # noqa: E402
from torch.utils.data import BatchSampler, DataLoader, Dataset, RandomSampler, SequentialSampler  # noqa: E402

SPARSE = ["user_id", "movie_id", "gender", "occupation", "zip", "cate_id"]
DOMAINS = 3


def load(csv):
    data = pd.read_csv(csv, dtype={"zip": str, "gender": str, "occupation": str, "genre": str})
    data = data.rename(columns={"item_id": "movie_id", "genre": "cate_id", "domain": "domain_indicator"})
    train = data["split"] == "train"
    for name in SPARSE:
        codes = {v: i + 1 for i, v in enumerate(sorted(data.loc[train, name].unique()))}
        data[name] = data[name].map(codes).fillna(0).astype("int64")
    low, high = data.loc[train, "age"].min(), data.loc[train, "age"].max()
    data["age"] = ((data["age"] - low) / (high - low)).astype("float32")
    vocab = {name: int(data.loc[train, name].max()) + 1 for name in SPARSE}
    return data, vocab


def features(vocab):
    sparse = {name: SparseFeature(name, vocab_size=vocab[name], embed_dim=16) for name in SPARSE}
    dense = [DenseFeature("age")]
    scenario = [SparseFeature("domain_indicator", vocab_size=DOMAINS, embed_dim=16)]
    return sparse, dense, scenario


class Rows(Dataset):
    """Rows of in-memory tensors, indexed by a whole batch of row numbers at once."""

    def __init__(self, x, y):
        self.x = {k: torch.from_numpy(v) for k, v in x.items()}
        self.y = torch.from_numpy(y)

    def __len__(self):
        return len(self.y)

    def __getitem__(self, rows):
        return {k: v[rows] for k, v in self.x.items()}, self.y[rows]


def loader(x, y, shuffle):
    rows = Rows(x, y)
    order = RandomSampler(rows) if shuffle else SequentialSampler(rows)
    return DataLoader(rows, sampler=BatchSampler(order, batch_size=4096, drop_last=False), batch_size=None)


def build(name, sparse, dense, scenario):
    """The model as scripts/run_movielens_rank_multi_domain.py builds it."""
    all_sparse = list(sparse.values())
    if name == "shared-bottom":
        return md.SharedBottom(dense + all_sparse, DOMAINS, bottom_params={"dims": [128]}, tower_params={"dims": [8]})
    if name == "mmoe":
        return md.MMOE(dense + all_sparse, DOMAINS, n_expert=DOMAINS, expert_params={"dims": [16]}, tower_params={"dims": [8]})
    if name == "ple":
        return md.PLE(dense + all_sparse, DOMAINS, n_level=1, n_expert_specific=2, n_expert_shared=1,
                      expert_params={"dims": [16]}, tower_params={"dims": [8]})
    if name == "star":
        return md.Star(dense + all_sparse, DOMAINS, fcn_dims=[128, 64, 32], aux_dims=[32])
    if name == "adasparse":
        return md.AdaSparse(sce_features=scenario, agn_features=all_sparse, form="Fusion", epsilon=1e-2, alpha=1.0,
                            delta_alpha=1e-4, mlp_params={"dims": [32, 32], "dropout": 0.2, "activation": "relu"})
    if name == "sar-net":
        return md.Sarnet(features=all_sparse, domain_num=DOMAINS, domain_shared_expert_num=8, domain_specific_expert_num=2)
    if name == "adaptdhm":
        return md.AdaptDHM(features=all_sparse + scenario, fcn_dims=[64, 64], cluster_num=3, beta=0.9, device="cpu")
    if name == "epnet":
        return md.EPNet(sce_features=scenario, agn_features=all_sparse + dense, fcn_dims=[128, 64, 32])
    if name == "ppnet":
        ids = [sparse["user_id"], sparse["movie_id"]]
        rest = [sparse[n] for n in SPARSE if n not in ("user_id", "movie_id")]
        return md.PPNet(id_features=ids, agn_features=rest + dense + scenario, domain_num=DOMAINS, fcn_dims=[128, 64, 32])
    if name == "m3oe":
        return md.M3oE(features=dense + all_sparse, domain_num=DOMAINS, fcn_dims=[128, 64, 64, 32], expert_num=4,
                       exp_d=1, exp_t=1, bal_d=1, bal_t=1, device="cpu")
    if name == "hamur":
        return md.HamurSmall(dense + all_sparse, domain_num=DOMAINS, fcn_dims=[256, 128], hyper_dims=[64], k=35)
    raise SystemExit(f"unknown model {name}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, help="ml100k_ctr.csv")
    parser.add_argument("--model", required=True)
    parser.add_argument("--seed", type=int, default=2022)
    parser.add_argument("--epochs", type=int, default=50)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    data, vocab = load(args.data)
    sparse, dense, scenario = features(vocab)
    columns = SPARSE + ["age", "domain_indicator"]

    def part(split):
        rows = data[data["split"] == split]
        return {c: rows[c].to_numpy() for c in columns}, rows["label"].to_numpy().astype("float32")

    loaders = [loader(*part(split), shuffle=split == "train") for split in ("train", "val", "test")]
    model = build(args.model, sparse, dense, scenario)
    with tempfile.TemporaryDirectory() as folder:
        trainer = CTRTrainer(model, "Movielens", optimizer_params={"lr": 1e-3, "weight_decay": 1e-5},
                             n_epoch=args.epochs, earlystop_patience=4, device="cpu", model_path=folder)
        epoch_seconds = []
        train_one_epoch = trainer.train_one_epoch

        def timed(loader, log_interval=10):
            started = time.perf_counter()
            train_one_epoch(loader, log_interval)
            epoch_seconds.append(time.perf_counter() - started)

        trainer.train_one_epoch = timed
        trainer.fit(loaders[0], loaders[1])
        domain_logloss, domain_auc, logloss, auc = trainer.evaluate_multi_domain_loss(trainer.model, loaders[2], DOMAINS)
    print(json.dumps({
        "model": args.model, "seed": args.seed, "auc": auc, "logloss": logloss,
        "domain_auc": domain_auc, "domain_logloss": domain_logloss,
        "epochs": len(epoch_seconds), "epoch_seconds": epoch_seconds,
    }))


if __name__ == "__main__":
    main()
