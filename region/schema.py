from region.selectors import region_name


def name_the_region(result, generator, request, public):
    """drf-spectacular postprocessing hook: the API's title names the deployment's region (settings hold no region)."""
    result["info"]["title"] = f"{region_name()} agency MoU API"
    return result
