"""GET /api/stats/figures: every figure of the registry for a unit subtree and date range."""

from ninja import Query, Router, Schema

from zhengdun.org.access import get_scope
from zhengdun.org.api_auth import api_policy
from zhengdun.org.models import Role
from zhengdun.stats import dashboard, registry

router = Router(tags=["stats"])


class FigureOut(Schema):
    key: str
    label: str
    value: float | None
    numerator: int | None
    denominator: int | None
    unit: str
    drilldown_url: str


@router.get("/figures", response=list[FigureOut])
@api_policy(Role.OFFICE_ADMIN, Role.UNIT_CLERK, Role.SUPERVISOR)
def figures(request, unit: int | None = None, date_from: str | None = Query(None, alias="from"),
            date_to: str | None = Query(None, alias="to"), campaign: str | None = None):
    """Figures of the unit's subtree (default: the user's top unit) over [from, to] (default: the
    running campaign's window), optionally for one campaign. Rates are fractions (0.5 = 50%)."""
    params = {"unit": unit, "from": date_from, "to": date_to, "campaign": campaign}
    ctx = dashboard.parse_ctx(get_scope(request), {k: v for k, v in params.items() if v is not None},
                              default_campaign=False)
    own, _rows, _snap = registry.evaluate(ctx, with_children=False)
    return [{"key": f.key, "label": str(f.label), "value": own[f.key].value, "numerator": own[f.key].numerator,
             "denominator": own[f.key].denominator, "unit": str(f.unit), "drilldown_url": f.drilldown_url(ctx)}
            for f in registry.figures_for(ctx)]
