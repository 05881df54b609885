# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0.html).
from engine.ranking import competition_ranks, rank_changes


def test_competition_ranks_share_ties_and_skip():
    # 500 > 400 = 400 > 100: ranks 1, 2, 2, 4; None is not ranked
    values = {"sonia": 500, "sam": 400, "nina": 400, "tom": 100, "new": None}
    assert competition_ranks(values) == {"sonia": 1, "sam": 2, "nina": 2, "tom": 4}
    assert competition_ranks({}) == {}


def test_rank_changes():
    # Tom went from 3rd to 1st: +2; Sonia from 1st to 2nd: -1; Nina is new
    changes = rank_changes({"tom": 1, "sonia": 2, "nina": 3}, {"sonia": 1, "tom": 3})
    assert changes == {"tom": 2, "sonia": -1, "nina": None}
