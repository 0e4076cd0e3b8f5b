"""Compile the translation catalogues (.po → .mo) with polib, so no GNU gettext is needed.

Source strings are Chinese (the default language); locale/en holds the English catalogue.
Run by dev.py before serving or testing: `python -m jiefen.common.i18n`.
"""

from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent.parent / "locale"


def compile_all() -> int:
    count = 0
    for po_path in ROOT.glob("*/LC_MESSAGES/*.po"):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        polib.pofile(str(po_path)).save_as_mofile(str(mo_path))
        count += 1
    return count


if __name__ == "__main__":
    compile_all()
