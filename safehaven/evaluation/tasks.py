"""Background tasks of the evaluation capability (Django's tasks framework)."""

from django.tasks import task


@task()
def refresh_figures(year: int, site_ids: list[int]) -> str:
    """Read and keep newer evaluation figures for one year and set of sites."""
    from safehaven.evaluation.keeping import refresh

    figures = refresh(year, site_ids)
    return figures.computed_at.isoformat()
