# SPDX-License-Identifier: BSD-3-Clause
"""Synthetic string-to-string tasks for sequence-to-sequence models."""

import datetime
from numbers import Integral

from sklearn.utils import check_random_state

from sklearn_rnn.utils._sklearn_compat import Interval, validate_params

_MONTHS = [
    "January", "February", "March", "April", "May", "June", "July",
    "August", "September", "October", "November", "December",
]  # fmt: skip
_DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


@validate_params(
    {
        "n_samples": [Interval(Integral, 1, None, closed="left")],
        "max_digits": [Interval(Integral, 1, 9, closed="both")],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def make_addition_pairs(n_samples=50_000, max_digits=3, *, random_state=None):
    """Generate distinct additions as strings, ``"535+61"`` -> ``"596"``.

    The setting of Keras' ``addition_rnn`` example: both operands are drawn
    with a uniformly random number of digits (1 to ``max_digits``) and then
    uniformly among the numbers of that many digits; every ordered pair
    ``(a, b)`` appears at most once, so a train/test split of the output has
    no question in common.

    Parameters
    ----------
    n_samples : int, default=50_000
        Number of distinct questions.
    max_digits : int in [1, 9], default=3
        Largest number of digits of an operand.
    random_state : int, RandomState instance or None, default=None
        Seed of the generator.

    Returns
    -------
    questions : list of str
        ``"a+b"`` strings, without padding.
    answers : list of str
        ``str(a + b)``.

    Examples
    --------
    >>> from sklearn_rnn.datasets import make_addition_pairs
    >>> X, y = make_addition_pairs(3, random_state=0)
    >>> all(eval(q) == int(a) for q, a in zip(X, y))
    True
    """
    n_pairs = (10**max_digits) ** 2
    if n_samples > n_pairs:
        raise ValueError(
            f"There are only {n_pairs} distinct additions with up to "
            f"{max_digits} digits; n_samples={n_samples} is too many."
        )
    rng = check_random_state(random_state)
    seen = set()
    questions, answers = [], []

    def number():
        digits = rng.randint(1, max_digits + 1)
        return int(rng.randint(0 if digits == 1 else 10 ** (digits - 1), 10**digits))

    while len(questions) < n_samples:
        a, b = number(), number()
        if (a, b) in seen:
            continue
        seen.add((a, b))
        questions.append(f"{a}+{b}")
        answers.append(str(a + b))
    return questions, answers


def _ordinal(day):
    if day in (11, 12, 13):
        return f"{day}th"
    return f"{day}{ {1: 'st', 2: 'nd', 3: 'rd'}.get(day % 10, 'th') }"


# Human date formats, written without strftime's locale-dependent names so
# that the data are the same everywhere. A two-digit year yy means 19yy for
# yy >= 70 and 20yy otherwise, which is why the dates span 1970-2069. Day-first
# and month-first numeric dates use different separators ("/" and "-"), so
# that the mapping to ISO is a function.
_DATE_FORMATS = {
    "April 22, 2019": lambda d: f"{_MONTHS[d.month - 1]} {d.day}, {d.year}",
    "22 April 2019": lambda d: f"{d.day} {_MONTHS[d.month - 1]} {d.year}",
    "22 APRIL 2019": lambda d: f"{d.day} {_MONTHS[d.month - 1].upper()} {d.year}",
    "April 22nd, 2019": lambda d: (
        f"{_MONTHS[d.month - 1]} {_ordinal(d.day)}, {d.year}"
    ),
    "Monday, April 22, 2019": lambda d: (
        f"{_DAYS[d.weekday()]}, {_MONTHS[d.month - 1]} {d.day}, {d.year}"
    ),
    "Mon 22 Apr 2019": lambda d: (
        f"{_DAYS[d.weekday()][:3]} {d.day:02d} {_MONTHS[d.month - 1][:3]} {d.year}"
    ),
    "Apr 22 2019": lambda d: f"{_MONTHS[d.month - 1][:3]} {d.day} {d.year}",
    "22-Apr-2019": lambda d: f"{d.day:02d}-{_MONTHS[d.month - 1][:3]}-{d.year}",
    "22 apr 19": lambda d: (
        f"{d.day} {_MONTHS[d.month - 1][:3].lower()} {d.year % 100:02d}"
    ),
    "22/04/19": lambda d: f"{d.day:02d}/{d.month:02d}/{d.year % 100:02d}",
    "22/04/2019": lambda d: f"{d.day:02d}/{d.month:02d}/{d.year}",
    "4-22-2019": lambda d: f"{d.month}-{d.day}-{d.year}",
    "22.04.2019": lambda d: f"{d.day:02d}.{d.month:02d}.{d.year}",
    "2019.04.22": lambda d: f"{d.year}.{d.month:02d}.{d.day:02d}",
    "20190422": lambda d: f"{d.year}{d.month:02d}{d.day:02d}",
    "2019-04-22": lambda d: d.isoformat(),
}
_FIRST_DAY = datetime.date(1970, 1, 1).toordinal()
_N_DAYS = datetime.date(2069, 12, 31).toordinal() - _FIRST_DAY + 1


@validate_params(
    {
        "n_samples": [Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def make_date_pairs(n_samples=10_000, *, random_state=None):
    """Generate dates written by humans and their ISO 8601 form.

    Each sample is a uniformly random day between 1970-01-01 and 2069-12-31
    written in one of 16 formats chosen uniformly, among them ``"April 22,
    2019"``, ``"22/04/19"``, ``"Mon 22 Apr 2019"``, ``"2019.04.22"`` and
    ``"April 22nd, 2019"``; the target is ``"2019-04-22"``. A two-digit year
    ``yy`` stands for 19yy when ``yy >= 70`` and 20yy otherwise.

    Parameters
    ----------
    n_samples : int, default=10_000
        Number of dates.
    random_state : int, RandomState instance or None, default=None
        Seed of the generator.

    Returns
    -------
    dates : list of str
        The human-written dates.
    iso : list of str
        The same dates as ``YYYY-MM-DD``.

    Examples
    --------
    >>> from sklearn_rnn.datasets import make_date_pairs
    >>> X, y = make_date_pairs(2, random_state=0)
    >>> len(X), len(y[0])
    (2, 10)
    """
    rng = check_random_state(random_state)
    formats = list(_DATE_FORMATS.values())
    days = rng.randint(0, _N_DAYS, size=n_samples)
    styles = rng.randint(0, len(formats), size=n_samples)
    dates, iso = [], []
    for day, style in zip(days, styles):
        d = datetime.date.fromordinal(_FIRST_DAY + int(day))
        dates.append(formats[style](d))
        iso.append(d.isoformat())
    return dates, iso
