import argparse
import sys

from tools.frontend_bench.cli import add_arguments, run

parser = argparse.ArgumentParser(prog="python -m tools.frontend_bench", description="score the text frontend")
add_arguments(parser)
sys.exit(run(parser.parse_args()))
