"""Background tasks (Django's tasks framework; the database backend in production)."""

from django.tasks import task


@task()
def send_reminder(reminder_id: str) -> str:
    """Try to send one reminder (safe to run twice: the state machine claims it first)."""
    from safehaven.followup.delivery import deliver

    return deliver(reminder_id)


@task()
def sweep_reminders() -> dict:
    """Reconcile interrupted sends and send every reminder that is due."""
    from safehaven.followup.delivery import sweep

    return sweep()
