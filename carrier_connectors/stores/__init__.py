"""Store (marketplace) clients: tracking write-back and buyer claims; plain Python, no ORM."""

from .base import BuyerClaim, StoreClient, StoreOrderLine, TrackingUpdate, WriteBackResult
from .registry import STORES, get_store_client_class, store_selection
from . import shopify
from . import amazon
from . import ebay
from . import walmart
