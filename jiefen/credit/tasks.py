"""Background jobs of the station: thin wrappers around services (run by `jiefen worker`)."""

from django_tasks import task

from . import services


@task()
def run_escalations() -> dict[str, int]:
    """Daily: raise unanswered disputes (warning day, 20-day limit) and overdue reporting-update tasks
    to the PBOC credit officer. Idempotent, so a retry or a second schedule does no harm."""
    return services.escalations_run()


@task()
def render_reply_letter_pdf(dispute_id: int) -> bool:
    """The PDF of a reply letter, after the answer is committed (the DOCX is stored at once)."""
    return services.reply_letter_pdf_ensure(dispute_id=dispute_id) is not None
