# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0.html).
"""Leaderboard ranks: standard competition ranking ("1224")."""


def competition_ranks(values):
    """``{key: rank}``: highest value first; equal values share a rank and
    the next rank skips as many places ("1224"). Keys whose value is ``None``
    are left out (not ranked)."""
    ranked = sorted(
        ((value, key) for key, value in values.items() if value is not None),
        key=lambda item: -item[0],
    )
    ranks = {}
    previous_value = object()
    for position, (value, key) in enumerate(ranked, start=1):
        if value != previous_value:
            rank, previous_value = position, value
        ranks[key] = rank
    return ranks


def rank_changes(current, previous):
    """``{key: places gained}`` (positive = moved up) for keys ranked in both
    periods; ``None`` for keys new to the ranking."""
    return {key: previous[key] - rank if key in previous else None for key, rank in current.items()}
