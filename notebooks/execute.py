#!/usr/bin/env python3
"""Executes every notebook in this folder top to bottom (CI: `.ci/run`).

Usage: python notebooks/execute.py [--results DIR] [--write DIR]

Each notebook runs in a fresh `python3` kernel with its working directory set to `notebooks/`;
matplotlib draws with the kernel's inline backend (Agg rendering into the cell outputs, so no
display is needed). A failing cell fails the script (exit 1) with the cell's traceback. The committed notebooks are not modified: `--write DIR` saves executed copies there.
`--results DIR` points the notebooks at another copy of the reference results (it sets
MARKETSIM_RESULTS; default: results/reference next to this folder).
"""
import argparse
import os
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

HERE = Path(__file__).resolve().parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=Path, help="reference results directory")
    parser.add_argument("--write", type=Path, help="save executed notebooks here")
    args = parser.parse_args()
    if args.results:
        os.environ["MARKETSIM_RESULTS"] = str(args.results.resolve())
    notebooks = sorted(HERE.glob("*.ipynb"))
    if not notebooks:
        print("no notebooks found", file=sys.stderr)
        return 1
    failed = 0
    for path in notebooks:
        nb = nbformat.read(path, as_version=4)
        client = NotebookClient(
            nb,
            kernel_name="python3",
            timeout=600,
            resources={"metadata": {"path": str(HERE)}},
        )
        try:
            client.execute()
        except CellExecutionError as e:
            failed += 1
            print(f"FAILED {path.name}:\n{e}", file=sys.stderr)
            continue
        print(f"ok {path.name} ({len(nb.cells)} cells)")
        if args.write:
            args.write.mkdir(parents=True, exist_ok=True)
            nbformat.write(nb, args.write / path.name)
    print(f"{len(notebooks) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
