"""One module per provider; importing it registers its routes."""

from . import usps
from . import ups
from . import fedex
from . import dhl
from . import sf_express
from . import fourpx
from . import seventeen_track
from . import aftership
from . import easypost
from . import store_common
from . import shopify
from . import amazon
from . import ebay
from . import walmart
