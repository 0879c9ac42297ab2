"""``{% published_revisions month %}``: the revisions notice, for any page about a month.

Kept apart from the dashboard's own templates so the page can be reworked freely: the
notice is one line in the page's template and this tag.
"""

from __future__ import annotations

from typing import Any

from django import template

from journey.web.reports.services import revision_notice

register = template.Library()


@register.inclusion_tag("reports/_revisions.html")
def published_revisions(month: str) -> dict[str, Any]:
    return {"notice": revision_notice(month) if month else None}
