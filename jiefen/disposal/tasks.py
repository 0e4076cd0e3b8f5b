"""Background jobs: thin wrappers around the services, run by `jiefen worker`."""

from django_tasks import task


@task()
def validate_import(job_id: int) -> None:
    from .imports import import_job_validate

    import_job_validate(job_id=job_id)


@task()
def run_import(job_id: int) -> None:
    from .imports import import_job_run

    import_job_run(job_id=job_id)


@task()
def send_sms_batch(batch_id: int, case_ids: list[int], actor_id: int | None) -> None:
    from .services import sms_batch_deliver

    sms_batch_deliver(batch_id=batch_id, case_ids=case_ids, actor_id=actor_id)
