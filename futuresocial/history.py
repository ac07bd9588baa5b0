"""History pages (SPEC §3 History): who changed what, when, from what to what, for every object the spec lists.

django-pghistory's triggers write an event row for every insert and update of a tracked model, with the context of
the change: `{"user": id, "url": path}` from HistoryMiddleware (pages and API), `{"user": id}` from a service's own
`pghistory.context`, `{"source": "audit", "audit_run": n}` from the audit. Its aggregate `Events` model reads those
rows with `pgh_diff`, the `{column: [old, new]}` of each event against the object's previous one.

`history_entries()` turns a page of events into what a person reads ("status: Open → Under review by coordinator");
`object_history` is the page `/history/<app_label>/<model>/<pk>/` for the models in `HISTORY_MODELS` (any other is a
404), and only for an object the user may see (`visible_to`, else 404), like every other page.
"""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation

from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import models
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.formats import date_format

import pghistory
import pghistory.core
from pghistory.models import Events

from futuresocial.scoping import visible_to

PAGE_SIZE = 50
LONG_TEXT = 200  # characters of a long text shown in a change; the rest is cut


def changed_by(by, **why):
    """The one way a write records who made it (and why: `action`, `reason`), for every history page: pghistory's
    context naming the user, even outside a request (a command, the shell, a task); inside one, the middleware names
    the same user."""
    return pghistory.context(user=by.pk if by is not None else None, **why)


def _regional_only(queryset, user):
    return queryset if user.is_regional else queryset.none()


@dataclass(frozen=True)
class HistorySubject:
    """A model with a history page. `children`: models whose events are shown with the object's (a version's caps,
    an agreement's remedial items), found through their foreign key to it. `visible_through`: for a model without
    its own `scope`, the related object whose visibility decides (a cap is visible with its version). `restrict`:
    a further narrowing of what a user may see."""

    children: tuple[str, ...] = ()
    visible_through: str | None = None
    restrict: object = None


# The objects of SPEC §3 History, by "app_label.model_name" (as in the URL).
HISTORY_MODELS = {
    "mou.mouversion": HistorySubject(children=("mou.Cap",)),  # drafts: MouVersion.scope["tenants_see"]
    "mou.cap": HistorySubject(visible_through="version"),
    "compliance.breach": HistorySubject(),
    "compliance.correctiveaction": HistorySubject(children=("compliance.CorrectiveActionItem",)),
    "agencies.suspension": HistorySubject(),
    "agencies.agency": HistorySubject(),
    "placements.capexception": HistorySubject(),
    "placements.placement": HistorySubject(children=("placements.Reference",)),
    "placements.projectteam": HistorySubject(children=("placements.ProjectTeamMember",)),
    "placements.permanentleaver": HistorySubject(),
    # A worker is shared by every agency and council that placed them: their history would name another agency's
    # users to each. The region reads it; tenants see the worker on their placements.
    "placements.worker": HistorySubject(restrict=_regional_only),
    "placements.timesheet": HistorySubject(),
    "workforce.workforcereturn": HistorySubject(),
}

ACTIONS = {"insert": "created", "update": "changed"}


def _key(model) -> str:
    return f"{model._meta.app_label}.{model._meta.model_name}"


def has_history_page(obj) -> bool:
    return obj is not None and _key(type(obj)) in HISTORY_MODELS


def history_url(obj) -> str | None:
    """The history page of `obj`, or None for a model without one."""
    if not has_history_page(obj):
        return None
    return reverse("history", args=[obj._meta.app_label, obj._meta.model_name, obj.pk])


def visible_object(user, app_label: str, model_name: str, pk):
    """The object named by the URL if it has a history page and `user` may see it; else Http404 (another tenant's
    object, a model not on the list and a missing row all look alike)."""
    key = f"{app_label}.{model_name}".lower()
    subject = HISTORY_MODELS.get(key)
    if subject is None:
        raise Http404("No history page for this kind of record.")
    model = apps.get_model(key)
    if subject.visible_through:
        obj = model._default_manager.filter(pk=pk).select_related(subject.visible_through).first()
        parent = getattr(obj, subject.visible_through, None) if obj is not None else None
        parent_subject = HISTORY_MODELS.get(_key(type(parent))) if parent is not None else None
        if parent is None or not _visible(user, type(parent), parent.pk, parent_subject).exists():
            raise Http404("No such record.")
        return obj
    obj = _visible(user, model, pk, subject).first()
    if obj is None:
        raise Http404("No such record.")
    return obj


def _visible(user, model, pk, subject):
    # The page names the object (its str() often names its relations: a breach its agency): join them.
    queryset = visible_to(model._default_manager.filter(pk=pk).select_related(*_relations(model)), user)
    if subject is not None and subject.restrict is not None:
        queryset = subject.restrict(queryset, user)
    return queryset


def _event_models(model):
    return pghistory.core.event_models(tracks_model=model)


def history_events(obj):
    """The events of `obj` (and of its children, see `HistorySubject`), newest first, as an unevaluated queryset."""
    subject = HISTORY_MODELS.get(_key(type(obj)), HistorySubject())
    if subject.children:
        across = _event_models(type(obj)) + [m for c in subject.children for m in _event_models(apps.get_model(c))]
        events = Events.objects.references(obj).across(*across)
    else:
        events = Events.objects.tracks(obj)
    return events.order_by("-pgh_created_at", "-pgh_id")


@dataclass
class Change:
    field: str
    old: str
    new: str

    def __str__(self):
        return f"{self.field}: {self.old} → {self.new}"


@dataclass
class HistoryEntry:
    when: datetime
    action: str  # "created", "changed" or an event label
    who: str  # a person, "audit run N" or "system"
    via: str = ""  # "the API", "the admin" or "" (a page, or not a request)
    subject: str = ""  # for a child's event: which one ("cap 12: SW – Social worker ≤ £30.00/h pay")
    changes: list[Change] = field(default_factory=list)
    initial: list[tuple[str, str]] = field(default_factory=list)  # what a created object held
    who_user_id: int | None = None
    why: str = ""  # what the service said it was doing, and why: changed_by(by, action=..., reason=...)

    @property
    def summary(self) -> str:
        return "; ".join(str(change) for change in self.changes)


def _hidden(model, user=None) -> set[str]:
    """Columns never shown: the id, timestamps Django refreshes on every save (they say nothing new), and those the
    model keeps from its history's readers (`history_hidden`: not everyone who reads the object may read them;
    `history_regional_only`: only the coordinator and analysts may, e.g. what a record once said that was since
    rewritten because it told a tenant too much). With no `user`, the safe answer: hidden."""
    auto = {f.column for f in model._meta.concrete_fields if getattr(f, "auto_now", False)}
    hidden = {"id"} | auto | set(getattr(model, "history_hidden", ()))
    if user is None or not user.is_regional:
        hidden |= set(getattr(model, "history_regional_only", ()))
    return hidden


def _columns(model) -> dict[str, models.Field]:
    return {f.column: f for f in model._meta.concrete_fields}


def history_entries(events, *, user=None) -> list[HistoryEntry]:
    """Readable entries for a list of `Events` rows: who (one query for every user named), and each changed field
    from what to what, related objects by name (one query per kind of related object named on the page)."""
    events = list(events)
    tracked = {e.pgh_obj_model: apps.get_model(e.pgh_obj_model) for e in events}
    # Which related rows to name, by model: ids found in the diffs, initial values and contexts.
    wanted: dict[type, set] = {}
    user_model = get_user_model()
    for event in events:
        model = tracked[event.pgh_obj_model]
        columns = _columns(model)
        values = _event_values(event)
        for column, value in values.items():
            f = columns.get(column)
            if f is not None and f.is_relation and f.many_to_one and value is not None:
                wanted.setdefault(f.related_model, set()).add(value)
        user_id = (event.pgh_context or {}).get("user")
        if user_id is not None:
            wanted.setdefault(user_model, set()).add(user_id)
    # The page's own object is the one model that is nobody's child; a child's events say which child it was.
    subject_model = _root_model(tracked) if tracked else None
    for name, model in tracked.items():
        if model is not subject_model:
            wanted.setdefault(model, set()).update(e.pgh_obj_id for e in events if e.pgh_obj_model == name)
    named = {model: _in_bulk(model, ids) for model, ids in wanted.items()}

    entries = []
    for event in events:
        model = tracked[event.pgh_obj_model]
        context = event.pgh_context or {}
        who, who_id = _who(context, named.get(user_model, {}))
        entry = HistoryEntry(
            when=event.pgh_created_at,
            action=ACTIONS.get(event.pgh_label, event.pgh_label),
            who=who,
            who_user_id=who_id,
            via=_via(context),
            why=_why(context),
        )
        if model is not subject_model:
            child = named.get(model, {}).get(_pk(model, event.pgh_obj_id))
            entry.subject = f"{model._meta.verbose_name} {event.pgh_obj_id}" + (f": {child}" if child else "")
        columns, hidden = _columns(model), _hidden(model, user)
        if event.pgh_label == "insert" or event.pgh_diff is None:
            entry.initial = [
                (columns[c].verbose_name, shown_value(columns[c], v, named))
                for c, v in sorted(_event_values(event).items(), key=lambda item: _order(columns, item[0]))
                if c in columns and c not in hidden and v not in (None, "")
            ]
        else:
            entry.changes = [
                Change(
                    columns[c].verbose_name, shown_value(columns[c], old, named), shown_value(columns[c], new, named)
                )
                for c, (old, new) in sorted(event.pgh_diff.items(), key=lambda item: _order(columns, item[0]))
                if c in columns and c not in hidden
            ]
            if not entry.changes:
                continue  # saved with nothing a person would see changed
        entries.append(entry)
    return entries


def _root_model(tracked: dict[str, type]) -> type:
    children = {apps.get_model(c) for s in HISTORY_MODELS.values() for c in s.children}
    roots = [m for m in tracked.values() if m not in children]
    return roots[0] if roots else next(iter(tracked.values()))


def _order(columns, column):
    names = list(columns)
    return names.index(column) if column in names else len(names)


def _event_values(event) -> dict:
    return {k: v for k, v in (event.pgh_data or {}).items() if not k.startswith("pgh_")}


def _pk(model, raw):
    try:
        return model._meta.pk.to_python(raw)
    except Exception:  # noqa: BLE001 - an id that is not one names nothing
        return None


def _in_bulk(model, ids) -> dict:
    ids = {_pk(model, i) for i in ids} - {None}
    if not ids:
        return {}
    # Names of related rows often name their own relations (a placement: worker, role, authority, agency): join them.
    return model._default_manager.select_related(*_relations(model)).in_bulk(ids)


def _relations(model) -> list[str]:
    return [f.name for f in model._meta.concrete_fields if f.many_to_one]


def _who(context: dict, users: dict) -> tuple[str, int | None]:
    if context.get("user") is not None:
        user = users.get(context["user"])
        return (str(user) if user else f"user {context['user']}"), context["user"]
    if context.get("audit_run") is not None:
        return f"audit run {context['audit_run']}", None
    return "system", None


def _why(context: dict) -> str:
    """The action and reason a service recorded with the change (changed_by), as a person reads them."""
    action, reason = context.get("action") or "", context.get("reason") or ""
    if action and reason:
        return f"{action[:1].upper()}{action[1:]}: {reason}"
    return f"{action[:1].upper()}{action[1:]}" if action else reason


def _via(context: dict) -> str:
    url = context.get("url") or ""
    if url.startswith("/api/"):
        return "the API"
    if url.startswith("/admin/"):
        return "the admin"
    return ""


def shown_value(f: models.Field, value, named: dict | None = None) -> str:
    """A stored value as a person reads it (a related row by name when `named` holds it, else by kind and id)."""
    named = named or {}
    if value is None or value == "":
        return "—"
    if f.is_relation and f.many_to_one:
        related = named.get(f.related_model, {}).get(_pk(f.related_model, value))
        if related is None:
            return f"{f.related_model._meta.verbose_name} {value}"
        if isinstance(related, get_user_model()):
            return related.username
        return str(related)
    if isinstance(f, models.BooleanField):
        return "yes" if value else "no"
    if f.choices:
        # A status or a kind as the pages name it ("Under review"), not as stored ("under_review").
        return str(dict(f.flatchoices).get(value, value))
    if isinstance(f, models.DateTimeField):
        parsed = parse_datetime(str(value))
        return date_format(timezone.localtime(parsed), "j M Y H:i") if parsed else str(value)
    if isinstance(f, models.DateField):
        parsed = parse_date(str(value)[:10])
        return date_format(parsed, "j M Y") if parsed else str(value)
    if isinstance(f, models.DecimalField):
        try:
            return f"{Decimal(str(value)).quantize(Decimal(1).scaleb(-f.decimal_places)):,}"
        except InvalidOperation:
            return str(value)
    text = str(value)
    return text if len(text) <= LONG_TEXT else text[: LONG_TEXT - 1] + "…"


def object_label(obj) -> str:
    return f"{obj._meta.verbose_name} {obj.pk}: {obj}"


@login_required
def object_history(request, app_label, model_name, pk):
    obj = visible_object(request.user, app_label, model_name, pk)
    page = Paginator(history_events(obj), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "history/object_history.html",
        {
            "object": obj,
            "label": object_label(obj),
            "verbose_name": obj._meta.verbose_name,
            "page": page,
            "entries": history_entries(page.object_list, user=request.user),
            "object_url": _object_url(obj),
        },
    )


def _object_url(obj) -> str | None:
    """The object's own page, where there is one (a placement, a breach case)."""
    from django.urls import NoReverseMatch

    names = {
        "compliance.breach": "compliance:breach-detail",
        "placements.placement": "placements:detail",
        "compliance.correctiveaction": "compliance:corrective-action",
    }
    name = names.get(_key(type(obj)))
    if name is None:
        return None
    try:
        return reverse(name, args=[obj.pk])
    except NoReverseMatch:
        return None
