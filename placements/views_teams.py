"""Project teams (the national rules): a council records the managed teams it approved from an agency, every worker
named with their cost; the agency reads its own. A placement registered as part of a project team is judged against
them (rule `project_team_unapproved`)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Sum
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import pluralize

from futuresocial.forms import add_service_errors
from futuresocial.scoping import visible_to
from placements.forms import ProjectTeamForm, TeamMembersFormSet
from placements.models import ProjectTeam
from placements.services import project_team_record

PAGE_SIZE = 50


def _teams(user):
    return visible_to(ProjectTeam.objects.select_related("authority", "agency"), user)


def _may_record(user) -> bool:
    return user.is_coordinator or (user.is_council and user.authority_id is not None)


@login_required
def team_list(request):
    teams = _teams(request.user).annotate(workers=Count("members"), workers_cost=Sum("members__cost"))
    page = Paginator(teams.order_by("-approved_on", "name"), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "placements/team_list.html", {"page": page, "may_record": _may_record(request.user)})


@login_required
def team_detail(request, pk):
    team = get_object_or_404(_teams(request.user), pk=pk)
    members = team.members.select_related("worker", "role").order_by("worker__swe_number")
    return render(
        request,
        "placements/team_detail.html",
        {"team": team, "members": members, "workers_cost": sum(member.cost for member in members)},
    )


@login_required
def team_new(request):
    if not _may_record(request.user):
        raise PermissionDenied("Only a council (for its own teams) or the workforce coordinator can record a team.")
    form = ProjectTeamForm(request.POST or None, user=request.user)
    members = TeamMembersFormSet(request.POST or None, prefix="members")
    if request.method == "POST" and form.is_valid() & members.is_valid():
        data = dict(form.cleaned_data)
        authority = data.pop("authority", None) or request.user.authority
        named = [member for member in (row.member() for row in members) if member]
        try:
            team = project_team_record(authority=authority, members=named, by=request.user, **data)
        except ValidationError as error:
            add_service_errors(form, error, {"members": None})
        else:
            workers = f"{len(named)} worker{pluralize(len(named))}"
            messages.success(request, f"Project team {team.name} recorded with {workers} named.")
            return redirect("placements:team-detail", pk=team.pk)
    return render(request, "placements/team_form.html", {"form": form, "members": members})
