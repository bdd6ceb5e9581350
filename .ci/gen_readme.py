"""Write each addon's README.rst from its readme/ fragments (what oca-gen-addon-readme does).

``--check`` exits 1 when a README.rst is out of date.
"""

import ast
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
SECTIONS = (
    ("DESCRIPTION.md", None),
    ("CONFIGURE.md", "Configuration"),
    ("USAGE.md", "Usage"),
    ("ROADMAP.md", "Known issues / Roadmap"),
)
LICENSE = (
    "|license|\n\n.. |license| image:: https://img.shields.io/badge/licence-LGPL--3-blue.png\n"
    "    :target: http://www.gnu.org/licenses/lgpl-3.0-standalone.html\n    :alt: License: LGPL-3\n"
)


def render(addon):
    manifest = ast.literal_eval((addon / "__manifest__.py").read_text())
    name = manifest["name"]
    parts = [f"{'=' * len(name)}\n{name}\n{'=' * len(name)}\n", f"{manifest['summary']}\n", LICENSE]
    for fragment, title in SECTIONS:
        path = addon / "readme" / fragment
        if path.exists():
            if title:
                parts.append(f"{title}\n{'=' * len(title)}\n")
            parts.append(path.read_text().strip() + "\n")
    parts.append(
        "Credits\n=======\n\nAuthors: Lost Parcel & Reship contributors. Generated from the ``readme/`` fragments.\n"
    )
    return "\n".join(parts)


def main():
    stale = []
    for manifest in sorted(ROOT.glob("*/__manifest__.py")):
        addon = manifest.parent
        text = render(addon)
        target = addon / "README.rst"
        if not target.exists() or target.read_text() != text:
            stale.append(addon.name)
            if "--check" not in sys.argv:
                target.write_text(text)
    if stale and "--check" in sys.argv:
        print(f"README.rst out of date in: {', '.join(stale)} (run python3 .ci/gen_readme.py)")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
