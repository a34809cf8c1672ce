"""``otel-litellm``: the demo, the metric table, and the standalone database exporter."""

from __future__ import annotations

import argparse
import logging
import os
import sys


def _demo(args: argparse.Namespace) -> int:
    from otel_litellm.demo import DemoError, run_demo

    try:
        run_demo(
            port=args.port,
            rounds=args.rounds,
            serve_seconds=args.serve,
            host=args.host,
            verbose=args.verbose,
        )
    except DemoError as error:
        print(f"otel-litellm demo: {error}", file=sys.stderr)
        return 2
    return 0


def _metrics_table(args: argparse.Namespace) -> int:
    from otel_litellm.docs import metrics_markdown

    sys.stdout.write(metrics_markdown())
    return 0


def _families(args: argparse.Namespace) -> int:
    from otel_litellm.docs import families_module

    sys.stdout.write(families_module())
    return 0


def _db(args: argparse.Namespace) -> int:
    from otel_litellm.db.exporter import main as db_main

    return int(db_main(port=args.port, host=args.host) or 0)


def main(argv: list[str] | None = None) -> int:
    # This process is ours: LiteLLM's bundled price map, no download at start-up.
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    parser = argparse.ArgumentParser(prog="otel-litellm", description=__doc__)
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="debug logging, and LiteLLM's own log"
    )
    commands = parser.add_subparsers(dest="command", required=True)

    demo = commands.add_parser("demo", help="drive LiteLLM against a local mock, serve /metrics")
    demo.add_argument("--port", type=int, default=9464, help="metrics port (0: any free port)")
    demo.add_argument("--host", default="127.0.0.1")
    demo.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        default=argparse.SUPPRESS,  # keeps `otel-litellm -v demo` working too
        help="show LiteLLM's own log (quiet by default: the demo's errors are on purpose)",
    )
    demo.add_argument("--rounds", type=int, default=30, help="traffic rounds (5 calls each)")
    demo.add_argument(
        "--serve",
        type=float,
        default=0.0,
        help="keep serving /metrics this many seconds after the traffic",
    )
    demo.set_defaults(run=_demo)

    table = commands.add_parser("metrics", help="print the metric table as Markdown")
    table.set_defaults(run=_metrics_table)
    names = commands.add_parser("families", help="print otel_litellm/families.py")
    names.set_defaults(run=_families)

    db = commands.add_parser("db", help="standalone LiteLLM database exporter (seed env vars)")
    db.add_argument("--port", type=int, default=int(os.environ.get("METRICS_PORT", "9090")))
    db.add_argument("--host", default=os.environ.get("METRICS_HOST", "127.0.0.1"))
    db.set_defaults(run=_db)

    args = parser.parse_args(argv)
    # One handler, for otel_litellm's own log: LiteLLM's loggers bring their own
    # handler, and the demo decides how much of them is shown.
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    ours = logging.getLogger("otel_litellm")
    ours.addHandler(handler)
    ours.setLevel(logging.DEBUG if args.verbose else logging.INFO)
    ours.propagate = False
    return int(args.run(args))


if __name__ == "__main__":
    raise SystemExit(main())
