"""England and its nine regions by ONS code: the areas the official statistics publish beside the authorities, and
the regions a deployment can serve (`setup_region`)."""

ENGLAND = "E92000001"
REGIONS = {
    "E12000001": "North East",
    "E12000002": "North West",
    "E12000003": "Yorkshire and The Humber",
    "E12000004": "East Midlands",
    "E12000005": "West Midlands",
    "E12000006": "East of England",
    "E12000007": "London",
    "E12000008": "South East",
    "E12000009": "South West",
}
# The statistics list London's boroughs under Inner and Outer London (ONS E13 codes), never under London's own code.
PARTS = {"E12000007": ("E13000001", "E13000002")}


def region_code(name_or_code: str) -> str | None:
    """The ONS code of the region named (any case) or coded, or None."""
    wanted = " ".join(name_or_code.split()).casefold()
    return next((code for code, name in REGIONS.items() if wanted in (code.casefold(), name.casefold())), None)
