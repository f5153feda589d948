"""Evaluation pages: suppressed aggregate figures, downloads, and the research extract."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from safehaven.access.gate import client_ip, require_perm
from safehaven.accounts.models import Site
from safehaven.accounts.permissions import Perm
from safehaven.audit.actions import record
from safehaven.evaluation import charts, exports, keeping, research
from safehaven.evaluation.forms import FilterForm, ResearchForm
from safehaven.evaluation.measures import (
    ALL,
    MEASURE_TITLES,
    NOW,
    PERIOD_LABELS,
    PERIODS,
    available_years,
    build_cube,
)

FORMATS = {"html", "csv", "xlsx", "pdf"}


def _tables(cube, site_key, periods):
    tables = []
    for measure in cube.measures():
        columns = [NOW] if cube.periods_of(measure) == (NOW,) else periods
        header = [_("Measure")] + [str(PERIOD_LABELS[p]) for p in columns]
        rows = [
            {"label": str(row.label), "values": [cube.shown(row.key, site_key, p) for p in columns]}
            for row in cube.rows if row.measure == measure and not row.hidden
        ]
        tables.append({"title": str(MEASURE_TITLES.get(measure, measure)), "header": header, "rows": rows})
    return tables


@login_required
@require_GET
def dashboard(request):
    """Show the protected figures for a year, a quarter and a site, or download them."""
    site_ids = require_perm(request.user, Perm.VIEW_AGGREGATE)
    sites = list(Site.objects.filter(pk__in=site_ids).order_by("name"))
    years = available_years(site_ids)
    data = request.GET.copy()
    data.setdefault("year", str(years[0]))
    wanted_site = data.get("site", "")
    if wanted_site and wanted_site not in {str(s.public_id) for s in sites}:
        raise Http404("No such site")
    fmt = data.pop("format", ["html"])[-1]
    form = FilterForm(data, years=years, sites=sites)
    if fmt not in FORMATS:
        form.is_valid()
        form.add_error(None, _("Choose a download format: CSV, spreadsheet or PDF."))
    if not form.is_valid():
        return render(request, "evaluation/dashboard.html", {"form": form, "tables": [], "chart": ""}, status=400)
    year = form.cleaned_data["year"]
    quarter = form.cleaned_data["quarter"]
    chosen = next((s for s in sites if str(s.public_id) == form.cleaned_data["site"]), None)
    site_key = chosen.pk if chosen else ALL
    figures = keeping.figures_for(year, [s.pk for s in sites])
    cube = build_cube(year, sites, figures=figures)
    periods = [quarter] if quarter else PERIODS
    tables = _tables(cube, site_key, periods)
    place = chosen.name if chosen else _("all my sites")
    title = _("Program evaluation, %(year)s, %(place)s") % {"year": year, "place": place}
    served = [(str(PERIOD_LABELS[p]), cube.shown("served", site_key, p)) for p in ("Q1", "Q2", "Q3", "Q4")]
    chart = charts.bar_chart(
        _("People seen each quarter of %(year)s") % {"year": year},
        _("Bar chart of the number of people seen in each quarter at %(place)s. The same figures are in the table.")
        % {"place": place},
        served, chart_id="served", suppressed_text=_("hidden (fewer than 11 people)"),
    )
    with transaction.atomic():
        record(by=request.user, action="evaluation.view" if fmt == "html" else "evaluation.export",
               site=chosen, ip=client_ip(request),
               detail={"year": year, "quarter": quarter, "site": str(chosen.public_id) if chosen else "all",
                       "format": fmt})
    context = {"form": form, "tables": tables, "chart": chart, "title": title, "cube": cube,
               "generated": timezone.now(), "figures_read_at": figures.computed_at,
               "figures_max_minutes": max(settings.EVALUATION_FIGURES_MAX_AGE // 60, 1) if settings.EVALUATION_FIGURES_MAX_AGE else 0, "unavailable": cube.unavailable}
    stem = f"evaluation-{year}{'-' + quarter if quarter else ''}"
    if fmt == "csv":
        return _download(exports.to_csv(title, tables), "text/csv; charset=utf-8", f"{stem}.csv")
    if fmt == "xlsx":
        return _download(exports.to_xlsx(title, tables),
                         "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", f"{stem}.xlsx")
    if fmt == "pdf":
        return _download(exports.to_pdf(context), "application/pdf", f"{stem}.pdf")
    query = request.GET.copy()
    query.pop("format", None)
    context["query"] = query.urlencode()
    return render(request, "evaluation/dashboard.html", context)


def _download(content: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def research_extract(request):
    """Build a de-identified extract of the people who consented to research."""
    sites = require_perm(request.user, Perm.EXPORT_DATA)
    form = ResearchForm(request.POST if request.method == "POST" else None, initial={"k": 11})
    if request.method == "POST" and form.is_valid():
        study, k = form.cleaned_data["study"], form.cleaned_data["k"]
        try:
            extract, decisions, people = research.build_extract(sites=sites, study=study, k=k)
        except research.NotAnonymous as refused:
            with transaction.atomic():
                record(by=request.user, action="evaluation.research.refused", ip=client_ip(request),
                       detail={"study": study, "k": k, "smallest": refused.smallest})
            form.add_error(None, _(
                "This extract is refused: some combination of age band and region is shared by fewer than "
                "%(k)d people, so they could be recognised. Wait until more people have consented, or ask "
                "for a smaller k only if your ethics approval allows it."
            ) % {"k": k})
            return render(request, "evaluation/research.html", {"form": form}, status=400)
        with transaction.atomic():
            research.log_extract(by=request.user, people=people, decisions=decisions, study=study)
            record(by=request.user, action="evaluation.research.extract", ip=client_ip(request),
                   detail={"study": study, "k": k, "people": extract.people})
        return _download(research.to_csv(extract), "text/csv; charset=utf-8", f"research-{study}.csv")
    status = 400 if request.method == "POST" else 200
    return render(request, "evaluation/research.html", {"form": form}, status=status)
