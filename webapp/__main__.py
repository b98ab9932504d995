"""`python -m webapp ...` is `complaintflow ...` (how `serve` starts its scheduler child)."""
from webapp.cli import main

if __name__ == "__main__":
    main()
