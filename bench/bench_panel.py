#!/usr/bin/env python3
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0.html).
"""Time the goals panel of the CRM pipeline for each role, against the pipeline itself.

For each role, as that user (record rules apply, no superuser shortcut):

* panel:    ``salesperf.target.get_pipeline_panel()``, the one call the panel makes
            per page load (the user's default choice: their own goals, their team's,
            or the company's); the SQL queries it sends are counted;
* pipeline: ``crm.lead.web_read_group`` of the opportunity kanban's columns, as the
            page calls it anyway (the user's own opportunities, "My Pipeline",
            grouped by stage with the expected revenue summed): the baseline.

Roles, found in the database unless given by login: a salesperson (own documents,
leading no team), a team leader (the leader of a sales team), a director (a Sales
Performance administrator or "All Documents" user leading no team).

So that every panel has goals to compute, missing targets of the current month and
quarter (revenue, orders and won value for the month, revenue for the quarter) are
created for the company, every team of the main company and their members, in the
script's transaction, which is rolled back at the end: the database is left as it was.

Each measure runs once to warm up, then the two take turns for ``--repeat`` rounds, the
record caches cleared before each run (as each request starts with empty ones). The
target is a panel under 100 ms (``--target-ms``) on the demo database.
"""

import argparse
import statistics
import sys
import time
from dataclasses import dataclass, field

from odoo_session import add_odoo_arguments, odoo_environment

MONTH_METRICS = ("revenue", "orders", "won_value")
QUARTER_METRICS = ("revenue",)


@dataclass
class Measure:
    name: str
    times: list[float] = field(default_factory=list)
    queries: list[int] = field(default_factory=list)

    @property
    def best(self) -> float:
        return min(self.times)

    @property
    def median(self) -> float:
        return statistics.median(self.times)


def find_roles(env, company, logins: dict) -> dict:
    """``{role: user}``, each given by login or the first fitting user of ``company``."""
    Users = env["res.users"]
    roles = {}
    for role, login in logins.items():
        if login:
            user = Users.search([("login", "=", login)])
            if not user:
                sys.exit(f"no user with login {login!r}")
            roles[role] = user
    teams = env["crm.team"].search([("company_id", "in", [False, company.id])])
    leaders = teams.user_id
    internal = Users.search(
        [("share", "=", False), ("company_ids", "in", company.id)], order="login"
    )
    candidates = {
        "salesperson": internal.filtered(
            lambda user: (
                user.has_group("sales_team.group_sale_salesman")
                and not user.has_group("sales_team.group_sale_salesman_all_leads")
                and user not in leaders
            )
        ),
        "team leader": leaders.filtered(lambda user: company in user.company_ids),
        "director": internal.filtered(
            lambda user: (
                (
                    user.has_group("salesperf_odoo.group_salesperf_manager")
                    or user.has_group("sales_team.group_sale_salesman_all_leads")
                )
                and user not in leaders
            )
        ),
    }
    for role, users in candidates.items():
        if role not in roles and users:
            roles[role] = users[0]
    return roles


def ensure_targets(env, company) -> int:
    """Create the missing current targets; return how many were created."""
    Target = env["salesperf.target"].with_company(company)
    periods = Target._pipeline_panel_periods()[company]
    teams = env["crm.team"].search([("company_id", "in", [False, company.id])])
    owners = [("company", False, False)]
    owners += [("team", False, team.id) for team in teams]
    owners += [("user", user.id, False) for user in teams.member_ids if company in user.company_ids]
    wanted = []
    for kind, metrics in (("month", MONTH_METRICS), ("quarter", QUARTER_METRICS)):
        start = periods[kind].start
        for scope, user_id, team_id in owners:
            for metric in metrics:
                wanted.append(
                    {
                        "scope": scope,
                        "user_id": user_id,
                        "team_id": team_id,
                        "metric": metric,
                        "period_kind": kind,
                        "date_from": start,
                        "company_id": company.id,
                    }
                )

    def key(scope, user_id, team_id, metric, period_kind, date_from):
        return scope, user_id, team_id if scope == "team" else False, metric, period_kind, date_from

    existing = {
        key(t.scope, t.user_id.id, t.team_id.id, t.metric, t.period_kind, t.date_from)
        for t in Target.search([("company_id", "=", company.id)])
    }
    missing = [
        {**values, "amount": 10.0 if values["metric"] == "orders" else 10_000.0}
        for values in wanted
        if key(**{name: values[name] for name in values if name != "company_id"}) not in existing
    ]
    Target.create(missing).action_confirm()
    env.flush_all()
    return len(missing)


def timed(env, measure: Measure, call) -> None:
    env.invalidate_all()
    queries = env.cr.sql_log_count
    start = time.perf_counter()
    call()
    env.flush_all()
    measure.times.append(time.perf_counter() - start)
    measure.queries.append(env.cr.sql_log_count - queries)


def measure_role(env, user, repeat: int) -> tuple[Measure, Measure, dict]:
    user_env = env(
        user=user.id, context={**env.context, "allowed_company_ids": [user.company_id.id]}
    )
    Target = user_env["salesperf.target"]
    Lead = user_env["crm.lead"]
    domain = [("type", "=", "opportunity"), ("user_id", "=", user.id)]

    def pipeline():
        Lead.web_read_group(domain, ["expected_revenue:sum"], ["stage_id"], lazy=True)

    panel, baseline = Measure("panel"), Measure("pipeline")
    # warm up: the caches of rules, groups and translations, as on a live server
    for _round in range(2):
        result = Target.get_pipeline_panel()
        pipeline()
    for _round in range(repeat):
        timed(env, panel, Target.get_pipeline_panel)
        timed(env, baseline, pipeline)
    return panel, baseline, result


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter
    )
    add_odoo_arguments(parser)
    parser.add_argument("--repeat", type=int, default=10, help="timed runs per measure")
    parser.add_argument("--salesperson", help="login of the salesperson (default: found)")
    parser.add_argument("--leader", help="login of the team leader (default: found)")
    parser.add_argument("--director", help="login of the director (default: found)")
    parser.add_argument(
        "--target-ms", type=float, default=100.0, help="panel target (default: %(default)s ms)"
    )
    parser.add_argument(
        "--check-target",
        action="store_true",
        help="exit with status 2 when a panel's median misses the target",
    )
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    with odoo_environment(args) as env:
        if "salesperf.target" not in env:
            print("salesperf_odoo is not installed in this database")
            return 1
        company = env.ref("base.main_company")
        created = ensure_targets(env, company)
        roles = find_roles(
            env,
            company,
            {
                "salesperson": args.salesperson,
                "team leader": args.leader,
                "director": args.director,
            },
        )
        print(
            f"database {args.database}, company {company.name}, {created} missing target(s) "
            f"created for the run (rolled back), {args.repeat} rounds\n"
        )
        header = (
            f"  {'role':<12} {'user':<24} {'shown':<26} {'goals':>5} {'panel ms':>9} "
            f"{'queries':>7} {'pipeline ms':>11} {'panel / pipeline':>16}"
        )
        print(header)
        missed = False
        for role in ("salesperson", "team leader", "director"):
            user = roles.get(role)
            if not user:
                print(f"  {role:<12} (no such user in {company.name})")
                continue
            panel, baseline, result = measure_role(env, user, args.repeat)
            goals = sum(len(period["goals"]) for period in result["periods"])
            ratio = panel.median / baseline.median
            missed |= panel.median * 1000 > args.target_ms
            print(
                f"  {role:<12} {user.login[:24]:<24} {result['title'][:26]:<26} {goals:>5} "
                f"{panel.median * 1000:>9.1f} {statistics.median_low(panel.queries):>7} "
                f"{baseline.median * 1000:>11.1f} {ratio:>16.1f}"
            )
        print(
            f"\n  medians of {args.repeat} runs (best runs are a little lower); "
            f"target: panel under {args.target_ms:.0f} ms"
        )
        if missed:
            print("  !!! a panel misses the target")
            if args.check_target:
                return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
