#!/usr/bin/env python3
"""Extracts the MediaPipe canonical face mesh into plain CSV files.

Input: `face_mesh_solution_packed_assets.data` from the npm package
`@mediapipe/face_mesh@0.4.1657299874` (Apache-2.0). The protobuf
`geometry_pipeline_metadata_landmarks.binarypb` sits at bytes 3737848..3757224.
It is a `GeometryPipelineMetadata` message whose field 1 is the canonical
`Mesh3d`:

    message Mesh3d {
      optional VertexType vertex_type = 1;      // 0 = VERTEX_PT: x, y, z, u, v
      optional PrimitiveType primitive_type = 2; // 0 = TRIANGLE
      repeated float vertex_buffer = 3 [packed = true];
      repeated uint32 index_buffer = 4 [packed = true];
    }

The reader below decodes just the wire types that occur (varint, 32-bit,
length-delimited), so no protobuf package is needed. Standard library only.

Usage: python3 extract_mesh.py PACKED_ASSETS.data OUT_DIR
Writes OUT_DIR/vertices.csv (468 rows: x,y,z,u,v; cm, y up, z toward the viewer)
and OUT_DIR/triangles.csv (898 rows: three 0-based vertex ids).
"""
import struct
import sys

START, END = 3737848, 3757224


def varint(buf, i):
    shift = value = 0
    while True:
        b = buf[i]
        i += 1
        value |= (b & 0x7F) << shift
        if b < 0x80:
            return value, i
        shift += 7


def fields(buf):
    """Yields (field number, wire type, value) for one message."""
    i = 0
    while i < len(buf):
        key, i = varint(buf, i)
        num, wt = key >> 3, key & 7
        if wt == 0:
            v, i = varint(buf, i)
        elif wt == 1:
            v, i = buf[i:i + 8], i + 8
        elif wt == 2:
            n, i = varint(buf, i)
            v, i = buf[i:i + n], i + n
        elif wt == 5:
            v, i = buf[i:i + 4], i + 4
        else:
            raise ValueError(f"unsupported wire type {wt} for field {num}")
        yield num, wt, v


def packed_varints(buf):
    out, i = [], 0
    while i < len(buf):
        v, i = varint(buf, i)
        out.append(v)
    return out


def main():
    src, out = sys.argv[1], sys.argv[2]
    with open(src, "rb") as f:
        data = f.read()[START:END]
    mesh = next(v for num, wt, v in fields(data) if num == 1 and wt == 2)
    verts, idx, vtype = [], [], None
    for num, wt, v in fields(mesh):
        if num == 1:
            vtype = v
        elif num == 3 and wt == 2:
            verts += struct.unpack(f"<{len(v) // 4}f", v)
        elif num == 3 and wt == 5:
            verts.append(struct.unpack("<f", v)[0])
        elif num == 4 and wt == 2:
            idx += packed_varints(v)
        elif num == 4 and wt == 0:
            idx.append(v)
    assert vtype in (None, 0), f"vertex type {vtype} is not x,y,z,u,v"
    assert len(verts) == 468 * 5, len(verts)
    assert len(idx) == 898 * 3, len(idx)
    with open(f"{out}/vertices.csv", "w") as f:
        f.write("x,y,z,u,v\n")
        for k in range(468):
            f.write(",".join(repr(c) for c in verts[5 * k:5 * k + 5]) + "\n")
    with open(f"{out}/triangles.csv", "w") as f:
        f.write("a,b,c\n")
        for k in range(898):
            f.write(",".join(str(c) for c in idx[3 * k:3 * k + 3]) + "\n")


if __name__ == "__main__":
    main()
