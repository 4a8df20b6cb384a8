"""`python -m sparkle_cli` runs the command line."""

from sparkle_cli.cli import main

main()
