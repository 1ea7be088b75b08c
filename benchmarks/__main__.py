"""Run the benchmarks: ``python -m benchmarks [--quick | --size N] [--runs N] [NAME …]``.

One JSON line per measured line: the figure, its floor measured in the same run, their ratio
and the size the workload ran at. ``--size N`` runs every chosen workload at ``N`` (elders,
profiles, certificates… whatever the workload's size counts) instead of its full size.

For the largest sizes ``county_scale`` also takes ``--laptop DIR`` (an existing demo laptop
workspace of ``N`` elders, password ``yinling123``, instead of building one), ``--lines``
(``import,dashboard,workbook``: only those lines) and ``--runs N`` (timed repeats of the
import, the export, the workbook and their floors; default 3, fewer only when one run takes
many minutes — the line then says how many runs it took).
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import traceback

# module name -> (full size, quick size)
WORKLOADS: dict[str, tuple[int, int]] = {
    "grading": (100_000, 2_000),
    "store_search": (100_000, 2_000),
    "roster_paging": (100_000, 2_000),
    "eligibility_batch": (1_000_000, 2_000),
    "eligibility_store": (100_000, 2_000),
    "gui_startup": (100_000, 300),
    "gui_entry": (100_000, 300),
    "gui_eligibility": (100_000, 300),
    "certificates": (1_000, 20),
    "sync_ingest": (10_000, 300),
    "county_scale": (100_000, 300),
    "signin_timing": (10_000, 3_000),
    "gui_signin": (100_000, 300),
    "visit_tiers": (100_000, 2_000),
    "laptop_store": (100_000, 2_000),
    "server_scale": (20_000, 500),
}


def _positive(text: str) -> int:
    """A workload size: a whole number of at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"规模必须是正整数：{text}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"规模必须是正整数：{text}")
    return value


def main(argv: list[str] | None = None) -> int:
    """Run the chosen workloads (all by default) and print their JSON lines."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks")
    parser.add_argument("names", nargs="*", help=f"workloads: {', '.join(WORKLOADS)}")
    sizes = parser.add_mutually_exclusive_group()
    sizes.add_argument("--quick", action="store_true", help="small sizes (smoke test)")
    sizes.add_argument("--size", type=_positive, metavar="N",
                       help="run the chosen workloads at this size")
    parser.add_argument("--laptop", metavar="DIR",
                        help="county_scale: an existing demo workspace of N elders")
    parser.add_argument("--lines", metavar="NAMES",
                        help="county_scale: only these lines (import,dashboard,workbook)")
    parser.add_argument("--runs", type=_positive, metavar="N",
                        help="county_scale: timed repeats of the import, export, workbook, floors")
    args = parser.parse_args(argv)
    options = {key: value for key, value in (("laptop", args.laptop), ("lines", args.lines),
                                             ("runs", args.runs)) if value is not None}
    failed = 0
    for name in args.names or list(WORKLOADS):
        if name not in WORKLOADS:
            parser.error(f"unknown workload {name}")
        full, quick = WORKLOADS[name]
        size = args.size or (quick if args.quick else full)
        try:
            module = importlib.import_module(f"benchmarks.{name}")
            for line in module.run(size, **options) if options else module.run(size):
                print(json.dumps({**line, "workload": name, "size": size},
                                 ensure_ascii=False), flush=True)
        except Exception:  # a failing workload must not hide the others
            failed += 1
            traceback.print_exc()
            print(json.dumps({"name": name, "error": "failed"}), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
