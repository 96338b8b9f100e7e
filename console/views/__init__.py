"""One module per area of the console; ``console/urls.py`` maps them."""
