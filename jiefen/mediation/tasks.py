"""Background jobs of mediation: thin wrappers around services (run by `jiefen worker`)."""

from django_tasks import task

from . import services


@task()
def performance_check_task() -> dict[str, int]:
    """Daily: reminder SMS before each instalment and default flags after the grace days (idempotent)."""
    return services.performance_check()
