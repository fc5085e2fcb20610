from django_tasks import task


@task()
def execute_run(run_id: int) -> str:
    """Run one screening in the background (worker: `zhengdun db_worker`)."""
    from zhengdun.screening.services import run_execute

    return run_execute(run_id).status
