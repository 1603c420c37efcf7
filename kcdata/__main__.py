"""Allow ``python -m kcdata``."""

from kcdata.cli import main

if __name__ == "__main__":
    main()
