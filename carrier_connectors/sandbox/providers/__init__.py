"""One module per provider; importing it registers its routes."""

from . import dhl
