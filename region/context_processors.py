from region.selectors import deployment_region


def region(request):
    """`region` in every page's context: its name in the title and the header."""
    return {"region": deployment_region()}
