#!/bin/sh
# Install the package into PYTHON with the headless OpenCV in use. `make install` and every build command of
# render.yaml run this script, so the two installs cannot drift.
# Usage: scripts/install.sh PYTHON PIP_INSTALL_ARGS...   e.g. scripts/install.sh .venv/bin/python -e '.[dev]'
set -eu
python=$1
shift
"$python" -m pip install --quiet --upgrade pip
"$python" -m pip install --quiet "$@"
# insightface declares the GUI build of OpenCV; both builds share cv2/, so put the headless build back on top.
if "$python" -m pip show --quiet opencv-python 2>/dev/null; then
  version=$("$python" -m pip show opencv-python | sed -n 's/^Version: //p')
  "$python" -m pip uninstall --quiet -y opencv-python
  "$python" -m pip install --quiet --force-reinstall --no-deps "opencv-python-headless==$version"
fi
"$python" -c "import cv2, insightface, dagster_celery; print('installed: opencv', cv2.__version__)"
