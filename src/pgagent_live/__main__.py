"""Run the command line as ``python -m pgagent_live``."""

from pgagent_live.cli import main

main()
