"""Side panels of the main window: experiment settings, the group list and the group editor.

- fields: form fields that refuse bad values in place.
- landscape_editors: the typed-expression and dataset editors.
- experiment_panel, group_list, group_editor: the three docks.
"""

from optviz.app.panels.experiment_panel import ExperimentPanel
from optviz.app.panels.fields import ERROR_STYLE, parse_number
from optviz.app.panels.group_editor import GroupEditor
from optviz.app.panels.group_list import GroupListPanel
from optviz.app.panels.landscape_editors import DATA_KEY, EXPR_KEY, DataEditor, ExpressionEditor, parse_params

__all__ = ["DATA_KEY", "ERROR_STYLE", "EXPR_KEY", "DataEditor", "ExperimentPanel", "ExpressionEditor", "GroupEditor",
           "GroupListPanel", "parse_number", "parse_params"]
