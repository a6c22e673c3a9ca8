"""Names → slugs: Ukrainian romanized with the official national system (2010), so slugs
match the spellings users read in the news (Kramatorsk, Sievierodonetsk, Horlivka)."""

from __future__ import annotations

import re
import unicodedata

_UK = {
    "а": "a", "б": "b", "в": "v", "г": "h", "ґ": "g", "д": "d", "е": "e", "є": "ie",
    "ж": "zh", "з": "z", "и": "y", "і": "i", "ї": "i", "й": "i", "к": "k", "л": "l",
    "м": "m", "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f",
    "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch", "ь": "", "ю": "iu", "я": "ia",
    "'": "", "’": "", "ʼ": "",
}
# At the start of a word these letters are spelled differently.
_UK_INITIAL = {"є": "ye", "ї": "yi", "й": "y", "ю": "yu", "я": "ya"}


def romanize(text: str) -> str:
    """Ukrainian Cyrillic → Latin (national system of 2010, Cabinet of Ministers resolution
    No. 55); other characters pass through.

    Parameters
    ----------
    text : str
        any text; apostrophes inside Ukrainian words are dropped, as the system says.

    Returns
    -------
    str
        the same text, Ukrainian letters romanized (word-initial є, ї, й, ю, я as ye, yi,
        y, yu, ya; зг as zgh), case kept.

    Examples
    --------
    >>> romanize("Запоріжжя"), romanize("Юрівка"), romanize("Згурівка")
    ('Zaporizhzhia', 'Yurivka', 'Zghurivka')
    """
    out: list[str] = []
    prev_letter = False
    for ch in text:
        low = ch.lower()
        if low in _UK:
            rom = _UK_INITIAL.get(low, _UK[low]) if not prev_letter else _UK[low]
            if low == "г" and out and out[-1].lower().endswith("z"):
                rom = "gh"  # зг → zgh
            out.append(rom.capitalize() if ch != low and rom else rom)
            prev_letter = True
        else:
            out.append(ch)
            prev_letter = ch.isalpha()
    return "".join(out)


def slugify(text: str) -> str:
    """A URL-safe ASCII name: romanized, lower case, runs of anything else as one hyphen.

    Parameters
    ----------
    text : str
        a name in Ukrainian, English or both.

    Returns
    -------
    str
        ``[a-z0-9-]``, no leading or trailing hyphen (empty when nothing is left).

    Examples
    --------
    >>> slugify("Краматорський район"), slugify("Donetsk Oblast")
    ('kramatorskyi-raion', 'donetsk-oblast')
    """
    text = unicodedata.normalize("NFKD", romanize(text)).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
