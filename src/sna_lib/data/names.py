"""The one rule for area names (county and CSPs), shared by ``sna validate`` and ``sna build``.

Names are shown to readers exactly as written (every renderer escapes them), so punctuation
and any script are allowed: ``Ynys Môn``, ``King's Lynn & West Norfolk``, even ``<b>North</b>``
is published literally as text. What a name must not do is break the book's structure:

* be empty, longer than :data:`MAX_NAME_LENGTH` characters, or hold control characters
  (newline, tab, NUL, …);
* start like a spreadsheet formula (``=``, ``+``, ``-``, ``@``) — it lands in CSV downloads;
* give no folder name (:func:`area_slug` keeps ASCII letters and digits, accents folded), or
  the same folder as another CSP (``North`` / ``north``), or a reserved word (``county``,
  ``all``) that the command line uses for the whole area.

Examples
--------
>>> area_slug("Ynys Môn"), area_slug("Southend-on-Sea")
('ynys-mon', 'southend-on-sea')
>>> name_problem("North\\nSouth")
'must be one line of text without control characters (tab, newline, …)'
>>> csp_problems(["North", "north"])
[('csps', "CSP names 'North' and 'north' would share the book folder 'north'; make them differ in letters or digits")]
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

__all__ = ["MAX_NAME_LENGTH", "RESERVED_AREAS", "FORMULA_START", "SIGNED_NUMBER", "is_formula_text",
           "area_slug", "name_problem", "csp_problems"]

MAX_NAME_LENGTH = 120
#: Words the command line gives a meaning (``--area county``, ``--area all``).
RESERVED_AREAS = frozenset({"county", "all"})
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
#: A spreadsheet formula starts (after spaces, tabs, line breaks) with = @ + or - ...
FORMULA_START = r"^[ \t\r\n]*[=@+\-]"
#: ... unless it is a plain signed number, which a spreadsheet reads as a number (RE2-compatible,
#: so :func:`sna_lib.schemas.looks_like_formula` runs the same patterns vectorised in pyarrow).
SIGNED_NUMBER = r"^[ \t\r\n]*[+\-][0-9.,]+%?[ \t\r\n]*$"
_FORMULA_RE, _SIGNED_RE = re.compile(FORMULA_START), re.compile(SIGNED_NUMBER)
# Latin letters that Unicode does not decompose into ASCII letters plus accents.
_TRANSLITERATE = str.maketrans({"Æ": "AE", "æ": "ae", "Œ": "OE", "œ": "oe", "ß": "ss", "Ø": "O", "ø": "o",
                                "Ł": "L", "ł": "l", "Đ": "D", "đ": "d", "Þ": "Th", "þ": "th", "Ð": "D", "ð": "d"})


def is_formula_text(text: str) -> bool:
    """True when ``text`` would run as a spreadsheet formula (CSV/formula injection).

    Examples
    --------
    >>> [is_formula_text(t) for t in ["=1+2", "-3", "+44", "-cmd|x", "@SUM(A1)", "Robbery", "\t=x"]]
    [True, False, False, True, True, False, True]
    """
    return bool(_FORMULA_RE.match(text)) and not _SIGNED_RE.match(text)


def area_slug(name: str) -> str:
    """Folder name for an area: ASCII letters/digits (accents folded), other runs become ``-``.

    Returns ``""`` when nothing is left (a name must then be refused, see :func:`name_problem`).

    Examples
    --------
    >>> area_slug("Castle Point"), area_slug("Bro Morgannwg / Vale of Glamorgan"), area_slug("Ŵŵ")
    ('castle-point', 'bro-morgannwg-vale-of-glamorgan', 'ww')
    >>> area_slug("深圳")
    ''
    """
    folded = unicodedata.normalize("NFKD", str(name).translate(_TRANSLITERATE))
    folded = folded.encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", folded.lower()).strip("-")


def name_problem(name: object, what: str = "name") -> str | None:
    """Why ``name`` cannot be an area name, or ``None`` when it can.

    Examples
    --------
    >>> name_problem("Castle Point") is None, name_problem("=HYPERLINK(1)")[:30]
    (True, 'must not start with =, +, - or')
    """
    if not isinstance(name, str) or not name.strip():
        return "must be non-empty text"
    if _CONTROL.search(name):
        return "must be one line of text without control characters (tab, newline, …)"
    if len(name) > MAX_NAME_LENGTH:
        return f"is {len(name)} characters long; at most {MAX_NAME_LENGTH} are allowed"
    if _FORMULA_RE.match(name):
        return "must not start with =, +, - or @ (it would run as a spreadsheet formula in downloads)"
    if not area_slug(name):
        return (f"{what} {name!r} has no letters or digits a folder name can be made from "
                "(add Latin letters or digits)")
    return None


def csp_problems(csps: Iterable[object]) -> list[tuple[str, str]]:
    """Problems with a list of CSP names as ``(config key, reason)`` pairs (empty when fine)."""
    out: list[tuple[str, str]] = []
    seen: dict[str, str] = {}
    for name in csps:
        reason = name_problem(name, "CSP name")
        if reason is not None:
            out.append(("csps", f"CSP name {name!r} {reason}" if not reason.startswith("CSP") else reason))
            continue
        slug = area_slug(name)  # type: ignore[arg-type]
        if slug in RESERVED_AREAS or str(name).strip().lower() in RESERVED_AREAS:
            out.append(("csps", f"{name!r} is reserved (county = the whole area, all = every book) "
                                "and cannot be a CSP name"))
            continue
        if slug in seen:
            out.append(("csps", f"CSP names {seen[slug]!r} and {name!r} would share the book folder "
                                f"{slug!r}; make them differ in letters or digits"))
            continue
        seen[slug] = str(name)
    return out
