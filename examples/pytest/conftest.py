# Load npte's pytest plugin from where `make install` puts it (or NPTE_PYTHON);
# with the plugin on python3's path, the last line alone does it.
import os
import sys

sys.path.insert(0, os.environ.get("NPTE_PYTHON", "/usr/local/share/npte/python"))
pytest_plugins = ["pytest_npte"]
