#!/usr/bin/env python3
"""Builds the mock-idp wheel: the ``mock-idp`` binary cargo built plus the pure-Python package
(the control API client and the pytest plugin), standard library only.

    python3 packaging/python/build_wheel.py [--binary PATH] [--out DIR] [--plat-tag TAG]

The binary lands in ``mock_idp-VERSION.data/scripts/``, so pip puts it on PATH (the venv's
``bin/``) as it does for ruff's wheel; the version is ``mock-idp-cli``'s. Why not maturin
(``bindings = "bin"``): maturin runs its own cargo build, and CI packages the binary the test run
already built; this script is the few lines of the wheel format (PEP 427/491) maturin would write
around it. The default platform tag is this interpreter's (``linux_x86_64`` here): pip installs
it; a wheel for PyPI would need a manylinux tag after checking the glibc symbols (auditwheel).
The binary's debug info is stripped (``strip --strip-debug``) when ``strip`` is available.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import os
import re
import shutil
import stat
import subprocess
import sys
import sysconfig
import tempfile
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
NAME = "mock_idp"
# Wheels are zip files; a fixed timestamp makes two builds of the same inputs byte-identical.
EPOCH = (1980, 1, 1, 0, 0, 0)


def crate_version() -> str:
    text = (ROOT / "mock-idp-cli" / "Cargo.toml").read_text()
    match = re.search(r'^version\s*=\s*"([^"]+)"', text, re.M)
    if not match:
        sys.exit("build_wheel: no version in mock-idp-cli/Cargo.toml")
    return match.group(1)


def workspace_license() -> str:
    match = re.search(r'^license\s*=\s*"([^"]+)"', (ROOT / "Cargo.toml").read_text(), re.M)
    return match.group(1) if match else "UNKNOWN"


def default_binary() -> Path:
    target = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    return target / "release" / "mock-idp"


def record_hash(data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"sha256={digest}"


def prepared_binary(path: Path, work: Path, strip: bool) -> bytes:
    if not path.is_file():
        sys.exit(f"build_wheel: {path} not found (cargo build --release -p mock-idp-cli, or --binary)")
    copy = work / "mock-idp"
    shutil.copyfile(path, copy)
    if strip and shutil.which("strip"):
        subprocess.run(["strip", "--strip-debug", str(copy)], check=True)
    return copy.read_bytes()


def metadata(version: str) -> str:
    readme = (HERE / "README.md").read_text()
    return (
        "Metadata-Version: 2.1\n"
        "Name: mock-idp\n"
        f"Version: {version}\n"
        "Summary: An offline mock Auth0 tenant (the mock-idp binary) with a pytest fixture and a control API client\n"
        f"License: {workspace_license()}\n"
        "Requires-Python: >=3.9\n"
        "Classifier: Framework :: Pytest\n"
        "Classifier: Typing :: Typed\n"
        "Description-Content-Type: text/markdown\n"
        "\n" + readme
    )


def build(binary: Path, out: Path, plat_tag: str, strip: bool) -> Path:
    version = crate_version()
    tag = f"py3-none-{plat_tag}"
    dist_info = f"{NAME}-{version}.dist-info"
    data = f"{NAME}-{version}.data"
    files: list[tuple[str, bytes, int]] = []
    for src in sorted((HERE / "src" / NAME).iterdir()):
        if src.is_file() and (src.suffix == ".py" or src.name == "py.typed"):
            files.append((f"{NAME}/{src.name}", src.read_bytes(), 0o644))
    with tempfile.TemporaryDirectory() as work:
        files.append((f"{data}/scripts/mock-idp", prepared_binary(binary, Path(work), strip), 0o755))
    files.append((f"{dist_info}/METADATA", metadata(version).encode(), 0o644))
    wheel_meta = f"Wheel-Version: 1.0\nGenerator: packaging/python/build_wheel.py\nRoot-Is-Purelib: false\nTag: {tag}\n"
    files.append((f"{dist_info}/WHEEL", wheel_meta.encode(), 0o644))
    entry_points = "[pytest11]\nmock_idp = mock_idp.pytest_plugin\n"
    files.append((f"{dist_info}/entry_points.txt", entry_points.encode(), 0o644))
    files.append((f"{dist_info}/top_level.txt", f"{NAME}\n".encode(), 0o644))
    record = "".join(f"{name},{record_hash(body)},{len(body)}\n" for name, body, _ in files)
    record += f"{dist_info}/RECORD,,\n"
    files.append((f"{dist_info}/RECORD", record.encode(), 0o644))

    out.mkdir(parents=True, exist_ok=True)
    wheel = out / f"{NAME}-{version}-{tag}.whl"
    with zipfile.ZipFile(wheel, "w", zipfile.ZIP_DEFLATED) as z:
        for name, body, mode in files:
            info = zipfile.ZipInfo(name, EPOCH)
            info.external_attr = (stat.S_IFREG | mode) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, body)
    return wheel


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--binary", type=Path, default=default_binary(),
                        help="the mock-idp binary [default: $CARGO_TARGET_DIR or target, /release/mock-idp]")
    parser.add_argument("--out", type=Path, default=ROOT / "packaging" / "dist", help="output folder")
    default_tag = re.sub(r"[-.]", "_", sysconfig.get_platform())
    parser.add_argument("--plat-tag", default=default_tag, help=f"wheel platform tag [default: {default_tag}]")
    parser.add_argument("--no-strip", action="store_true", help="keep the binary's debug info")
    args = parser.parse_args()
    print(build(args.binary, args.out, args.plat_tag, not args.no_strip))


if __name__ == "__main__":
    main()
