"""Generate the bundled SAMPLE archive: synthetic Yahoo payloads in the exact wire formats.

SAMPLE DATA. The generator lives in ``ingest/sample/`` (``world.py`` simulates the funds,
one module per source renders wire formats); this script is its command line::

    python scripts/make_sample_archive.py --out data/sample_archive [--tickers SPY QQQ]
"""

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from ingest.sample import build_sample_archive
from ingest.sample.world import LABEL


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path("data/sample_archive"),
                        help="archive directory to (re)create (default: data/sample_archive)")
    parser.add_argument("--tickers", nargs="+", metavar="TICKER",
                        help="tickers to generate (default: the whole seed universe)")
    parser.add_argument("--include-bad-ticker", metavar="TICKER",
                        help="also store Yahoo's not-found answers for this unknown ticker")
    args = parser.parse_args(argv)
    began = time.perf_counter()
    try:
        manifest = build_sample_archive(args.out, args.tickers,
                                        include_bad_ticker=args.include_bad_ticker)
    except (FileExistsError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"{manifest['payload_count']} payloads for {len(manifest['tickers'])} tickers "
          f"({manifest['start']} .. {manifest['end']}) -> {args.out} "
          f"in {time.perf_counter() - began:.1f}s  [{LABEL}]")
    return 0


if __name__ == "__main__":
    sys.exit(main())
