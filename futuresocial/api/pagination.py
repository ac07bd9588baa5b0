from rest_framework import pagination


class PageNumberPagination(pagination.PageNumberPagination):
    """`count`, `next`, `previous`, `results`; `?page=` and `?page_size=` up to 500 (SPEC §7)."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500

    def paginate_queryset(self, queryset, request, view=None):
        # An unordered queryset pages unpredictably (rows repeat or vanish between pages): refuse it loudly.
        if hasattr(queryset, "ordered") and not queryset.ordered:
            raise AssertionError(f"{view.__class__.__name__} pages an unordered queryset; give it an ordering")
        return super().paginate_queryset(queryset, request, view)
