"""The theme's icons as a few kilobytes of CSS instead of 1.5 MB of JavaScript.

pydata-sphinx-theme loads Font Awesome's ``fontawesome.js`` (1.5 MB, 540 KB gzipped) on every
page to turn some twenty ``<i class="fa-solid fa-bars">`` elements into SVG. This module reads
the icon paths the book actually uses out of that same file (so the shapes and their licence,
Font Awesome Free's CC BY 4.0 icons, are unchanged) and writes ``icons.css``, which draws each
icon as a CSS mask in the current text colour. The build then links that file instead.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import quote

# fontawesome.js defines each pack as `var p={name:[width,height,[aliases],"unicode","path"],...}`
# and registers it with d("fab", p) / d("far", p) / d("fas", p).
_PACK_END = re.compile(r'd\("(fab|far|fas)",p\)')
_ICON = re.compile(r'(?:"([a-z0-9-]+)"|\b([a-z][a-z0-9]*)):\[(\d+),(\d+),\[[^\]]*\],"[0-9a-f]+",("[^"]+"|\[[^\]]*\])\]')
_CLASSES = {"fab": ("fa-brands", "fab"), "far": ("fa-regular", "far"), "fas": ("fa-solid", "fas", "fa")}
USED = re.compile(r"\bfa-([a-z0-9-]+)")
NOT_ICONS = {"solid", "regular", "brands", "lg", "xl", "sm", "xs", "fw", "spin", "2x", "3x"}


def packs(fontawesome_js: str) -> dict[str, dict[str, tuple[int, int, str]]]:
    """Icon name -> (width, height, SVG path) for each pack prefix in ``fontawesome.js``."""
    found: dict[str, dict[str, tuple[int, int, str]]] = {}
    start = 0
    for end in _PACK_END.finditer(fontawesome_js):
        icons: dict[str, tuple[int, int, str]] = {}
        for m in _ICON.finditer(fontawesome_js, start, end.start()):
            name = m.group(1) or m.group(2)
            path = m.group(5)
            if path.startswith("["):  # duotone-style [secondary, primary]
                path = " ".join(re.findall(r'"([^"]*)"', path))
            icons[name] = (int(m.group(3)), int(m.group(4)), path.strip('"'))
        found[end.group(1)] = icons
        start = end.end()
    return found


def icons_css(fontawesome_js: str, used: set[str]) -> tuple[str, set[str]]:
    """CSS for the icons in ``used``; also the names no pack defines."""
    defined = packs(fontawesome_js)
    rules = [
        "/* Icons from Font Awesome Free by Fonticons, Inc., licensed CC BY 4.0 (fontawesome.com/license/free);"
        " the subset the book uses, drawn as CSS masks by lambdalab_book.icons. */",
        ".fa-solid,.fa-regular,.fa-brands,.fas,.far,.fab{display:inline-block;width:1em;height:1em;"
        "vertical-align:-0.125em;background-color:currentColor;-webkit-mask:var(--ll-icon) center/contain no-repeat;"
        "mask:var(--ll-icon) center/contain no-repeat;font-style:normal}",
        ".fa-lg{font-size:1.25em;vertical-align:-0.2em}",
    ]
    missing = set()
    for name in sorted(used - NOT_ICONS):
        hit = False
        for prefix, icons in defined.items():
            if name not in icons:
                continue
            hit = True
            width, height, path = icons[name]
            svg = f"<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 {width} {height}'><path d='{path}'/></svg>"
            url = 'url("data:image/svg+xml,' + quote(svg, safe=" /:=',") + '")'
            selectors = ",".join(f".{cls}.fa-{name}" for cls in _CLASSES[prefix])
            rules.append(f"{selectors}{{--ll-icon:{url};width:{width / height:.4f}em}}")
        if not hit:
            missing.add(name)
    return "\n".join(rules) + "\n", missing


def write_icons_css(outdir: Path, target: Path) -> set[str]:
    """Scan the built pages and the theme's scripts for icon names; write ``target``.

    Returns the names that no Font Awesome pack defines (class names such as ``fa-lg`` are
    skipped), so that the build can warn about an icon that would be missing.
    """
    fontawesome = next((outdir / "_static").rglob("fontawesome.js"), None)
    if fontawesome is None:
        target.write_text("/* no fontawesome.js in this theme: no icons to subset */\n")
        return set()
    used: set[str] = set()
    scripts = [
        p for p in (outdir / "_static").rglob("*.js") if p.name != "fontawesome.js" and "lambdalab" not in p.parts
    ]
    for page in [*outdir.rglob("*.html"), *scripts]:
        used.update(USED.findall(page.read_text(errors="replace")))
    css, missing = icons_css(fontawesome.read_text(), used)
    target.write_text(css)
    # Names found only in scripts may be other libraries' classes: report those from pages only.
    in_pages: set[str] = set()
    for page in outdir.rglob("*.html"):
        in_pages.update(USED.findall(page.read_text(errors="replace")))
    return missing & in_pages
