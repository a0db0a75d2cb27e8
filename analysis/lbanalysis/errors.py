"""Exit statuses and the one error type the report raises.

The statuses are the latentbench command's (README, docs/ANALYSIS.md): every
error ends the report with one line on stderr and one of these codes.
"""

EX_OK = 0
EX_USAGE = 64      # bad option or argument
EX_DATAERR = 65    # a file of another schema, truncated or damaged, an empty suite
EX_NOINPUT = 66    # a file or directory named on the command line is missing
EX_SOFTWARE = 70   # a bug, or a Python module missing
EX_IOERR = 74      # the output directory cannot be written


class AnalysisError(Exception):
    """A failure with its exit status; str() is the one line printed."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status = status
