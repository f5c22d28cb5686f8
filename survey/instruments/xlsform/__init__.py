"""XLSForm workbooks for ODK Collect and KoboToolbox: export an instrument, import a form as its next version."""

from survey.instruments.xlsform.export import export_xlsform
from survey.instruments.xlsform.form import Skipped
from survey.instruments.xlsform.read import import_xlsform
from survey.instruments.xlsform.sheets import WorkbookError

__all__ = ["Skipped", "WorkbookError", "export_xlsform", "import_xlsform"]
