from django.http import JsonResponse

API_PREFIX = "/api/"


class EmptyQueryParametersMiddleware:
    """An API query parameter sent with no value (`?status=&authority=E08000029`) is a 400 naming it.

    Filters, the page size and the parameters of `cap-check/` and the statistics would otherwise each read an
    empty value as "not given" and answer as if unfiltered, which a council would take for the filtered answer.
    Leaving the parameter out is how to not filter.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith(API_PREFIX):
            empty = sorted({name for name, values in request.GET.lists() if any(v == "" for v in values)})
            if empty:
                message = "Give a value, or leave the parameter out."
                return JsonResponse({name: [message] for name in empty}, status=400)
        return self.get_response(request)
