"""`python -m archdsl` runs the command line."""

from archdsl.cli import main

main()
