"""The benchmark suite of `make bench` (issue 9): `python -m scripts.bench --help`."""
