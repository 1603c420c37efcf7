"""Dates at every precision (issue 12 item 2): exact renderings and phrases in en/de/fr/ru and the
language-neutral forms of any other language.

Two kinds of case: ordinary values (CE years, day to century precision) whose renderings are held
byte-identical to those of the code before this change (``GOLDEN`` and the digest of a large grid,
both recorded from that code; the one deliberate change is the French first century, "Ier" for
"Ie"), and the values that change: BCE decades and centuries, millennia and coarser, year 0,
impossible days, hours to seconds, and languages without date rules.
"""

from __future__ import annotations

import calendar
import hashlib
import json

import pytest

from kcdata.render import date_reading, format_date
from kcdata.render.grammar import date_answer_forms, date_forms
from kcdata.types import GREGORIAN, JULIAN, TimeValue

LANGS = ("en", "de", "fr", "ru")


def _tv(y, m, d, p, julian=False):
    return TimeValue(y, m, d, p, JULIAN if julian else GREGORIAN)


# ---------------------------------------------------------------- unchanged: recorded from the old code

# (year, month, day, precision, julian), language, format_date, on, since, nom
GOLDEN = [
    ((1732, 2, 22, 11, False), 'en', '22 February 1732', 'on 22 February 1732', 'since 22 February 1732', '22 February 1732'),
    ((1732, 2, 22, 11, False), 'de', '22. Februar 1732', 'am 22. Februar 1732', 'seit dem 22. Februar 1732', 'der 22. Februar 1732'),
    ((1732, 2, 22, 11, False), 'fr', '22 février 1732', 'le 22 février 1732', 'depuis le 22 février 1732', 'le 22 février 1732'),
    ((1732, 2, 22, 11, False), 'ru', '22.02.1732', '22 февраля 1732 года', 'с 22 февраля 1732 года', '22 февраля 1732 года'),
    ((1732, 2, 22, 11, True), 'en', '22 February 1732 (Julian calendar)', 'on 22 February 1732 (Julian calendar)', 'since 22 February 1732 (Julian calendar)', '22 February 1732 (Julian calendar)'),
    ((1732, 2, 22, 11, True), 'de', '22. Februar 1732 (julianischer Kalender)', 'am 22. Februar 1732 (julianischer Kalender)', 'seit dem 22. Februar 1732 (julianischer Kalender)', 'der 22. Februar 1732 (julianischer Kalender)'),
    ((1732, 2, 22, 11, True), 'fr', '22 février 1732 (calendrier julien)', 'le 22 février 1732 (calendrier julien)', 'depuis le 22 février 1732 (calendrier julien)', 'le 22 février 1732 (calendrier julien)'),
    ((1732, 2, 22, 11, True), 'ru', '22.02.1732 (по юлианскому календарю)', '22 февраля 1732 года (по юлианскому календарю)', 'с 22 февраля 1732 года (по юлианскому календарю)', '22 февраля 1732 года (по юлианскому календарю)'),
    ((2016, 1, 1, 11, False), 'en', '1 January 2016', 'on 1 January 2016', 'since 1 January 2016', '1 January 2016'),
    ((2016, 1, 1, 11, False), 'de', '1. Januar 2016', 'am 1. Januar 2016', 'seit dem 1. Januar 2016', 'der 1. Januar 2016'),
    ((2016, 1, 1, 11, False), 'fr', '1er janvier 2016', 'le 1er janvier 2016', 'depuis le 1er janvier 2016', 'le 1er janvier 2016'),
    ((2016, 1, 1, 11, False), 'ru', '01.01.2016', '1 января 2016 года', 'с 1 января 2016 года', '1 января 2016 года'),
    ((1850, 3, 7, 11, False), 'en', '7 March 1850', 'on 7 March 1850', 'since 7 March 1850', '7 March 1850'),
    ((1850, 3, 7, 11, False), 'de', '7. März 1850', 'am 7. März 1850', 'seit dem 7. März 1850', 'der 7. März 1850'),
    ((1850, 3, 7, 11, False), 'fr', '7 mars 1850', 'le 7 mars 1850', 'depuis le 7 mars 1850', 'le 7 mars 1850'),
    ((1850, 3, 7, 11, False), 'ru', '07.03.1850', '7 марта 1850 года', 'с 7 марта 1850 года', '7 марта 1850 года'),
    ((1850, 3, 1, 11, False), 'en', '1 March 1850', 'on 1 March 1850', 'since 1 March 1850', '1 March 1850'),
    ((1850, 3, 1, 11, False), 'de', '1. März 1850', 'am 1. März 1850', 'seit dem 1. März 1850', 'der 1. März 1850'),
    ((1850, 3, 1, 11, False), 'fr', '1er mars 1850', 'le 1er mars 1850', 'depuis le 1er mars 1850', 'le 1er mars 1850'),
    ((1850, 3, 1, 11, False), 'ru', '01.03.1850', '1 марта 1850 года', 'с 1 марта 1850 года', '1 марта 1850 года'),
    ((272, 2, 27, 11, True), 'en', '27 February 272 (Julian calendar)', 'on 27 February 272 (Julian calendar)', 'since 27 February 272 (Julian calendar)', '27 February 272 (Julian calendar)'),
    ((272, 2, 27, 11, True), 'de', '27. Februar 272 (julianischer Kalender)', 'am 27. Februar 272 (julianischer Kalender)', 'seit dem 27. Februar 272 (julianischer Kalender)', 'der 27. Februar 272 (julianischer Kalender)'),
    ((272, 2, 27, 11, True), 'fr', '27 février 272 (calendrier julien)', 'le 27 février 272 (calendrier julien)', 'depuis le 27 février 272 (calendrier julien)', 'le 27 février 272 (calendrier julien)'),
    ((272, 2, 27, 11, True), 'ru', '27.02.272 (по юлианскому календарю)', '27 февраля 272 года (по юлианскому календарю)', 'с 27 февраля 272 года (по юлианскому календарю)', '27 февраля 272 года (по юлианскому календарю)'),
    ((1999, 12, 31, 14, False), 'en', '31 December 1999', 'on 31 December 1999', 'since 31 December 1999', '31 December 1999'),
    ((1999, 12, 31, 14, False), 'de', '31. Dezember 1999', 'am 31. Dezember 1999', 'seit dem 31. Dezember 1999', 'der 31. Dezember 1999'),
    ((1999, 12, 31, 14, False), 'fr', '31 décembre 1999', 'le 31 décembre 1999', 'depuis le 31 décembre 1999', 'le 31 décembre 1999'),
    ((1999, 12, 31, 14, False), 'ru', '31.12.1999', '31 декабря 1999 года', 'с 31 декабря 1999 года', '31 декабря 1999 года'),
    ((1999, 12, 31, 12, False), 'en', '31 December 1999', 'on 31 December 1999', 'since 31 December 1999', '31 December 1999'),
    ((1999, 12, 31, 12, False), 'de', '31. Dezember 1999', 'am 31. Dezember 1999', 'seit dem 31. Dezember 1999', 'der 31. Dezember 1999'),
    ((1999, 12, 31, 12, False), 'fr', '31 décembre 1999', 'le 31 décembre 1999', 'depuis le 31 décembre 1999', 'le 31 décembre 1999'),
    ((1999, 12, 31, 12, False), 'ru', '31.12.1999', '31 декабря 1999 года', 'с 31 декабря 1999 года', '31 декабря 1999 года'),
    ((1999, 12, 31, 13, True), 'en', '31 December 1999 (Julian calendar)', 'on 31 December 1999 (Julian calendar)', 'since 31 December 1999 (Julian calendar)', '31 December 1999 (Julian calendar)'),
    ((1999, 12, 31, 13, True), 'de', '31. Dezember 1999 (julianischer Kalender)', 'am 31. Dezember 1999 (julianischer Kalender)', 'seit dem 31. Dezember 1999 (julianischer Kalender)', 'der 31. Dezember 1999 (julianischer Kalender)'),
    ((1999, 12, 31, 13, True), 'fr', '31 décembre 1999 (calendrier julien)', 'le 31 décembre 1999 (calendrier julien)', 'depuis le 31 décembre 1999 (calendrier julien)', 'le 31 décembre 1999 (calendrier julien)'),
    ((1999, 12, 31, 13, True), 'ru', '31.12.1999 (по юлианскому календарю)', '31 декабря 1999 года (по юлианскому календарю)', 'с 31 декабря 1999 года (по юлианскому календарю)', '31 декабря 1999 года (по юлианскому календарю)'),
    ((2006, 3, 0, 10, False), 'en', 'March 2006', 'in March 2006', 'since March 2006', 'March 2006'),
    ((2006, 3, 0, 10, False), 'de', 'März 2006', 'im März 2006', 'seit März 2006', 'März 2006'),
    ((2006, 3, 0, 10, False), 'fr', 'mars 2006', 'en mars 2006', 'depuis mars 2006', 'mars 2006'),
    ((2006, 3, 0, 10, False), 'ru', '03.2006', 'в марте 2006 года', 'с марта 2006 года', 'март 2006 года'),
    ((2006, 3, 0, 10, True), 'en', 'March 2006', 'in March 2006', 'since March 2006', 'March 2006'),
    ((2006, 3, 0, 10, True), 'de', 'März 2006', 'im März 2006', 'seit März 2006', 'März 2006'),
    ((2006, 3, 0, 10, True), 'fr', 'mars 2006', 'en mars 2006', 'depuis mars 2006', 'mars 2006'),
    ((2006, 3, 0, 10, True), 'ru', '03.2006', 'в марте 2006 года', 'с марта 2006 года', 'март 2006 года'),
    ((2006, 3, 9, 10, False), 'en', 'March 2006', 'in March 2006', 'since March 2006', 'March 2006'),
    ((2006, 3, 9, 10, False), 'de', 'März 2006', 'im März 2006', 'seit März 2006', 'März 2006'),
    ((2006, 3, 9, 10, False), 'fr', 'mars 2006', 'en mars 2006', 'depuis mars 2006', 'mars 2006'),
    ((2006, 3, 9, 10, False), 'ru', '03.2006', 'в марте 2006 года', 'с марта 2006 года', 'март 2006 года'),
    ((1850, 0, 0, 9, False), 'en', '1850', 'in 1850', 'since 1850', '1850'),
    ((1850, 0, 0, 9, False), 'de', '1850', 'im Jahr 1850', 'seit 1850', '1850'),
    ((1850, 0, 0, 9, False), 'fr', '1850', 'en 1850', 'depuis 1850', '1850'),
    ((1850, 0, 0, 9, False), 'ru', '1850', 'в 1850 году', 'с 1850 года', '1850 год'),
    ((1850, 6, 0, 9, False), 'en', '1850', 'in 1850', 'since 1850', '1850'),
    ((1850, 6, 0, 9, False), 'de', '1850', 'im Jahr 1850', 'seit 1850', '1850'),
    ((1850, 6, 0, 9, False), 'fr', '1850', 'en 1850', 'depuis 1850', '1850'),
    ((1850, 6, 0, 9, False), 'ru', '1850', 'в 1850 году', 'с 1850 года', '1850 год'),
    ((43, 0, 0, 9, False), 'en', '43', 'in AD 43', 'since AD 43', 'AD 43'),
    ((43, 0, 0, 9, False), 'de', '43', 'im Jahr 43 n. Chr.', 'seit 43 n. Chr.', '43 n. Chr.'),
    ((43, 0, 0, 9, False), 'fr', '43', 'en 43 apr. J.-C.', 'depuis 43 apr. J.-C.', '43 apr. J.-C.'),
    ((43, 0, 0, 9, False), 'ru', '43', 'в 43 году н. э.', 'с 43 года н. э.', '43 год н. э.'),
    ((999, 0, 0, 9, False), 'en', '999', 'in AD 999', 'since AD 999', 'AD 999'),
    ((999, 0, 0, 9, False), 'de', '999', 'im Jahr 999 n. Chr.', 'seit 999 n. Chr.', '999 n. Chr.'),
    ((999, 0, 0, 9, False), 'fr', '999', 'en 999 apr. J.-C.', 'depuis 999 apr. J.-C.', '999 apr. J.-C.'),
    ((999, 0, 0, 9, False), 'ru', '999', 'в 999 году н. э.', 'с 999 года н. э.', '999 год н. э.'),
    ((1000, 0, 0, 9, False), 'en', '1000', 'in 1000', 'since 1000', '1000'),
    ((1000, 0, 0, 9, False), 'de', '1000', 'im Jahr 1000', 'seit 1000', '1000'),
    ((1000, 0, 0, 9, False), 'fr', '1000', 'en 1000', 'depuis 1000', '1000'),
    ((1000, 0, 0, 9, False), 'ru', '1000', 'в 1000 году', 'с 1000 года', '1000 год'),
    ((1, 0, 0, 9, False), 'en', '1', 'in AD 1', 'since AD 1', 'AD 1'),
    ((1, 0, 0, 9, False), 'de', '1', 'im Jahr 1 n. Chr.', 'seit 1 n. Chr.', '1 n. Chr.'),
    ((1, 0, 0, 9, False), 'fr', '1', 'en 1 apr. J.-C.', 'depuis 1 apr. J.-C.', '1 apr. J.-C.'),
    ((1, 0, 0, 9, False), 'ru', '1', 'в 1 году н. э.', 'с 1 года н. э.', '1 год н. э.'),
    ((1850, 0, 0, 8, False), 'en', 'the 1850s', 'in the 1850s', 'since the 1850s', 'the 1850s'),
    ((1850, 0, 0, 8, False), 'de', 'die 1850er Jahre', 'in den 1850er Jahren', 'seit den 1850er Jahren', 'die 1850er Jahre'),
    ((1850, 0, 0, 8, False), 'fr', 'les années 1850', 'dans les années 1850', 'depuis les années 1850', 'les années 1850'),
    ((1850, 0, 0, 8, False), 'ru', '1850-е годы', 'в 1850-е годы', 'с 1850-х годов', '1850-е годы'),
    ((1980, 0, 0, 8, False), 'en', 'the 1980s', 'in the 1980s', 'since the 1980s', 'the 1980s'),
    ((1980, 0, 0, 8, False), 'de', 'die 1980er Jahre', 'in den 1980er Jahren', 'seit den 1980er Jahren', 'die 1980er Jahre'),
    ((1980, 0, 0, 8, False), 'fr', 'les années 1980', 'dans les années 1980', 'depuis les années 1980', 'les années 1980'),
    ((1980, 0, 0, 8, False), 'ru', '1980-е годы', 'в 1980-е годы', 'с 1980-х годов', '1980-е годы'),
    ((10, 0, 0, 8, False), 'en', 'the 10s', 'in the 10s', 'since the 10s', 'the 10s'),
    ((10, 0, 0, 8, False), 'de', 'die 10er Jahre', 'in den 10er Jahren', 'seit den 10er Jahren', 'die 10er Jahre'),
    ((10, 0, 0, 8, False), 'fr', 'les années 10', 'dans les années 10', 'depuis les années 10', 'les années 10'),
    ((10, 0, 0, 8, False), 'ru', '10-е годы', 'в 10-е годы', 'с 10-х годов', '10-е годы'),
    ((1900, 0, 0, 7, False), 'en', 'the 19th century', 'in the 19th century', 'since the 19th century', 'the 19th century'),
    ((1900, 0, 0, 7, False), 'de', 'das 19. Jahrhundert', 'im 19. Jahrhundert', 'seit dem 19. Jahrhundert', 'das 19. Jahrhundert'),
    ((1900, 0, 0, 7, False), 'fr', 'le XIXe siècle', 'au XIXe siècle', 'depuis le XIXe siècle', 'le XIXe siècle'),
    ((1900, 0, 0, 7, False), 'ru', 'XIX век', 'в XIX веке', 'с XIX века', 'XIX век'),
    ((1901, 0, 0, 7, False), 'en', 'the 20th century', 'in the 20th century', 'since the 20th century', 'the 20th century'),
    ((1901, 0, 0, 7, False), 'de', 'das 20. Jahrhundert', 'im 20. Jahrhundert', 'seit dem 20. Jahrhundert', 'das 20. Jahrhundert'),
    ((1901, 0, 0, 7, False), 'fr', 'le XXe siècle', 'au XXe siècle', 'depuis le XXe siècle', 'le XXe siècle'),
    ((1901, 0, 0, 7, False), 'ru', 'XX век', 'в XX веке', 'с XX века', 'XX век'),
    ((1850, 0, 0, 7, False), 'en', 'the 19th century', 'in the 19th century', 'since the 19th century', 'the 19th century'),
    ((1850, 0, 0, 7, False), 'de', 'das 19. Jahrhundert', 'im 19. Jahrhundert', 'seit dem 19. Jahrhundert', 'das 19. Jahrhundert'),
    ((1850, 0, 0, 7, False), 'fr', 'le XIXe siècle', 'au XIXe siècle', 'depuis le XIXe siècle', 'le XIXe siècle'),
    ((1850, 0, 0, 7, False), 'ru', 'XIX век', 'в XIX веке', 'с XIX века', 'XIX век'),
    ((300, 0, 0, 7, False), 'en', 'the 3rd century', 'in the 3rd century', 'since the 3rd century', 'the 3rd century'),
    ((300, 0, 0, 7, False), 'de', 'das 3. Jahrhundert', 'im 3. Jahrhundert', 'seit dem 3. Jahrhundert', 'das 3. Jahrhundert'),
    ((300, 0, 0, 7, False), 'fr', 'le IIIe siècle', 'au IIIe siècle', 'depuis le IIIe siècle', 'le IIIe siècle'),
    ((300, 0, 0, 7, False), 'ru', 'III век', 'в III веке', 'с III века', 'III век'),
    ((101, 0, 0, 7, False), 'en', 'the 2nd century', 'in the 2nd century', 'since the 2nd century', 'the 2nd century'),
    ((101, 0, 0, 7, False), 'de', 'das 2. Jahrhundert', 'im 2. Jahrhundert', 'seit dem 2. Jahrhundert', 'das 2. Jahrhundert'),
    ((101, 0, 0, 7, False), 'fr', 'le IIe siècle', 'au IIe siècle', 'depuis le IIe siècle', 'le IIe siècle'),
    ((101, 0, 0, 7, False), 'ru', 'II век', 'в II веке', 'с II века', 'II век'),
    ((2000, 0, 0, 7, False), 'en', 'the 20th century', 'in the 20th century', 'since the 20th century', 'the 20th century'),
    ((2000, 0, 0, 7, False), 'de', 'das 20. Jahrhundert', 'im 20. Jahrhundert', 'seit dem 20. Jahrhundert', 'das 20. Jahrhundert'),
    ((2000, 0, 0, 7, False), 'fr', 'le XXe siècle', 'au XXe siècle', 'depuis le XXe siècle', 'le XXe siècle'),
    ((2000, 0, 0, 7, False), 'ru', 'XX век', 'в XX веке', 'с XX века', 'XX век'),
    ((2024, 5, 17, 11, False), 'en', '17 May 2024', 'on 17 May 2024', 'since 17 May 2024', '17 May 2024'),
    ((2024, 5, 17, 11, False), 'de', '17. Mai 2024', 'am 17. Mai 2024', 'seit dem 17. Mai 2024', 'der 17. Mai 2024'),
    ((2024, 5, 17, 11, False), 'fr', '17 mai 2024', 'le 17 mai 2024', 'depuis le 17 mai 2024', 'le 17 mai 2024'),
    ((2024, 5, 17, 11, False), 'ru', '17.05.2024', '17 мая 2024 года', 'с 17 мая 2024 года', '17 мая 2024 года'),
    ((1900, 2, 29, 11, True), 'en', '29 February 1900 (Julian calendar)', 'on 29 February 1900 (Julian calendar)', 'since 29 February 1900 (Julian calendar)', '29 February 1900 (Julian calendar)'),
    ((1900, 2, 29, 11, True), 'de', '29. Februar 1900 (julianischer Kalender)', 'am 29. Februar 1900 (julianischer Kalender)', 'seit dem 29. Februar 1900 (julianischer Kalender)', 'der 29. Februar 1900 (julianischer Kalender)'),
    ((1900, 2, 29, 11, True), 'fr', '29 février 1900 (calendrier julien)', 'le 29 février 1900 (calendrier julien)', 'depuis le 29 février 1900 (calendrier julien)', 'le 29 février 1900 (calendrier julien)'),
    ((1900, 2, 29, 11, True), 'ru', '29.02.1900 (по юлианскому календарю)', '29 февраля 1900 года (по юлианскому календарю)', 'с 29 февраля 1900 года (по юлианскому календарю)', '29 февраля 1900 года (по юлианскому календарю)'),
    ((2000, 2, 29, 11, False), 'en', '29 February 2000', 'on 29 February 2000', 'since 29 February 2000', '29 February 2000'),
    ((2000, 2, 29, 11, False), 'de', '29. Februar 2000', 'am 29. Februar 2000', 'seit dem 29. Februar 2000', 'der 29. Februar 2000'),
    ((2000, 2, 29, 11, False), 'fr', '29 février 2000', 'le 29 février 2000', 'depuis le 29 février 2000', 'le 29 février 2000'),
    ((2000, 2, 29, 11, False), 'ru', '29.02.2000', '29 февраля 2000 года', 'с 29 февраля 2000 года', '29 февраля 2000 года'),
    ((1582, 10, 4, 11, True), 'en', '4 October 1582 (Julian calendar)', 'on 4 October 1582 (Julian calendar)', 'since 4 October 1582 (Julian calendar)', '4 October 1582 (Julian calendar)'),
    ((1582, 10, 4, 11, True), 'de', '4. Oktober 1582 (julianischer Kalender)', 'am 4. Oktober 1582 (julianischer Kalender)', 'seit dem 4. Oktober 1582 (julianischer Kalender)', 'der 4. Oktober 1582 (julianischer Kalender)'),
    ((1582, 10, 4, 11, True), 'fr', '4 octobre 1582 (calendrier julien)', 'le 4 octobre 1582 (calendrier julien)', 'depuis le 4 octobre 1582 (calendrier julien)', 'le 4 octobre 1582 (calendrier julien)'),
    ((1582, 10, 4, 11, True), 'ru', '04.10.1582 (по юлианскому календарю)', '4 октября 1582 года (по юлианскому календарю)', 'с 4 октября 1582 года (по юлианскому календарю)', '4 октября 1582 года (по юлианскому календарю)'),
    ((1582, 10, 15, 11, False), 'en', '15 October 1582', 'on 15 October 1582', 'since 15 October 1582', '15 October 1582'),
    ((1582, 10, 15, 11, False), 'de', '15. Oktober 1582', 'am 15. Oktober 1582', 'seit dem 15. Oktober 1582', 'der 15. Oktober 1582'),
    ((1582, 10, 15, 11, False), 'fr', '15 octobre 1582', 'le 15 octobre 1582', 'depuis le 15 octobre 1582', 'le 15 octobre 1582'),
    ((1582, 10, 15, 11, False), 'ru', '15.10.1582', '15 октября 1582 года', 'с 15 октября 1582 года', '15 октября 1582 года'),
    ((1850, 3, 0, 11, False), 'en', 'March 1850', 'in March 1850', 'since March 1850', 'March 1850'),
    ((1850, 3, 0, 11, False), 'de', 'März 1850', 'im März 1850', 'seit März 1850', 'März 1850'),
    ((1850, 3, 0, 11, False), 'fr', 'mars 1850', 'en mars 1850', 'depuis mars 1850', 'mars 1850'),
    ((1850, 3, 0, 11, False), 'ru', '03.1850', 'в марте 1850 года', 'с марта 1850 года', 'март 1850 года'),
    ((43, 3, 15, 11, True), 'en', '15 March 43 (Julian calendar)', 'on 15 March 43 (Julian calendar)', 'since 15 March 43 (Julian calendar)', '15 March 43 (Julian calendar)'),
    ((43, 3, 15, 11, True), 'de', '15. März 43 (julianischer Kalender)', 'am 15. März 43 (julianischer Kalender)', 'seit dem 15. März 43 (julianischer Kalender)', 'der 15. März 43 (julianischer Kalender)'),
    ((43, 3, 15, 11, True), 'fr', '15 mars 43 (calendrier julien)', 'le 15 mars 43 (calendrier julien)', 'depuis le 15 mars 43 (calendrier julien)', 'le 15 mars 43 (calendrier julien)'),
    ((43, 3, 15, 11, True), 'ru', '15.03.43 (по юлианскому календарю)', '15 марта 43 года (по юлианскому календарю)', 'с 15 марта 43 года (по юлианскому календарю)', '15 марта 43 года (по юлианскому календарю)'),
]


@pytest.mark.parametrize("key,lang,label,on,since,nom", GOLDEN)
def test_ordinary_dates_unchanged(key, lang, label, on, since, nom):
    t = _tv(*key)
    assert format_date(t, lang) == label
    assert date_forms(t, lang) == {"on": on, "since": since, "nom": nom}


_YEARS = sorted({*range(1, 131), *range(990, 1011), *range(1500, 1601, 7), *range(1890, 1911),
                 *range(1990, 2031), *range(9990, 10000)})
_MONTH_DAYS = ((0, 0), (1, 1), (2, 28), (2, 29), (3, 15), (12, 31), (6, 0), (4, 30), (9, 1))


def _exists(y, m, d, julian):
    if m == 0 or d == 0:
        return True
    leap = y % 4 == 0 if julian else calendar.isleap(y)
    return d <= (29 if m == 2 and leap else calendar.mdays[m])


def ordinary_grid():
    """CE values at day to century precision (12-14 included) in both calendars: every one whose
    rendering this change keeps. Left out, as they change: decades of years 1-9 ("the 0s"), the
    French first century ("Ie"), impossible days, and a month precision without a month."""
    for y in _YEARS:
        for m, d in _MONTH_DAYS:
            for julian in (False, True):
                if not _exists(y, m, d, julian):
                    continue
                for p in range(7, 15):
                    if (p == 8 and y < 10) or (p >= 10 and m == 0):
                        continue
                    for lang in LANGS:
                        if not (p == 7 and lang == "fr" and y <= 100):
                            yield _tv(y, m, d, p, julian), lang


def grid_digest(format_date=format_date, date_forms=date_forms) -> tuple[int, str]:
    h = hashlib.sha256()
    n = 0
    for t, lang in ordinary_grid():
        f = date_forms(t, lang)
        h.update(json.dumps([t.year, t.month, t.day, t.precision, t.is_julian, lang, format_date(t, lang),
                             f["on"], f["since"], f["nom"]], ensure_ascii=False).encode())
        n += 1
    return n, h.hexdigest()


GRID_DIGEST = (113679, "c360ea2399add50525c44a04e4ceecd6e13e05237402014c22f9ffdb182407c0")
"""Recorded from the code before this change (kcdata/render/__init__.py and grammar.py as they were)."""


def test_ordinary_grid_unchanged():
    assert grid_digest() == GRID_DIGEST, (
        "the rendering of an ordinary CE date changed; compare with the old code on ordinary_grid()")


# ---------------------------------------------------------------- the values that change

NB, NNB = "\u00a0", "\u202f"  # the ru and fr digit-group spaces

CHANGED = [
    # French first century and first millennium: "Ier", not "Ie"
    ((50, 0, 0, 7), "fr", "le Ier siècle", "au Ier siècle", "depuis le Ier siècle", "le Ier siècle"),
    ((100, 0, 0, 7), "fr", "le Ier siècle", "au Ier siècle", "depuis le Ier siècle", "le Ier siècle"),
    ((101, 0, 0, 7), "fr", "le IIe siècle", "au IIe siècle", "depuis le IIe siècle", "le IIe siècle"),
    ((999, 0, 0, 6), "fr", "le Ier millénaire", "au Ier millénaire", "depuis le Ier millénaire", "le Ier millénaire"),
    # BCE decades
    ((-500, 0, 0, 8), "en", "the 500s BC", "in the 500s BC", "since the 500s BC", "the 500s BC"),
    ((-509, 0, 0, 8), "de", "die 500er Jahre v. Chr.", "in den 500er Jahren v. Chr.", "seit den 500er Jahren v. Chr.",
     "die 500er Jahre v. Chr."),
    ((-505, 0, 0, 8), "fr", "les années 500 av. J.-C.", "dans les années 500 av. J.-C.",
     "depuis les années 500 av. J.-C.", "les années 500 av. J.-C."),
    ((-500, 0, 0, 8), "ru", "500-е годы до н. э.", "в 500-е годы до н. э.", "с 500-х годов до н. э.", "500-е годы до н. э."),
    # the first decade of each era: no "0s"
    ((5, 0, 0, 8), "en", "AD 1–9", "between AD 1 and AD 9", "since some time between AD 1 and AD 9", "AD 1–9"),
    ((-5, 0, 0, 8), "en", "9–1 BC", "between 9 BC and 1 BC", "since some time between 9 BC and 1 BC", "9–1 BC"),
    ((5, 0, 0, 8), "de", "1–9 n. Chr.", "zwischen 1 n. Chr. und 9 n. Chr.",
     "seit einem Zeitpunkt zwischen 1 n. Chr. und 9 n. Chr.", "1–9 n. Chr."),
    ((-5, 0, 0, 8), "fr", "9–1 av. J.-C.", "entre 9 av. J.-C. et 1 av. J.-C.",
     "depuis une date entre 9 av. J.-C. et 1 av. J.-C.", "9–1 av. J.-C."),
    ((5, 0, 0, 8), "ru", "1–9 гг. н. э.", "между 1 г. н. э. и 9 г. н. э.", "начиная с периода между 1 г. н. э. и 9 г. н. э.",
     "1–9 гг. н. э."),
    # BCE centuries
    ((-500, 0, 0, 7), "en", "the 5th century BC", "in the 5th century BC", "since the 5th century BC", "the 5th century BC"),
    ((-401, 0, 0, 7), "de", "das 5. Jahrhundert v. Chr.", "im 5. Jahrhundert v. Chr.", "seit dem 5. Jahrhundert v. Chr.",
     "das 5. Jahrhundert v. Chr."),
    ((-450, 0, 0, 7), "fr", "le Ve siècle av. J.-C.", "au Ve siècle av. J.-C.", "depuis le Ve siècle av. J.-C.",
     "le Ve siècle av. J.-C."),
    ((-1, 0, 0, 7), "fr", "le Ier siècle av. J.-C.", "au Ier siècle av. J.-C.", "depuis le Ier siècle av. J.-C.",
     "le Ier siècle av. J.-C."),
    ((-500, 0, 0, 7), "ru", "V век до н. э.", "в V веке до н. э.", "с V века до н. э.", "V век до н. э."),
    ((-501, 0, 0, 7), "en", "the 6th century BC", "in the 6th century BC", "since the 6th century BC", "the 6th century BC"),
    # millennia
    ((1850, 0, 0, 6), "en", "the 2nd millennium", "in the 2nd millennium", "since the 2nd millennium", "the 2nd millennium"),
    ((2000, 0, 0, 6), "de", "das 2. Jahrtausend", "im 2. Jahrtausend", "seit dem 2. Jahrtausend", "das 2. Jahrtausend"),
    ((2001, 0, 0, 6), "fr", "le IIIe millénaire", "au IIIe millénaire", "depuis le IIIe millénaire", "le IIIe millénaire"),
    ((1500, 0, 0, 6), "ru", "II тысячелетие", "в II тысячелетии", "с II тысячелетия", "II тысячелетие"),
    ((-3000, 0, 0, 6), "en", "the 3rd millennium BC", "in the 3rd millennium BC", "since the 3rd millennium BC",
     "the 3rd millennium BC"),
    ((-3001, 0, 0, 6), "de", "das 4. Jahrtausend v. Chr.", "im 4. Jahrtausend v. Chr.", "seit dem 4. Jahrtausend v. Chr.",
     "das 4. Jahrtausend v. Chr."),
    ((-1000, 0, 0, 6), "fr", "le Ier millénaire av. J.-C.", "au Ier millénaire av. J.-C.",
     "depuis le Ier millénaire av. J.-C.", "le Ier millénaire av. J.-C."),
    ((-2500, 0, 0, 6), "ru", "III тысячелетие до н. э.", "в III тысячелетии до н. э.", "с III тысячелетия до н. э.",
     "III тысячелетие до н. э."),
    ((11000, 0, 0, 6), "en", "the 11th millennium", "in the 11th millennium", "since the 11th millennium",
     "the 11th millennium"),
    # 10,000 years and coarser: the year rounded (half up) to the unit, "about"
    ((-12000, 0, 0, 5), "en", "c. 10,000 BC", "around 10,000 BC", "since about 10,000 BC", "c. 10,000 BC"),
    ((-15000, 0, 0, 5), "en", "c. 20,000 BC", "around 20,000 BC", "since about 20,000 BC", "c. 20,000 BC"),
    ((-10000, 0, 0, 5), "de", "ca. 10.000 v. Chr.", "um 10.000 v. Chr.", "seit etwa 10.000 v. Chr.", "ca. 10.000 v. Chr."),
    ((-9000, 0, 0, 5), "fr", f"vers 10{NNB}000 av. J.-C.", f"vers 10{NNB}000 av. J.-C.",
     f"depuis environ 10{NNB}000 av. J.-C.", f"vers 10{NNB}000 av. J.-C."),
    ((-10000, 0, 0, 5), "ru", f"около 10{NB}000 года до н. э.", f"около 10{NB}000 года до н. э.",
     f"примерно с 10{NB}000 года до н. э.", f"около 10{NB}000 года до н. э."),
    ((12000, 0, 0, 5), "en", "c. AD 10,000", "around AD 10,000", "since about AD 10,000", "c. AD 10,000"),
    ((-250000, 0, 0, 4), "en", "c. 300,000 BC", "around 300,000 BC", "since about 300,000 BC", "c. 300,000 BC"),
    ((-13_800_000_000, 0, 0, 0), "en", "c. 14,000,000,000 BC", "around 14,000,000,000 BC",
     "since about 14,000,000,000 BC", "c. 14,000,000,000 BC"),
    ((-65_500_000, 0, 0, 3), "de", "ca. 66.000.000 v. Chr.", "um 66.000.000 v. Chr.", "seit etwa 66.000.000 v. Chr.",
     "ca. 66.000.000 v. Chr."),
    # ... a year that rounds to 0: the unit's span around the start of the era
    ((1850, 0, 0, 5), "en", "5000 BC – AD 5000", "between 5000 BC and AD 5000",
     "since some time between 5000 BC and AD 5000", "5000 BC – AD 5000"),
    ((-4999, 0, 0, 5), "de", "5000 v. Chr. – 5000 n. Chr.", "zwischen 5000 v. Chr. und 5000 n. Chr.",
     "seit einem Zeitpunkt zwischen 5000 v. Chr. und 5000 n. Chr.", "5000 v. Chr. – 5000 n. Chr."),
    ((30000, 0, 0, 4), "fr", f"50{NNB}000 av. J.-C. – 50{NNB}000 apr. J.-C.",
     f"entre 50{NNB}000 av. J.-C. et 50{NNB}000 apr. J.-C.",
     f"depuis une date entre 50{NNB}000 av. J.-C. et 50{NNB}000 apr. J.-C.",
     f"50{NNB}000 av. J.-C. – 50{NNB}000 apr. J.-C."),
    ((100, 0, 0, 5), "ru", "5000 г. до н. э. – 5000 г. н. э.", "между 5000 г. до н. э. и 5000 г. н. э.",
     "начиная с периода между 5000 г. до н. э. и 5000 г. н. э.", "5000 г. до н. э. – 5000 г. н. э."),
    # year 0 (not a Wikidata year) reads as astronomical year 0: 1 BC
    ((0, 0, 0, 9), "en", "1 BC", "in 1 BC", "since 1 BC", "1 BC"),
    ((0, 5, 6, 11), "de", "1 v. Chr.", "im Jahr 1 v. Chr.", "seit 1 v. Chr.", "1 v. Chr."),
    ((0, 0, 0, 7), "fr", "le Ier siècle av. J.-C.", "au Ier siècle av. J.-C.", "depuis le Ier siècle av. J.-C.",
     "le Ier siècle av. J.-C."),
    ((0, 0, 0, 8), "ru", "9–1 гг. до н. э.", "между 9 г. до н. э. и 1 г. до н. э.",
     "начиная с периода между 9 г. до н. э. и 1 г. до н. э.", "9–1 гг. до н. э."),
    # BCE finer than a year: the year, as before
    ((-44, 3, 15, 11, True), "en", "44 BC", "in 44 BC", "since 44 BC", "44 BC"),
    ((-44, 3, 0, 10), "ru", "44 до н. э.", "в 44 году до н. э.", "с 44 года до н. э.", "44 год до н. э."),
    # a day that does not exist: its month; a month that does not exist: its year
    ((1999, 2, 30, 11), "en", "February 1999", "in February 1999", "since February 1999", "February 1999"),
    ((1999, 4, 31, 11), "de", "April 1999", "im April 1999", "seit April 1999", "April 1999"),
    ((1900, 2, 29, 11), "fr", "février 1900", "en février 1900", "depuis février 1900", "février 1900"),
    ((1900, 2, 29, 11, True), "fr", "29 février 1900 (calendrier julien)", "le 29 février 1900 (calendrier julien)",
     "depuis le 29 février 1900 (calendrier julien)", "le 29 février 1900 (calendrier julien)"),
    ((2000, 2, 29, 11), "en", "29 February 2000", "on 29 February 2000", "since 29 February 2000", "29 February 2000"),
    ((1999, 2, 30, 11), "ru", "02.1999", "в феврале 1999 года", "с февраля 1999 года", "февраль 1999 года"),
    ((1999, 13, 1, 11), "en", "1999", "in 1999", "since 1999", "1999"),
    ((1999, 0, 7, 11), "de", "1999", "im Jahr 1999", "seit 1999", "1999"),
    ((43, 0, 0, 10), "en", "43", "in AD 43", "since AD 43", "AD 43"),
    # hours, minutes, seconds: the day
    ((1732, 2, 22, 12), "en", "22 February 1732", "on 22 February 1732", "since 22 February 1732", "22 February 1732"),
    ((1732, 2, 22, 14, True), "ru", "22.02.1732 (по юлианскому календарю)", "22 февраля 1732 года (по юлианскому календарю)",
     "с 22 февраля 1732 года (по юлианскому календарю)", "22 февраля 1732 года (по юлианскому календарю)"),
    # Julian at month precision: no marker (the month as the source states it)
    ((1700, 3, 0, 10, True), "en", "March 1700", "in March 1700", "since March 1700", "March 1700"),
]


@pytest.mark.parametrize("key,lang,label,on,since,nom", CHANGED)
def test_changed_dates(key, lang, label, on, since, nom):
    t = _tv(*key)
    assert format_date(t, lang) == label
    assert date_forms(t, lang) == {"on": on, "since": since, "nom": nom}


NEUTRAL = [
    ((1732, 2, 22, 11), "1732-02-22"),
    ((1732, 2, 22, 14), "1732-02-22"),
    ((1732, 2, 22, 11, True), "1732-02-22 (Julian)"),
    ((1732, 2, 0, 10), "1732-02"),
    ((1732, 2, 22, 10), "1732-02"),
    ((1999, 2, 30, 11), "1999-02"),
    ((1732, 0, 0, 9), "1732"),
    ((43, 0, 0, 9), "0043"),
    ((-44, 3, 15, 11), "-0044"),
    ((0, 0, 0, 9), "-0001"),
    ((1850, 0, 0, 8), "1850/1859"),
    ((5, 0, 0, 8), "0001/0009"),
    ((-505, 0, 0, 8), "-0509/-0500"),
    ((1900, 0, 0, 7), "1801/1900"),
    ((-500, 0, 0, 7), "-0500/-0401"),
    ((1850, 0, 0, 6), "1001/2000"),
    ((-1, 0, 0, 6), "-1000/-0001"),
    ((-12000, 0, 0, 5), "-15000/-5000"),
    ((1850, 0, 0, 5), "-5000/5000"),
    ((12000, 0, 0, 5), "5000/15000"),
]


@pytest.mark.parametrize("lang", ["es", "it", "zh"])
@pytest.mark.parametrize("key,expected", NEUTRAL)
def test_languages_without_date_rules_get_neutral_forms(key, expected, lang):
    t = _tv(*key)
    assert format_date(t, lang) == expected
    assert date_forms(t, lang) == {}


def test_neutral_forms_match_iso_where_iso_is_exact():
    # the ISO-like label is the accepted iso() form too: value_forms adds no duplicate
    for key in ((1732, 2, 22, 11), (1732, 2, 0, 10), (1732, 0, 0, 9), (-44, 0, 0, 9), (43, 0, 0, 9)):
        t = _tv(*key)
        assert format_date(t, "es") == t.iso()


def test_reading_kinds_at_every_precision():
    kinds = {p: date_reading(_tv(1850, 3, 7, p)).kind for p in range(15)}
    assert kinds == {**dict.fromkeys(range(6), "span"), 6: "millennium", 7: "century", 8: "decade", 9: "year",
                     10: "month", **dict.fromkeys(range(11, 15), "day")}  # 1850 rounds to 0 at 10,000 years
    assert [date_reading(_tv(-2_000_000_000, 0, 0, p)).kind for p in range(6)] == ["about"] * 6
    assert format_date(_tv(-14999, 0, 0, 5), "en") == format_date(_tv(-5000, 0, 0, 5), "en") == "c. 10,000 BC"


def test_answer_forms_add_the_phrase_as_the_contexts_write_it():
    t = _tv(-500, 0, 0, 7)
    assert date_answer_forms(t, "ru", ["V век до н. э."]) == ["V век до н. э.", "в V веке до н. э."]
    assert date_answer_forms(t, "en", ["the 5th century BC"]) == ["the 5th century BC"]
    assert date_answer_forms(t, "de", ["-0500"]) == ["-0500", "das 5. Jahrhundert v. Chr.", "im 5. Jahrhundert v. Chr."]
    t = _tv(1999, 2, 30, 11)
    assert date_answer_forms(t, "ru", ["02.1999"]) == ["02.1999", "февраль 1999 года", "в феврале 1999 года"]
    assert date_answer_forms(t, "es", ["1999-02"]) == ["1999-02"]
