"""``python -m rewardmap …`` = the ``rewardmap`` command (what ``torchrun -m rewardmap train …`` runs)."""

import sys

from rewardmap.cli import main

if __name__ == "__main__":
    sys.exit(main())
