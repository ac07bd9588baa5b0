"""Money is Decimal pounds everywhere; amounts shown or stored are rounded to the penny."""

from decimal import Decimal

PENNY = Decimal("0.01")
