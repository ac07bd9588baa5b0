from rest_framework import pagination
from rest_framework.exceptions import ValidationError


class PageNumberPagination(pagination.PageNumberPagination):
    """`count`, `next`, `previous`, `results`; `?page=` and `?page_size=` up to 500 (SPEC §7).

    A `page_size` that is not a whole number of at least 1 is a 400 (as a bad filter value is), not silently the
    default; above 500 it is 500. A page past the end is a 404.
    """

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500

    def paginate_queryset(self, queryset, request, view=None):
        # An unordered queryset pages unpredictably (rows repeat or vanish between pages): refuse it loudly.
        if hasattr(queryset, "ordered") and not queryset.ordered:
            raise AssertionError(f"{view.__class__.__name__} pages an unordered queryset; give it an ordering")
        return super().paginate_queryset(queryset, request, view)

    def get_page_size(self, request):
        value = request.query_params.get(self.page_size_query_param)
        if value is None:
            return self.page_size
        try:
            size = int(value)
        except ValueError:
            size = 0
        if size < 1:
            message = f"A whole number of rows from 1 to {self.max_page_size} (default {self.page_size})."
            raise ValidationError({self.page_size_query_param: [message]})
        return min(size, self.max_page_size)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"]["minimum"] = 1
                parameter["description"] = f"Rows per page: 1 to {self.max_page_size} (more is {self.max_page_size})"
            if parameter["name"] == self.page_query_param:
                parameter["schema"]["minimum"] = 1
                parameter["description"] = "Page number, from 1 (past the last page: 404)"
        return parameters
