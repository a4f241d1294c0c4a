"""Cardinal numbers spelled out in words, for the WER normalisation (en, es, fr, de; 0 to 999 999 999).

The normalisation spells out every run of digits, in reference and transcript alike, so "3 kilos" and
"tres kilos" compare equal. Only cardinals: ordinals, decimals, times and gendered forms (Spanish
"un"/"una", German "ein") are not recognised and count as errors when a transcript and its reference
disagree in form. Hyphens the words contain are split into separate words by the punctuation step.
"""

from __future__ import annotations

from collections.abc import Callable

_EN_ONES = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
    "sixteen seventeen eighteen nineteen"
).split()
_EN_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()


def _en(n: int) -> str:
    if n < 20:
        return _EN_ONES[n]
    if n < 100:
        return _EN_TENS[n // 10] + ("" if n % 10 == 0 else " " + _EN_ONES[n % 10])
    if n < 1000:
        return _EN_ONES[n // 100] + " hundred" + ("" if n % 100 == 0 else " " + _en(n % 100))
    for size, word in ((10**6, "million"), (1000, "thousand")):
        if n >= size:
            head, rest = divmod(n, size)
            return _en(head) + " " + word + ("" if rest == 0 else " " + _en(rest))
    raise AssertionError(n)


_ES_ONES = (
    "cero uno dos tres cuatro cinco seis siete ocho nueve diez once doce trece catorce quince dieciséis "
    "diecisiete dieciocho diecinueve veinte veintiuno veintidós veintitrés veinticuatro veinticinco "
    "veintiséis veintisiete veintiocho veintinueve"
).split()
_ES_TENS = "_ _ _ treinta cuarenta cincuenta sesenta setenta ochenta noventa".split()
_ES_HUNDREDS = (
    "_ ciento doscientos trescientos cuatrocientos quinientos seiscientos setecientos ochocientos novecientos"
).split()


def _es(n: int) -> str:
    if n < 30:
        return _ES_ONES[n]
    if n < 100:
        return _ES_TENS[n // 10] + ("" if n % 10 == 0 else " y " + _ES_ONES[n % 10])
    if n == 100:
        return "cien"
    if n < 1000:
        return _ES_HUNDREDS[n // 100] + ("" if n % 100 == 0 else " " + _es(n % 100))
    if n < 10**6:
        head, rest = divmod(n, 1000)
        words = "mil" if head == 1 else _es(head) + " mil"
        return words + ("" if rest == 0 else " " + _es(rest))
    head, rest = divmod(n, 10**6)
    words = "un millón" if head == 1 else _es(head) + " millones"
    return words + ("" if rest == 0 else " " + _es(rest))


_FR_ONES = (
    "zéro un deux trois quatre cinq six sept huit neuf dix onze douze treize quatorze quinze seize "
    "dix-sept dix-huit dix-neuf"
).split()
_FR_TENS = "_ _ vingt trente quarante cinquante soixante".split()


def _fr(n: int) -> str:
    if n < 20:
        return _FR_ONES[n]
    if n < 70:
        tens, unit = divmod(n, 10)
        if unit == 0:
            return _FR_TENS[tens]
        return _FR_TENS[tens] + (" et un" if unit == 1 else "-" + _FR_ONES[unit])
    if n < 80:
        return "soixante et onze" if n == 71 else "soixante-" + _FR_ONES[n - 60]
    if n < 100:
        return "quatre-vingts" if n == 80 else "quatre-vingt-" + _FR_ONES[n - 80]
    if n < 1000:
        head, rest = divmod(n, 100)
        words = "cent" if head == 1 else _FR_ONES[head] + (" cents" if rest == 0 else " cent")
        return words + ("" if rest == 0 else " " + _fr(rest))
    if n < 10**6:
        head, rest = divmod(n, 1000)
        words = "mille" if head == 1 else _fr(head).removesuffix("s") + " mille"
        return words + ("" if rest == 0 else " " + _fr(rest))
    head, rest = divmod(n, 10**6)
    words = _fr(head) + (" million" if head == 1 else " millions")
    return words + ("" if rest == 0 else " " + _fr(rest))


_DE_ONES = (
    "null eins zwei drei vier fünf sechs sieben acht neun zehn elf zwölf dreizehn vierzehn fünfzehn "
    "sechzehn siebzehn achtzehn neunzehn"
).split()
_DE_TENS = "_ _ zwanzig dreißig vierzig fünfzig sechzig siebzig achtzig neunzig".split()


def _de(n: int) -> str:
    """German writes numbers below a million as one word (einhundertdreiundzwanzig)."""
    if n < 20:
        return _DE_ONES[n]
    if n < 100:
        tens, unit = divmod(n, 10)
        if unit == 0:
            return _DE_TENS[tens]
        return ("ein" if unit == 1 else _DE_ONES[unit]) + "und" + _DE_TENS[tens]
    if n < 1000:
        head, rest = divmod(n, 100)
        return ("ein" if head == 1 else _DE_ONES[head]) + "hundert" + ("" if rest == 0 else _de(rest))
    if n < 10**6:
        head, rest = divmod(n, 1000)
        return ("ein" if head == 1 else _de(head)) + "tausend" + ("" if rest == 0 else _de(rest))
    head, rest = divmod(n, 10**6)
    words = "eine million" if head == 1 else _de(head) + " millionen"
    return words + ("" if rest == 0 else " " + _de(rest))


SPELLERS: dict[str, Callable[[int], str]] = {"en": _en, "es": _es, "fr": _fr, "de": _de}
LIMIT = 10**9


def spell(n: int, language: str) -> str:
    """`n` in words in `language`; digit by digit beyond the table's range or for other languages."""
    speller = SPELLERS.get(language)
    if speller is None:
        return " ".join(str(n))
    if n >= LIMIT:
        return " ".join(speller(int(d)) for d in str(n))
    return speller(n)
