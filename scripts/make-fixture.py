#!/usr/bin/env python3
"""Writes the small real-embedding fixture that ships in Sources/SemblanceFixtures.

The vectors are all-MiniLM-L6-v2 sentence embeddings (384-d, unit length) of Debian
package descriptions: a seeded random sample of the `minilm-debian-60751` dataset made by
the shared ANN benchmark (its README documents how the texts were collected and embedded).
Run it from the repository root:

    python3 scripts/make-fixture.py --source ../shared/bench/data/minilm-debian-60751

Output (Sources/SemblanceFixtures/Resources/minilm-debian/):
    base.fvecs      N base vectors (TEXMEX layout: int32 dim, then dim float32, little-endian)
    query.fvecs     Q query vectors, held out of the base (they come from the dataset's queries)
    base.jsonl      per base row: {"name": first package name, "summary": first line of its text}
    query.jsonl     the same for the queries
    meta.json       provenance: source, seed, sizes, row numbers in the source dataset
"""
import argparse
import json
import os
import random
import struct

DIM = 384


def read_fvecs(path):
    with open(path, "rb") as f:
        data = f.read()
    (dim,) = struct.unpack_from("<i", data, 0)
    row = 4 + 4 * dim
    return dim, [data[i * row:(i + 1) * row] for i in range(len(data) // row)]


def read_texts(path):
    with open(path) as f:
        return [json.loads(line) for line in f]


def describe(entry):
    summary = entry["text"].split("\n", 1)[0].strip()
    names = entry.get("packages") or [""]
    return {"name": names[0], "summary": summary}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--source", required=True, help="folder of the minilm-debian dataset")
    parser.add_argument("--out", default="Sources/SemblanceFixtures/Resources/minilm-debian")
    parser.add_argument("--n", type=int, default=3000, help="base vectors")
    parser.add_argument("--nq", type=int, default=100, help="query vectors")
    parser.add_argument("--seed", type=int, default=20261121)
    args = parser.parse_args()

    dim, base = read_fvecs(os.path.join(args.source, "base.fvecs"))
    _, queries = read_fvecs(os.path.join(args.source, "query.fvecs"))
    assert dim == DIM, dim
    base_texts = read_texts(os.path.join(args.source, "base_texts.jsonl"))
    query_texts = read_texts(os.path.join(args.source, "query_texts.jsonl"))

    rng = random.Random(args.seed)
    base_rows = sorted(rng.sample(range(len(base)), args.n))
    query_rows = sorted(rng.sample(range(len(queries)), args.nq))

    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "base.fvecs"), "wb") as f:
        for r in base_rows:
            f.write(base[r])
    with open(os.path.join(args.out, "query.fvecs"), "wb") as f:
        for r in query_rows:
            f.write(queries[r])
    with open(os.path.join(args.out, "base.jsonl"), "w") as f:
        for r in base_rows:
            f.write(json.dumps(describe(base_texts[r])) + "\n")
    with open(os.path.join(args.out, "query.jsonl"), "w") as f:
        for r in query_rows:
            f.write(json.dumps(describe(query_texts[r])) + "\n")
    meta = {
        "source": "minilm-debian-60751 (shared ANN benchmark): all-MiniLM-L6-v2 embeddings of "
                  "Debian bookworm package descriptions (short + long text), unit length",
        "dimension": DIM, "metric": "cosine", "base": args.n, "queries": args.nq, "seed": args.seed,
        "base_rows": base_rows, "query_rows": query_rows,
    }
    with open(os.path.join(args.out, "meta.json"), "w") as f:
        json.dump(meta, f)
    print(f"wrote {args.n} base and {args.nq} query vectors to {args.out}")


if __name__ == "__main__":
    main()
