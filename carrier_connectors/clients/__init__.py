"""Carrier tracking clients: plain Python over ``requests``, no ORM."""

from . import status
from .base import CarrierError, TrackingEvent, TrackingResult
from .registry import PROVIDERS, get_client_class, get_webhook_handlers, provider_selection
from . import usps
from . import ups
from . import fedex
from . import dhl
from . import sf_express
from . import fourpx
from . import seventeen_track
from . import aftership
