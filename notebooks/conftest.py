"""pytest's settings for the notebooks (nbval): the quick CI setting of heavy cells, whichever paths pytest runs.

tests/conftest.py sets the same when the whole suite runs; this covers `pytest notebooks/NN_name.ipynb` alone.
The notebooks read it as ``os.environ.get("SWIN_EDU_QUICK") == "1"`` (see notebooks/README.md).
"""

import os

os.environ.setdefault("SWIN_EDU_QUICK", "1")
os.environ.setdefault("MPLBACKEND", "Agg")
