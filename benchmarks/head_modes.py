"""Which head mode stores the generated layers in fewer bytes than their INT8 kernels?

Trains hypertinypw on the synthetic dataset once per (head mode, packing bits)
and prints, from each export's ledger: the bytes the generated layers need as
INT8 kernels (baked) and as generator + heads + codes + scales (boot / lazy),
flash and SRAM per schedule, and the INT8 model's test macro-F1.

    python benchmarks/head_modes.py [--epochs 10] [--d-h 8] [--depth 7]
"""
from __future__ import annotations

import argparse

from tpw_export import pipeline
from tpw_tf.layers import HEADS


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--d-h", type=int, default=8)
    parser.add_argument("--depth", type=int, default=7)
    parser.add_argument("--bits", type=int, nargs="+", default=[8, 4])
    args = parser.parse_args(argv)
    rows = ["| head | bits | INT8 kernels B | packed instead B | baked flash | boot flash | lazy flash "
            "| baked SRAM | boot SRAM | lazy SRAM | INT8 test macro-F1 |", "|---|---:|" + "---:|" * 9]
    for head in HEADS:
        for bits in args.bits:
            result, _ = pipeline.run(dataset="synthetic", epochs=args.epochs, bits=bits, progress=False,
                                     model_config=dict(head=head, d_h=args.d_h, depth=args.depth))
            ledger, s = result.ledger, result.ledger["schedules"]
            g = ledger["expanded_layers"]
            rows.append(f"| {head} | {bits} | {g['int8_kernel_bytes']:,} | {g['packed_bytes']:,} | "
                        + " | ".join(f"{s[k][m]:,}" for m in ("flash_bytes", "sram_bytes")
                                     for k in ("baked", "boot", "lazy"))
                        + f" | {ledger['parity']['int8_macro_f1']:.3f} |")
            print(rows[-1], flush=True)
    print("\n".join(rows))


if __name__ == "__main__":
    main()
