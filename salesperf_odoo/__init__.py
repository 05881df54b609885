from . import models
from . import report
from . import wizard


def uninstall_hook(env):
    """An activity keeps its type from being deleted: remove the follow-up
    activities the addon gave, so that its activity type goes with it."""
    activity_type = env.ref(
        "salesperf_odoo.mail_activity_type_salesperf_customer_followup", raise_if_not_found=False
    )
    if activity_type:
        env["mail.activity"].with_context(active_test=False).search(
            [("activity_type_id", "=", activity_type.id)]
        ).unlink()
