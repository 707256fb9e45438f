"""The documents' words in each language: one gettext catalogue per language
(reports/locale/LANG/LC_MESSAGES/netq.po), English the source, with the language's plural
rules (Babel's CLDR data: Russian and Belarusian have three forms). Templates use them through
Jinja's i18n extension (`_()`, `ngettext()`, `{% trans %}`), Python through `Words`.

The catalogues are compiled in memory when first used: nothing is built at install time and
the packaged `.po` files are what a translator edits.
"""

from __future__ import annotations

import functools
import gettext
from dataclasses import dataclass
from importlib import resources
from io import BytesIO
from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations
from jinja2 import Environment, PackageLoader, select_autoescape

LANGUAGES = ("ru", "be", "en")
DOMAIN = "netq"
# the calls whose first argument (or first two: singular, plural) is a message: templates'
# `_`/`ngettext`, Python's Words (`words(…)`, `….plural(…)`), marks on tables (`N_`, `NP_`),
# and the collector's notices (collector/compliance/notices.py)
KEYWORDS: dict[str, Any] = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None,
                            "NP_": (1, 2), "words": None, "plural": (1, 2), "Notice": None}


@functools.cache
def translations(lang: str) -> gettext.NullTranslations:
    """The catalogue of `lang`; English is the source and needs none."""
    if lang not in LANGUAGES:
        raise ValueError(f"no catalogue for {lang!r}; there are: {', '.join(LANGUAGES)}")
    if lang == "en":
        return gettext.NullTranslations()
    source = resources.files("netq.reports") / "locale" / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
    with source.open("rb") as handle:
        catalog = read_po(handle, locale=lang, domain=DOMAIN)
    compiled = BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)


@dataclass(frozen=True)
class Words:
    """The words of one language, for Python code: `words("text")`, `words.plural(…)`."""

    lang: str

    def __call__(self, message: str, **params: Any) -> str:
        """The message in the language, filled in; always formatted, as Jinja's newstyle
        gettext formats it, so a literal percent sign is written %% in every message."""
        return translations(self.lang).gettext(message) % params

    def plural(self, singular: str, plural: str, count: float, /, **params: Any) -> str:
        """The form for `count` (rounded: a count of minutes may carry a fraction)."""
        return translations(self.lang).ngettext(singular, plural, round(count)) % params

    def of(self, context: str, message: str) -> str:
        """A word whose translation depends on where it stands (msgctxt)."""
        return translations(self.lang).pgettext(context, message)


@functools.cache
def environment(lang: str) -> Environment:
    """The report templates, with `lang`'s catalogue installed."""
    env = Environment(loader=PackageLoader("netq.reports", "templates"),
                      autoescape=select_autoescape(["html", "j2"]),
                      trim_blocks=True, lstrip_blocks=True, extensions=["jinja2.ext.i18n"])
    env.install_gettext_translations(translations(lang), newstyle=True)  # type: ignore[attr-defined]
    return env


def extracted(root: Path) -> Catalog:
    """Every message the documents use, as `pybabel extract` finds them in the checkout at
    `root` (babel.cfg says where): what each catalogue must translate."""
    from babel.messages.extract import extract_from_dir
    from babel.messages.frontend import parse_mapping_cfg

    with (root / "babel.cfg").open() as config:
        method_map, options_map = parse_mapping_cfg(config)
    catalog = Catalog(domain=DOMAIN)
    for _file, _line, message, _comments, context in extract_from_dir(
            str(root), method_map, options_map, keywords=KEYWORDS):
        catalog.add(message, context=context)
    return catalog
