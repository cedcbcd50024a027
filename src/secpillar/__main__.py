"""``python -m secpillar``."""

from secpillar.cli.main import main

main()
