"""`python -m kb`: the same command as `kb`."""

from .cli import run

if __name__ == "__main__":
    run()
