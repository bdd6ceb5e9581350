from . import clients
from . import models
from . import controllers
