"""The peer drivers' shared start-up: re-run the calling script in a virtual environment of
its own under target/ when the Python packages it compares against are missing here."""

import importlib
import os
import subprocess
import sys


def ensure(venv, modules, packages, script):
    """Returns if every module in `modules` imports; otherwise creates `venv` (once), installs
    `packages` there with pip and re-executes `script` (with this process's arguments) in it."""
    try:
        for m in modules:
            importlib.import_module(m)
        return
    except ImportError:
        pass
    python = os.path.join(venv, "bin", "python")
    if os.path.realpath(sys.prefix) == os.path.realpath(venv):
        sys.exit(f"{', '.join(modules)}: missing from {venv}")
    if not os.path.exists(python):
        subprocess.run([sys.executable, "-m", "venv", venv], check=True)
        subprocess.run([python, "-m", "pip", "install", "--quiet", *packages], check=True)
    os.execv(python, [python, os.path.abspath(script), *sys.argv[1:]])
