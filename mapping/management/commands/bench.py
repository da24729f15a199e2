from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from mapping.bench.common import BenchConfig
from mapping.bench.runner import ALL_NAMES, run_bench


class Command(BaseCommand):
    help = (
        "Run the benchmark suite (issue #8) in its own databases (anglemort_bench*) and "
        "write docs/benchmarks.md. Each figure comes with a baseline from the same run. "
        f"Benchmarks: {', '.join(ALL_NAMES)}."
    )

    def add_arguments(self, parser):
        parser.add_argument("--quick", action="store_true", help="small sizes, a few minutes")
        parser.add_argument(
            "--only", action="append", default=[], metavar="NAME", help="run only NAME (repeat)"
        )
        parser.add_argument("--cameras", type=int, help="synthetic cameras (default 2,500,000)")
        parser.add_argument("--segments", type=int, help="synthetic segments (default 500,000)")
        parser.add_argument("--seed", type=int, default=8)
        parser.add_argument(
            "--regenerate", action="store_true", help="regenerate the synthetic set"
        )
        parser.add_argument("--output", type=Path, help="report path")
        parser.add_argument(
            "--work-dir", type=Path, default=Path("var/bench"), help="where the .pbf goes"
        )

    def handle(
        self, *args, quick, only, cameras, segments, seed, regenerate, output, work_dir, **opts
    ):
        names = {name for item in only for name in item.split(",") if name}
        unknown = names - set(ALL_NAMES)
        if unknown:
            raise CommandError(f"unknown benchmark {', '.join(sorted(unknown))}: choose from "
                               f"{', '.join(ALL_NAMES)}")  # fmt: skip
        config = BenchConfig.build(quick, cameras, segments, seed, work_dir)
        default = "var/bench/benchmarks-quick.md" if quick else "docs/benchmarks.md"
        output = output or Path(default)
        results = run_bench(config, names or set(ALL_NAMES), output, regenerate, self.stdout.write)
        for m in results:
            self.stdout.write(f"{m.verdict:>12}  {m.name}: {m.value} {m.unit} {m.note}")
        self.stdout.write(self.style.SUCCESS(f"Wrote {output}"))
