"""Polyphone classifier: the g2pM BiLSTM (kakaobrain, Apache-2.0, trained on CPP's train split), run in numpy.

We use only the weights and tables that the ``g2pM`` wheel ships, and score *only* the candidate readings of the
target character, so the model can never invent a reading the dictionaries do not know. Loaded lazily (~0.3 s).
"""

from __future__ import annotations

import threading
from functools import cached_property, lru_cache

import numpy as np

_LOCK = threading.Lock()


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def canonical(pron: str) -> str:
    """g2pM class spelling (``lu:4``) -> pypinyin TONE3 spelling (``lv4``)."""
    return pron.replace("u:", "v")


class PolyphoneModel:
    def __init__(self) -> None:
        from g2pM import G2pM  # the wheel's own loader reads its bundled tables and weights

        m = G2pM()
        self._cedict_raw: dict[str, list[str]] = m.cedict  # g2pM spelling; converted per character on demand
        self.char2idx: dict[str, int] = m.char2idx
        self.classes = [canonical(m.idx2class[i]) for i in range(len(m.idx2class))]
        self.class_index = {c: i for i, c in enumerate(self.classes)}
        self.emb = np.asarray(m.embeddings, dtype=np.float32)
        self.fw = (
            np.asarray(m.weight_ih, np.float32),
            np.asarray(m.weight_hh, np.float32),
            np.asarray(m.bias_ih + m.bias_hh, np.float32),
        )
        self.bw = (
            np.asarray(m.weight_ih_reverse, np.float32),
            np.asarray(m.weight_hh_reverse, np.float32),
            np.asarray(m.bias_ih_reverse + m.bias_hh_reverse, np.float32),
        )
        self.fc = (
            np.asarray(m.hidden_weight_l0, np.float32),
            np.asarray(m.hidden_bias_l0, np.float32),
            np.asarray(m.hidden_weight_l1, np.float32),
            np.asarray(m.hidden_bias_l1, np.float32),
        )
        from g2pM import g2pM as g2pm_module

        self.unk = m.char2idx[g2pm_module.UNK_TOKEN]
        self.bos = m.char2idx[g2pm_module.BOS_TOKEN]
        self.eos = m.char2idx[g2pm_module.EOS_TOKEN]

    @cached_property
    def cedict(self) -> dict[str, list[str]]:
        """Every character's readings (pypinyin spelling). Converting all 10k at load costs 10 ms of cold start:
        ``candidates`` converts only the characters asked about."""
        return {c: [canonical(p) for p in ps] for c, ps in self._cedict_raw.items()}

    def candidates(self, ch: str) -> list[str]:
        """The readings the model was trained to choose between for ``ch`` (pypinyin spelling; [] if none)."""
        return [canonical(p) for p in self._cedict_raw.get(ch, ())]

    @staticmethod
    def _run(x: np.ndarray, params: tuple[np.ndarray, np.ndarray, np.ndarray]) -> np.ndarray:
        w_ih, w_hh, b = params
        hidden = w_hh.shape[1]
        pre = x @ w_ih.T + b
        h = np.zeros(hidden, np.float32)
        c = np.zeros(hidden, np.float32)
        out = np.empty((x.shape[0], hidden), np.float32)
        for t in range(x.shape[0]):
            z = pre[t] + w_hh @ h
            i, f = _sigmoid(z[:hidden]), _sigmoid(z[hidden : 2 * hidden])
            g, o = np.tanh(z[2 * hidden : 3 * hidden]), _sigmoid(z[3 * hidden :])
            c = f * c + i * g
            h = o * np.tanh(c)
            out[t] = h
        return out

    def logits(self, sentence: str, positions: list[int]) -> np.ndarray:
        ids = [self.bos] + [self.char2idx.get(ch, self.unk) for ch in sentence] + [self.eos]
        x = self.emb[np.asarray(ids)]
        fw = self._run(x, self.fw)
        bw = self._run(x[::-1], self.bw)[::-1]
        hid = np.concatenate([fw, bw], axis=1)[[p + 1 for p in positions]]
        w0, b0, w1, b1 = self.fc
        return np.maximum(hid @ w0.T + b0, 0.0) @ w1.T + b1

    def probabilities(
        self, sentence: str, positions: list[int], candidates: list[list[str]]
    ) -> list[dict[str, float]]:
        """Softmax over each position's candidate readings (readings the model lacks are left out)."""
        if not positions:
            return []
        with _LOCK:
            scores = self.logits(sentence, positions)
        out: list[dict[str, float]] = []
        for row, cands in zip(scores, candidates, strict=True):
            known = [c for c in dict.fromkeys(cands) if c in self.class_index]
            if not known:
                out.append({})
                continue
            z = np.array([row[self.class_index[c]] for c in known], dtype=np.float64)
            e = np.exp(z - z.max())
            out.append(dict(zip(known, (e / e.sum()).tolist(), strict=True)))
        return out

    def choose(self, sentence: str, positions: list[int], candidates: list[list[str]]) -> list[str | None]:
        """Best reading among ``candidates[k]`` for ``sentence[positions[k]]`` (None if no candidate is a class)."""
        if not positions:
            return []
        with _LOCK:
            scores = self.logits(sentence, positions)
        out: list[str | None] = []
        for row, cands in zip(scores, candidates, strict=True):
            known = [(row[self.class_index[c]], c) for c in cands if c in self.class_index]
            out.append(max(known)[1] if known else None)
        return out


@lru_cache(maxsize=1)
def get_model() -> PolyphoneModel | None:
    try:
        return PolyphoneModel()
    except ImportError:
        return None
