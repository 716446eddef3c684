"""One module per scenario, each exposing ``SCENARIO``; ``python -m bench --list`` lists them."""
