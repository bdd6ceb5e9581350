from . import test_walking_skeleton
from . import test_detection
from . import test_case_flow
from . import test_access
from . import test_ui_tour
from . import test_portal
